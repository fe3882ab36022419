r"""im2col and its adjoint col2im, plus padding and its adjoint, for 2-D convolution.

im2col lays every receptive-field patch of an input out as a column, so that a convolution
becomes one matrix product :cite:p:`dumoulin2016`:

.. math::

    \text{cols}[c, i, j, n, h, w] = x_{pad}[n, c,\; h s_h + i d_h,\; w s_w + j d_w],

shaped ``(C, kH, kW, N, H_out, W_out)`` and read as a ``(C kH kW) x (N H_out W_out)`` matrix.
col2im is its adjoint (the backward pass): each column entry is added back to the pixel it
came from, one strided slice per kernel position, so overlapping windows accumulate.

:func:`im2col_grid` and :func:`col2im_grid` compute the same columns on a slightly larger
*grid* of output positions, the layout ``Conv2d`` and max pooling use: the padded input is
split into its stride phases (:func:`phase_planes`) and flattened, so every kernel position
becomes one contiguous slice (a memory-speed copy, or add, instead of a gather of short
strided rows). The grid's extra rows and columns are discarded after the matrix product.
``Conv2d`` builds these columns a block of grid positions at a time (:func:`grid_columns`,
:func:`add_grid_columns`), so a block is still in cache when the products read it.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["PAD_MODES", "pad2d", "pad2d_backward", "im2col", "col2im", "phase_planes",
           "plane_layout", "grid_taps", "grid_columns", "add_grid_columns", "planes_to_image", "im2col_grid", "col2im_grid"]

#: ``padding_mode`` of ``torch.nn.Conv2d`` -> ``numpy.pad`` mode.
PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge",
             "circular": "wrap"}


def _check_pads(pads, shape, mode):
    """PyTorch's limits: reflect needs pad < size, circular pad <= size."""
    for (before, after), size, axis in zip(pads, shape[-2:], ("height", "width")):
        largest = max(before, after)
        if mode == "reflect" and largest >= size:
            raise ValueError(f"padding_mode='reflect' needs padding < input {axis} {size}, "
                             f"got padding {largest}")
        if mode == "circular" and largest > size:
            raise ValueError(f"padding_mode='circular' needs padding <= input {axis} {size}, "
                             f"got padding {largest}")


def pad2d(x, pads, mode="zeros", value=0.0):
    """Pad the last two axes of ``x`` by ``pads = ((top, bottom), (left, right))``.

    ``mode`` is a Conv2d ``padding_mode``; ``'zeros'`` pads with ``value``.

    Examples
    --------
    >>> pad2d(np.arange(3.0).reshape(1, 3), ((0, 0), (2, 1)), "reflect")
    array([[2., 1., 0., 1., 2., 1.]])
    """
    if not any(any(p) for p in pads):
        return x
    _check_pads(pads, x.shape, mode)
    (top, bottom), (left, right) = pads
    if mode == "zeros":  # a filled array and one copy: several times faster than np.pad
        out = np.full(x.shape[:-2] + (x.shape[-2] + top + bottom, x.shape[-1] + left + right),
                      value, dtype=x.dtype)
        out[..., top:top + x.shape[-2], left:left + x.shape[-1]] = x
        return out
    widths = [(0, 0)] * (x.ndim - 2) + [(top, bottom), (left, right)]
    return np.pad(x, widths, mode=PAD_MODES[mode])


def _pad_matrix(size, before, after, mode):
    """The ``(size + before + after, size)`` 0/1 matrix that pads one axis: ``A @ v``."""
    index = np.pad(np.arange(size), (before, after), mode=PAD_MODES[mode])
    return (index[:, None] == np.arange(size)[None, :]).astype(np.float64)


def pad2d_backward(grad, pads, mode, shape):
    r"""Gradient of :func:`pad2d`: fold the padded gradient back onto the input of ``shape``.

    Zero padding crops. The other modes copy input pixels, so each axis is a 0/1 matrix
    :math:`A` with :math:`x_{pad} = A_h\, x\, A_w^\top`, whose adjoint is
    :math:`A_h^\top G A_w`.
    """
    (top, bottom), (left, right) = pads
    height, width = shape[-2:]
    if mode == "zeros" or not (top or bottom or left or right):
        return grad[..., top:top + height, left:left + width]
    a_h = _pad_matrix(height, top, bottom, mode)
    a_w = _pad_matrix(width, left, right, mode)
    return a_h.T @ grad @ a_w


def im2col(xp, kernel_size, stride, dilation):
    """Columns ``(C, kH, kW, N, H_out, W_out)`` of the padded input ``xp`` ``(N, C, H, W)``.

    One strided view (``sliding_window_view``) and one copy; no loop over output pixels.

    Examples
    --------
    >>> cols = im2col(np.arange(16.0).reshape(1, 1, 4, 4), (3, 3), (1, 1), (1, 1))
    >>> cols.shape
    (1, 3, 3, 1, 2, 2)
    >>> cols[0, :, :, 0, 0, 0]
    array([[ 0.,  1.,  2.],
           [ 4.,  5.,  6.],
           [ 8.,  9., 10.]])
    """
    (kh, kw), (sh, sw), (dh, dw) = kernel_size, stride, dilation
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    windows = sliding_window_view(xp, span, axis=(2, 3))[:, :, ::sh, ::sw, ::dh, ::dw]
    return np.ascontiguousarray(windows.transpose(1, 4, 5, 0, 2, 3))


def col2im(cols, xp_shape, stride, dilation):
    """Adjoint of :func:`im2col`: sum columns ``(C, kH, kW, N, H_out, W_out)`` back into an
    array of ``xp_shape`` ``(N, C, H, W)``, one strided slice per kernel position.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> back = col2im(np.ones((1, 3, 3, 1, 2, 2)), x.shape, (1, 1), (1, 1))
    >>> back[0, 0].astype(int)  # how many windows cover each pixel
    array([[1, 2, 2, 1],
           [2, 4, 4, 2],
           [2, 4, 4, 2],
           [1, 2, 2, 1]])
    """
    _, kh, kw, _, ho, wo = cols.shape
    (sh, sw), (dh, dw) = stride, dilation
    out = np.zeros((xp_shape[1], xp_shape[0]) + tuple(xp_shape[2:]), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, :, i * dh:i * dh + sh * (ho - 1) + 1:sh,
                j * dw:j * dw + sw * (wo - 1) + 1:sw] += cols[:, i, j]
    return out.transpose(1, 0, 2, 3)


def _grid(out_hw, kernel_size, stride, dilation):
    """Output grid ``(H_out + a, W_out + b)``: ``a, b`` are the largest tap shifts in strides."""
    return tuple(o + d * (k - 1) // s
                 for o, k, s, d in zip(out_hw, kernel_size, stride, dilation))


def grid_taps(kernel_size, stride, dilation, grid):
    """Yield ``(i, j, p, q, shift)`` per kernel position ``(i, j)`` in row-major order: the
    stride phase ``(p, q)`` it reads and the flat shift of its slice in that phase's plane.

    Examples
    --------
    >>> [t[2:] for t in grid_taps((1, 3), (1, 2), (1, 1), (4, 5))]
    [(0, 0, 0), (0, 1, 0), (0, 0, 1)]
    """
    (kh, kw), (sh, sw), (dh, dw) = kernel_size, stride, dilation
    for i in range(kh):
        for j in range(kw):
            (a, p), (b, q) = divmod(i * dh, sh), divmod(j * dw, sw)
            yield i, j, p, q, a * grid[1] + b


def plane_layout(xp_shape, kernel_size, stride, dilation, out_hw):
    """Shape ``(s_H, s_W, C, N * rows * cols + tail)`` of :func:`phase_planes`' planes for an
    input of ``xp_shape`` ``(N, C, H, W)``, and the grid ``(rows, cols)``, without the input.

    Examples
    --------
    >>> plane_layout((1, 1, 4, 4), (2, 2), (2, 2), (1, 1), (2, 2))
    ((2, 2, 1, 4), (2, 2))
    """
    grid = _grid(out_hw, kernel_size, stride, dilation)
    tail = max(shift for *_, shift in grid_taps(kernel_size, stride, dilation, grid))
    return tuple(stride) + (xp_shape[1], xp_shape[0] * grid[0] * grid[1] + tail), grid


def phase_planes(xp, kernel_size, stride, dilation, out_hw, fill=0.0):
    """The stride phases ``xp[n, c, p::s_H, q::s_W]`` of ``xp`` ``(N, C, H, W)``, each cropped
    or ``fill``-padded to the output grid and flattened over ``(N, rows, cols)``.

    Returns ``planes`` ``(s_H, s_W, C, N * rows * cols + tail)`` and the grid ``(rows, cols)``.
    The value kernel position ``(i, j)`` contributes to grid position ``m`` is
    ``planes[p, q, c, m + shift]`` (see :func:`grid_taps`); positions past a row's end read the
    next row, which only ever happens for grid cells outside ``out_hw``.

    Examples
    --------
    >>> planes, grid = phase_planes(np.arange(16.0).reshape(1, 1, 4, 4), (2, 2), (2, 2),
    ...                             (1, 1), (2, 2))
    >>> planes.shape, grid, planes[0, 1, 0]          # odd columns of even rows
    ((2, 2, 1, 4), (2, 2), array([ 1.,  3.,  9., 11.]))
    """
    n, channels = xp.shape[:2]
    (sh, sw) = stride
    shape, grid = plane_layout(xp.shape, kernel_size, stride, dilation, out_hw)
    size = n * grid[0] * grid[1]
    planes = np.empty(shape, dtype=xp.dtype)
    planes[..., size:] = fill
    for p in range(sh):
        for q in range(sw):
            phase = xp[:, :, p::sh, q::sw][:, :, :grid[0], :grid[1]]
            rows, cols = phase.shape[2:]
            view = planes[p, q, :, :size].reshape(channels, n, *grid)
            view[:, :, :rows, :cols] = phase.transpose(1, 0, 2, 3)
            view[:, :, rows:] = fill                   # grid cells the input does not reach
            view[:, :, :, cols:] = fill
    return planes, grid


def grid_columns(planes, kernel_size, stride, dilation, grid, start, stop):
    """Columns ``(C, kH, kW, stop - start)`` of grid positions ``start:stop`` (flat over
    ``(N, rows, cols)``) from :func:`phase_planes`: one contiguous slice copy per kernel
    position."""
    out = np.empty((planes.shape[2],) + tuple(kernel_size) + (stop - start,),
                   dtype=planes.dtype)
    for i, j, p, q, shift in grid_taps(kernel_size, stride, dilation, grid):
        out[:, i, j] = planes[p, q, :, start + shift:stop + shift]
    return out


def add_grid_columns(planes, cols, stride, dilation, grid, start):
    """Adjoint of :func:`grid_columns`: add columns ``(C, kH, kW, m)`` of grid positions
    ``start:start + m`` into ``planes`` in place, one contiguous slice add per kernel position."""
    stop = start + cols.shape[-1]
    for i, j, p, q, shift in grid_taps(cols.shape[1:3], stride, dilation, grid):
        planes[p, q, :, start + shift:stop + shift] += cols[:, i, j]


def planes_to_image(planes, xp_shape, stride, grid):
    """Adjoint of :func:`phase_planes`: put each phase plane back into an array of
    ``xp_shape`` (pixels no grid cell reaches get 0; the planes' padding is dropped)."""
    (sh, sw), (n, channels) = stride, xp_shape[:2]
    out = np.zeros(xp_shape, dtype=planes.dtype)
    for p in range(sh):
        for q in range(sw):
            target = out[:, :, p::sh, q::sw][:, :, :grid[0], :grid[1]]
            view = planes[p, q, :, :n * grid[0] * grid[1]].reshape(channels, n, *grid)
            target[...] = view[:, :, :target.shape[2], :target.shape[3]].transpose(1, 0, 2, 3)
    return out


def im2col_grid(xp, kernel_size, stride, dilation, out_hw):
    """:func:`im2col` on the output grid of :func:`phase_planes`: columns
    ``(C, kH, kW, N, rows, cols)`` whose ``[..., :H_out, :W_out]`` part is ``im2col(xp, ...)``.

    Examples
    --------
    >>> xp = np.arange(50.0).reshape(1, 2, 5, 5)
    >>> grid_cols = im2col_grid(xp, (3, 3), (2, 2), (1, 1), (2, 2))
    >>> grid_cols.shape
    (2, 3, 3, 1, 3, 3)
    >>> np.array_equal(grid_cols[..., :2, :2], im2col(xp, (3, 3), (2, 2), (1, 1)))
    True
    """
    planes, grid = phase_planes(xp, kernel_size, stride, dilation, out_hw)
    size = xp.shape[0] * grid[0] * grid[1]
    cols = grid_columns(planes, kernel_size, stride, dilation, grid, 0, size)
    return cols.reshape(cols.shape[:3] + (xp.shape[0],) + grid)


def col2im_grid(cols, xp_shape, stride, dilation):
    """Adjoint of :func:`im2col_grid`, for columns that are zero outside ``[..., :H_out, :W_out]``
    (as ``W^T G`` is when ``G`` is). Returns an array of ``xp_shape``.

    Examples
    --------
    >>> cols = np.zeros((1, 3, 3, 1, 4, 4))
    >>> cols[..., :2, :2] = 1.0
    >>> np.array_equal(col2im_grid(cols, (1, 1, 4, 4), (1, 1), (1, 1)),
    ...                col2im(np.ones((1, 3, 3, 1, 2, 2)), (1, 1, 4, 4), (1, 1), (1, 1)))
    True
    """
    channels, kh, kw, n, *grid = cols.shape
    grid, size = tuple(grid), n * grid[0] * grid[1]
    tail = max(shift for *_, shift in grid_taps((kh, kw), stride, dilation, grid))
    planes = np.zeros(tuple(stride) + (channels, size + tail), dtype=cols.dtype)
    add_grid_columns(planes, cols.reshape(channels, kh, kw, size), stride, dilation, grid, 0)
    return planes_to_image(planes, xp_shape, stride, grid)
