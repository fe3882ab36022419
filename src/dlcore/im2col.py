r"""im2col and its adjoint col2im, plus padding and its adjoint, for 2-D convolution.

im2col lays every receptive-field patch of an input out as a column, so that a convolution
becomes one matrix product :cite:p:`dumoulin2016`:

.. math::

    \text{cols}[c, i, j, n, h, w] = x_{pad}[n, c,\; h s_h + i d_h,\; w s_w + j d_w],

shaped ``(C, kH, kW, N, H_out, W_out)`` and read as a ``(C kH kW) x (N H_out W_out)`` matrix.
col2im is its adjoint (the backward pass): each column entry is added back to the pixel it
came from, one strided slice per kernel position, so overlapping windows accumulate.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["PAD_MODES", "pad2d", "pad2d_backward", "im2col", "col2im"]

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
