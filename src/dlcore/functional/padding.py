r"""Padding (``torch.nn.functional.pad``) and its backward pass.

``pad`` lists amounts for the last dimensions, last dimension first: ``(left, right)`` pads the
last one, ``(left, right, top, bottom)`` the last two, and so on. Negative amounts crop.

- ``"constant"`` fills with ``value`` (any number of dimensions).
- ``"reflect"`` mirrors about the edge sample, without repeating it (``[a b c] -> b | a b c | b``);
  each amount must be smaller than the dimension.
- ``"replicate"`` repeats the edge sample (``a a | a b c | c c``).
- ``"circular"`` wraps around (``b c | a b c | a b``); each amount at most the dimension.

Every mode is a gather: output position :math:`o` along a padded dimension reads input position
:math:`i(o)` (or the constant). The backward pass is the matching scatter-add,
:math:`\partial L/\partial x_i = \sum_{o: i(o) = i} \partial L/\partial y_o`, so an edge sample
that reflect or replicate copies several times collects several gradients.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..checks import as_array, check_choice

__all__ = ["pad", "pad_backward", "source_indices"]

MODES = ("constant", "reflect", "replicate", "circular")


def _check_pad(pad, ndim: int, mode: str) -> tuple:
    if not isinstance(pad, (tuple, list)) or len(pad) % 2:
        raise ValueError(f"pad must be a tuple of an even number of integers, got {pad!r}")
    for v in pad:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"pad must hold integers, got {pad!r}")
    k = len(pad) // 2
    if mode == "constant":
        if k > ndim:
            raise ValueError(f"pad {tuple(pad)} pads {k} dimensions but the input has {ndim}")
    elif k not in (1, 2, 3) or ndim not in (k + 1, k + 2):
        raise ValueError(f"{mode} padding of size {len(pad)} needs a {k + 1}-D or {k + 2}-D "
                         f"input (unbatched or batched), got {ndim}-D")
    return tuple(int(v) for v in pad)


def source_indices(size: int, before: int, after: int, mode: str) -> np.ndarray:
    """For one dimension of ``size``, the input index each output position reads, or -1 for a
    constant fill.

    Examples
    --------
    >>> source_indices(3, 2, 1, "reflect"), source_indices(3, 2, 1, "circular")
    (array([2, 1, 0, 1, 2, 1]), array([1, 2, 0, 1, 2, 0]))
    >>> source_indices(4, -1, 2, "constant")
    array([ 1,  2,  3, -1, -1])
    """
    if mode == "reflect" and (before >= size or after >= size):
        raise ValueError(f"reflect padding ({before}, {after}) must be smaller than the "
                         f"dimension it pads, of size {size}")
    if mode == "circular" and (before > size or after > size):
        raise ValueError(f"circular padding ({before}, {after}) must be at most the dimension "
                         f"it pads, of size {size}")
    if size + before + after < 0:
        raise ValueError(f"padding ({before}, {after}) crops more than the dimension's size "
                         f"{size}")
    o = np.arange(-before, size + after)
    if mode == "constant":
        return np.where((o >= 0) & (o < size), o, -1)
    if mode == "replicate":
        return np.clip(o, 0, size - 1)
    if mode == "circular":
        # torch crops first, then wraps around what is left
        kept = np.arange(max(-before, 0), size - max(-after, 0))
        return kept[np.arange(-max(before, 0), kept.size + max(after, 0)) % kept.size]
    period = 2 * (size - 1)                            # reflect about 0 and size - 1
    if period == 0:
        return np.zeros_like(o)
    r = np.abs(o) % period
    return np.where(r < size, r, period - r)


def pad(input, pad, mode: str = "constant", value=None) -> np.ndarray:
    r"""``torch.nn.functional.pad``: pad (or, with negative amounts, crop) the last dimensions.

    Parameters
    ----------
    input : array_like, shape (..., d_k, ..., d_1)
    pad : tuple of 2k ints
        ``(before_1, after_1, before_2, after_2, ...)`` for the last, second-last, ... dimension.
    mode : {"constant", "reflect", "replicate", "circular"}
    value : float, optional
        Fill value of ``"constant"`` (default 0).

    Returns
    -------
    ndarray, shape (..., d_k + before_k + after_k, ..., d_1 + before_1 + after_1)

    Examples
    --------
    >>> pad(np.array([[1.0, 2.0, 3.0]]), (2, 1), mode="reflect")
    array([[3., 2., 1., 2., 3., 2.]])
    >>> pad(np.array([[1.0, 2.0, 3.0]]), (1, -1), value=9.0)
    array([[9., 1., 2.]])
    """
    x = as_array("input", input)
    check_choice("pad mode", mode, MODES)
    amounts = _check_pad(pad, x.ndim, mode)
    if mode != "constant" and value not in (None, 0, 0.0):
        raise ValueError(f"pad value is only for mode='constant', got value={value} with "
                         f"mode={mode!r}")
    out = x
    for j in range(len(amounts) // 2):
        axis = x.ndim - 1 - j
        idx = source_indices(x.shape[axis], amounts[2 * j], amounts[2 * j + 1], mode)
        if mode == "constant":
            fill = 0.0 if value is None else float(value)
            shape = list(out.shape)
            shape[axis] = idx.size
            padded = np.full(shape, fill, dtype=x.dtype)
            keep = idx >= 0
            dst = [slice(None)] * x.ndim
            dst[axis] = np.flatnonzero(keep)
            padded[tuple(dst)] = np.take(out, idx[keep], axis=axis)
            out = padded
        else:
            out = np.take(out, idx, axis=axis)
    return out if out is not x else x.copy()


def pad_backward(grad_output, input_shape, pad, mode: str = "constant") -> np.ndarray:
    """Gradient of :func:`pad` with respect to its input: scatter-add ``grad_output`` back along
    each padded dimension (constant fills receive nothing).

    Examples
    --------
    >>> pad_backward(np.ones((1, 6)), (1, 3), (2, 1), mode="reflect")   # [3 2 1 2 3 2]
    array([[1., 3., 2.]])
    """
    g = as_array("grad_output", grad_output)
    check_choice("pad mode", mode, MODES)
    amounts = _check_pad(pad, len(input_shape), mode)
    ndim = len(input_shape)
    for j in reversed(range(len(amounts) // 2)):
        axis = ndim - 1 - j
        size = input_shape[axis]
        idx = source_indices(size, amounts[2 * j], amounts[2 * j + 1], mode)
        if g.shape[axis] != idx.size:
            raise ValueError(f"grad_output shape {g.shape} does not match the padded shape "
                             f"along dimension {axis} ({idx.size})")
        keep = idx >= 0
        moved = np.moveaxis(g, axis, 0)
        acc = np.zeros((size,) + moved.shape[1:], dtype=g.dtype)
        np.add.at(acc, idx[keep], moved[keep])
        g = np.moveaxis(acc, 0, axis)
    return np.ascontiguousarray(g)
