"""PairwiseDistance, CosineSimilarity and TripletMarginLoss against PyTorch in float64: every
argument (p including 0, 1, fractional and inf; keepdim; dim; eps in and out of the clamped
regime; swap, margin, reductions), broadcasting, ties, float32, empty batches, numerical
gradients and argument errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import dlcore.functional as F
import dlcore.nn as nn
from dlcore.gradcheck import numerical_gradient
from parity import close, t

RTOL = 1e-12
INF = float("inf")


def _torch_grads(fn, inputs, g):
    leaves = [t(x, grad=True) for x in inputs]
    out = fn(*leaves)
    out.backward(t(g) if np.ndim(g) else torch.tensor(g))
    return out.detach().numpy(), [x.grad.numpy() if x.grad is not None else None for x in leaves]


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, INF, 0.0])
@pytest.mark.parametrize("eps", [1e-6, 0.0])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shapes", [((4, 5), (4, 5)), ((4, 5), (5,)), ((3, 1, 5), (4, 5)),
                                    ((5,), (5,)), ((0, 5), (0, 5))])
def test_pairwise_distance_matches_torch(p, eps, keepdim, shapes):
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    if x1.ndim == 2 and x1.shape == x2.shape and len(x1):
        x2[0] = x1[0] + eps                      # a zero difference: the gradient's kink
        x2[1, 0] = x1[1, 0] + eps                # one zero entry
        x1[2, :2] = [3.0, -3.0]                  # a tie for the inf-norm
        x2[2, :2] = 0.0
    m = nn.PairwiseDistance(p, eps, keepdim)
    ours = m(x1, x2)
    g = rng.standard_normal(ours.shape)
    theirs, (g1, g2) = _torch_grads(
        lambda a, b: TF.pairwise_distance(a, b, p=p, eps=eps, keepdim=keepdim), (x1, x2), g)
    np.testing.assert_allclose(ours, theirs, rtol=RTOL)
    d1, d2 = m.backward(g)
    if p == 0:                                   # torch gives no gradient at all
        assert g1 is None and not d1.any() and not d2.any()
        return
    np.testing.assert_allclose(d1, g1, rtol=RTOL, atol=1e-14)
    np.testing.assert_allclose(d2, g2, rtol=RTOL, atol=1e-14)


@pytest.mark.parametrize("dim", [1, 0, -1])
@pytest.mark.parametrize("eps", [1e-8, 0.5])
@pytest.mark.parametrize("shapes", [((4, 5), (4, 5)), ((4, 5), (1, 5)), ((2, 4, 5), (4, 5))])
def test_cosine_similarity_matches_torch_also_below_eps(dim, eps, shapes):
    rng = np.random.default_rng(1)
    x1, x2 = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    x1[..., 0, :] *= 1e-9                       # norms below eps: the clamped regime
    m = nn.CosineSimilarity(dim, eps)
    ours = m(x1, x2)
    g = rng.standard_normal(ours.shape)
    theirs, (g1, g2) = _torch_grads(lambda a, b: TF.cosine_similarity(a, b, dim=dim, eps=eps),
                                    (x1, x2), g)
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=1e-15)
    d1, d2 = m.backward(g)
    np.testing.assert_allclose(d1, g1, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(d2, g2, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("p, margin", [(2.0, 1.0), (1.0, 0.5), (3.0, 2.0), (INF, 1.0)])
@pytest.mark.parametrize("batch", [6, None])
def test_triplet_margin_matches_torch(reduction, swap, p, margin, batch):
    rng = np.random.default_rng(2)
    shape = (5,) if batch is None else (batch, 5)
    a, pos, neg = (rng.standard_normal(shape) for _ in range(3))
    if batch:
        neg[0] = a[0] + (a[0] - pos[0])             # d(a, n) = d(p, n) up to eps: a swap tie
        neg[1] = a[1] + 0.3 * (pos[1] - a[1])
    loss = nn.TripletMarginLoss(margin, p, 1e-6, swap, reduction)
    ours = loss(a, pos, neg)
    g = rng.standard_normal(np.shape(ours)) if np.ndim(ours) else 0.7
    theirs, grads = _torch_grads(
        lambda x, y, z: TF.triplet_margin_loss(x, y, z, margin=margin, p=p, swap=swap,
                                               reduction=reduction), (a, pos, neg), g)
    close(ours, theirs, rtol=RTOL)
    for ours_g, theirs_g in zip(loss.backward(g), grads):
        np.testing.assert_allclose(ours_g, theirs_g, rtol=1e-11, atol=1e-13)


def test_exact_swap_tie_splits_the_gradient_as_torch():
    a, pos, neg = np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]]), np.array([[0.5, 0.8]])
    loss = nn.TripletMarginLoss(eps=0.0, swap=True)
    ours = loss(a, pos, neg)
    theirs, grads = _torch_grads(lambda x, y, z: TF.triplet_margin_loss(x, y, z, eps=0.0,
                                                                        swap=True),
                                 (a, pos, neg), 1.0)
    close(ours, theirs)
    for ours_g, theirs_g in zip(loss.backward(), grads):
        close(ours_g, theirs_g, rtol=1e-13)


def test_float32_empty_and_numerical_gradients():
    rng = np.random.default_rng(3)
    x1, x2 = (rng.standard_normal((4, 3)).astype(np.float32) for _ in range(2))
    for m in (nn.PairwiseDistance(), nn.CosineSimilarity()):
        y = m(x1, x2)
        assert y.dtype == np.float32 and all(g.dtype == np.float32 for g in m.backward(np.ones(4)))
    loss = nn.TripletMarginLoss()
    assert loss(x1, x2, x1[::-1]) == pytest.approx(
        TF.triplet_margin_loss(*(torch.tensor(v.copy()) for v in (x1, x2, x1[::-1]))).item(),
        rel=1e-6)
    assert all(g.dtype == np.float32 for g in loss.backward())
    empty = np.zeros((0, 3))
    np.testing.assert_array_equal(F.triplet_margin_loss(empty, empty, empty),
                                  TF.triplet_margin_loss(t(empty), t(empty), t(empty)).numpy())
    assert F.pairwise_distance(empty, empty).shape == (0,)
    a, pos, neg = (rng.standard_normal((3, 4)) for _ in range(3))
    loss = nn.TripletMarginLoss(margin=3.0, swap=True)
    loss(a, pos, neg)
    grads = loss.backward()
    for i, x in enumerate((a, pos, neg)):
        def f(v, i=i):
            args = [a, pos, neg]
            args[i] = v
            return loss(*args)
        np.testing.assert_allclose(grads[i], numerical_gradient(f, x.copy()), rtol=1e-6, atol=1e-8)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="do not broadcast"):
        F.pairwise_distance(np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"dim must be in \[-2, 1\]"):
        F.cosine_similarity(np.ones((2, 3)), np.ones((2, 3)), dim=2)
    with pytest.raises(TypeError, match="pairwise_distance p must be a real number"):
        nn.PairwiseDistance(p="2")
    with pytest.raises(ValueError, match="must all be \\(N, D\\) or all \\(D,\\)"):
        F.triplet_margin_loss(np.ones((2, 3)), np.ones(3), np.ones((2, 3)))
    with pytest.raises(ValueError, match="margin must be greater than 0"):
        nn.TripletMarginLoss(margin=0.0)
    with pytest.raises(TypeError, match="swap must be True or False"):
        nn.TripletMarginLoss(swap=1)
