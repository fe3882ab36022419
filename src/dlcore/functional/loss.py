r"""Loss functions and their gradients, as functions on arrays (the losses of
``torch.nn.functional``).

Each loss is a pair of kernels: ``_<loss>_forward(...)`` returns ``(loss, saved)``, the
reduced loss (a float for ``reduction="mean"`` or ``"sum"``, an array for ``"none"``) and a
dict of what the gradient needs, and ``_<loss>_backward(saved, grad_output)`` returns
:math:`\partial L / \partial \text{input}`. The public functions (``mse_loss``,
``cross_entropy``, ...) check their arguments and return the loss of the forward kernel; the
classes in :mod:`dlcore.nn.loss` check theirs once at construction, keep ``saved`` between
``forward`` and ``backward``, and call the same kernels. Every loss is computed from logits
where PyTorch's is, with log-sum-exp, so logits of magnitude 1e4 are safe.

The module reads top to bottom: the reductions and argument checks shared by every loss; the
regression losses (functions of the residual :math:`d = x - y`); binary cross-entropy from
probabilities and from logits; the multi-class losses (negative log-likelihood,
cross-entropy, KL divergence); the margin losses (multi-class hinge, cosine embedding,
margin ranking, hinge embedding, soft margin, multi-label hinge); the Poisson and Gaussian
negative log-likelihoods; the triplet margin loss.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..checks import as_array, check_choice, check_int, check_range
from .activation import log_softmax, sigmoid
from .distance import _unbroadcast, pairwise_distance, pairwise_distance_backward

__all__ = ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "multilabel_soft_margin_loss", "cross_entropy",
           "nll_loss", "kl_div", "multi_margin_loss", "cosine_embedding_loss",
           "margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss",
           "multilabel_margin_loss", "poisson_nll_loss", "gaussian_nll_loss",
           "triplet_margin_loss"]

REDUCTIONS = ("mean", "sum", "none")
KL_REDUCTIONS = ("mean", "sum", "none", "batchmean")


# ------------------------------------------------------------------------------------------
# Reductions and shared checks
# ------------------------------------------------------------------------------------------

def _check_reduction(reduction, allowed=REDUCTIONS):
    return check_choice("reduction", reduction, allowed)


def _reduce(per_element, reduction, divisor=None):
    """Reduce element losses; ``divisor`` replaces the element count for ``mean``."""
    if reduction == "none":
        return per_element
    total = per_element.sum()
    if reduction == "sum":
        return float(total)
    n = per_element.size if divisor is None else divisor
    with np.errstate(invalid="ignore", divide="ignore"):  # 0/0 is NaN, as in PyTorch
        return float(total / n)


def _upstream(grad_output, reduction, shape, divisor=None, dtype=np.float64):
    """Gradient of the reduced loss with respect to each element loss, in ``dtype`` (the
    input's, so that float32 input gets a float32 gradient, as in PyTorch)."""
    if reduction == "none":
        g = np.asarray(grad_output, dtype=dtype)
        return np.broadcast_to(g, shape) if g.ndim == 0 else _same(g, shape)
    # "sum" and "mean": the same factor for every element, returned as a 0-d array that
    # broadcasts against the element gradients (no array of copies is built)
    g = float(grad_output)
    if reduction == "sum":
        return np.asarray(g, dtype=dtype)
    n = int(np.prod(shape)) if divisor is None else divisor
    # Nothing counted (e.g. every target ignored): PyTorch's loss is NaN, its gradient 0.
    return np.asarray(g / n if n else 0.0, dtype=dtype)


def _same(g, shape):
    if g.shape != tuple(shape):
        raise ValueError(f"grad_output shape {g.shape} does not match loss shape {tuple(shape)}")
    return g


def _insert_axis(up, axis):
    """``up`` with the class axis put back (a 0-d upstream factor broadcasts as it is)."""
    return up if up.ndim == 0 else np.expand_dims(up, axis)


def _softplus(x):
    """``log(1 + e^x)`` without overflow: ``max(x, 0) + log1p(e^{-|x|})``."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _broadcast_or_raise(name, value, shape):
    """``value`` broadcast to ``shape`` (the scalar 1.0 when ``None``, which keeps the input's
    dtype), or a ValueError naming both shapes."""
    if value is None:
        return 1.0
    try:
        return np.broadcast_to(value, shape)
    except ValueError:
        raise ValueError(f"{name} of shape {value.shape} cannot be broadcast to the input "
                         f"shape {tuple(shape)}") from None


def _optional(name, value):
    """An optional array argument (``weight``, ``pos_weight``): ``None`` or a float array."""
    return None if value is None else as_array(name, value)


def _class_weight(weight):
    """A per-class rescaling weight: ``None`` or a 1-D float array."""
    if weight is None:
        return None
    w = as_array("weight", weight, min_ndim=1)
    if w.ndim != 1:
        raise ValueError(f"weight must be 1-D (one entry per class), got shape {w.shape}")
    return w


def _pair_input_target(input, target):
    """Input and target as float arrays of the same shape (the target takes the input's dtype)."""
    x = as_array("input", input)
    y = as_array("target", target, dtype=x.dtype)
    if x.shape != y.shape:
        raise ValueError(f"input shape {tuple(x.shape)} does not match target shape "
                         f"{tuple(y.shape)}")
    return x, y


# ------------------------------------------------------------------------------------------
# Regression: a function rho(d) of the residual d = x - y, element by element
# ------------------------------------------------------------------------------------------
# MSE squares the residual, L1 takes its absolute value, and Huber / SmoothL1 join a parabola
# near zero to straight lines further out, so that a single outlier pulls on the fit with a
# bounded force. Each is written as the element loss rho(d) and its slope rho'(d); the
# backward pass is the slope times the gradient of the reduction.

def _mse_rho(d):
    return d * d, 2 * d


def _sign(d):
    """``sign(d)`` with PyTorch's 0 for NaN (the L1 gradient at a NaN residual is 0 there)."""
    return np.where(np.isnan(d), d.dtype.type(0), np.sign(d))


def _l1_rho(d):
    return np.abs(d), _sign(d)


def _huber_rho(d, delta):
    # with s = clip(d, -delta, delta): s (d - s/2) is d^2/2 inside and delta(|d| - delta/2)
    # outside, in three passes over the data
    s = np.clip(d, -delta, delta)
    per = np.multiply(s, -0.5)
    per += d
    per *= s
    return per, s


def _smooth_l1_rho(d, beta):
    if beta == 0:
        return np.abs(d), _sign(d)
    s = np.clip(d / beta, -1.0, 1.0)    # s (d - beta s / 2): Huber(beta) / beta
    return s * (d - 0.5 * beta * s), s


def _check_delta(delta):
    return check_range("delta", delta, 0.0, low_open=True, what="HuberLoss")


def _check_beta(beta):
    return check_range("beta", beta, 0.0, what="SmoothL1Loss")


def _pointwise_forward(rho, input, target, reduction, weight=None, weight_sum_divides=True):
    r"""Loss :math:`\rho(x_n - y_n)` per element, reduced; ``rho(d)`` returns ``(loss, slope)``.

    ``weight`` is the per-element weight that only PyTorch's *functional* forms accept;
    ``weight_sum_divides`` says whether ``"mean"`` then divides by the sum of the weights
    (``mse_loss``, ``l1_loss``) or by the element count (``huber_loss``), as PyTorch does.
    """
    x, y = _pair_input_target(input, target)
    per, slope = rho(x - y)
    divisor = None
    if weight is not None:
        w = as_array("weight", weight, dtype=x.dtype)
        if w.shape != x.shape:
            raise ValueError(f"weight shape {w.shape} does not match input shape {x.shape}")
        per, slope = per * w, slope * w
        divisor = float(w.sum()) if weight_sum_divides else None
    return _reduce(per, reduction, divisor), {"slope": slope, "divisor": divisor,
                                              "reduction": reduction}


def _pointwise_backward(saved, grad_output=1.0):
    """Input gradient of :func:`_pointwise_forward`: the slope times the reduction's factor."""
    slope, divisor = saved["slope"], saved["divisor"]
    return slope * _upstream(grad_output, saved["reduction"], slope.shape, divisor, slope.dtype)


def mse_loss(input, target, reduction: str = "mean", weight=None):
    r"""Mean squared error :math:`\ell_n = (x_n - y_n)^2`, as ``torch.nn.functional.mse_loss``.

    ``weight`` (input-shaped) multiplies each element loss and makes ``"mean"`` divide by
    ``weight.sum()``. Gradient: :math:`2 (x_n - y_n)`. See :class:`dlcore.nn.MSELoss`.

    Examples
    --------
    >>> mse_loss(np.array([1.0, 3.0]), np.zeros(2), weight=np.array([1.0, 0.0]))
    1.0
    """
    _check_reduction(reduction)
    return _pointwise_forward(_mse_rho, input, target, reduction, weight)[0]


def l1_loss(input, target, reduction: str = "mean", weight=None):
    r"""Mean absolute error :math:`\ell_n = |x_n - y_n|`, as ``torch.nn.functional.l1_loss``;
    ``weight`` as in :func:`mse_loss`. See :class:`dlcore.nn.L1Loss`.

    Examples
    --------
    >>> l1_loss(np.array([1.0, -3.0]), np.zeros(2))
    2.0
    """
    _check_reduction(reduction)
    return _pointwise_forward(_l1_rho, input, target, reduction, weight)[0]


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0, weight=None):
    r"""Huber loss, as ``torch.nn.functional.huber_loss`` (see :class:`dlcore.nn.HuberLoss`);
    with ``weight`` (input-shaped), ``"mean"`` is the plain mean of the weighted element
    losses, as in PyTorch.

    Examples
    --------
    >>> huber_loss(np.array([0.5, 3.0]), np.zeros(2), reduction="sum")
    2.625
    """
    _check_reduction(reduction)
    delta = _check_delta(delta)
    return _pointwise_forward(lambda d: _huber_rho(d, delta), input, target, reduction, weight,
                              weight_sum_divides=False)[0]


def smooth_l1_loss(input, target, reduction: str = "mean", beta: float = 1.0):
    r"""Smooth L1 loss, as ``torch.nn.functional.smooth_l1_loss`` (see
    :class:`dlcore.nn.SmoothL1Loss`).

    Examples
    --------
    >>> smooth_l1_loss(np.array([0.5, 3.0]), np.zeros(2), reduction="sum", beta=2.0)
    2.0625
    """
    _check_reduction(reduction)
    beta = _check_beta(beta)
    return _pointwise_forward(lambda d: _smooth_l1_rho(d, beta), input, target, reduction)[0]


# ------------------------------------------------------------------------------------------
# Binary cross-entropy, from probabilities and from logits, and its multi-label average
# ------------------------------------------------------------------------------------------
# For a probability p of the positive class and a target y in [0, 1],
# l = -[y log p + (1 - y) log(1 - p)]. From a logit x with p = sigmoid(x) the two logs are
# -softplus(-x) and -softplus(x), finite for every finite x, and the gradient is the familiar
# sigmoid(x) - y. From probabilities, PyTorch clamps each log at -100.

LOG_CLAMP = -100.0  # PyTorch's floor for log(p) and log(1 - p) in BCELoss
# PyTorch's floor for p (1 - p) in BCELoss's gradient: the float32 constant 1e-12, so its
# float64 value is 9.99999996e-13
EPSILON = float(np.float32(1e-12))


def _bce_forward(input, target, weight, reduction):
    """Binary cross-entropy on probabilities (see :class:`dlcore.nn.BCELoss`)."""
    x, y = _pair_input_target(input, target)
    if x.size and not ((x >= 0) & (x <= 1)).all():
        bad = x[~((x >= 0) & (x <= 1))].flat[0]
        raise ValueError(f"BCELoss input must hold probabilities in [0, 1], got {bad:g}; "
                         "use BCEWithLogitsLoss for logits")
    if y.size and not ((y >= 0) & (y <= 1)).all():   # NaN included, as PyTorch refuses it
        bad = y[~((y >= 0) & (y <= 1))].flat[0]
        raise ValueError(f"BCELoss target must hold values in [0, 1], got {bad:g}")
    w = _broadcast_or_raise("weight", weight, x.shape)
    with np.errstate(divide="ignore"):  # log 0 = -inf, clamped to -100 as in PyTorch
        log_p = np.maximum(np.log(x), LOG_CLAMP)
        log_q = np.maximum(np.log1p(-x), LOG_CLAMP)
    per = -w * (y * log_p + (1 - y) * log_q)
    local = w * (x - y) / np.maximum(x * (1 - x), EPSILON)
    return _reduce(per, reduction), {"slope": local, "divisor": None, "reduction": reduction}


_bce_backward = _pointwise_backward  # the saved slope times the reduction's factor


def _bce_logits_plain(x, y):
    r"""Element losses and slopes of BCE on logits without weights, as PyTorch computes them:

    .. math::
        \ell = (1 - y)\, x - \log\sigma(x), \quad
        \log\sigma(x) = \min(x, 0) - \log(1 + e^{-|x|}), \quad
        \frac{\partial \ell}{\partial x} = \sigma(x) - y, \quad
        \sigma(x) = \frac{e^{\min(x, 0)}}{1 + e^{-|x|}}

    No exponential of a positive number is taken, so nothing overflows, and there is no
    branch on the sign of :math:`x` (``np.where`` on a random mask is slow)."""
    low = np.minimum(x, 0)
    e = np.abs(x)
    np.negative(e, out=e)
    np.exp(e, out=e)  # e^{-|x|}, in (0, 1]
    per = np.subtract(1, y)
    per *= x
    per -= low
    per += np.log1p(e)
    e += 1
    slope = np.exp(low, out=low)
    slope /= e
    slope -= y
    return per, slope


def _bce_logits_terms(x, y, w, p):
    """Element losses and their slopes for BCE on logits, with weights (see
    :class:`dlcore.nn.BCEWithLogitsLoss`)."""
    per = w * (p * y * _softplus(-x) + (1 - y) * _softplus(x))
    slope = w * (sigmoid(x) * (p * y + 1 - y) - p * y)
    return per, slope


def _bce_with_logits_forward(input, target, weight, reduction, pos_weight):
    """Binary cross-entropy on logits (see :class:`dlcore.nn.BCEWithLogitsLoss`)."""
    x, y = _pair_input_target(input, target)
    if weight is None and pos_weight is None:
        per, slope = _bce_logits_plain(x, y)
    else:
        w = _broadcast_or_raise("weight", weight, x.shape)
        p = _broadcast_or_raise("pos_weight", pos_weight, x.shape)
        per, slope = _bce_logits_terms(x, y, w, p)
    return _reduce(per, reduction), {"slope": slope, "divisor": None, "reduction": reduction}


_bce_with_logits_backward = _pointwise_backward


def _multilabel_soft_margin_forward(input, target, weight, reduction):
    """Multi-label one-versus-all loss (see :class:`dlcore.nn.MultiLabelSoftMarginLoss`)."""
    x, y = _pair_input_target(input, target)
    if x.ndim not in (1, 2):
        raise ValueError(f"MultiLabelSoftMarginLoss input must be (N, C) or (C,), got shape "
                         f"{x.shape}")
    C = x.shape[-1]
    w = _broadcast_or_raise("weight", weight, x.shape)
    per, slope = _bce_logits_terms(x, y, w, 1.0)
    return _reduce(per.sum(axis=-1) / C, reduction), {"slope": slope / C,
                                                      "reduction": reduction}


def _multilabel_soft_margin_backward(saved, grad_output=1.0):
    slope = saved["slope"]
    up = _upstream(grad_output, saved["reduction"], slope.shape[:-1], dtype=slope.dtype)
    return slope * _insert_axis(up, -1)


def binary_cross_entropy(input, target, weight=None, reduction: str = "mean"):
    r"""Binary cross-entropy on probabilities, as ``torch.nn.functional.binary_cross_entropy``
    (see :class:`dlcore.nn.BCELoss`).

    Examples
    --------
    >>> round(binary_cross_entropy(np.array([0.5]), np.array([1.0])), 6)
    0.693147
    """
    _check_reduction(reduction)
    return _bce_forward(input, target, _optional("weight", weight), reduction)[0]


def binary_cross_entropy_with_logits(input, target, weight=None, reduction: str = "mean",
                                     pos_weight=None):
    r"""Binary cross-entropy on logits, as
    ``torch.nn.functional.binary_cross_entropy_with_logits`` (see
    :class:`dlcore.nn.BCEWithLogitsLoss`).

    Examples
    --------
    >>> binary_cross_entropy_with_logits(np.array([-1e4]), np.array([1.0]), reduction="sum")
    10000.0
    """
    _check_reduction(reduction)
    return _bce_with_logits_forward(input, target, _optional("weight", weight), reduction,
                                    _optional("pos_weight", pos_weight))[0]


def multilabel_soft_margin_loss(input, target, weight=None, reduction: str = "mean"):
    r"""Multi-label one-versus-all loss, as ``torch.nn.functional.multilabel_soft_margin_loss``
    (see :class:`dlcore.nn.MultiLabelSoftMarginLoss`).

    Examples
    --------
    >>> round(multilabel_soft_margin_loss(np.zeros((1, 3)), np.ones((1, 3))), 6)
    0.693147
    """
    _check_reduction(reduction)
    return _multilabel_soft_margin_forward(input, target, _optional("weight", weight),
                                           reduction)[0]


# ------------------------------------------------------------------------------------------
# Multi-class: negative log-likelihood, cross-entropy from logits, KL divergence
# ------------------------------------------------------------------------------------------
# Cross-entropy is NLL applied to log_softmax of the logits. Both take the class dimension at
# position 1 ((N, C) or (N, C, d1, ...)) or 0 for an unbatched (C,) input, and class-index
# targets with ignore_index and a per-class weight; a weighted "mean" divides by the sum of
# the weights of the samples kept, not by their count.

def _class_layout(input, weight):
    """The input as an array, its class dimension, and the per-class weight (ones if None)."""
    x = as_array("input", input, min_ndim=1)
    cdim = 1 if x.ndim >= 2 else 0
    C = x.shape[cdim]
    w = np.ones(C, dtype=x.dtype) if weight is None else weight
    if w.shape != (C,):
        raise ValueError(f"weight has {w.shape[0]} entries but the input has {C} classes")
    wshape = [1] * x.ndim
    wshape[cdim] = C
    return x, cdim, w.reshape(wshape)


def _check_targets(target, x, cdim, ignore_index):
    """Class-index targets as an integer array, checked against the input; and the mask of
    kept samples (``None`` when every sample is kept, the common case, so no mask is built).

    ``ignore_index=None`` ignores nothing (losses without that option)."""
    t = np.asarray(target)
    if t.dtype.kind not in "iu":
        raise TypeError(f"target must hold class indices (integers), got dtype {t.dtype}")
    C = x.shape[cdim]
    expected = x.shape[:cdim] + x.shape[cdim + 1:]
    if t.shape != expected:
        raise ValueError(f"target shape {t.shape} does not match input shape {x.shape}: "
                         f"class-index targets must have shape {expected}")
    keep = None if ignore_index is None else t != ignore_index
    if keep is not None and keep.all():
        keep = None
    bad = (t < 0) | (t >= C)
    if keep is not None:
        bad &= keep
    if bad.any():
        also = "" if ignore_index is None else f" (or ignore_index={ignore_index})"
        raise ValueError(f"target class index must be in [0, {C - 1}]{also}, "
                         f"got {int(t[bad].flat[0])}")
    return t, keep


def _index_targets(target, x, cdim, ignore_index):
    """One-hot of class-index targets (zero rows where ignored) and the mask of kept samples.

    ``ignore_index=None`` ignores nothing (losses without that option)."""
    t, keep = _check_targets(target, x, cdim, ignore_index)
    keep = np.ones(t.shape, bool) if keep is None else keep
    C = x.shape[cdim]
    classes = np.arange(C).reshape([C if d == cdim else 1 for d in range(x.ndim)])
    onehot = (np.expand_dims(np.where(keep, t, 0), cdim) == classes).astype(x.dtype)
    return onehot, np.expand_dims(keep, cdim)


def _check_ignore_index(ignore_index):
    """An integer class index (bool, float and str refused by name, as PyTorch does)."""
    return check_int("ignore_index", ignore_index)


def _check_label_smoothing(label_smoothing):
    return check_range("label_smoothing", label_smoothing, 0.0, 1.0)


def _nll_forward(input, target, weight, ignore_index, reduction):
    """Negative log-likelihood of class-index targets (see :class:`dlcore.nn.NLLLoss`)."""
    x, cdim, wb = _class_layout(input, weight)
    onehot, keep = _index_targets(target, x, cdim, ignore_index)
    q = onehot * wb * keep
    divisor = float(q.sum())
    # read the target entry of each kept sample only: NaN elsewhere cannot leak in (PyTorch)
    picked = np.where((onehot * keep) > 0, q * x, x.dtype.type(0))
    loss = _reduce(-picked.sum(axis=cdim), reduction, divisor)
    return loss, {"q": q, "cdim": cdim, "divisor": divisor, "reduction": reduction}


def _nll_backward(saved, grad_output=1.0):
    q, cdim = saved["q"], saved["cdim"]
    up = _upstream(grad_output, saved["reduction"], q.shape[:cdim] + q.shape[cdim + 1:],
                   saved["divisor"], q.dtype)
    return -q * _insert_axis(up, cdim)


def _cross_entropy_forward(input, target, weight, ignore_index, reduction, label_smoothing):
    """Cross-entropy from logits (see :class:`dlcore.nn.CrossEntropyLoss`)."""
    x, cdim, wb = _class_layout(input, weight)
    plain = weight is None and not label_smoothing
    if plain and np.asarray(target).dtype.kind in "iu":
        return _cross_entropy_indices(x, cdim, target, ignore_index, reduction)
    logp = log_softmax(x, cdim)
    q, divisor = _target_weights(target, x, cdim, wb, ignore_index, label_smoothing)
    loss = _reduce(-(q * logp).sum(axis=cdim), reduction, divisor)
    return loss, {"logp": logp, "q": q, "cdim": cdim, "divisor": divisor,
                  "reduction": reduction}


def _cross_entropy_indices(x, cdim, target, ignore_index, reduction):
    r"""Fast path for plain class indices (no weight, no smoothing): no one-hot matrix.

    With :math:`z = x - \max_c x_c` and :math:`s = \sum_c e^{z_c}`, the loss of a sample is
    :math:`\log s - z_{y}`, read at the target only; the softmax :math:`e^{z} / s` is kept
    for the gradient :math:`p - \text{onehot}(y)`."""
    t, keep = _check_targets(target, x, cdim, ignore_index)
    idx = np.expand_dims(t if keep is None else np.where(keep, t, 0), cdim)
    z = x - x.max(axis=cdim, keepdims=True)
    p = np.exp(z)
    s = p.sum(axis=cdim, keepdims=True)
    p /= s
    per = np.log(s)
    per -= np.take_along_axis(z, idx, axis=cdim)
    per = per.squeeze(cdim)[()]  # [()]: a NumPy scalar, not a 0-d array, for (C,) input
    if keep is not None:  # ignored samples contribute 0, even a row holding NaN (PyTorch)
        per = np.where(keep, per, per.dtype.type(0))
    divisor = float(per.size if keep is None else np.count_nonzero(keep))
    return _reduce(per, reduction, divisor), {"p": p, "idx": idx, "keep": keep, "cdim": cdim,
                                              "divisor": divisor, "reduction": reduction}


def _target_weights(target, x, cdim, wb, ignore_index, label_smoothing):
    """Weights :math:`q` on each :math:`-\\log p`, and the divisor for ``"mean"``."""
    C, eps = x.shape[cdim], label_smoothing
    t = np.asarray(target)
    if t.dtype.kind == "f":  # class probabilities
        x, t = _pair_input_target(x, t)
        if ignore_index >= 0:  # a negative one can match no class: PyTorch accepts it
            raise ValueError(f"ignore_index={ignore_index} is not supported for probability "
                             "targets (PyTorch refuses a non-negative ignore_index there)")
        t = t * (1 - eps) + eps / C if eps else t
        return wb * t, x.size // C
    onehot, keep = _index_targets(t, x, cdim, ignore_index)
    q = ((1 - eps) * onehot + eps / C) * wb
    return q * keep, float((onehot * wb * keep).sum())


def _cross_entropy_backward(saved, grad_output=1.0):
    r"""Input gradient of :func:`_cross_entropy_forward`: :math:`(\sum_c q_{n,c})\, p_n - q_n`
    times the reduction's factor."""
    if "idx" in saved:
        return _cross_entropy_indices_backward(saved, grad_output)
    logp, q, cdim = saved["logp"], saved["q"], saved["cdim"]
    local = np.exp(logp) * q.sum(axis=cdim, keepdims=True) - q
    up = _upstream(grad_output, saved["reduction"], logp.shape[:cdim] + logp.shape[cdim + 1:],
                   saved["divisor"], logp.dtype)
    return local * _insert_axis(up, cdim)


def _cross_entropy_indices_backward(saved, grad_output):
    r"""Gradient of the fast path: :math:`u\,(p - \text{onehot}(y))`, with :math:`u` the
    upstream factor of each sample (0 for ignored samples)."""
    p, idx, keep, cdim = saved["p"], saved["idx"], saved["keep"], saved["cdim"]
    up = _upstream(grad_output, saved["reduction"], idx.shape[:cdim] + idx.shape[cdim + 1:],
                   saved["divisor"], p.dtype)
    if keep is not None:
        up = up * keep
    up = _insert_axis(up, cdim)
    grad = p * up
    at_target = np.take_along_axis(grad, idx, axis=cdim)
    at_target -= up
    np.put_along_axis(grad, idx, at_target, axis=cdim)
    return grad


def _kl_div_forward(input, target, reduction, log_target):
    """Kullback-Leibler divergence (see :class:`dlcore.nn.KLDivLoss`)."""
    x, y = _pair_input_target(input, target)
    if log_target:
        p = np.exp(y)
        per = p * (y - x)
    else:
        p = y
        with np.errstate(divide="ignore", invalid="ignore"):  # y < 0 gives NaN, as torch
            y_log_y = np.where(y == 0, 0.0, y * np.log(np.where(y == 0, 1.0, y)))
        per = y_log_y - y * x
    divisor = (x.shape[0] if x.ndim else 1) if reduction == "batchmean" else None
    saved = {"p": p, "divisor": divisor, "reduction": reduction}
    if reduction == "batchmean":
        return float(per.sum() / divisor), saved
    return _reduce(per, reduction), saved


def _kl_div_backward(saved, grad_output=1.0):
    p, divisor, reduction = saved["p"], saved["divisor"], saved["reduction"]
    if reduction == "batchmean":
        return -p * p.dtype.type(float(grad_output) / divisor)
    return -p * _upstream(grad_output, reduction, p.shape, dtype=p.dtype)


def cross_entropy(input, target, weight=None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0):
    r"""Cross-entropy from logits, as ``torch.nn.functional.cross_entropy`` (see
    :class:`dlcore.nn.CrossEntropyLoss`).

    Examples
    --------
    >>> round(cross_entropy(np.zeros((2, 4)), np.array([0, 3])), 6)   # log 4
    1.386294
    """
    _check_reduction(reduction)
    return _cross_entropy_forward(input, target, _class_weight(weight),
                                  _check_ignore_index(ignore_index),
                                  reduction, _check_label_smoothing(label_smoothing))[0]


def nll_loss(input, target, weight=None, ignore_index: int = -100, reduction: str = "mean"):
    r"""Negative log-likelihood, as ``torch.nn.functional.nll_loss`` (see
    :class:`dlcore.nn.NLLLoss`).

    Examples
    --------
    >>> round(nll_loss(np.log(np.array([[0.25, 0.75]])), np.array([1])), 6)
    0.287682
    """
    _check_reduction(reduction)
    return _nll_forward(input, target, _class_weight(weight), _check_ignore_index(ignore_index),
                        reduction)[0]


def kl_div(input, target, reduction: str = "mean", log_target: bool = False):
    r"""Kullback-Leibler divergence, as ``torch.nn.functional.kl_div`` (see
    :class:`dlcore.nn.KLDivLoss`).

    Examples
    --------
    >>> kl_div(np.log(np.array([[0.5, 0.5]])), np.array([[0.5, 0.5]]), reduction="batchmean")
    0.0
    """
    _check_reduction(reduction, KL_REDUCTIONS)
    return _kl_div_forward(input, target, reduction, bool(log_target))[0]


# ------------------------------------------------------------------------------------------
# Margin losses: the multi-class hinge and the cosine-embedding loss
# ------------------------------------------------------------------------------------------
# A margin loss is zero once the right answer wins by at least the margin, and grows linearly
# (or quadratically) with the shortfall otherwise; it has a kink where the shortfall reaches
# zero, and there, like PyTorch, dlcore takes the subgradient of the flat side for the hinge.

COSINE_EPSILON = 1e-12  # PyTorch adds it to each squared norm in cosine_embedding_loss


def _check_multi_margin(p, margin):
    """``p`` and ``margin`` of the multi-class hinge, as ``(int, float)``."""
    if isinstance(p, bool) or not isinstance(p, numbers.Integral):
        raise TypeError(f"MultiMarginLoss p must be an integer (1 or 2), got {p!r}")
    if p not in (1, 2):
        raise ValueError(f"MultiMarginLoss p must be 1 or 2, got {p!r}")
    if not isinstance(margin, numbers.Real):
        raise TypeError(f"MultiMarginLoss margin must be a real number, got {margin!r}")
    return int(p), float(margin)


def _check_cosine_margin(margin):
    if not isinstance(margin, numbers.Real):
        raise TypeError(f"CosineEmbeddingLoss margin must be a real number, got {margin!r}")
    return float(margin)


def _multi_margin_forward(input, target, p, margin, weight, reduction):
    """Multi-class hinge loss (see :class:`dlcore.nn.MultiMarginLoss`)."""
    x, cdim, wb = _class_layout(input, weight)
    if x.ndim > 2:
        raise ValueError(f"MultiMarginLoss input must be (N, C) or (C,), got shape {x.shape}")
    onehot, _ = _index_targets(target, x, cdim, ignore_index=None)
    C = x.shape[cdim]
    x_true = (onehot * x).sum(axis=cdim, keepdims=True)
    w_true = (onehot * wb).sum(axis=cdim, keepdims=True)
    z = np.where(onehot == 1, 0.0, margin - x_true + x)
    active = z > 0
    h = np.where(active, z ** p, 0.0)
    slope = np.where(active, p * z ** (p - 1), 0.0) * w_true / C
    slope = slope - onehot * slope.sum(axis=cdim, keepdims=True)
    loss = _reduce((w_true * h).sum(axis=cdim) / C, reduction)
    return loss, {"slope": slope, "cdim": cdim, "reduction": reduction}


def _multi_margin_backward(saved, grad_output=1.0):
    slope, cdim = saved["slope"], saved["cdim"]
    up = _upstream(grad_output, saved["reduction"], slope.shape[:cdim] + slope.shape[cdim + 1:],
                   dtype=slope.dtype)
    return slope * _insert_axis(up, cdim)


def _cosine_embedding_forward(input1, input2, target, margin, reduction):
    """Cosine-embedding loss on pairs (see :class:`dlcore.nn.CosineEmbeddingLoss`)."""
    x1 = as_array("input1", input1)
    x2 = as_array("input2", input2, dtype=x1.dtype)
    y = as_array("target", target)
    if x1.shape != x2.shape or x1.ndim not in (1, 2):
        raise ValueError(f"input1 shape {x1.shape} and input2 shape {x2.shape} must be the "
                         "same, (N, D) or (D,)")
    if y.shape != x1.shape[:-1]:
        raise ValueError(f"target shape {y.shape} does not match input shape {x1.shape}: "
                         f"expected {x1.shape[:-1]}")
    a = (x1 * x1).sum(axis=-1) + COSINE_EPSILON
    b = (x2 * x2).sum(axis=-1) + COSINE_EPSILON
    denom = np.sqrt(a * b)
    cos = (x1 * x2).sum(axis=-1) / denom
    pos, neg = y == 1, (y == -1) & (cos >= margin)
    per = np.where(pos, 1 - cos, 0.0) + np.where(neg, cos - margin, 0.0)
    dcos = (np.where(pos, -1.0, 0.0) + np.where(neg, 1.0, 0.0)).astype(x1.dtype)
    d, c = denom[..., None], cos[..., None]
    return _reduce(per, reduction), {"dcos": dcos, "g1": x2 / d - c * x1 / a[..., None],
                                     "g2": x1 / d - c * x2 / b[..., None],
                                     "reduction": reduction}


def _cosine_embedding_backward(saved, grad_output=1.0):
    """Gradients ``(d input1, d input2)``."""
    dcos, g1, g2 = saved["dcos"], saved["g1"], saved["g2"]
    up = (dcos * _upstream(grad_output, saved["reduction"], dcos.shape, dtype=g1.dtype))[..., None]
    return up * g1, up * g2


def multi_margin_loss(input, target, p: int = 1, margin: float = 1.0, weight=None,
                      reduction: str = "mean"):
    r"""Multi-class hinge loss, as ``torch.nn.functional.multi_margin_loss`` (see
    :class:`dlcore.nn.MultiMarginLoss`).

    Examples
    --------
    >>> round(multi_margin_loss(np.array([[2.0, 1.5, 0.0]]), np.array([0])), 6)
    0.166667
    """
    _check_reduction(reduction)
    p, margin = _check_multi_margin(p, margin)
    return _multi_margin_forward(input, target, p, margin, _class_weight(weight), reduction)[0]


def cosine_embedding_loss(input1, input2, target, margin: float = 0.0,
                          reduction: str = "mean"):
    r"""Cosine-embedding loss, as ``torch.nn.functional.cosine_embedding_loss`` (see
    :class:`dlcore.nn.CosineEmbeddingLoss`).

    Examples
    --------
    >>> a, b = np.array([[1.0, 0.0]]), np.array([[0.0, 3.0]])     # orthogonal: cos = 0
    >>> round(cosine_embedding_loss(a, b, np.array([1])), 6)
    1.0
    """
    _check_reduction(reduction)
    return _cosine_embedding_forward(input1, input2, target, _check_cosine_margin(margin),
                                     reduction)[0]


# ------------------------------------------------------------------------------------------
# More margin losses: ranking pairs, hinge embedding, soft margin, multi-label hinge
# ------------------------------------------------------------------------------------------
# PyTorch writes the first two with clamp_min(z, 0), whose gradient passes where z >= 0:
# at the kink z = 0 the gradient is that of the sloped side, unlike the multi-class hinge.

def _real(name, value, what):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what} {name} must be a real number, got {value!r}")
    return float(value)


def _broadcast(what, **arrays):
    """The common broadcast shape of ``arrays`` (a ValueError naming every shape if none)."""
    try:
        return np.broadcast_shapes(*(a.shape for a in arrays.values()))
    except ValueError:
        shapes = ", ".join(f"{k} {v.shape}" for k, v in arrays.items())
        raise ValueError(f"{what}: shapes do not broadcast: {shapes}") from None


def _margin_ranking_forward(input1, input2, target, margin, reduction):
    """Margin ranking loss (see :class:`dlcore.nn.MarginRankingLoss`)."""
    x1 = as_array("input1", input1)
    x2 = as_array("input2", input2, dtype=x1.dtype)
    y = as_array("target", target, dtype=x1.dtype)
    if not x1.ndim == x2.ndim == y.ndim:
        raise ValueError("MarginRankingLoss input1, input2 and target must have the same "
                         f"number of dimensions, got shapes {x1.shape}, {x2.shape}, {y.shape}")
    _broadcast("MarginRankingLoss", input1=x1, input2=x2, target=y)
    z = -y * (x1 - x2) + margin
    slope = np.where(z >= 0, -y, x1.dtype.type(0))          # d loss / d input1
    return _reduce(np.maximum(z, 0), reduction), {"slope": slope, "shapes": (x1.shape, x2.shape),
                                                   "reduction": reduction}


def _margin_ranking_backward(saved, grad_output=1.0):
    """Gradients ``(d input1, d input2)``."""
    slope, (s1, s2) = saved["slope"], saved["shapes"]
    g = slope * _upstream(grad_output, saved["reduction"], slope.shape, dtype=slope.dtype)
    return _unbroadcast(g, s1), _unbroadcast(-g, s2)


def _hinge_embedding_forward(input, target, margin, reduction):
    """Hinge embedding loss (see :class:`dlcore.nn.HingeEmbeddingLoss`)."""
    x = as_array("input", input)
    y = as_array("target", target, dtype=x.dtype)
    shape = _broadcast("HingeEmbeddingLoss", input=x, target=y)
    zero = x.dtype.type(0)
    z = margin - x
    per = np.where(y != 1, np.maximum(z, 0), zero) + np.where(y != -1, x, zero)
    slope = np.where((y != 1) & (z >= 0), x.dtype.type(-1), zero) + (y != -1)
    return _reduce(per, reduction), {"slope": np.broadcast_to(slope, shape).astype(x.dtype),
                                     "shape": x.shape, "reduction": reduction}


def _soft_margin_forward(input, target, reduction):
    """Soft margin loss (see :class:`dlcore.nn.SoftMarginLoss`)."""
    x = as_array("input", input)
    y = as_array("target", target, dtype=x.dtype)
    _broadcast("SoftMarginLoss", input=x, target=y)
    m = -y * x
    return _reduce(_softplus(m), reduction), {"slope": -y * sigmoid(m), "shape": x.shape,
                                              "reduction": reduction}


def _slope_backward(saved, grad_output=1.0):
    """Input gradient of a loss that saved its element ``slope`` (reduced to ``shape``)."""
    slope = saved["slope"]
    g = slope * _upstream(grad_output, saved["reduction"], slope.shape, dtype=slope.dtype)
    return _unbroadcast(g, saved["shape"])


def _multilabel_margin_forward(input, target, reduction):
    """Multi-label hinge loss (see :class:`dlcore.nn.MultiLabelMarginLoss`)."""
    x = as_array("input", input)
    y = np.asarray(target)
    if x.ndim not in (1, 2) or (x.ndim == 1 and x.size == 0):
        raise ValueError("MultiLabelMarginLoss input must be a non-empty (C,) vector or an "
                         f"(N, C) matrix, got shape {x.shape}")
    if y.dtype.kind not in "iu":
        raise TypeError(f"MultiLabelMarginLoss target must hold integer class indices, got "
                        f"dtype {y.dtype}")
    if y.shape != x.shape:
        raise ValueError(f"MultiLabelMarginLoss target shape {y.shape} must equal the input "
                         f"shape {x.shape}")
    X, Y = x.reshape(-1, x.shape[-1]), y.reshape(-1, x.shape[-1])
    N, C = X.shape
    # the targets of a row are its entries before the first -1
    valid = np.cumprod(Y != -1, axis=1).astype(bool)
    if np.any(valid & ((Y < 0) | (Y >= C))):
        raise ValueError(f"MultiLabelMarginLoss target entries must be -1 or in [0, {C - 1}]")
    rows, cols = np.nonzero(valid)
    labels = Y[rows, cols]
    is_target = np.zeros((N, C), dtype=bool)
    is_target[rows, labels] = True
    # one hinge per (row, listed target j, non-target i); a target listed twice counts twice
    z = 1 - X[rows, labels][:, None] + X[rows]                   # (listed targets, C)
    active = (z > 0) & ~is_target[rows]
    per = np.zeros(N, dtype=x.dtype)
    np.add.at(per, rows, np.where(active, z, 0).sum(axis=1))
    per /= C
    slope = np.zeros((N, C), dtype=x.dtype)
    np.add.at(slope, rows, active.astype(x.dtype))                # + on each non-target i
    np.add.at(slope, (rows, labels), -active.sum(axis=1).astype(x.dtype))  # - on target j
    slope /= C
    per = per.reshape(x.shape[:-1])
    loss = _reduce(per, reduction) if N or reduction == "none" else 0.0  # PyTorch: 0 for N = 0
    return loss, {"slope": slope.reshape(x.shape), "reduction": reduction}


def _multilabel_margin_backward(saved, grad_output=1.0):
    slope = saved["slope"]
    up = _upstream(grad_output, saved["reduction"], slope.shape[:-1], dtype=slope.dtype)
    return slope * _insert_axis(up, -1)


def margin_ranking_loss(input1, input2, target, margin: float = 0.0, reduction: str = "mean"):
    r"""Margin ranking loss, as ``torch.nn.functional.margin_ranking_loss`` (see
    :class:`dlcore.nn.MarginRankingLoss`).

    Examples
    --------
    >>> margin_ranking_loss(np.array([2.0, 0.0]), np.array([1.0, 1.0]), np.array([1.0, 1.0]))
    0.5
    """
    _check_reduction(reduction)
    margin = _real("margin", margin, "MarginRankingLoss")
    return _margin_ranking_forward(input1, input2, target, margin, reduction)[0]


def hinge_embedding_loss(input, target, margin: float = 1.0, reduction: str = "mean"):
    r"""Hinge embedding loss, as ``torch.nn.functional.hinge_embedding_loss`` (see
    :class:`dlcore.nn.HingeEmbeddingLoss`).

    Examples
    --------
    >>> hinge_embedding_loss(np.array([0.25, 3.0]), np.array([-1.0, 1.0]), reduction="none")
    array([0.75, 3.  ])
    """
    _check_reduction(reduction)
    margin = _real("margin", margin, "HingeEmbeddingLoss")
    return _hinge_embedding_forward(input, target, margin, reduction)[0]


def soft_margin_loss(input, target, reduction: str = "mean"):
    r"""Soft margin loss :math:`\log(1 + e^{-y x})`, as ``torch.nn.functional.soft_margin_loss``
    (see :class:`dlcore.nn.SoftMarginLoss`).

    Examples
    --------
    >>> round(soft_margin_loss(np.array([0.0]), np.array([1.0])), 6)     # log 2
    0.693147
    """
    _check_reduction(reduction)
    return _soft_margin_forward(input, target, reduction)[0]


def multilabel_margin_loss(input, target, reduction: str = "mean"):
    r"""Multi-label hinge loss, as ``torch.nn.functional.multilabel_margin_loss`` (see
    :class:`dlcore.nn.MultiLabelMarginLoss`).

    Examples
    --------
    >>> x, y = np.array([[0.1, 0.2, 0.4, 0.8]]), np.array([[3, 0, -1, 1]])
    >>> round(multilabel_margin_loss(x, y), 6)
    0.85
    """
    _check_reduction(reduction)
    return _multilabel_margin_forward(input, target, reduction)[0]


# ------------------------------------------------------------------------------------------
# Likelihood losses: Poisson and Gaussian negative log-likelihood
# ------------------------------------------------------------------------------------------

def _check_flag(name, value, what):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{what} {name} must be True or False, got {value!r}")
    return bool(value)


def _poisson_nll_forward(input, target, log_input, full, eps, reduction):
    """Poisson negative log-likelihood (see :class:`dlcore.nn.PoissonNLLLoss`)."""
    x = as_array("input", input)
    y = as_array("target", target, dtype=x.dtype)
    _broadcast("PoissonNLLLoss", input=x, target=y)
    if log_input:
        rate = np.exp(x)
        per, slope = rate - y * x, rate - y
    else:
        with np.errstate(divide="ignore", invalid="ignore"):   # log(x + eps) as PyTorch
            per, slope = x - y * np.log(x + eps), 1 - y / (x + eps)
    if full:
        big = y > 1
        safe = np.where(big, y, 1)          # Stirling's term only where y > 1, as PyTorch
        per = per + np.where(big, safe * np.log(safe) - safe + 0.5 * np.log(2 * np.pi * safe),
                             0)
    return _reduce(per, reduction), {"slope": np.broadcast_to(slope, per.shape).astype(x.dtype),
                                     "shape": x.shape, "reduction": reduction}


def _gaussian_var(var, x):
    """``var`` shaped to broadcast against input ``x`` as PyTorch allows: the input's shape,
    that shape with a last dimension of 1, or without its last dimension (one variance per
    sample), or a Python number; anything else is a ValueError."""
    if isinstance(var, numbers.Real) and not isinstance(var, bool):
        return np.full((1,) * x.ndim, float(var), dtype=x.dtype)
    v = as_array("var", var, dtype=x.dtype)
    if v.shape != x.shape:
        if v.shape == x.shape[:-1]:
            v = v[..., None]                     # one variance per sample
        elif not (v.ndim == x.ndim and v.shape[:-1] == x.shape[:-1] and v.shape[-1] == 1):
            raise ValueError(f"GaussianNLLLoss var of shape {v.shape} is of incorrect size "
                             f"for input of shape {x.shape}: expected {x.shape}, "
                             f"{x.shape[:-1] + (1,)} or {x.shape[:-1]}")
    if np.any(v < 0):
        raise ValueError("GaussianNLLLoss var has negative entries")
    return v


def _gaussian_nll_forward(input, target, var, full, eps, reduction):
    """Gaussian negative log-likelihood (see :class:`dlcore.nn.GaussianNLLLoss`)."""
    x = as_array("input", input)
    y = as_array("target", target, dtype=x.dtype)
    _broadcast("GaussianNLLLoss", input=x, target=y)
    v = _gaussian_var(var, x)
    vc = np.maximum(v, x.dtype.type(eps))        # PyTorch clamps without autograd seeing it
    d = x - y
    per = 0.5 * (np.log(vc) + d * d / vc)
    if full:
        per = per + x.dtype.type(0.5 * np.log(2 * np.pi))
    var_shape = None if isinstance(var, numbers.Real) else np.shape(var)
    return _reduce(per, reduction), {"d_input": d / vc, "d_var": 0.5 * (1 / vc - d * d / vc ** 2),
                                     "shape": per.shape, "input_shape": x.shape,
                                     "v_shape": v.shape, "var_shape": var_shape,
                                     "reduction": reduction}


def _gaussian_nll_backward(saved, grad_output=1.0):
    """Gradients ``(d input, d var)``; ``d var`` is None when ``var`` was a number."""
    shape = saved["shape"]
    up = _upstream(grad_output, saved["reduction"], shape, dtype=saved["d_input"].dtype)
    d_input = _unbroadcast(np.broadcast_to(saved["d_input"] * up, shape), saved["input_shape"])
    if saved["var_shape"] is None:
        return d_input, None
    d_var = _unbroadcast(np.broadcast_to(saved["d_var"] * up, shape), saved["v_shape"])
    return d_input, d_var.reshape(saved["var_shape"])


def poisson_nll_loss(input, target, log_input: bool = True, full: bool = False,
                     eps: float = 1e-8, reduction: str = "mean"):
    r"""Poisson negative log-likelihood, as ``torch.nn.functional.poisson_nll_loss`` (see
    :class:`dlcore.nn.PoissonNLLLoss`; PyTorch's deprecated ``size_average`` and ``reduce``
    are not taken).

    Examples
    --------
    >>> round(poisson_nll_loss(np.array([0.0]), np.array([2.0])), 6)     # e^0 - 2 * 0
    1.0
    """
    _check_reduction(reduction)
    log_input = _check_flag("log_input", log_input, "PoissonNLLLoss")
    full = _check_flag("full", full, "PoissonNLLLoss")
    eps = _real("eps", eps, "PoissonNLLLoss")
    return _poisson_nll_forward(input, target, log_input, full, eps, reduction)[0]


def gaussian_nll_loss(input, target, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean"):
    r"""Gaussian negative log-likelihood, as ``torch.nn.functional.gaussian_nll_loss`` (see
    :class:`dlcore.nn.GaussianNLLLoss`).

    Examples
    --------
    >>> round(gaussian_nll_loss(np.array([1.0]), np.array([0.0]), np.array([1.0])), 6)
    0.5
    """
    _check_reduction(reduction)
    full = _check_flag("full", full, "GaussianNLLLoss")
    eps = _real("eps", eps, "GaussianNLLLoss")
    return _gaussian_nll_forward(input, target, var, full, eps, reduction)[0]


# ------------------------------------------------------------------------------------------
# Triplet margin loss
# ------------------------------------------------------------------------------------------

def _check_triplet(margin, p, eps, swap):
    margin = _real("margin", margin, "TripletMarginLoss")
    if not margin > 0:
        raise ValueError(f"TripletMarginLoss margin must be greater than 0, got {margin:g}")
    return (margin, check_range("p", p, what="TripletMarginLoss"),
            check_range("eps", eps, what="TripletMarginLoss"),
            _check_flag("swap", swap, "TripletMarginLoss"))


def _triplet_margin_forward(anchor, positive, negative, margin, p, eps, swap, reduction):
    """Triplet margin loss (see :class:`dlcore.nn.TripletMarginLoss`)."""
    a = as_array("anchor", anchor)
    pos = as_array("positive", positive, dtype=a.dtype)
    neg = as_array("negative", negative, dtype=a.dtype)
    if not a.ndim == pos.ndim == neg.ndim or a.ndim not in (1, 2):
        raise ValueError("TripletMarginLoss anchor, positive and negative must all be (N, D) "
                         f"or all (D,), got shapes {a.shape}, {pos.shape}, {neg.shape}")
    d_pos = pairwise_distance(a, pos, p, eps)
    d_an = pairwise_distance(a, neg, p, eps)
    d_neg, w_an = d_an, np.ones_like(d_an)
    if swap:   # the harder of the two negatives' distances; a tie splits the gradient
        d_pn = pairwise_distance(pos, neg, p, eps)
        d_neg = np.minimum(d_an, d_pn)
        w_an = np.where(d_an < d_pn, 1.0, np.where(d_an == d_pn, 0.5, 0.0)).astype(a.dtype)
    z = margin + d_pos - d_neg
    active = (z >= 0).astype(a.dtype)           # clamp_min passes the gradient at 0
    return _reduce(np.maximum(z, 0), reduction), {
        "inputs": (a, pos, neg), "active": active, "w_an": w_an, "swap": swap, "p": p,
        "eps": eps, "reduction": reduction}


def _triplet_margin_backward(saved, grad_output=1.0):
    """Gradients ``(d anchor, d positive, d negative)``."""
    a, pos, neg = saved["inputs"]
    p, eps, w_an = saved["p"], saved["eps"], saved["w_an"]
    up = saved["active"] * _upstream(grad_output, saved["reduction"], saved["active"].shape,
                                     dtype=a.dtype)
    ga, gp = pairwise_distance_backward(up, a, pos, p, eps)             # + d(a, p)
    gan_a, gan_n = pairwise_distance_backward(-up * w_an, a, neg, p, eps)  # - d(a, n)
    ga, gn = ga + gan_a, gan_n
    if saved["swap"]:
        gpn_p, gpn_n = pairwise_distance_backward(-up * (1 - w_an), pos, neg, p, eps)
        gp, gn = gp + gpn_p, gn + gpn_n
    return ga, gp, gn


def triplet_margin_loss(anchor, positive, negative, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, reduction: str = "mean"):
    r"""Triplet margin loss, as ``torch.nn.functional.triplet_margin_loss`` (see
    :class:`dlcore.nn.TripletMarginLoss`).

    Examples
    --------
    >>> a, pos, neg = np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]]), np.array([[0.0, 3.0]])
    >>> triplet_margin_loss(a, pos, neg, eps=0.0)                  # max(1 + 1 - 3, 0)
    0.0
    """
    _check_reduction(reduction)
    margin, p, eps, swap = _check_triplet(margin, p, eps, swap)
    return _triplet_margin_forward(anchor, positive, negative, margin, p, eps, swap,
                                   reduction)[0]
