"""Margin ranking, hinge embedding, soft margin, multi-label hinge, Poisson and Gaussian NLL
against PyTorch: every argument and reduction in float64 (values and gradients, kinks
included), float32 dtypes, empty batches, NaN, broadcasting, numerical gradients and the
argument errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import dlcore.functional as F
import dlcore.nn as nn
from dlcore.gradcheck import numerical_gradient
from parity import close, t

REDUCTIONS = ["mean", "sum", "none"]
RTOL = 1e-13


def _grad_output(loss, rng):
    return rng.standard_normal(np.shape(loss)) if np.ndim(loss) else 1.7


def _torch_backward(loss_t, g):
    loss_t.backward(t(g) if np.ndim(g) else torch.tensor(g))


def _compare(loss, x, target, torch_fn, rng, **kwargs):
    """``loss(x, target)`` and its input gradient against ``torch_fn(x, target, **kwargs)``."""
    xt = t(x, grad=True)
    theirs = torch_fn(xt, target, **kwargs)
    ours = loss(x, np.asarray(target))
    close(ours, theirs, rtol=RTOL)
    g = _grad_output(ours, rng)
    _torch_backward(theirs, g)
    close(loss.backward(g), xt.grad, rtol=RTOL)


def _signs(rng, shape):
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.5, -1.0])
@pytest.mark.parametrize("shapes", [((7,), (7,), (7,)), ((3, 4), (3, 4), (3, 4)),
                                    ((3, 4), (1, 4), (3, 1)), ((0, 2), (0, 2), (0, 2))])
def test_margin_ranking_matches_torch(reduction, margin, shapes):
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    y = _signs(rng, shapes[2])
    if x1.size and x1.shape == x2.shape == y.shape:
        x2.flat[0] = x1.flat[0] + y.flat[0] * margin    # exactly at the kink
    loss = nn.MarginRankingLoss(margin, reduction)
    ours = loss(x1, x2, y)
    a, b = t(x1, grad=True), t(x2, grad=True)
    theirs = TF.margin_ranking_loss(a, b, t(y), margin=margin, reduction=reduction)
    close(ours, theirs, rtol=RTOL)
    g = _grad_output(ours, rng)
    _torch_backward(theirs, g)
    d1, d2 = loss.backward(g)
    close(d1, a.grad, rtol=RTOL)
    close(d2, b.grad, rtol=RTOL)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [1.0, 0.3, 0.0])
def test_hinge_embedding_matches_torch_including_other_targets(reduction, margin):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 5)) + 0.5
    y = rng.choice([-1.0, 1.0, 0.0, 2.0], size=(4, 5))
    x[0, :3] = [margin, margin, np.nan]
    y[0, :3] = [-1.0, 1.0, -1.0]
    loss = nn.HingeEmbeddingLoss(margin, reduction)
    xt = t(x, grad=True)
    theirs = TF.hinge_embedding_loss(xt, t(y), margin=margin, reduction=reduction)
    ours = loss(x, y)
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=RTOL, equal_nan=True)
    g = _grad_output(ours, rng)
    _torch_backward(theirs, g)
    np.testing.assert_allclose(loss.backward(g), xt.grad.numpy(), rtol=RTOL, equal_nan=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin_matches_torch_and_stays_finite_where_torch_overflows(reduction):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 6)) * 5
    x[0, :3] = [0.0, 700.0, -700.0]
    y = _signs(rng, (3, 6))
    loss = nn.SoftMarginLoss(reduction)
    xt = t(x, grad=True)
    theirs = TF.soft_margin_loss(xt, t(y), reduction=reduction)
    close(loss(x, y), theirs, rtol=RTOL)
    g = _grad_output(theirs.detach().numpy(), rng)
    _torch_backward(theirs, g)
    close(loss.backward(g), xt.grad, rtol=RTOL)
    big = nn.SoftMarginLoss("none")(np.array([800.0]), np.array([-1.0]))
    assert big[0] == 800.0 and torch.isinf(TF.soft_margin_loss(t([800.0]), t([-1.0]),
                                                             reduction="none")[0])
    # broadcasting of the target, as PyTorch does
    close(F.soft_margin_loss(x, y[0]), TF.soft_margin_loss(t(x), t(y[0])), rtol=RTOL)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("batch", [None, 1, 5, 0])
def test_multilabel_margin_matches_torch(reduction, batch):
    rng = np.random.default_rng(3)
    C = 6
    shape = (C,) if batch is None else (batch, C)
    x = rng.standard_normal(shape)
    y = np.full(shape, -1, dtype=np.int64)
    for row in y.reshape(-1, C):
        k = rng.integers(0, C + 1)
        row[:k] = rng.choice(C, size=k, replace=False)
        row[k + 1:] = rng.integers(-1, C, size=max(C - k - 1, 0))  # ignored after the -1
    if batch and batch > 1:
        y[1, :3] = [2, 2, -1]                                     # a class listed twice
        x[1, 4] = x[1, 2] - 1.0                                   # a hinge exactly at 0
    _compare(nn.MultiLabelMarginLoss(reduction), x, torch.tensor(y), TF.multilabel_margin_loss,
             rng, reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_input", [True, False])
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("eps", [1e-8, 0.5])
def test_poisson_nll_matches_torch(reduction, log_input, full, eps):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((4, 5)) if log_input else rng.random((4, 5)) * 3
    y = rng.poisson(2.0, (4, 5)).astype(float)
    y[0, :3] = [0.0, 1.0, 1.5]                               # around Stirling's cut at y = 1
    _compare(nn.PoissonNLLLoss(log_input, full, eps, reduction), x, t(y), TF.poisson_nll_loss,
             rng, log_input=log_input, full=full, eps=eps, reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("var_shape", ["same", "last1", "fewer", "number"])
def test_gaussian_nll_matches_torch_for_every_var_shape(reduction, full, var_shape):
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    var = {"same": rng.random((4, 3)) + 0.1, "last1": rng.random((4, 1)) + 0.1,
           "fewer": rng.random(4) + 0.1, "number": 0.7}[var_shape]
    if var_shape == "same":
        var[0, 0] = 1e-9                                         # clamped to eps
    loss = nn.GaussianNLLLoss(full=full, reduction=reduction)
    xt = t(x, grad=True)
    vt = var if var_shape == "number" else t(var, grad=True)
    theirs = TF.gaussian_nll_loss(xt, t(y), vt, full=full, reduction=reduction)
    ours = loss(x, y, var)
    close(ours, theirs, rtol=RTOL)
    g = _grad_output(ours, rng)
    _torch_backward(theirs, g)
    d_input, d_var = loss.backward(g)
    close(d_input, xt.grad, rtol=RTOL)
    if var_shape == "number":
        assert d_var is None
    else:
        assert d_var.shape == np.shape(var)
        close(d_var, vt.grad, rtol=RTOL)


def test_float32_keeps_dtype_and_matches_torch():
    rng = np.random.default_rng(6)
    x1, x2 = (rng.standard_normal((5, 4)).astype(np.float32) for _ in range(2))
    y = _signs(rng, (5, 4)).astype(np.float32)
    labels = np.array([[0, 2, -1, 0]] * 5)
    cases = [(nn.MarginRankingLoss(0.2), (x1, x2, y), TF.margin_ranking_loss, {"margin": 0.2}),
             (nn.HingeEmbeddingLoss(), (x1, y), TF.hinge_embedding_loss, {}),
             (nn.SoftMarginLoss(), (x1, y), TF.soft_margin_loss, {}),
             (nn.MultiLabelMarginLoss(), (x1, labels), TF.multilabel_margin_loss, {}),
             (nn.PoissonNLLLoss(full=True), (x1, np.abs(x2) * 3), TF.poisson_nll_loss,
              {"full": True}),
             (nn.GaussianNLLLoss(), (x1, x2, np.abs(y) * 0.5), TF.gaussian_nll_loss, {})]
    for loss, args, fn, kwargs in cases:
        value = loss(*args)
        tensors = [torch.tensor(a, requires_grad=a.dtype == np.float32 and i == 0)
                   for i, a in enumerate(args)]
        ref = fn(*tensors, **kwargs)
        ref.backward()
        out = loss.backward()
        first = out[0] if isinstance(out, tuple) else out
        assert first.dtype == np.float32, type(loss).__name__
        np.testing.assert_allclose(value, ref.item(), rtol=1e-5)
        np.testing.assert_allclose(first, tensors[0].grad.numpy(), rtol=1e-5, atol=1e-6)


def test_numerical_gradients():
    rng = np.random.default_rng(7)
    x, x2 = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    y, v = _signs(rng, (3, 4)), rng.random((3, 4)) + 0.5
    counts = rng.poisson(2.0, (3, 4)).astype(float)
    labels = np.array([[1, 3, -1, 0], [0, -1, 0, 0], [2, 1, 0, -1]])
    cases = [(nn.MarginRankingLoss(0.3), lambda a: (a, x2, y), 0),
             (nn.HingeEmbeddingLoss(0.4), lambda a: (a, y), None),
             (nn.SoftMarginLoss(), lambda a: (a, y), None),
             (nn.MultiLabelMarginLoss(), lambda a: (a, labels), None),
             (nn.PoissonNLLLoss(full=True), lambda a: (a, counts), None),
             (nn.PoissonNLLLoss(log_input=False), lambda a: (np.abs(a) + 0.5, counts), "abs"),
             (nn.GaussianNLLLoss(full=True), lambda a: (a, x2, v), 0)]
    for loss, args, part in cases:
        f = (lambda a, loss=loss, args=args: loss(*args(a)))
        loss(*args(x))
        analytic = loss.backward()
        analytic = analytic[0] if isinstance(analytic, tuple) else analytic
        if part == "abs":
            analytic = analytic * np.sign(x)
        np.testing.assert_allclose(analytic, numerical_gradient(f, x.copy()), rtol=1e-6,
                                   atol=1e-8, err_msg=type(loss).__name__)
    # and the variance gradient of the Gaussian NLL
    loss = nn.GaussianNLLLoss()
    loss(x, x2, v)
    np.testing.assert_allclose(loss.backward()[1],
                               numerical_gradient(lambda w: loss(x, x2, w), v.copy()),
                               rtol=1e-6, atol=1e-8)


def test_empty_batches_and_nan_match_torch():
    empty = np.zeros((0, 3))
    for ours, theirs in [(F.margin_ranking_loss(empty, empty, empty),
                          TF.margin_ranking_loss(t(empty), t(empty), t(empty))),
                         (F.soft_margin_loss(empty, empty), TF.soft_margin_loss(t(empty), t(empty))),
                         (F.poisson_nll_loss(empty, empty), TF.poisson_nll_loss(t(empty), t(empty))),
                         (F.gaussian_nll_loss(empty, empty, empty),
                          TF.gaussian_nll_loss(t(empty), t(empty), t(empty)))]:
        np.testing.assert_array_equal(ours, theirs.numpy())   # NaN where PyTorch gives NaN
    # PyTorch's multilabel kernel returns an uninitialised scalar (about 1e-310) for N = 0
    theirs = TF.multilabel_margin_loss(t(empty), torch.zeros(0, 3, dtype=torch.long)).item()
    assert abs(theirs) < 1e-300 and F.multilabel_margin_loss(empty, empty.astype(int)) == 0.0
    x = np.array([[np.nan, 0.3], [0.1, 0.2]])
    ours = F.poisson_nll_loss(x, np.ones((2, 2)), reduction="none")
    np.testing.assert_array_equal(np.isnan(ours), [[True, False], [False, False]])


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="same number of dimensions"):
        F.margin_ranking_loss(np.ones((2, 3)), np.ones((2, 3)), np.ones(3))
    with pytest.raises(ValueError, match="MarginRankingLoss: shapes do not broadcast"):
        F.margin_ranking_loss(np.ones(3), np.ones(2), np.ones(3))
    with pytest.raises(TypeError, match="MarginRankingLoss margin must be a real number"):
        nn.MarginRankingLoss(margin="1")
    with pytest.raises(TypeError, match="target must hold integer class indices"):
        F.multilabel_margin_loss(np.ones((2, 4)), np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"target entries must be -1 or in \[0, 3\]"):
        F.multilabel_margin_loss(np.ones((2, 4)), np.array([[4, -1, 0, 0], [0, -1, 0, 0]]))
    with pytest.raises(ValueError, match="input must be a non-empty"):
        F.multilabel_margin_loss(np.ones((2, 4, 1)), np.zeros((2, 4, 1), dtype=int))
    with pytest.raises(TypeError, match="PoissonNLLLoss log_input must be True or False"):
        nn.PoissonNLLLoss(log_input=1)
    with pytest.raises(ValueError, match="var of shape \\(3,\\) is of incorrect size"):
        F.gaussian_nll_loss(np.ones((2, 2)), np.ones((2, 2)), np.ones(3))
    with pytest.raises(ValueError, match="var has negative entries"):
        F.gaussian_nll_loss(np.ones((2, 2)), np.ones((2, 2)), -np.ones((2, 2)))
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.GaussianNLLLoss(reduction="batchmean")
    with pytest.raises(TypeError):
        nn.GaussianNLLLoss(True)                                  # keyword-only, as PyTorch
