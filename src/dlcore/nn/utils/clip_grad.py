"""Gradient clipping, as ``torch.nn.utils.clip_grad_norm_`` and ``clip_grad_value_`` do it."""

from __future__ import annotations

import math

import numpy as np

from ...checks import check_range
from ..module import Parameter

__all__ = ["get_total_norm", "clip_grads_with_norm_", "clip_grad_norm_", "clip_grad_value_",
           "NonFiniteNormError"]


class NonFiniteNormError(RuntimeError, ValueError):
    """The total gradient norm is NaN or infinite and ``error_if_nonfinite`` was set (PyTorch
    raises ``RuntimeError``; this is both a ``RuntimeError`` and a ``ValueError``)."""


def _as_list(parameters) -> list:
    return [parameters] if isinstance(parameters, (Parameter, np.ndarray)) else list(parameters)


def _vector_norm(x: np.ndarray, p: float) -> float:
    """``torch.linalg.vector_norm(x, p)`` of the flattened ``x``."""
    flat = np.ravel(x)
    if flat.size == 0:
        return 0.0
    if p == 2:
        return float(np.sqrt(np.dot(flat, flat)))
    a = np.abs(flat)
    if p == math.inf:
        return float(a.max())
    if p == -math.inf:
        return float(a.min())
    if p == 0:
        return float(np.count_nonzero(a))
    if p == 1:
        return float(a.sum())
    with np.errstate(over="ignore", divide="ignore"):
        return float(np.sum(a ** p) ** (1.0 / p))


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach=None) -> float:
    r"""The ``norm_type``-norm of all ``tensors`` seen as one concatenated vector
    (``torch.nn.utils.get_total_norm``): the norm of the vector of per-tensor norms.

    Examples
    --------
    >>> get_total_norm([np.array([3.0]), np.array([[4.0]])])
    5.0
    """
    arrays = _as_list(tensors)
    p = float(norm_type)
    if not arrays:
        return 0.0
    total = _vector_norm(np.array([_vector_norm(a, p) for a in arrays]), p)
    if error_if_nonfinite and not math.isfinite(total):
        raise NonFiniteNormError(
            f"The total norm of order {p} for gradients from `parameters` is non-finite, so "
            "it cannot be clipped. To disable this error and scale the gradients by the "
            "non-finite norm anyway, set `error_if_nonfinite=False`")
    return total


def clip_grads_with_norm_(parameters, max_norm: float, total_norm: float, foreach=None) -> None:
    r"""Scale every gradient by :math:`\min(1, \text{max\_norm} / (\text{total\_norm} +
    10^{-6}))`, in place (``torch.nn.utils.clip_grads_with_norm_``)."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return
    coef = min(float(max_norm) / (float(total_norm) + 1e-6), 1.0)
    for g in grads:
        g *= coef


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach=None) -> float:
    r"""Rescale the gradients of ``parameters`` so that their total norm is at most
    ``max_norm``; return the total norm *before* clipping (``torch.nn.utils.clip_grad_norm_``).

    .. math::
        \|g\| = \Big(\sum_{\text{params}} \|g_i\|_p^p\Big)^{1/p}, \qquad
        g_i \leftarrow g_i \cdot \min\!\Big(1, \frac{\text{max\_norm}}{\|g\| + 10^{-6}}\Big)

    The direction of the whole gradient is kept; only its length changes. ``norm_type`` may
    be ``inf`` (largest absolute entry). Parameters without a gradient are skipped.

    Examples
    --------
    >>> from dlcore.nn import Parameter
    >>> p = Parameter(np.zeros(2)); p.grad = np.array([3.0, 4.0])
    >>> clip_grad_norm_([p], max_norm=1.0)
    5.0
    >>> p.grad.round(6)
    array([0.6, 0.8])
    """
    params = _as_list(parameters)
    grads = [p.grad for p in params if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(params, max_norm, total)
    return total


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    r"""Clamp every gradient entry into ``[-clip_value, clip_value]`` in place
    (``torch.nn.utils.clip_grad_value_``). Unlike norm clipping this changes the direction.

    Examples
    --------
    >>> from dlcore.nn import Parameter
    >>> p = Parameter(np.zeros(3)); p.grad = np.array([-5.0, 0.2, 3.0])
    >>> clip_grad_value_(p, 1.0); p.grad
    array([-1. ,  0.2,  1. ])
    """
    clip_value = check_range("clip_value", clip_value, what="clip_grad_value_")
    for p in _as_list(parameters):
        if p.grad is not None:
            np.clip(p.grad, -clip_value, clip_value, out=p.grad)
