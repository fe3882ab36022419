"""Every dlcore loss against torch in float64: values and input gradients for every reduction
and option, extreme logits, functional forms, numerical gradients and bad input."""

import itertools
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings, strategies as st

import dlcore
import dlcore.functional as F
import dlcore.nn as nn
from dlcore.gradcheck import check_module_gradients, numerical_gradient, rel_error
from parity import close, t

REDUCTIONS = ["mean", "sum", "none"]


def _check(ours, torch_loss, x, target, torch_target, rng):
    xt = t(x, grad=True)
    ref = torch_loss(xt, torch_target)
    value = ours(x, target)
    close(value, ref)
    up = rng.standard_normal(ref.shape) if ours.reduction == "none" else 1.7
    ref.backward(t(up) if ours.reduction == "none" else torch.tensor(up))
    close(ours.backward(up), xt.grad)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse(reduction):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    _check(nn.MSELoss(reduction), torch.nn.MSELoss(reduction=reduction), x, y, t(y), rng)


@pytest.mark.parametrize("reduction, weighted, pos", list(itertools.product(REDUCTIONS, [0, 1], [0, 1])))
def test_bce_with_logits(reduction, weighted, pos):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 3)) * 5
    x[0] = [1e4, -1e4, 0.0]
    y = rng.uniform(0, 1, (6, 3))
    y[1] = [0.0, 1.0, 1.0]
    w = rng.uniform(0.5, 2, (6, 3)) if weighted else None
    pw = rng.uniform(0.5, 3, 3) if pos else None
    ours = nn.BCEWithLogitsLoss(weight=w, reduction=reduction, pos_weight=pw)
    ref = torch.nn.BCEWithLogitsLoss(weight=None if w is None else t(w), reduction=reduction,
                                     pos_weight=None if pw is None else t(pw))
    _check(ours, ref, x, y, t(y), rng)


CE_CASES = list(itertools.product(REDUCTIONS, [False, True], [-100, 1], [0.0, 0.2],
                                  ["index", "prob", "spatial", "unbatched"]))


@pytest.mark.parametrize("reduction, weighted, ignore_index, smoothing, kind", CE_CASES)
def test_cross_entropy(reduction, weighted, ignore_index, smoothing, kind):
    rng = np.random.default_rng(2)
    C = 4
    shape = {"index": (7, C), "prob": (7, C), "spatial": (3, C, 2, 5), "unbatched": (C,)}[kind]
    x = rng.standard_normal(shape) * 3
    if kind == "index":
        x[0] = [1e4, -1e4, 0.0, 5e3]
    if kind == "prob":
        target = rng.dirichlet(np.ones(C), 7)
        torch_target = t(target)
    else:
        target_shape = shape[:1] + shape[2:] if len(shape) > 1 else ()
        target = rng.integers(0, C, target_shape)
        torch_target = torch.tensor(target)
    w = rng.uniform(0.3, 2.0, C) if weighted else None
    ours = nn.CrossEntropyLoss(weight=w, ignore_index=ignore_index, reduction=reduction,
                               label_smoothing=smoothing)
    if kind == "prob" and ignore_index != -100:  # torch refuses this combination too
        with pytest.raises(RuntimeError, match="ignore_index"):
            torch.nn.functional.cross_entropy(t(x), torch_target, ignore_index=ignore_index)
        with pytest.raises(ValueError, match="not supported for probability targets"):
            ours(x, target)
        return
    ref = torch.nn.CrossEntropyLoss(weight=None if w is None else t(w),
                                    ignore_index=ignore_index, reduction=reduction,
                                    label_smoothing=smoothing)
    _check(ours, ref, x, target, torch_target, rng)


def test_cross_entropy_all_ignored_is_nan_like_torch():
    x = np.zeros((2, 3))
    ours = nn.CrossEntropyLoss(ignore_index=1)(x, np.array([1, 1]))
    theirs = TF.cross_entropy(t(x), torch.tensor([1, 1]), ignore_index=1)
    assert np.isnan(ours) and torch.isnan(theirs)


def test_extreme_logits_stay_finite():
    x = np.array([[1e4, -1e4], [-1e4, 1e4]])
    loss = nn.CrossEntropyLoss()
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert loss(x, np.array([1, 1])) == pytest.approx(1e4)
        assert np.all(np.isfinite(loss.backward()))
        b = nn.BCEWithLogitsLoss()
        assert np.isfinite(b(x, np.ones_like(x))) and np.all(np.isfinite(b.backward()))


def test_bad_targets_are_explained():
    with pytest.raises(ValueError, match=r"class index must be in \[0, 2\].*got 3"):
        nn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match=r"target shape \(3,\) does not match input shape \(2, 3\)"):
        nn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"input shape \(2, 3\) does not match target shape \(3, 2\)"):
        nn.MSELoss()(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\], got 1.5"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
    with pytest.raises(ValueError, match="weight has 2 entries but the input has 3 classes"):
        nn.CrossEntropyLoss(weight=[1.0, 2.0])(np.zeros((2, 3)), np.array([0, 1]))


# ---------------------------------------------------------------------------------------
# Regression losses: L1, Huber, SmoothL1 (and the functional ``weight`` of mse/l1/huber)
# ---------------------------------------------------------------------------------------

def _residual_data(rng, scale=1.0):
    """Inputs whose residuals include exact zeros and exact +-scale (the kinks)."""
    y = rng.standard_normal((4, 5))
    x = y + 2.5 * scale * rng.standard_normal((4, 5))
    x[0, :3] = y[0, :3] + np.array([0.0, scale, -scale])
    x[1, 0] = y[1, 0] + 1e4
    return x, y


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_l1(reduction):
    rng = np.random.default_rng(3)
    x, y = _residual_data(rng)
    _check(nn.L1Loss(reduction), torch.nn.L1Loss(reduction=reduction), x, y, t(y), rng)


@pytest.mark.parametrize("reduction, delta", list(itertools.product(REDUCTIONS, [0.5, 1.0, 3.0])))
def test_huber(reduction, delta):
    rng = np.random.default_rng(4)
    x, y = _residual_data(rng, delta)
    _check(nn.HuberLoss(reduction, delta), torch.nn.HuberLoss(reduction=reduction, delta=delta),
           x, y, t(y), rng)


@pytest.mark.parametrize("reduction, beta",
                         list(itertools.product(REDUCTIONS, [0.0, 0.5, 1.0, 2.0])))
def test_smooth_l1(reduction, beta):
    rng = np.random.default_rng(5)
    x, y = _residual_data(rng, beta if beta else 1.0)
    _check(nn.SmoothL1Loss(reduction, beta),
           torch.nn.SmoothL1Loss(reduction=reduction, beta=beta), x, y, t(y), rng)


@pytest.mark.parametrize("name, reduction", list(itertools.product(
    ["mse_loss", "l1_loss", "huber_loss"], REDUCTIONS)))
def test_pointwise_functional_weight(name, reduction):
    rng = np.random.default_rng(6)
    x, y = _residual_data(rng)
    w = rng.uniform(0, 2, x.shape)
    ours = getattr(F, name)(x, y, reduction=reduction, weight=w)
    theirs = getattr(TF, name)(t(x), t(y), reduction=reduction, weight=t(w))
    close(ours, theirs)
    # and the gradient, through the class that the functional form builds
    cls = {"mse_loss": nn.MSELoss, "l1_loss": nn.L1Loss, "huber_loss": nn.HuberLoss}[name]
    loss = cls(reduction)
    loss._weight = w
    xt = t(x, grad=True)
    ref = getattr(TF, name)(xt, t(y), reduction=reduction, weight=t(w))
    up = rng.standard_normal(x.shape) if reduction == "none" else 0.3
    loss(x, y)
    ref.backward(t(up) if reduction == "none" else torch.tensor(up))
    close(loss.backward(up), xt.grad)


def test_huber_and_smooth_l1_relation():
    rng = np.random.default_rng(7)
    x, y = rng.standard_normal(50) * 3, rng.standard_normal(50)
    for d in [0.3, 2.0]:
        assert F.huber_loss(x, y, delta=d) == pytest.approx(d * F.smooth_l1_loss(x, y, beta=d),
                                                            rel=1e-12)
    assert F.smooth_l1_loss(x, y, beta=0.0) == pytest.approx(F.l1_loss(x, y), rel=1e-15)


# ---------------------------------------------------------------------------------------
# BCELoss on probabilities, MultiLabelSoftMarginLoss
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("reduction, weighted", list(itertools.product(REDUCTIONS, [0, 1, 2])))
def test_bce(reduction, weighted):
    rng = np.random.default_rng(8)
    x = rng.uniform(0, 1, (5, 4))
    x[0] = [0.0, 1.0, 1e-13, 1 - 1e-13]   # the clamp at -100 and the 1e-12 gradient floor
    x[1] = [0.0, 1.0, 0.5, 1e-50]
    y = rng.uniform(0, 1, (5, 4))
    y[0] = [1.0, 0.0, 0.0, 1.0]
    y[1] = [0.0, 1.0, 1.0, 1.0]
    w = [None, rng.uniform(0.5, 2, (5, 4)), rng.uniform(0.5, 2, 4)][weighted]
    ours = nn.BCELoss(weight=w, reduction=reduction)
    ref = torch.nn.BCELoss(weight=None if w is None else t(w), reduction=reduction)
    _check(ours, ref, x, y, t(y), rng)


def test_bce_from_sigmoid_matches_bce_with_logits_until_the_clamp():
    z = np.array([3.0, -1.0, 0.0, 20.0, -20.0, 200.0])
    y = np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.0])
    p = dlcore.functional.activation.sigmoid(z)
    from_p = F.binary_cross_entropy(p, y, reduction="none")
    from_z = F.binary_cross_entropy_with_logits(z, y, reduction="none")
    close(from_p[:5], from_z[:5], rtol=1e-6)
    assert from_p[5] == 100.0 and from_z[5] == pytest.approx(200.0)


@pytest.mark.parametrize("reduction, weighted, batched", list(itertools.product(
    REDUCTIONS, [0, 1, 2], [True, False])))
def test_multilabel_soft_margin(reduction, weighted, batched):
    rng = np.random.default_rng(9)
    shape = (6, 4) if batched else (4,)
    x = rng.standard_normal(shape) * 4
    if batched:
        x[0] = [1e4, -1e4, 0.0, -3e3]
    y = rng.integers(0, 2, shape).astype(float)
    w = [None, rng.uniform(0.5, 2, 4), rng.uniform(0.5, 2, shape)][weighted]
    ours = nn.MultiLabelSoftMarginLoss(weight=w, reduction=reduction)
    ref = torch.nn.MultiLabelSoftMarginLoss(weight=None if w is None else t(w),
                                            reduction=reduction)
    _check(ours, ref, x, y, t(y), rng)


# ---------------------------------------------------------------------------------------
# NLLLoss, KLDivLoss
# ---------------------------------------------------------------------------------------

NLL_CASES = list(itertools.product(REDUCTIONS, [False, True], [-100, 1],
                                   ["index", "spatial", "unbatched"]))


@pytest.mark.parametrize("reduction, weighted, ignore_index, kind", NLL_CASES)
def test_nll(reduction, weighted, ignore_index, kind):
    rng = np.random.default_rng(10)
    C = 4
    shape = {"index": (7, C), "spatial": (3, C, 2, 5), "unbatched": (C,)}[kind]
    x = dlcore.functional.activation.log_softmax(rng.standard_normal(shape) * 3,
                                                 1 if len(shape) > 1 else 0)
    if kind == "index":
        x[0] = dlcore.functional.activation.log_softmax(np.array([1e4, -1e4, 0.0, 5e3]), 0)
    target_shape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    target = rng.integers(0, C, target_shape)
    w = rng.uniform(0.3, 2.0, C) if weighted else None
    ours = nn.NLLLoss(weight=w, ignore_index=ignore_index, reduction=reduction)
    ref = torch.nn.NLLLoss(weight=None if w is None else t(w), ignore_index=ignore_index,
                           reduction=reduction)
    _check(ours, ref, x, target, torch.tensor(target), rng)


def test_cross_entropy_is_nll_of_log_softmax():
    rng = np.random.default_rng(11)
    x, target = rng.standard_normal((6, 3)), rng.integers(0, 3, 6)
    w = np.array([1.0, 2.0, 0.5])
    assert F.cross_entropy(x, target, w) == pytest.approx(
        F.nll_loss(F.log_softmax(x, 1), target, w), rel=1e-14)


@pytest.mark.parametrize("reduction, log_target, shape", list(itertools.product(
    REDUCTIONS + ["batchmean"], [False, True], [(5, 4), (3, 4, 2), (4,)])))
def test_kl_div(reduction, log_target, shape):
    rng = np.random.default_rng(12)
    cdim = 1 if len(shape) > 1 else 0
    x = dlcore.functional.activation.log_softmax(rng.standard_normal(shape) * 2, cdim)
    p = dlcore.functional.activation.softmax(rng.standard_normal(shape), cdim)
    if len(shape) == 2:
        p[0, 1] = 0.0  # 0 log 0 = 0
    y = np.log(np.maximum(p, 1e-300)) if log_target else p
    ours = nn.KLDivLoss(reduction=reduction, log_target=log_target)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch warns about reduction='mean'
        _check(ours, torch.nn.KLDivLoss(reduction=reduction, log_target=log_target),
               x, y, t(y), rng)


def test_kl_div_batchmean_is_the_kl_divergence():
    q = np.array([[0.5, 0.5], [0.2, 0.8]])
    p = np.array([[0.9, 0.1], [0.2, 0.8]])
    kl = np.sum(p * np.log(p / q)) / 2
    assert F.kl_div(np.log(q), p, reduction="batchmean") == pytest.approx(kl, rel=1e-14)


# ---------------------------------------------------------------------------------------
# MultiMarginLoss, CosineEmbeddingLoss
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("reduction, p, margin, weighted, batched", list(itertools.product(
    REDUCTIONS, [1, 2], [1.0, 0.5], [False, True], [True, False])))
def test_multi_margin(reduction, p, margin, weighted, batched):
    rng = np.random.default_rng(13)
    C = 4
    x = rng.standard_normal((6, C) if batched else (C,))
    target = rng.integers(0, C, 6 if batched else ())
    if batched:
        x[0] = [1e4, -1e4, 0.0, 3.0]
        x[1] = [0.0, 0.0, 0.0, 0.0]
        target[1] = 2
        x[2] = [2.0, 2.0 - margin, 2.0 - 2 * margin, 5.0]  # a shortfall exactly 0
        target[2] = 0
    w = rng.uniform(0.5, 2, C) if weighted else None
    ours = nn.MultiMarginLoss(p=p, margin=margin, weight=w, reduction=reduction)
    ref = torch.nn.MultiMarginLoss(p=p, margin=margin, weight=None if w is None else t(w),
                                   reduction=reduction)
    _check(ours, ref, x, target, torch.tensor(target), rng)


@pytest.mark.parametrize("reduction, margin, batched", list(itertools.product(
    REDUCTIONS, [0.0, 0.3, -0.5], [True, False])))
def test_cosine_embedding(reduction, margin, batched):
    rng = np.random.default_rng(14)
    shape = (8, 3) if batched else (3,)
    a, b = rng.standard_normal(shape), rng.standard_normal(shape)
    y = rng.choice([-1, 1], 8 if batched else ())
    if batched:
        a[0] *= 1e4
        b[1] = 0.0  # a zero vector: the 1e-12 keeps the cosine finite
        y[2] = 0    # neither 1 nor -1 contributes 0
    ours = nn.CosineEmbeddingLoss(margin=margin, reduction=reduction)
    at, bt = t(a, grad=True), t(b, grad=True)
    ref = torch.nn.CosineEmbeddingLoss(margin=margin, reduction=reduction)(at, bt, torch.tensor(y))
    close(ours(a, b, y), ref)
    up = rng.standard_normal(ref.shape) if reduction == "none" else 0.7
    ref.backward(t(up) if reduction == "none" else torch.tensor(up))
    g1, g2 = ours.backward(up)
    close(g1, at.grad)
    close(g2, bt.grad)
    close(F.cosine_embedding_loss(a, b, y, margin, reduction), ref)


# ---------------------------------------------------------------------------------------
# Functional forms, exports, numerical gradients, extreme inputs, bad input
# ---------------------------------------------------------------------------------------

def _probabilities(rng, shape):
    return rng.uniform(0.05, 0.95, shape)


FUNCTIONAL = [  # (name, input, target, kwargs), torch takes the same arguments by name
    ("l1_loss", "real", "real", {"reduction": "sum"}),
    ("huber_loss", "real", "real", {"delta": 0.7}),
    ("smooth_l1_loss", "real", "real", {"beta": 0.4, "reduction": "none"}),
    ("binary_cross_entropy", "prob", "prob", {"reduction": "sum"}),
    ("multilabel_soft_margin_loss", "real", "bits", {}),
    ("nll_loss", "logp", "index", {"ignore_index": 0}),
    ("kl_div", "logp", "probs", {"reduction": "batchmean", "log_target": False}),
    ("multi_margin_loss", "real", "index", {"p": 2, "margin": 0.5}),
]


@pytest.mark.parametrize("name, xkind, ykind, kwargs", FUNCTIONAL)
def test_functional_forms(name, xkind, ykind, kwargs):
    rng = np.random.default_rng(15)
    make = {"real": lambda: rng.standard_normal((5, 3)),
            "prob": lambda: _probabilities(rng, (5, 3)),
            "bits": lambda: rng.integers(0, 2, (5, 3)).astype(float),
            "logp": lambda: F.log_softmax(rng.standard_normal((5, 3)), 1),
            "probs": lambda: F.softmax(rng.standard_normal((5, 3)), 1),
            "index": lambda: rng.integers(0, 3, 5)}
    x, y = make[xkind](), make[ykind]()
    yt = torch.tensor(y) if ykind == "index" else t(y)
    close(getattr(F, name)(x, y, **kwargs), getattr(TF, name)(t(x), yt, **kwargs))


def test_every_loss_is_exported_like_torch():
    import inspect

    for name in dlcore.nn.loss.__all__:
        if name[0].isupper():
            assert getattr(dlcore.nn, name) is getattr(dlcore.nn.loss, name)
            ours = list(inspect.signature(getattr(nn, name).__init__).parameters)[1:]
            theirs = [p for p in inspect.signature(getattr(torch.nn, name).__init__).parameters
                      if p not in ("self", "size_average", "reduce")]
            assert ours == theirs, name
    for name in dlcore.functional.loss.__all__:
        assert getattr(dlcore.functional, name) is getattr(dlcore.functional.loss, name)
        ours = list(inspect.signature(getattr(F, name)).parameters)
        theirs = [p for p in inspect.signature(getattr(TF, name)).parameters
                  if p not in ("size_average", "reduce")]
        assert ours == theirs, name


class _Bound(nn.Module):
    """A loss with its target fixed, so check_module_gradients can perturb the input."""

    def __init__(self, loss, target):
        super().__init__()
        self.loss, self.target = loss, target

    def forward(self, x):
        return self.loss(x, self.target)

    def backward(self, g):
        return self.loss.backward(g)


@pytest.mark.parametrize("loss, kind", [
    (nn.HuberLoss("none", 0.8), "real"), (nn.SmoothL1Loss("none", 0.5), "real"),
    (nn.BCELoss(reduction="none"), "prob"), (nn.MultiLabelSoftMarginLoss(reduction="none"), "bits"),
    (nn.KLDivLoss("none"), "probs"), (nn.MultiMarginLoss(2, reduction="none"), "index"),
    (nn.NLLLoss(np.array([1.0, 2.0, 3.0]), reduction="none"), "index"),
    (nn.CrossEntropyLoss(reduction="none", label_smoothing=0.1), "index"),
])
def test_numerical_gradients(loss, kind):
    rng = np.random.default_rng(16)
    x = _probabilities(rng, (4, 3)) if kind == "prob" else rng.standard_normal((4, 3))
    target = {"real": lambda: rng.standard_normal((4, 3)) + 5 * (rng.random((4, 3)) > 0.5),
              "prob": lambda: _probabilities(rng, (4, 3)),
              "bits": lambda: rng.integers(0, 2, (4, 3)).astype(float),
              "probs": lambda: F.softmax(rng.standard_normal((4, 3)), 1),
              "index": lambda: rng.integers(0, 3, 4)}[kind]()
    assert check_module_gradients(_Bound(loss, target), x, rng=1).passed(1e-7)


def test_cosine_embedding_numerical_gradient():
    rng = np.random.default_rng(17)
    a, b, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 3)), np.array([1, -1, 1, -1, -1])
    loss = nn.CosineEmbeddingLoss(margin=-0.2, reduction="sum")
    loss(a, b, y)
    g1, g2 = loss.backward()
    assert rel_error(g1, numerical_gradient(lambda v: loss(v, b, y), a)) < 1e-7
    assert rel_error(g2, numerical_gradient(lambda v: loss(a, v, y), b)) < 1e-7


def test_extreme_logits_for_every_logit_loss():
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3]])
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        for loss, target in [(nn.MultiLabelSoftMarginLoss(), np.array([[0.0, 1, 1], [1, 0, 1]])),
                             (nn.MultiMarginLoss(2), np.array([1, 0])),
                             (nn.NLLLoss(), np.array([1, 0])),
                             (nn.CrossEntropyLoss(label_smoothing=0.3), np.array([1, 0]))]:
            inp = F.log_softmax(x, 1) if isinstance(loss, nn.NLLLoss) and not isinstance(
                loss, nn.CrossEntropyLoss) else x
            value = loss(inp, target)
            assert np.isfinite(value) and np.all(np.isfinite(loss.backward()))


def test_more_bad_input_is_explained():
    with pytest.raises(ValueError, match=r"HuberLoss delta must be in \(0, inf\), got 0"):
        nn.HuberLoss(delta=0.0)
    with pytest.raises(ValueError, match=r"SmoothL1Loss beta must be in \[0, inf\), got -1"):
        nn.SmoothL1Loss(beta=-1.0)
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\], got 1.2"):
        nn.BCELoss()(np.array([0.5, 1.2]), np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match="MultiMarginLoss p must be 1 or 2, got 3"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match=r"weight must be 1-D .* got shape \(2, 3\)"):
        nn.MultiMarginLoss(weight=np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"class index must be in \[0, 2\], got 5"):
        nn.MultiMarginLoss()(np.zeros((2, 3)), np.array([0, 5]))
    with pytest.raises(ValueError, match="reduction must be one of .*'batchmean'; got 'avg'"):
        nn.KLDivLoss(reduction="avg")
    with pytest.raises(ValueError, match="reduction must be one of 'mean', 'sum', 'none'; got "
                                         "'batchmean'"):
        nn.L1Loss(reduction="batchmean")
    with pytest.raises(ValueError, match=r"input1 shape \(2, 3\) and input2 shape \(2, 4\)"):
        nn.CosineEmbeddingLoss()(np.zeros((2, 3)), np.zeros((2, 4)), np.ones(2))
    with pytest.raises(ValueError,
                       match=r"target shape \(3,\) does not match input shape \(2, 3\)"):
        nn.CosineEmbeddingLoss()(np.zeros((2, 3)), np.zeros((2, 3)), np.ones(3))
    with pytest.raises(TypeError, match="target must hold class indices"):
        nn.NLLLoss()(np.zeros((2, 3)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError,
                       match=r"weight shape \(3,\) does not match input shape \(2, 3\)"):
        F.mse_loss(np.zeros((2, 3)), np.zeros((2, 3)), weight=np.ones(3))
    with pytest.raises(ValueError, match=r"pos_weight of shape \(4,\) cannot be broadcast"):
        nn.BCEWithLogitsLoss(pos_weight=np.ones(4))(np.zeros((2, 3)), np.zeros((2, 3)))


def test_reprs_like_torch():
    pairs = [(nn.L1Loss(), torch.nn.L1Loss()), (nn.BCELoss(), torch.nn.BCELoss()),
             (nn.HuberLoss(delta=2.0), torch.nn.HuberLoss(delta=2.0)),
             (nn.CrossEntropyLoss(ignore_index=3), torch.nn.CrossEntropyLoss(ignore_index=3)),
             (nn.KLDivLoss(log_target=True), torch.nn.KLDivLoss(log_target=True)),
             (nn.MultiMarginLoss(p=2), torch.nn.MultiMarginLoss(p=2))]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)


def test_bce_gradient_floor_is_torchs_float32_epsilon():
    # torch floors p (1 - p) at the float32 constant 1e-12: the gradients at p in {0, 1} agree
    # to the last bit, not only to rtol=1e-7
    x, y = np.array([0.0, 1.0, 1 - 1e-13, 1e-300]), np.array([1.0, 0.0, 0.0, 1.0])
    xt = t(x, grad=True)
    torch.nn.BCELoss(reduction="sum")(xt, t(y)).backward()
    ours = nn.BCELoss(reduction="sum")
    ours(x, y)
    np.testing.assert_array_equal(ours.backward(), xt.grad.numpy())


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_losses_keep_float32(reduction):
    # float32 input gives a float32 gradient, as in PyTorch (no silent promotion to float64)
    rng = np.random.default_rng(18)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    prob = (1 / (1 + np.exp(-x))).astype(np.float32)
    cls = np.array([0, 2, 1, 1])
    cases = [(nn.MSELoss(reduction), x, x * 0), (nn.L1Loss(reduction), x, x * 0),
             (nn.HuberLoss(reduction), x, x * 0), (nn.SmoothL1Loss(reduction), x, x * 0),
             (nn.BCELoss(reduction=reduction), prob, prob), (nn.BCEWithLogitsLoss(
                 reduction=reduction), x, prob), (nn.MultiLabelSoftMarginLoss(
                 reduction=reduction), x, prob), (nn.CrossEntropyLoss(reduction=reduction), x,
                                                  cls), (nn.NLLLoss(reduction=reduction), x, cls),
             (nn.KLDivLoss(reduction), x, prob), (nn.MultiMarginLoss(reduction=reduction), x, cls)]
    for loss, inp, target in cases:
        out = loss(inp, target)
        up = np.ones(np.shape(out), np.float32) if reduction == "none" else 1.0
        assert loss.backward(up).dtype == np.float32, type(loss).__name__
    cos = nn.CosineEmbeddingLoss(reduction=reduction)
    out = cos(x, x[::-1], np.array([1, -1, 1, -1]))
    up = np.ones(np.shape(out), np.float32) if reduction == "none" else 1.0
    assert all(g.dtype == np.float32 for g in cos.backward(up))


@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple),
       reduction=st.sampled_from(REDUCTIONS), seed=st.integers(0, 2**16),
       kind=st.sampled_from(["l1", "huber", "smooth_l1", "bce", "kl"]))
def test_pointwise_losses_on_random_shapes(shape, reduction, seed, kind):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 3
    y = rng.standard_normal(shape)
    delta = float(rng.uniform(0.1, 3))
    ours, theirs = {
        "l1": (nn.L1Loss(reduction), torch.nn.L1Loss(reduction=reduction)),
        "huber": (nn.HuberLoss(reduction, delta), torch.nn.HuberLoss(reduction=reduction,
                                                                     delta=delta)),
        "smooth_l1": (nn.SmoothL1Loss(reduction, delta),
                      torch.nn.SmoothL1Loss(reduction=reduction, beta=delta)),
        "bce": (nn.BCELoss(reduction=reduction), torch.nn.BCELoss(reduction=reduction)),
        "kl": (nn.KLDivLoss(reduction, log_target=True),
               torch.nn.KLDivLoss(reduction=reduction, log_target=True)),
    }[kind]
    if kind == "bce":
        x, y = 1 / (1 + np.exp(-x)), rng.uniform(0, 1, shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # KLDivLoss(reduction="mean")
        _check(ours, theirs, x, y, t(y), rng)


def test_nan_outside_what_torch_reads_does_not_poison_the_loss():
    # a NaN in an ignored row (cross-entropy) or in a non-target class (NLL) is not read
    x = np.array([[np.nan, 1.0, 2.0], [0.5, 0.1, -1.0]])
    for fn, tfn, target, kwargs in [(F.cross_entropy, TF.cross_entropy, [1, 0], {"ignore_index": 1}),
                                    (F.nll_loss, TF.nll_loss, [1, 0], {"ignore_index": 1}),
                                    (F.nll_loss, TF.nll_loss, [1, 0], {})]:
        xx = x.copy()
        if not kwargs:
            xx[0] = [0.1, -0.3, np.nan]            # NaN in a class that is not the target
        for reduction in ("mean", "sum", "none"):
            ours = fn(xx, np.array(target), reduction=reduction, **kwargs)
            theirs = tfn(t(xx), torch.tensor(target), reduction=reduction, **kwargs)
            np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-13)
    # the gradient of an ignored NaN row is NaN in both, as the softmax backward multiplies 0 by it
    loss = nn.CrossEntropyLoss(ignore_index=1)
    loss(x, np.array([1, 0]))
    xt = t(x, grad=True)
    TF.cross_entropy(xt, torch.tensor([1, 0]), ignore_index=1).backward()
    np.testing.assert_array_equal(np.isnan(loss.backward()), np.isnan(xt.grad.numpy()))


@pytest.mark.parametrize("bad", ["1", 1.5, True, None])
def test_ignore_index_must_be_an_integer(bad):
    for make in (lambda: nn.CrossEntropyLoss(ignore_index=bad),
                 lambda: nn.NLLLoss(ignore_index=bad),
                 lambda: F.cross_entropy(np.zeros((2, 3)), np.array([0, 1]), ignore_index=bad),
                 lambda: F.nll_loss(np.zeros((2, 3)), np.array([0, 1]), ignore_index=bad)):
        with pytest.raises(TypeError, match="ignore_index must be an integer"):
            make()


def test_probability_targets_accept_a_negative_ignore_index_as_torch():
    x, probs = np.zeros((2, 3)), F.softmax(np.ones((2, 3)), 1)
    close(F.cross_entropy(x, probs, ignore_index=-5),
          TF.cross_entropy(t(x), t(probs), ignore_index=-5))
    with pytest.raises(ValueError, match="ignore_index=1 is not supported for probability"):
        F.cross_entropy(x, probs, ignore_index=1)
    with pytest.raises(RuntimeError, match="not supported for floating point target"):
        TF.cross_entropy(t(x), t(probs), ignore_index=1)
