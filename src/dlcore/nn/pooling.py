r"""Max and average pooling layers: ``MaxPool2d``, ``AvgPool2d``; the maths (forward and
backward kernels) is in :mod:`dlcore.functional.pooling`.
"""

from __future__ import annotations

import numpy as np

from ..checks import check_int
from ..functional.pooling import (_as_batched, _avg_backward, _avg_forward, _check_bool,
                                  _max_backward, _max_forward, _pool_args)
from .module import Module

__all__ = ["MaxPool2d", "AvgPool2d"]


class _Pool2d(Module):
    """Shared argument handling: PyTorch keeps the arguments as given (int or tuple)."""

    def __init__(self, kernel_size, stride, padding, dilation, ceil_mode):
        super().__init__()
        self._k, self._s, self._p, self._d = _pool_args(kernel_size, stride, padding, dilation)
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode = _check_bool("ceil_mode", ceil_mode)

    def _backward_shape(self, grad_out):
        y_shape, batched, dtype = self._saved("y_shape", "batched", "dtype")
        grad = np.asarray(grad_out, dtype=dtype)
        expected = y_shape if batched else y_shape[1:]
        if grad.shape != expected:
            raise ValueError(f"{type(self).__name__} grad_out has shape {grad.shape}, expected "
                             f"{expected}")
        return grad.reshape(y_shape), batched

    def _unbatch(self, values, batched):
        return values if batched else tuple(v[0] for v in values)


class MaxPool2d(_Pool2d):
    r"""Max pooling layer, as ``torch.nn.MaxPool2d`` (see :func:`max_pool2d`).

    Parameters
    ----------
    kernel_size : int or (int, int)
    stride : int, (int, int) or None, default None (= kernel_size)
    padding : int or (int, int), default 0
        Implicit :math:`-\infty` padding, at most half the kernel size.
    dilation : int or (int, int), default 1
    return_indices : bool, default False
        ``forward`` returns ``(output, indices)``.
    ceil_mode : bool, default False

    Notes
    -----
    Shapes: ``(N, C, H, W) -> (N, C, H_out, W_out)`` (or without N). No parameters.
    Backward: each output's gradient is added to the input pixel that won its window (the
    first maximum in row-major window order); overlapping windows can route several
    gradients to one pixel.

    Examples
    --------
    >>> pool = MaxPool2d(2)
    >>> pool
    MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
    >>> x = np.array([[[[1., 2], [4, 4]]]])
    >>> pool(x)
    array([[[[4.]]]])
    >>> pool.backward(np.ones((1, 1, 1, 1)))  # the first of the tied maxima gets it
    array([[[[0., 0.],
             [1., 0.]]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__(kernel_size, stride, padding, dilation, ceil_mode)
        self.dilation = dilation
        self.return_indices = _check_bool("return_indices", return_indices)

    def forward(self, x):
        xb = _as_batched(x, "MaxPool2d")
        y, idx = _max_forward(xb, self._k, self._s, self._p, self._d, self.ceil_mode)
        self._save(indices=idx, x_shape=xb.shape, y_shape=y.shape, batched=np.ndim(x) == 4,
                   dtype=y.dtype)
        y, idx = self._unbatch((y, idx.astype(np.int64)), np.ndim(x) == 4)
        return (y, idx) if self.return_indices else y

    def backward(self, grad_out):
        grad, batched = self._backward_shape(grad_out)
        indices, x_shape = self._saved("indices", "x_shape")
        grad_x = _max_backward(grad, indices, x_shape)
        return grad_x if batched else grad_x[0]

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(_Pool2d):
    r"""Average pooling layer, as ``torch.nn.AvgPool2d`` (see :func:`avg_pool2d`).

    Parameters
    ----------
    kernel_size : int or (int, int)
    stride : int, (int, int) or None, default None (= kernel_size)
    padding : int or (int, int), default 0
        Implicit zero padding, at most half the kernel size.
    ceil_mode : bool, default False
    count_include_pad : bool, default True
        Count the padding in the divisor.
    divisor_override : int or None
        Divide every window sum by this instead.

    Notes
    -----
    Shapes: ``(N, C, H, W) -> (N, C, H_out, W_out)``. No parameters. Backward: each output's
    gradient, divided by its divisor, is spread over its window (padding discarded).

    Examples
    --------
    >>> pool = AvgPool2d(2)
    >>> pool
    AvgPool2d(kernel_size=2, stride=2, padding=0)
    >>> pool(np.arange(4.0).reshape(1, 1, 2, 2))
    array([[[[1.5]]]])
    >>> pool.backward(np.ones((1, 1, 1, 1)))
    array([[[[0.25, 0.25],
             [0.25, 0.25]]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__(kernel_size, stride, padding, 1, ceil_mode)
        self.count_include_pad = _check_bool("count_include_pad", count_include_pad)
        if divisor_override is not None and check_int("divisor_override", divisor_override) == 0:
            raise ValueError("divisor_override must be a non-zero integer or None, got 0")
        self.divisor_override = divisor_override

    def forward(self, x):
        xb = _as_batched(x, "AvgPool2d")
        y, (xp_shape, divisor) = _avg_forward(xb, self._k, self._s, self._p, self.ceil_mode,
                                              self.count_include_pad, self.divisor_override)
        self._save(x_shape=xb.shape, xp_shape=xp_shape, divisor=divisor, y_shape=y.shape,
                   batched=np.ndim(x) == 4, dtype=y.dtype)
        return y if np.ndim(x) == 4 else y[0]

    def backward(self, grad_out):
        grad, batched = self._backward_shape(grad_out)
        x_shape, xp_shape, divisor = self._saved("x_shape", "xp_shape", "divisor")
        grad_x = _avg_backward(grad, x_shape, xp_shape, divisor, self._k, self._s, self._p)
        return grad_x if batched else grad_x[0]

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
