r"""Pooling layers: ``MaxPool2d``, ``AvgPool2d``, their 1-D forms and the adaptive poolings;
the maths (forward and backward kernels) is in :mod:`dlcore.functional.pooling`.
"""

from __future__ import annotations

import numpy as np

from ..checks import check_int
from ..functional.pooling import (_adaptive_backward, _adaptive_forward, _adaptive_input,
                                  _adaptive_sizes, _as_batched, _as_batched1d, _avg_backward,
                                  _avg_forward, _check_bool, _max_backward, _max_forward,
                                  _pool1d_args, _pool_args)
from .module import Module

__all__ = ["MaxPool2d", "AvgPool2d", "MaxPool1d", "AvgPool1d", "AdaptiveAvgPool1d",
           "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d"]


class _Pool2d(Module):
    """Shared argument handling: PyTorch keeps the arguments as given (int or tuple)."""

    _args = staticmethod(_pool_args)  # the (h, w) pairs the kernels run with

    def __init__(self, kernel_size, stride, padding, dilation, ceil_mode):
        super().__init__()
        self._k, self._s, self._p, self._d = self._args(kernel_size, stride, padding, dilation)
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



class _Pool1d:
    """Mixin running a 2-D pooling layer on ``(N, C, L)`` as a height-1 image ``(N, C, 1, L)``."""

    _args = staticmethod(_pool1d_args)

    def forward(self, x):
        x = _as_batched1d(x, type(self).__name__)[0 if np.ndim(x) == 2 else slice(None)]
        out = super().forward(x)
        return tuple(o[..., 0, :] for o in out) if isinstance(out, tuple) else out[..., 0, :]

    def backward(self, grad_out):
        return super().backward(np.asarray(grad_out)[..., None, :])[..., 0, :]


class MaxPool1d(_Pool1d, MaxPool2d):
    r"""1-D max pooling over ``(N, C, L)`` or ``(C, L)``, as ``torch.nn.MaxPool1d``: the 2-D
    kernel on a height-1 image; ``return_indices`` gives positions along ``L``.

    Examples
    --------
    >>> MaxPool1d(2)(np.array([[1.0, 5.0, 3.0, 2.0]]))
    array([[5., 3.]])
    """


class AvgPool1d(_Pool1d, AvgPool2d):
    r"""1-D average pooling over ``(N, C, L)`` or ``(C, L)``, as ``torch.nn.AvgPool1d`` (no
    ``divisor_override``, as in PyTorch).

    Examples
    --------
    >>> AvgPool1d(2)(np.array([[1.0, 3.0, 5.0, 7.0]]))
    array([[2., 6.]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)
        # PyTorch keeps AvgPool1d's arguments as 1-tuples
        self.kernel_size, self.stride, self.padding = ((self._k[1],), (self._s[1],),
                                                        (self._p[1],))


class _AdaptivePool(Module):
    """Adaptive pooling to a fixed ``output_size`` over the last ``_dims`` axes."""

    _dims, _mode = 2, "avg"

    def __init__(self, output_size, return_indices: bool = False):
        super().__init__()
        _adaptive_sizes(output_size, (1,) * self._dims, type(self).__name__)  # validate now
        self.output_size = output_size
        if self._mode == "max":
            self.return_indices = _check_bool("return_indices", return_indices)

    def forward(self, x):
        x = _adaptive_input(x, self._dims, type(self).__name__)
        sizes = _adaptive_sizes(self.output_size, x.shape[x.ndim - self._dims:],
                                type(self).__name__)
        y, idx = _adaptive_forward(x, sizes, self._mode)
        self._save(x_shape=x.shape, sizes=sizes, indices=idx, dtype=x.dtype)
        return (y, idx) if self._mode == "max" and self.return_indices else y

    def backward(self, grad_out):
        x_shape, sizes, idx, dtype = self._saved("x_shape", "sizes", "indices", "dtype")
        grad = np.asarray(grad_out, dtype=dtype)
        expected = x_shape[:len(x_shape) - self._dims] + sizes
        if grad.shape != expected:
            raise ValueError(f"{type(self).__name__} grad_out has shape {grad.shape}, expected "
                             f"{expected}")
        return _adaptive_backward(grad, x_shape, sizes, idx)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePool):
    r"""Average over the windows that divide ``L`` into ``output_size`` parts, as
    ``torch.nn.AdaptiveAvgPool1d`` (:func:`~dlcore.functional.pooling.adaptive_windows`).

    Examples
    --------
    >>> AdaptiveAvgPool1d(2)(np.array([[1.0, 2.0, 3.0, 4.0]]))
    array([[1.5, 3.5]])
    """

    _dims, _mode = 1, "avg"

    def __init__(self, output_size):
        super().__init__(output_size)


class AdaptiveAvgPool2d(_AdaptivePool):
    r"""Average pooling to a fixed ``output_size`` grid (``None`` keeps that size), as
    ``torch.nn.AdaptiveAvgPool2d``; ``AdaptiveAvgPool2d(1)`` is global average pooling, the
    head that lets a CNN take any image size.

    Examples
    --------
    >>> AdaptiveAvgPool2d(1)(np.arange(8.0).reshape(2, 2, 2)).ravel()
    array([1.5, 5.5])
    """

    _dims, _mode = 2, "avg"

    def __init__(self, output_size):
        super().__init__(output_size)


class AdaptiveMaxPool1d(_AdaptivePool):
    r"""Max over the windows that divide ``L`` into ``output_size`` parts, as
    ``torch.nn.AdaptiveMaxPool1d``; the gradient goes to each window's maximum (the first
    of ties; a NaN wins).

    Examples
    --------
    >>> AdaptiveMaxPool1d(2)(np.array([[1.0, 5.0, 3.0, 2.0]]))
    array([[5., 3.]])
    """

    _dims, _mode = 1, "max"


class AdaptiveMaxPool2d(_AdaptivePool):
    r"""Max pooling to a fixed ``output_size`` grid, as ``torch.nn.AdaptiveMaxPool2d``
    (indices are flat ``h * W + w`` in each input plane).

    Examples
    --------
    >>> AdaptiveMaxPool2d(2)(np.arange(16.0).reshape(1, 4, 4))
    array([[[ 5.,  7.],
            [13., 15.]]])
    """

    _dims, _mode = 2, "max"
