r"""Resampling and joining feature maps: ``interpolate`` (nearest) and ``cat``, with backward.

Nearest-neighbour resizing copies, for output index :math:`i` along a spatial axis of input
size :math:`n_{in}` and output size :math:`n_{out}`, the input at
:math:`\min(\lfloor i \cdot r \rfloor, n_{in} - 1)`, where :math:`r = 1/\text{scale_factor}`
when a scale factor is given and :math:`r = n_{in}/n_{out}` otherwise (PyTorch computes
:math:`r` and the product in single precision; so does dlcore, to pick the same pixels).
Its backward sums the upstream gradient over every output pixel that copied an input pixel:
with a 0/1 selection matrix :math:`A` per axis (:math:`A_{ji} = 1` when output :math:`i`
reads input :math:`j`), :math:`\partial L/\partial x = A_H\, G\, A_W^\top` for 2-D maps.

``cat`` joins arrays along an axis; its backward splits the gradient back into pieces of
the inputs' sizes.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..checks import as_array, check_int

__all__ = ["interpolate", "interpolate_indices", "interpolate_backward", "cat", "cat_backward",
           "pixel_shuffle", "pixel_unshuffle"]

_MODES = ("nearest",)


def _per_axis(name, value, n, cast):
    if isinstance(value, (tuple, list)):
        if len(value) != n:
            raise ValueError(f"interpolate {name} must have {n} entries for {n} spatial "
                             f"dimensions, got {tuple(value)}")
        return tuple(cast(v) for v in value)
    return (cast(value),) * n


def _size_entry(v):
    return check_int("size", v, minimum=1)


def _scale_entry(v):
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not v > 0 \
            or not math.isfinite(v):
        raise ValueError(f"interpolate scale_factor must be a positive finite number, got {v!r}")
    return float(v)


def _nearest_index(n_in, n_out, scale):
    """Source index of each output index, as PyTorch's ``nearest`` kernel computes it."""
    if n_out == n_in:
        return np.arange(n_out)
    if n_out == 2 * n_in:
        return np.arange(n_out) >> 1
    r = np.float32(1.0 / scale) if scale is not None else np.float32(n_in) / np.float32(n_out)
    src = np.floor(np.arange(n_out, dtype=np.float32) * r).astype(np.int64)
    return np.minimum(src, n_in - 1)


def interpolate_indices(in_size, size=None, scale_factor=None, recompute_scale_factor=None):
    """The source index along each spatial axis for ``interpolate(mode='nearest')``.

    Parameters
    ----------
    in_size : tuple of int
        The input's spatial size, e.g. ``(H, W)``.
    size, scale_factor, recompute_scale_factor
        As in :func:`interpolate`; exactly one of ``size`` and ``scale_factor``.

    Returns
    -------
    tuple of numpy.ndarray
        One integer array per axis, of the output's length along it.

    Examples
    --------
    >>> interpolate_indices((3,), scale_factor=2)
    (array([0, 0, 1, 1, 2, 2]),)
    >>> interpolate_indices((5,), size=3)
    (array([0, 1, 3]),)
    """
    n = len(in_size)
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate needs exactly one of size and scale_factor, got "
                         f"size={size!r}, scale_factor={scale_factor!r}")
    if size is not None:
        out = _per_axis("size", size, n, _size_entry)
        scales = (None,) * n
    else:
        scales = _per_axis("scale_factor", scale_factor, n, _scale_entry)
        out = tuple(int(math.floor(s * f)) for s, f in zip(in_size, scales))
        for axis, (s, f, o) in enumerate(zip(in_size, scales, out)):
            if o < 1 and s > 0:
                raise ValueError(f"interpolate output size along spatial axis {axis} is "
                                 f"floor({s} * {f:g}) = {o}; it must be >= 1")
        if recompute_scale_factor:
            scales = (None,) * n
    return tuple(_nearest_index(s, o, f) for s, o, f in zip(in_size, out, scales))


def _check(input, mode, align_corners, antialias):
    x = as_array("input", input)
    if x.dtype not in (np.float32, np.float64):
        x = x.astype(np.float64)
    if x.ndim not in (3, 4, 5):
        raise ValueError(f"interpolate input must be 3-D, 4-D or 5-D (N, C, *spatial), got "
                         f"shape {x.shape}")
    if mode not in _MODES:
        raise ValueError(f"interpolate mode must be one of {_MODES} in dlcore, got {mode!r}")
    if align_corners is not None:
        raise ValueError("interpolate align_corners can only be set with the interpolating "
                         f"modes (linear, bilinear, bicubic, trilinear), got {align_corners!r} "
                         f"with mode {mode!r}")
    if antialias:
        raise ValueError(f"interpolate antialias is only available for the bilinear and "
                         f"bicubic modes, got antialias={antialias!r} with mode {mode!r}")
    return x


def interpolate(input, size=None, scale_factor=None, mode: str = "nearest",
                align_corners=None, recompute_scale_factor=None, antialias: bool = False):
    r"""Resize the spatial axes of ``input``, as ``torch.nn.functional.interpolate``.

    Parameters
    ----------
    input : array, shape (N, C, L), (N, C, H, W) or (N, C, D, H, W)
    size : int or tuple of int, optional
        Output spatial size.
    scale_factor : float or tuple of float, optional
        Multiplier of the spatial size: :math:`n_{out} = \lfloor n_{in} \cdot f \rfloor`.
    mode : {"nearest"}
        dlcore implements nearest-neighbour resizing only.
    align_corners : None
        Only for interpolating modes; must stay ``None`` here, as in PyTorch.
    recompute_scale_factor : bool, optional
        If true, pick source pixels from the computed output size instead of ``scale_factor``.
    antialias : bool, default False

    Returns
    -------
    numpy.ndarray, shape (N, C, *out_size)

    Examples
    --------
    >>> interpolate(np.array([[[[1.0, 2.0]]]]), scale_factor=2)
    array([[[[1., 1., 2., 2.],
             [1., 1., 2., 2.]]]])
    """
    x = _check(input, mode, align_corners, antialias)
    idx = interpolate_indices(x.shape[2:], size, scale_factor, recompute_scale_factor)
    return x[(Ellipsis,) + np.ix_(*idx)] if x.size else \
        np.zeros(x.shape[:2] + tuple(len(i) for i in idx), dtype=x.dtype)


def interpolate_backward(grad_output, in_size, indices):
    r"""Gradient of :func:`interpolate` (nearest): each input pixel receives the sum of the
    upstream gradient over the output pixels that copied it.

    Parameters
    ----------
    grad_output : array, shape (N, C, *out_size)
    in_size : tuple of int
        The forward input's spatial size.
    indices : tuple of numpy.ndarray
        :func:`interpolate_indices` of the forward call.

    Returns
    -------
    numpy.ndarray, shape (N, C, *in_size)

    Examples
    --------
    >>> idx = interpolate_indices((2,), scale_factor=2)
    >>> interpolate_backward(np.array([[[1.0, 2.0, 3.0, 4.0]]]), (2,), idx)
    array([[[3., 7.]]])
    """
    g = np.asarray(grad_output)
    expected = tuple(len(i) for i in indices)
    if g.ndim != 2 + len(in_size) or g.shape[2:] != expected:
        raise ValueError(f"interpolate grad_output has shape {g.shape}, expected "
                         f"(N, C) + {expected}")
    for axis, (n_in, idx) in enumerate(zip(in_size, indices)):
        select = np.zeros((n_in, len(idx)), dtype=g.dtype)
        select[idx, np.arange(len(idx))] = 1.0
        g = np.moveaxis(np.tensordot(g, select, axes=([2 + axis], [1])), -1, 2 + axis)
    return np.ascontiguousarray(g)


def cat(tensors, dim: int = 0):
    """Concatenate arrays along ``dim``, as ``torch.cat``.

    Every array must have the same number of dimensions and agree on every axis except
    ``dim``; the message names the first one that does not.

    Examples
    --------
    >>> cat([np.zeros((1, 2)), np.ones((1, 1))], dim=1)
    array([[0., 0., 1.]])
    """
    if isinstance(tensors, np.ndarray) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"cat tensors must be a list or tuple of arrays, got "
                        f"{type(tensors).__name__}")
    if not tensors:
        raise ValueError("cat tensors must be a non-empty list of arrays")
    arrays = [as_array(f"tensors[{i}]", t) for i, t in enumerate(tensors)]
    ndim = arrays[0].ndim
    dim = check_int("dim", dim)
    if ndim == 0 or not -ndim <= dim < ndim:
        raise ValueError(f"cat dim must be in [{-ndim}, {ndim - 1}] for {ndim}-D arrays, "
                         f"got {dim}")
    axis = dim % ndim
    ref = arrays[0].shape
    for i, a in enumerate(arrays[1:], start=1):
        if a.ndim != ndim or any(a.shape[k] != ref[k] for k in range(ndim) if k != axis):
            raise ValueError(f"cat: sizes of tensors must match except in dimension {dim}; "
                             f"tensors[0] has shape {ref} and tensors[{i}] has shape "
                             f"{a.shape}")
    return np.concatenate(arrays, axis=axis)


def cat_backward(grad_output, sizes, dim: int = 0):
    """Split ``grad_output`` along ``dim`` into pieces of the given ``sizes`` (the inputs'
    lengths along that axis): the gradient of :func:`cat` with respect to each input.

    Examples
    --------
    >>> [g.shape for g in cat_backward(np.ones((1, 3)), [2, 1], dim=1)]
    [(1, 2), (1, 1)]
    """
    g = np.asarray(grad_output)
    axis = check_int("dim", dim) % max(g.ndim, 1)
    if sum(sizes) != g.shape[axis]:
        raise ValueError(f"cat_backward grad_output has {g.shape[axis]} entries along dim "
                         f"{dim}, but the inputs' sizes {list(sizes)} add up to {sum(sizes)}")
    return tuple(np.split(g, np.cumsum(sizes)[:-1], axis=axis))


def _pixel_args(input, factor, name):
    x = as_array("input", input)
    r = check_int(name, factor, minimum=1)
    if x.ndim < 3:
        raise ValueError(f"pixel shuffling needs an input of shape (*, C, H, W), got shape "
                         f"{x.shape}")
    return x, r


def pixel_shuffle(input, upscale_factor: int):
    r"""Rearrange ``(*, C r^2, H, W)`` into ``(*, C, H r, W r)``, as
    ``torch.nn.functional.pixel_shuffle`` (the sub-pixel convolution's upsampling, Shi et al.,
    2016): output pixel :math:`(c, h r + i, w r + j)` is input channel :math:`c r^2 + i r + j`
    at :math:`(h, w)`. A pure permutation, so its backward is :func:`pixel_unshuffle`.

    Examples
    --------
    >>> pixel_shuffle(np.arange(4.0).reshape(1, 4, 1, 1), 2)[0, 0]
    array([[0., 1.],
           [2., 3.]])
    """
    x, r = _pixel_args(input, upscale_factor, "upscale_factor")
    *lead, c, h, w = x.shape
    if c % (r * r):
        raise ValueError(f"pixel_shuffle expects its channel count ({c}) to be divisible by "
                         f"upscale_factor**2 = {r * r}")
    k = len(lead)
    y = x.reshape(*lead, c // (r * r), r, r, h, w)
    y = y.transpose(*range(k), k, k + 3, k + 1, k + 4, k + 2)
    return y.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor: int):
    r"""The inverse of :func:`pixel_shuffle`: ``(*, C, H r, W r)`` into ``(*, C r^2, H, W)``,
    as ``torch.nn.functional.pixel_unshuffle``.

    Examples
    --------
    >>> pixel_unshuffle(np.arange(4.0).reshape(1, 1, 2, 2), 2)[0, :, 0, 0]
    array([0., 1., 2., 3.])
    """
    x, r = _pixel_args(input, downscale_factor, "downscale_factor")
    *lead, c, h, w = x.shape
    if h % r or w % r:
        raise ValueError(f"pixel_unshuffle expects height ({h}) and width ({w}) to be "
                         f"divisible by downscale_factor = {r}")
    k = len(lead)
    y = x.reshape(*lead, c, h // r, r, w // r, r)
    y = y.transpose(*range(k), k, k + 2, k + 4, k + 1, k + 3)
    return y.reshape(*lead, c * r * r, h // r, w // r)
