r"""Max and average pooling as functions: ``max_pool2d``, ``avg_pool2d``, their 1-D forms and
the adaptive poolings (as in ``torch.nn.functional``), and the forward/backward kernels the
layers of :mod:`dlcore.nn.pooling` call. 1-D pooling runs the 2-D kernels on a height-1
image; adaptive pooling (a fixed output size, windows from :func:`adaptive_windows`) loops
over its few output positions.

Both slide a :math:`k_H \times k_W` window with stride :math:`s` over each channel
separately, so they own no parameters. The output size is
:func:`dlcore.functional.conv.pool2d_output_size` (with PyTorch's ``ceil_mode`` rule). The
loops below run over the *kernel positions* (a handful), never over output pixels: each
position is one strided slice of the padded input.

Max pooling pads with :math:`-\infty`; its gradient goes to the arg-max of each window (the
first maximum in row-major window order, as PyTorch's CPU kernel picks it; a NaN wins).
Average pooling divides the window sum by the window size counted with the padding
(``count_include_pad=True``), without it, or by ``divisor_override``.
"""

from __future__ import annotations

import math

import numpy as np

from ..checks import as_array, check_int, pair
from ._im2col import grid_taps, pad2d, phase_planes
from .conv import pool2d_output_size

__all__ = ["max_pool2d", "avg_pool2d", "max_pool1d", "avg_pool1d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_windows"]


def _check_bool(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {value!r}")
    return bool(value)


def _as_batched(input, layer):
    x = as_array("input", input)  # floating input keeps its dtype, as in PyTorch
    if x.ndim not in (3, 4):
        raise ValueError(f"{layer} input must be (N, C, H, W) or (C, H, W), got shape "
                         f"{tuple(x.shape)}")
    return x if x.ndim == 4 else x[None]


def _window_slices(out_hw, stride, dilation, i, j):
    """The strided slice of the padded input that kernel position (i, j) sees."""
    (ho, wo), (sh, sw), (dh, dw) = out_hw, stride, dilation
    return (..., slice(i * dh, i * dh + sh * (ho - 1) + 1, sh),
            slice(j * dw, j * dw + sw * (wo - 1) + 1, sw))


def _padded(x, out_hw, k, s, p, d, value):
    """Pad by ``p`` before and by whatever the last (ceil-mode) window needs after."""
    after = [max(0, (out_hw[a] - 1) * s[a] + d[a] * (k[a] - 1) + 1 - p[a] - x.shape[2 + a])
             for a in range(2)]
    return pad2d(x, ((p[0], after[0]), (p[1], after[1])), value=value)


def _first_valid(n, out, k, s, p, d, axis):
    """Per output position along one axis, the first kernel tap that is not padding.

    A dilated window can step over the whole input (e.g. one row, padding 1, dilation 2);
    PyTorch then returns -inf and an index outside the input, so dlcore refuses it.
    """
    start = np.arange(out) * s - p
    first = np.where(start < 0, -(start // d), 0)        # ceil(-start / d) for start < 0
    empty = (first >= k) | (start + first * d >= n)
    if empty.any():
        o = int(np.argmax(empty))
        raise ValueError(f"max_pool2d window {o} along the {axis} covers only padding (input "
                         f"{axis} {n}, kernel_size {k}, stride {s}, padding {p}, dilation {d}); "
                         "choose a smaller padding or dilation")
    return first


def _scan_taps(planes, grid, k, s, d, taps, has_nan):
    """PyTorch's scan over the window, tap by tap in row-major order: a strictly larger value
    (or a NaN) takes over, so among tied maxima the first one wins. ``taps`` (the winning tap
    per flat grid position, preset to the first tap that is not padding) is updated in place;
    returns the maxima. Each tap is one contiguous slice of the phase ``planes`` (see
    :func:`dlcore.functional._im2col.phase_planes`), so every step runs on long contiguous arrays.
    Without NaN the update is arithmetic (``taps += better * (t - taps)``), which is several
    times faster than a masked copy with an unpredictable mask."""
    size = taps.size
    best = np.full(size, -np.inf, dtype=planes.dtype)
    better = np.empty(size, dtype=bool)
    step = np.empty(size, dtype=taps.dtype)
    for t, (_, _, p, q, shift) in enumerate(grid_taps(k, s, d, grid)):
        v = planes[p, q, 0, shift:shift + size]
        np.greater(v, best, out=better)
        if has_nan:
            better |= np.isnan(v)
            np.copyto(best, v, where=better)
            np.copyto(taps, t, where=better)
        else:
            np.maximum(best, v, out=best)
            np.subtract(t, taps, out=step)
            np.multiply(step, better, out=step)
            taps += step
    return best


def _max_forward(x, k, s, p, d, ceil_mode):
    out_hw = pool2d_output_size(x.shape[2:], k, s, p, d, ceil_mode)
    xp = _padded(x, out_hw, k, s, p, d, -np.inf)
    # every (n, c) plane as its own image, so the grid is flat over (N, C, rows, cols)
    planes, grid = phase_planes(xp.reshape((-1, 1) + xp.shape[2:]), k, s, d, out_hw, -np.inf)
    ki0, kj0 = (_first_valid(x.shape[2 + a], out_hw[a], k[a], s[a], p[a], d[a],
                             ("height", "width")[a]) for a in range(2))
    dtype = np.int16 if k[0] * k[1] < 2 ** 15 else np.int64
    first = np.zeros(grid, dtype=dtype)
    first[:out_hw[0], :out_hw[1]] = ki0[:, None] * k[1] + kj0[None, :]
    taps = np.broadcast_to(first, x.shape[:2] + grid).flatten()
    best = _scan_taps(planes, grid, k, s, d, taps, bool(np.isnan(x).any()))
    # flat input index h * W + w = (window origin) + (offset of the winning tap)
    width = x.shape[3]
    origin = ((np.arange(out_hw[0]) * s[0] - p[0])[:, None] * width
              + (np.arange(out_hw[1]) * s[1] - p[1])[None, :])
    tap_i, tap_j = np.divmod(np.arange(k[0] * k[1]), k[1])
    crop = (slice(None), slice(None), slice(0, out_hw[0]), slice(0, out_hw[1]))
    index = (tap_i * d[0] * width + tap_j * d[1])[taps.reshape(x.shape[:2] + grid)[crop]]
    index += origin
    return np.ascontiguousarray(best.reshape(x.shape[:2] + grid)[crop]), index


def _max_backward(grad, indices, x_shape):
    n, c, h, w = x_shape
    offsets = (np.arange(n * c) * (h * w)).reshape(n, c, 1, 1)
    flat = np.bincount((indices + offsets).ravel(), weights=grad.ravel(), minlength=n * c * h * w)
    return flat.reshape(x_shape).astype(grad.dtype, copy=False)  # bincount sums in float64


def _avg_divisor(n, out, k, s, p, count_include_pad):
    """Window sizes along one axis, with or without the padding, per output position."""
    start = np.arange(out) * s - p
    end = np.minimum(start + k, n + p)
    if count_include_pad:
        return end - start
    return np.minimum(end, n) - np.maximum(start, 0)


def _avg_forward(x, k, s, p, ceil_mode, count_include_pad, divisor_override):
    out_hw = pool2d_output_size(x.shape[2:], k, s, p, 1, ceil_mode)
    xp = _padded(x, out_hw, k, s, p, (1, 1), 0.0)
    total = np.zeros(x.shape[:2] + tuple(out_hw), dtype=x.dtype)
    for i in range(k[0]):
        for j in range(k[1]):
            total += xp[_window_slices(out_hw, s, (1, 1), i, j)]
    if divisor_override is not None:
        divisor = np.full(out_hw, float(divisor_override))
    else:
        dh = _avg_divisor(x.shape[2], out_hw[0], k[0], s[0], p[0], count_include_pad)
        dw = _avg_divisor(x.shape[3], out_hw[1], k[1], s[1], p[1], count_include_pad)
        divisor = (dh[:, None] * dw[None, :]).astype(np.float64)
    divisor = divisor.astype(x.dtype)  # window sizes: exact in float32 too
    return total / divisor, (xp.shape, divisor)


def _avg_backward(grad, x_shape, xp_shape, divisor, k, s, p):
    share = grad / divisor
    out_hw = grad.shape[2:]
    gxp = np.zeros(xp_shape, dtype=share.dtype)
    for i in range(k[0]):
        for j in range(k[1]):
            gxp[_window_slices(out_hw, s, (1, 1), i, j)] += share
    return gxp[:, :, p[0]:p[0] + x_shape[2], p[1]:p[1] + x_shape[3]]


def _pool_args(kernel_size, stride, padding, dilation=1):
    k = pair("kernel_size", kernel_size, minimum=1)
    s = k if stride is None else pair("stride", stride, minimum=1)
    return k, s, pair("padding", padding, minimum=0), pair("dilation", dilation, minimum=1)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    r"""Functional max pooling, as ``torch.nn.functional.max_pool2d``.

    :math:`y[n, c, h, w] = \max_{i, j} x_{pad}[n, c, h s_h + i d_h, w s_w + j d_w]` with
    :math:`-\infty` padding.

    Parameters
    ----------
    input : array, shape (N, C, H, W) or (C, H, W)
    kernel_size : int or (int, int)
    stride : int, (int, int) or None
        ``None`` (default) means ``kernel_size``.
    padding : int or (int, int)
        At most half the kernel size.
    dilation : int or (int, int)
    ceil_mode : bool
        Round the output size up (see :func:`dlcore.functional.conv.pool2d_output_size`).
    return_indices : bool
        Also return, per output, the flat index ``h * W + w`` of the arg-max in its input
        plane (int64), as PyTorch does.

    Examples
    --------
    >>> x = np.array([[[[1., 5, 3, 2], [4, 0, 8, 1], [7, 2, 6, 9], [3, 3, 1, 0]]]])
    >>> y, idx = max_pool2d(x, 2, return_indices=True)
    >>> y[0, 0], idx[0, 0]
    (array([[5., 8.],
           [7., 9.]]), array([[ 1,  6],
           [ 8, 11]]))
    """
    k, s, p, d = _pool_args(kernel_size, stride, padding, dilation)
    x = _as_batched(input, "max_pool2d")
    y, idx = _max_forward(x, k, s, p, d, _check_bool("ceil_mode", ceil_mode))
    if np.ndim(input) == 3:
        y, idx = y[0], idx[0]
    return (y, idx.astype(np.int64)) if _check_bool("return_indices", return_indices) else y


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    r"""Functional average pooling, as ``torch.nn.functional.avg_pool2d``.

    :math:`y = \frac{1}{D} \sum_{\text{window}} x_{pad}` with zero padding, where :math:`D`
    is the window size including the padding (``count_include_pad=True``; a ceil-mode window
    hanging over the right padding is clipped to it), the number of real input pixels in
    the window (``False``), or ``divisor_override``.

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> avg_pool2d(x, 2, padding=1)[0, 0]
    array([[0.  , 0.75],
           [2.25, 5.  ]])
    >>> avg_pool2d(x, 2, padding=1, count_include_pad=False)[0, 0]
    array([[0. , 1.5],
           [4.5, 5. ]])
    """
    k, s, p, _ = _pool_args(kernel_size, stride, padding)
    if divisor_override is not None and check_int("divisor_override", divisor_override) == 0:
        raise ValueError("divisor_override must be a non-zero integer or None, got 0")
    x = _as_batched(input, "avg_pool2d")
    y, _ = _avg_forward(x, k, s, p, _check_bool("ceil_mode", ceil_mode),
                        _check_bool("count_include_pad", count_include_pad), divisor_override)
    return y if np.ndim(input) == 4 else y[0]


# -- 1-D pooling: the 2-D kernels on a height-1 image ------------------------------------------
def _as_batched1d(input, layer):
    x = as_array("input", input)
    if x.ndim not in (2, 3):
        raise ValueError(f"{layer} input must be (N, C, L) or (C, L), got shape {tuple(x.shape)}")
    return (x if x.ndim == 3 else x[None])[:, :, None, :]


def _single(name, value, minimum):
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise ValueError(f"{name} must be an int or a 1-tuple, got {value!r}")
        value = value[0]
    return check_int(name, value, minimum=minimum)


def _pool1d_args(kernel_size, stride, padding, dilation=1):
    """The 1-D arguments as the ``(1, k)``-style pairs of the 2-D kernels."""
    k = _single("kernel_size", kernel_size, 1)
    s = k if stride is None else _single("stride", stride, 1)
    p, d = _single("padding", padding, 0), _single("dilation", dilation, 1)
    return (1, k), (1, s), (0, p), (1, d)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    r"""Functional 1-D max pooling, as ``torch.nn.functional.max_pool1d``: input ``(N, C, L)``
    or ``(C, L)``; ``return_indices`` gives the position along ``L`` of each maximum.

    Examples
    --------
    >>> max_pool1d(np.array([[1.0, 5.0, 3.0, 2.0]]), 2, return_indices=True)
    (array([[5., 3.]]), array([[1, 2]]))
    """
    k, s, p, d = _pool1d_args(kernel_size, stride, padding, dilation)
    x = _as_batched1d(input, "max_pool1d")
    y, idx = _max_forward(x, k, s, p, d, _check_bool("ceil_mode", ceil_mode))
    y, idx = y[:, :, 0], idx[:, :, 0].astype(np.int64)
    if np.ndim(input) == 2:
        y, idx = y[0], idx[0]
    return (y, idx) if _check_bool("return_indices", return_indices) else y


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    r"""Functional 1-D average pooling, as ``torch.nn.functional.avg_pool1d``.

    Examples
    --------
    >>> avg_pool1d(np.array([[1.0, 3.0, 5.0, 7.0]]), 2)
    array([[2., 6.]])
    """
    k, s, p, _ = _pool1d_args(kernel_size, stride, padding)
    x = _as_batched1d(input, "avg_pool1d")
    y, _ = _avg_forward(x, k, s, p, _check_bool("ceil_mode", ceil_mode),
                        _check_bool("count_include_pad", count_include_pad), None)
    return y[:, :, 0] if np.ndim(input) == 3 else y[0, :, 0]


# -- adaptive pooling ------------------------------------------------------------------------------
def adaptive_windows(n: int, out: int):
    r"""PyTorch's adaptive-pooling windows along one axis: output :math:`i` of ``out`` pools
    input positions :math:`\lfloor i n / \text{out} \rfloor` to
    :math:`\lceil (i + 1) n / \text{out} \rceil - 1` (windows overlap when ``n`` is not a
    multiple of ``out``).

    Examples
    --------
    >>> adaptive_windows(5, 3)
    [(0, 2), (1, 4), (3, 5)]
    """
    return [((i * n) // out, -((-(i + 1) * n) // out)) for i in range(out)]


def _adaptive_sizes(output_size, spatial, layer):
    """``output_size`` (int, or a tuple with ``None`` for 'keep this size') as a tuple of ints."""
    d = len(spatial)
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != d:
            raise ValueError(f"{layer} output_size must have {d} entries, got {output_size!r}")
        sizes = output_size
    else:
        sizes = (output_size,) * d
    return tuple(n if o is None else check_int("output_size", o, minimum=0)
                 for o, n in zip(sizes, spatial))


def _adaptive_forward(x, sizes, mode):
    """Adaptive pooling of the last ``len(sizes)`` axes of ``x`` (1 or 2): the output and,
    for ``mode="max"``, the flat index of each maximum in its input plane (PyTorch's scan: the
    first of tied maxima wins, a NaN wins over everything, the last NaN over earlier ones)."""
    spatial = x.shape[x.ndim - len(sizes):]
    wins = [adaptive_windows(n, o) for n, o in zip(spatial, sizes)]
    lead = x.shape[:x.ndim - len(sizes)]
    y = np.empty(lead + tuple(sizes), dtype=x.dtype)
    idx = np.empty(lead + tuple(sizes), dtype=np.int64) if mode == "max" else None
    width = spatial[-1]
    for pos in np.ndindex(*sizes):
        bounds = [w[i] for w, i in zip(wins, pos)]
        window = x[(...,) + tuple(slice(a, b) for a, b in bounds)]
        if mode == "avg":
            y[(...,) + pos] = window.mean(axis=tuple(range(len(lead), x.ndim)))
            continue
        flat = window.reshape(lead + (math.prod(window.shape[len(lead):]),))  # N = 0 too
        nan = np.isnan(flat)
        last_nan = flat.shape[-1] - 1 - np.argmax(nan[..., ::-1], axis=-1)
        r = np.where(nan.any(axis=-1), last_nan, np.argmax(np.where(nan, -np.inf, flat), -1))
        y[(...,) + pos] = np.take_along_axis(flat, r[..., None], -1)[..., 0]
        cols = bounds[-1][1] - bounds[-1][0]
        row0 = bounds[0][0] if len(bounds) == 2 else 0
        idx[(...,) + pos] = (row0 + r // cols) * width + bounds[-1][0] + r % cols
    return y, idx


def _adaptive_backward(grad, x_shape, sizes, indices):
    """Input gradient of :func:`_adaptive_forward`: each output's gradient to its maximum
    (``indices``), or spread evenly over its window (average)."""
    d = len(sizes)
    spatial = x_shape[len(x_shape) - d:]
    gx = np.zeros(x_shape, dtype=grad.dtype)
    if indices is not None:
        planes = gx.reshape(-1, math.prod(spatial))
        rows = np.repeat(np.arange(planes.shape[0]), math.prod(sizes))
        np.add.at(planes, (rows, indices.reshape(-1)), grad.reshape(-1))
        return gx
    wins = [adaptive_windows(n, o) for n, o in zip(spatial, sizes)]
    for pos in np.ndindex(*sizes):
        bounds = [w[i] for w, i in zip(wins, pos)]
        area = math.prod(b - a for a, b in bounds)
        sl = (...,) + tuple(slice(a, b) for a, b in bounds)
        gx[sl] += (grad[(...,) + pos] / area)[(...,) + (None,) * d]
    return gx


def _adaptive_input(input, d, layer):
    x = as_array("input", input)
    if x.ndim not in (d + 1, d + 2):
        names = "(N, C, L) or (C, L)" if d == 1 else "(N, C, H, W) or (C, H, W)"
        raise ValueError(f"{layer} input must be {names}, got shape {tuple(x.shape)}")
    return x


def adaptive_avg_pool1d(input, output_size):
    r"""Adaptive average pooling to ``output_size`` positions, as
    ``torch.nn.functional.adaptive_avg_pool1d`` (windows from :func:`adaptive_windows`).

    Examples
    --------
    >>> adaptive_avg_pool1d(np.array([[1.0, 2.0, 3.0, 4.0, 5.0]]), 3)
    array([[1.5, 3. , 4.5]])
    """
    x = _adaptive_input(input, 1, "adaptive_avg_pool1d")
    return _adaptive_forward(x, _adaptive_sizes(output_size, x.shape[-1:], "adaptive_avg_pool1d"),
                             "avg")[0]


def adaptive_avg_pool2d(input, output_size):
    r"""Adaptive average pooling to an ``output_size`` grid (``None`` keeps a size), as
    ``torch.nn.functional.adaptive_avg_pool2d``; ``output_size=1`` is global average pooling.

    Examples
    --------
    >>> adaptive_avg_pool2d(np.arange(16.0).reshape(1, 4, 4), 1)
    array([[[7.5]]])
    """
    x = _adaptive_input(input, 2, "adaptive_avg_pool2d")
    return _adaptive_forward(x, _adaptive_sizes(output_size, x.shape[-2:], "adaptive_avg_pool2d"),
                             "avg")[0]


def adaptive_max_pool1d(input, output_size, return_indices: bool = False):
    r"""Adaptive max pooling to ``output_size`` positions, as
    ``torch.nn.functional.adaptive_max_pool1d``.

    Examples
    --------
    >>> adaptive_max_pool1d(np.array([[1.0, 5.0, 3.0, 2.0, 4.0]]), 2)
    array([[5., 4.]])
    """
    x = _adaptive_input(input, 1, "adaptive_max_pool1d")
    y, idx = _adaptive_forward(x, _adaptive_sizes(output_size, x.shape[-1:],
                                                  "adaptive_max_pool1d"), "max")
    return (y, idx) if _check_bool("return_indices", return_indices) else y


def adaptive_max_pool2d(input, output_size, return_indices: bool = False):
    r"""Adaptive max pooling to an ``output_size`` grid, as
    ``torch.nn.functional.adaptive_max_pool2d`` (indices are flat ``h * W + w`` per plane).

    Examples
    --------
    >>> adaptive_max_pool2d(np.arange(16.0).reshape(1, 4, 4), 2)
    array([[[ 5.,  7.],
            [13., 15.]]])
    """
    x = _adaptive_input(input, 2, "adaptive_max_pool2d")
    y, idx = _adaptive_forward(x, _adaptive_sizes(output_size, x.shape[-2:],
                                                  "adaptive_max_pool2d"), "max")
    return (y, idx) if _check_bool("return_indices", return_indices) else y
