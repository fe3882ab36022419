r"""Distances between paired vectors, ``pairwise_distance`` and ``cosine_similarity`` (the
distance functions of ``torch.nn.functional``), with their gradients with respect to both
inputs. Inputs broadcast against each other, as in PyTorch; the gradients are summed back to
each input's own shape.
"""

from __future__ import annotations

import math

import numpy as np

from ..checks import as_array, check_int, check_range

__all__ = ["pairwise_distance", "pairwise_distance_backward", "cosine_similarity",
           "cosine_similarity_backward"]


def _broadcast_pair(x1, x2, what):
    a = as_array("x1", x1)
    b = as_array("x2", x2, dtype=a.dtype)
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{what}: x1 shape {a.shape} and x2 shape {b.shape} do not "
                         "broadcast") from None
    return np.broadcast_to(a, shape), np.broadcast_to(b, shape)


def _unbroadcast(g, shape):
    """Sum ``g`` over the axes that broadcasting added or stretched, back to ``shape``."""
    g = g.sum(axis=tuple(range(g.ndim - len(shape)))) if g.ndim > len(shape) else g
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=stretched, keepdims=True) if stretched else g


def _norm_p(p):
    return check_range("p", p, what="pairwise_distance")  # any real p, inf included


def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
    r"""``torch.nn.functional.pairwise_distance``: :math:`\lVert x_1 - x_2 + \epsilon
    \rVert_p` over the last dimension (a 1-D input is one vector).

    ``p = 0`` counts the non-zero entries, ``p = inf`` takes the largest magnitude. The
    :math:`\epsilon` is *added to the difference* (not to the norm), as PyTorch does, so
    identical inputs are :math:`\epsilon D^{1/p}` apart, not 0.

    Examples
    --------
    >>> pairwise_distance(np.array([[3.0, 0.0]]), np.array([[0.0, 4.0]]), eps=0.0)
    array([5.])
    """
    p = _norm_p(p)
    a, b = _broadcast_pair(x1, x2, "pairwise_distance")
    d = a - b + a.dtype.type(eps)
    if p == 0:
        out = np.count_nonzero(d, axis=-1).astype(d.dtype)
    elif math.isinf(p):
        out = np.abs(d).max(axis=-1, initial=0.0) if p > 0 else np.abs(d).min(axis=-1)
    else:
        out = (np.abs(d) ** p).sum(axis=-1) ** (1.0 / p)
    return out[..., None] if keepdim else out


def pairwise_distance_backward(grad_output, x1, x2, p: float = 2.0, eps: float = 1e-6,
                               keepdim: bool = False):
    r"""Gradients ``(d x1, d x2)`` of :func:`pairwise_distance`.

    With :math:`d = x_1 - x_2 + \epsilon` and :math:`n = \lVert d \rVert_p`:
    :math:`\partial n/\partial d = \operatorname{sign}(d)\,|d|^{p-1} / n^{p-1}`, 0 where
    :math:`d = 0` or :math:`n = 0` (PyTorch's choice at the kink); for ``p = inf`` the
    gradient is shared equally by the entries of largest magnitude; ``p = 0`` has none (0
    here, ``None`` in PyTorch). :math:`\partial/\partial x_2 = -\partial/\partial x_1`.

    Examples
    --------
    >>> pairwise_distance_backward(np.ones(1), np.array([[3.0, 0.0]]), np.array([[0.0, 4.0]]),
    ...                            eps=0.0)[0]
    array([[ 0.6, -0.8]])
    """
    p = _norm_p(p)
    a, b = _broadcast_pair(x1, x2, "pairwise_distance")
    d = a - b + a.dtype.type(eps)
    g = as_array("grad_output", grad_output, dtype=d.dtype)
    g = g if keepdim else g[..., None]
    if p == 0:
        gd = np.zeros_like(d)
    elif math.isinf(p):
        mag = np.abs(d)
        top = mag == (mag.max(axis=-1, keepdims=True) if p > 0 else mag.min(axis=-1, keepdims=True))
        gd = np.sign(d) * top / np.maximum(top.sum(axis=-1, keepdims=True), 1) * g
    else:
        n = (np.abs(d) ** p).sum(axis=-1, keepdims=True) ** (1.0 / p)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            gd = np.sign(d) * np.abs(d) ** (p - 1) / n ** (p - 1)
        gd = np.where((d == 0) | (n == 0), 0, gd) * g
    gd = gd.astype(d.dtype, copy=False)
    return _unbroadcast(gd, np.shape(x1)), _unbroadcast(-gd, np.shape(x2))


def _dim(x, dim):
    axis = check_int("dim", dim)
    if not -x.ndim <= axis < max(x.ndim, 1):
        raise ValueError(f"cosine_similarity dim must be in [{-x.ndim}, {x.ndim - 1}] for "
                         f"inputs of shape {x.shape}, got {dim}")
    return axis


def _cosine_parts(x1, x2, dim, eps):
    a, b = _broadcast_pair(x1, x2, "cosine_similarity")
    axis = _dim(a, dim)
    ra = np.sqrt((a * a).sum(axis=axis, keepdims=True))
    rb = np.sqrt((b * b).sum(axis=axis, keepdims=True))
    e = a.dtype.type(check_range("eps", eps, 0.0, what="cosine_similarity"))
    return a, b, axis, ra, rb, np.maximum(ra, e), np.maximum(rb, e)


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8):
    r"""``torch.nn.functional.cosine_similarity``: each input divided by its norm clamped at
    ``eps``, then the dot product along ``dim``:

    .. math:: \cos = \frac{x_1}{\max(\lVert x_1 \rVert, \epsilon)} \cdot
                     \frac{x_2}{\max(\lVert x_2 \rVert, \epsilon)}

    (PyTorch clamps each norm separately; the textbook :math:`\max(\lVert x_1 \rVert
    \lVert x_2 \rVert, \epsilon)` differs for tiny vectors.)

    Examples
    --------
    >>> cosine_similarity(np.array([[1.0, 0.0]]), np.array([[1.0, 1.0]]))
    array([0.70710678])
    """
    a, b, axis, _, _, na, nb = _cosine_parts(x1, x2, dim, eps)
    return ((a / na) * (b / nb)).sum(axis=axis)


def cosine_similarity_backward(grad_output, x1, x2, dim: int = 1, eps: float = 1e-8):
    r"""Gradients ``(d x1, d x2)`` of :func:`cosine_similarity`.

    With the clamped norms :math:`n_i = \max(r_i, \epsilon)`, :math:`r_i = \lVert x_i \rVert`,
    :math:`u = x_1/n_1`, :math:`v = x_2/n_2`:
    :math:`\partial c/\partial x_1 = v/n_1 - (u \cdot v)\, x_1 / (n_1 r_1)`, and symmetrically.
    PyTorch clamps the norm outside autograd, so below :math:`\epsilon` the gradient still
    carries the norm's derivative :math:`x_1/r_1` (divided by the clamped :math:`n_1`); above
    it this is the familiar :math:`(v - c\,u)/r_1`.

    Examples
    --------
    >>> g1, g2 = cosine_similarity_backward(np.ones(1), np.array([[1.0, 0.0]]),
    ...                                     np.array([[0.0, 1.0]]))
    >>> g1
    array([[0., 1.]])
    """
    a, b, axis, ra, rb, na, nb = _cosine_parts(x1, x2, dim, eps)
    u, v = a / na, b / nb
    c = (u * v).sum(axis=axis, keepdims=True)
    g = np.expand_dims(as_array("grad_output", grad_output, dtype=a.dtype), axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        ga = v / na - np.where(ra > 0, c * a / (na * ra), 0)
        gb = u / nb - np.where(rb > 0, c * b / (nb * rb), 0)
    return (_unbroadcast((ga * g).astype(a.dtype, copy=False), np.shape(x1)),
            _unbroadcast((gb * g).astype(a.dtype, copy=False), np.shape(x2)))
