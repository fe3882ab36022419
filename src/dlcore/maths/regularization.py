r"""Regularization: norms, norm penalties on a model's weights, label smoothing and ensembles.

A regularizer trades a little training error for a lower generalization error. This module
holds the pieces of chapter 5 that act on a model or on targets:

- :func:`vector_norm` (and its gradient), as ``torch.linalg.vector_norm``;
- the penalties :math:`\alpha\lVert w\rVert_1` (:func:`l1_penalty`) and
  :math:`\tfrac{\alpha}{2}\lVert w\rVert_2^2` (:func:`l2_penalty`) over a model's weights, with
  their gradients added to ``param.grad`` (:func:`l1_penalty_backward`,
  :func:`l2_penalty_backward`);
- :func:`smooth_labels`, the targets behind ``CrossEntropyLoss(label_smoothing=...)``;
- :func:`ensemble_error`, the squared error of an average of :math:`k` correlated models.

The penalized linear models (ridge, lasso, elastic net) live in
:mod:`dlcore.maths.penalized_regression` and early stopping in
:mod:`dlcore.maths.early_stopping`; both are re-exported here.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..checks import as_array, check_int, check_range
from .early_stopping import EarlyStopping
from ..nn.module import Module
from .penalized_regression import LinearFit, elastic_net, lasso, ridge, soft_threshold

__all__ = ["vector_norm", "vector_norm_backward", "penalized_parameters", "l1_penalty",
           "l2_penalty", "l1_penalty_backward", "l2_penalty_backward", "smooth_labels",
           "ensemble_error", "EarlyStopping", "LinearFit", "ridge", "lasso", "elastic_net",
           "soft_threshold"]


# -- norms ----------------------------------------------------------------------------------
def _reduce_dims(x, dim):
    """``dim`` as a tuple of non-negative axes (``None``: all), checked against ``x.ndim``."""
    if dim is None:
        return tuple(range(x.ndim))
    dims = (dim,) if isinstance(dim, numbers.Integral) else tuple(dim)
    nd = max(x.ndim, 1)
    for d in dims:
        check_int("dim", d)
        if not -nd <= d < nd:
            raise ValueError(f"dim {d} is out of range for an input of shape {x.shape} "
                             f"(allowed: {-nd} to {nd - 1})")
    axes = tuple(sorted({d % nd for d in dims}))
    if len(axes) != len(dims):
        raise ValueError(f"dim {dim!r} names the same dimension twice")
    return axes if x.ndim else ()


def _check_ord(ord):
    if isinstance(ord, bool) or not isinstance(ord, numbers.Real) or np.isnan(ord):
        raise TypeError(f"ord must be a real number (or +-inf), got {ord!r}")
    return float(ord)


def vector_norm(x, ord=2, dim=None, keepdim: bool = False, *, dtype=None):
    r"""Vector norm over ``dim``, as ``torch.linalg.vector_norm``.

    .. math::
        \lVert x \rVert_p = \Big(\sum_i |x_i|^p\Big)^{1/p}, \qquad
        \lVert x\rVert_\infty = \max_i |x_i|,\quad \lVert x\rVert_{-\infty} = \min_i |x_i|,\quad
        \lVert x\rVert_0 = \#\{i : x_i \ne 0\}.

    ``ord=1`` is the Manhattan (L1) norm, ``ord=2`` the Euclidean (L2) norm.

    Parameters
    ----------
    x : array_like of any shape
    ord : float, default 2
        Any real number or ``+-inf``.
    dim : int, tuple of int or None
        Dimensions to reduce; ``None`` flattens the whole input.
    keepdim : bool
        Keep reduced dimensions with size 1.
    dtype : numpy floating dtype or None
        Cast the input to this dtype before computing (the result has it too); as in
        PyTorch, the cast may widen (float32 to float64) but not narrow.

    Notes
    -----
    For finite ``ord`` the sum is taken on :math:`|x_i| / s` and rescaled, with :math:`s` the
    largest magnitude (``ord > 0``) or the smallest (``ord < 0``), so ``[1e200, 1e200]`` gives
    ``1.414e200`` where PyTorch overflows to ``inf``; otherwise the results agree to rounding.

    Examples
    --------
    >>> a, b = np.array([6.0, 1, 4, 5]), np.array([2.0, 8, 3, -1])
    >>> float(vector_norm(a - b, 1)), round(float(vector_norm(a - b)), 4)
    (18.0, 10.0995)
    """
    x = as_array("x", x)
    if dtype is not None:
        if not np.can_cast(x.dtype, dtype, "safe"):
            raise ValueError(f"vector_norm dtype {np.dtype(dtype)} would narrow the input dtype "
                             f"{x.dtype}; allowed: a dtype at least as wide")
        x = x.astype(dtype)
    x = np.abs(x)
    p = _check_ord(ord)
    axes = _reduce_dims(x, dim)
    if x.size == 0 and p < 0:
        raise ValueError(f"vector_norm of an empty input is undefined for ord={p:g} < 0")
    if p == np.inf:
        return np.max(x, axis=axes, keepdims=keepdim, initial=0.0)
    if p == -np.inf:
        return np.min(x, axis=axes, keepdims=keepdim, initial=np.inf)
    if p == 0:
        return np.count_nonzero(x, axis=axes, keepdims=keepdim).astype(x.dtype)
    # Scale by the largest (p > 0) or smallest (p < 0) magnitude so that no power overflows;
    # for p < 0 a zero entry makes the norm 0, as in PyTorch.
    scale = (np.max(x, axis=axes, keepdims=True, initial=0.0) if p > 0 else
             np.min(x, axis=axes, keepdims=True, initial=np.inf))
    safe = np.where(scale > 0, scale, 1.0)
    with np.errstate(divide="ignore"):  # 0 ** p for p < 0 where scale == 0: masked below
        out = safe * np.sum((x / safe) ** p, axis=axes, keepdims=True) ** (1.0 / p)
    out = np.where(scale > 0, out, 0.0)
    return out if keepdim else np.squeeze(out, axis=axes)


def vector_norm_backward(grad_output, x, ord=2, dim=None, keepdim: bool = False):
    r"""Gradient of :func:`vector_norm` with respect to ``x``, as PyTorch's autograd gives it.

    With :math:`n = \lVert x\rVert_p` and upstream gradient :math:`g`:
    :math:`\partial n / \partial x_i = \mathrm{sign}(x_i)\,(|x_i| / n)^{p-1}` for finite
    :math:`p \ne 0`; ``ord=+-inf`` splits :math:`g\,\mathrm{sign}(x_i)` equally between the
    entries that attain the max (min); ``ord=0`` has gradient 0. Where the formula is 0/0 (at
    :math:`x = 0`), PyTorch, and dlcore, return the subgradient 0.

    Examples
    --------
    >>> vector_norm_backward(1.0, np.array([3.0, -4.0]))
    array([ 0.6, -0.8])
    >>> vector_norm_backward(1.0, np.zeros(2))
    array([0., 0.])
    """
    x = as_array("x", x)
    p = _check_ord(ord)
    axes = _reduce_dims(x, dim)
    norm = vector_norm(x, p, axes, keepdim=True)
    g = np.asarray(grad_output, dtype=x.dtype)
    g = g if keepdim or g.ndim == 0 else np.expand_dims(g, axes)
    if p == 0:
        return np.zeros_like(x)
    if np.isinf(p):
        hit = np.abs(x) == norm
        count = np.sum(hit, axis=axes, keepdims=True)
        return np.sign(x) * hit * g / count
    # d||x|| / dx_i = sign(x_i) (|x_i| / ||x||)^(p-1); 0 where that is 0/0 or 0^negative
    # (x = 0; and x_i = 0 for p < 1), which is what PyTorch masks.
    ratio = np.abs(x) / np.where(norm > 0, norm, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        local = np.sign(x) * ratio ** (p - 1)
    keep = (norm > 0) & (x != 0) if p < 1 else norm > 0
    local = np.where(keep, local, 0.0)
    return local * g


# -- penalties on a model's weights ---------------------------------------------------------
def _unpenalized_types():
    """Module types whose parameters are not weights in the penalty's sense: normalization
    layers (scale gamma and shift beta) and PReLU (its slopes)."""
    from dlcore import nn as _nn
    names = ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm",
             "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "RMSNorm", "LocalResponseNorm",
             "PReLU")
    return tuple(t for t in (getattr(_nn, n, None) for n in names) if isinstance(t, type))


def penalized_parameters(model, include_bias: bool = False, include_norm: bool = False):
    """The ``(name, Parameter)`` pairs a norm penalty applies to, decided by module type.

    A parameter is left out when the module that owns it is a normalization layer
    (``BatchNorm*``, ``LayerNorm``, ``GroupNorm``, ...) or a ``PReLU``, unless
    ``include_norm=True``: pulling a normalization scale toward 0 shrinks a whole layer's output
    and pulling a PReLU slope toward 0 turns it into a ReLU. A module's own ``bias`` is left out
    unless ``include_bias=True``: each bias sees every sample, needs little data to fit, and
    shrinking it toward 0 only moves the output away from the targets' mean (under-fitting).
    The decision looks at the owning module, not at the parameter's name, so a
    ``BatchNorm1d.weight`` is not mistaken for a linear map's weight.

    Parameters
    ----------
    model : Module
    include_bias : bool, default False
    include_norm : bool, default False

    Returns
    -------
    list of (str, Parameter)
        In the order of ``model.named_parameters()``.

    Examples
    --------
    >>> from dlcore.nn import BatchNorm1d, Linear, PReLU, Sequential
    >>> net = Sequential(Linear(3, 4, rng=0), BatchNorm1d(4), PReLU(), Linear(4, 2, rng=1))
    >>> [name for name, _ in penalized_parameters(net)]
    ['0.weight', '3.weight']
    >>> [name for name, _ in penalized_parameters(net, include_norm=True)]
    ['0.weight', '1.weight', '2.weight', '3.weight']
    """
    if not isinstance(model, Module):
        raise TypeError(f"model must be a dlcore Module, got {type(model).__name__}")
    skip_types = () if include_norm else _unpenalized_types()
    keep = set()
    for module in model.modules():
        if isinstance(module, skip_types):
            continue
        for own_name, p in module._parameters.items():
            if include_bias or own_name != "bias":
                keep.add(id(p))
    return [(name, p) for name, p in model.named_parameters() if id(p) in keep]


_NORMS = {  # value of Omega(w) and its (sub)gradient; sign(0) = 0 as in autograd
    "l1": (lambda w: float(np.abs(w).sum()), np.sign),
    "l2": (lambda w: 0.5 * float(np.vdot(w, w)), lambda w: w),
}


def _penalty(kind, model, alpha, include_bias):
    alpha = check_range("alpha", alpha, 0.0, what=f"{kind} penalty")
    value = _NORMS[kind][0]
    return alpha * sum(value(p.data) for _, p in penalized_parameters(model, include_bias))


def _penalty_backward(kind, model, alpha, include_bias):
    alpha = check_range("alpha", alpha, 0.0, what=f"{kind} penalty")
    grad = _NORMS[kind][1]
    for _, p in penalized_parameters(model, include_bias):
        p.accumulate(alpha * grad(p.data))


def l1_penalty(model, alpha: float = 1.0, include_bias: bool = False) -> float:
    r""":math:`\alpha\,\Omega(w)` with :math:`\Omega(w) = \sum_W \sum_i |W_i| = \lVert w\rVert_1`
    over the model's weights (biases too if ``include_bias``; see
    :func:`penalized_parameters`).

    Examples
    --------
    >>> from dlcore.nn import Linear
    >>> layer = Linear(2, 1, rng=0); layer.weight.data[...] = [[3.0, -4.0]]
    >>> l1_penalty(layer, alpha=0.5)
    3.5
    """
    return _penalty("l1", model, alpha, include_bias)


def l2_penalty(model, alpha: float = 1.0, include_bias: bool = False) -> float:
    r""":math:`\tfrac{\alpha}{2}\lVert w\rVert_2^2 = \tfrac{\alpha}{2}\sum_W \sum_i W_i^2` over
    the model's weights (biases too if ``include_bias``).

    The factor :math:`\tfrac12` makes the gradient :math:`\alpha w`, so that adding this
    penalty to the loss is exactly ``SGD(weight_decay=alpha)``.

    Examples
    --------
    >>> from dlcore.nn import Linear
    >>> layer = Linear(2, 1, rng=0); layer.weight.data[...] = [[3.0, -4.0]]
    >>> l2_penalty(layer, alpha=0.1)
    1.25
    """
    return _penalty("l2", model, alpha, include_bias)


def l1_penalty_backward(model, alpha: float = 1.0, include_bias: bool = False) -> None:
    r"""Add the subgradient :math:`\alpha\,\mathrm{sign}(w)` of :func:`l1_penalty` to each
    penalized ``param.grad`` (0 at :math:`w_i = 0`, which is what autograd returns for
    ``abs``).

    Examples
    --------
    >>> from dlcore.nn import Linear
    >>> layer = Linear(3, 1, rng=0); layer.weight.data[...] = [[2.0, 0.0, -1.0]]
    >>> l1_penalty_backward(layer, alpha=0.1); layer.weight.grad, layer.bias.grad
    (array([[ 0.1,  0. , -0.1]]), None)
    """
    _penalty_backward("l1", model, alpha, include_bias)


def l2_penalty_backward(model, alpha: float = 1.0, include_bias: bool = False) -> None:
    r"""Add the gradient :math:`\alpha w` of :func:`l2_penalty` to each penalized
    ``param.grad`` (accumulating, like a backward pass).

    Examples
    --------
    >>> from dlcore.nn import Linear
    >>> layer = Linear(2, 1, rng=0); layer.weight.data[...] = [[3.0, -4.0]]
    >>> l2_penalty_backward(layer, alpha=0.1, include_bias=True); layer.weight.grad
    array([[ 0.3, -0.4]])
    """
    _penalty_backward("l2", model, alpha, include_bias)


# -- label smoothing ------------------------------------------------------------------------
def smooth_labels(targets, num_classes: int, label_smoothing: float = 0.0):
    r"""Label-smoothed target distributions, with PyTorch's ``label_smoothing`` convention.

    .. math:: q_c = (1 - \varepsilon)\, y_c + \varepsilon / C

    where :math:`y` is the one-hot vector of an integer target (or a given probability
    vector). The true class gets :math:`1 - \varepsilon + \varepsilon/C`, every other class
    :math:`\varepsilon/C`; each row sums to 1. Without class weights,
    ``CrossEntropyLoss()(x, smooth_labels(t, C, eps))`` equals
    ``CrossEntropyLoss(label_smoothing=eps)(x, t)``.

    Parameters
    ----------
    targets : array_like
        Integer class indices of any shape ``S``, or probabilities of shape ``(*S, C)``.
    num_classes : int
        :math:`C`.
    label_smoothing : float in [0, 1]
        :math:`\varepsilon`.

    Returns
    -------
    ndarray of shape ``(*S, C)``, float64 (classes last, like ``torch.nn.functional.one_hot``).

    Examples
    --------
    >>> smooth_labels(np.array([2, 0]), 4, 0.2)
    array([[0.05, 0.05, 0.85, 0.05],
           [0.85, 0.05, 0.05, 0.05]])
    """
    C = check_int("num_classes", num_classes, minimum=1)
    eps = check_range("label_smoothing", label_smoothing, 0.0, 1.0)
    t = np.asarray(targets)
    if t.dtype.kind == "f":
        if t.ndim == 0 or t.shape[-1] != C:
            raise ValueError(f"probability targets must have shape (*, {C}) for "
                             f"num_classes={C}, got {t.shape}")
        y = t.astype(np.float64)
    elif t.dtype.kind in "iu":
        if t.size and (t.min() < 0 or t.max() >= C):
            bad = t[(t < 0) | (t >= C)].flat[0]
            raise ValueError(f"targets must be class indices in [0, {C - 1}], got {bad}")
        y = (t[..., None] == np.arange(C)).astype(np.float64)
    else:
        raise TypeError(f"targets must hold class indices (integers) or probabilities "
                        f"(floats), got dtype {t.dtype}")
    return (1.0 - eps) * y + eps / C


# -- ensembles ------------------------------------------------------------------------------
def ensemble_error(variance, covariance, k):
    r"""Expected squared error of the average of :math:`k` models' errors.

    If each model's error :math:`\epsilon_i` has mean 0, variance :math:`v` and pairwise
    covariance :math:`c`, then

    .. math::
        \mathbb{E}\Big[\Big(\frac1k\sum_i \epsilon_i\Big)^2\Big]
        = \frac{v}{k} + \frac{k-1}{k}\,c.

    Independent errors (:math:`c = 0`) fall as :math:`v/k`; perfectly correlated ones
    (:math:`c = v`) do not fall at all. Arguments broadcast against each other.

    Examples
    --------
    >>> ensemble_error(1.0, 0.3, 5)
    0.44
    >>> ensemble_error(1.0, np.array([0.0, 1.0]), 20)
    array([0.05, 1.  ])
    """
    v = as_array("variance", variance)
    c = as_array("covariance", covariance)
    kk = np.asarray(k)
    if kk.dtype.kind not in "iu" or np.any(kk < 1):
        raise ValueError(f"k must be a positive integer (number of models), got {k!r}")
    if np.any(v < 0):
        raise ValueError(f"variance must be >= 0, got {variance!r}")
    # A valid covariance matrix (v on the diagonal, c elsewhere) needs -v/(k-1) <= c <= v.
    low = np.where(kk > 1, -v / np.maximum(kk - 1, 1), -np.inf)
    if np.any(c > v) or np.any(c < low):
        raise ValueError(f"covariance must lie in [-variance/(k-1), variance] for a valid "
                         f"covariance matrix, got covariance={covariance!r}, "
                         f"variance={variance!r}, k={k!r}")
    out = v / kk + (kk - 1) / kk * c
    return float(out) if np.ndim(out) == 0 else out
