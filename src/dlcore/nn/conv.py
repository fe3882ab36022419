r"""Convolution layers ``Conv1d`` and ``Conv2d``; the maths (im2col forward and backward) is
in :mod:`dlcore.functional.conv` (a 1-D convolution runs as a 2-D one of height 1).
"""

from __future__ import annotations

import math

import numpy as np

from ..checks import as_array, check_choice, check_int, pair
from ..functional.conv import (_backward, _check_input, _check_output_size, _forward,
                               _resolve_padding)
from ..random import as_generator
from .module import Module, Parameter

__all__ = ["Conv1d", "Conv2d"]


class _ConvNd(Module):
    """Shared code of Conv1d and Conv2d. A 1-D convolution runs as a 2-D one on a height-1
    image (kernel ``(1, k)``): ``_dims`` is 1 or 2, the public ``kernel_size``, ``stride``,
    ``padding`` and ``dilation`` are ``_dims``-tuples as in PyTorch, and ``_k2``, ``_s2``,
    ``_pads``, ``_d2`` are their 2-D forms."""

    _dims = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 rng=None, dtype=np.float64):
        super().__init__()
        self.in_channels = check_int("in_channels", in_channels, minimum=1)
        self.out_channels = check_int("out_channels", out_channels, minimum=1)
        self.groups = check_int("groups", groups, minimum=1)
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if value % self.groups:
                raise ValueError(f"{name} must be divisible by groups, got {name}={value}, "
                                 f"groups={groups}")
        self.kernel_size = self._tuple("kernel_size", kernel_size, 1)
        self.stride = self._tuple("stride", stride, 1)
        self.dilation = self._tuple("dilation", dilation, 1)
        self.padding_mode = check_choice("padding_mode", padding_mode, ("zeros", "reflect",
                                                                        "replicate", "circular"))
        self._k2, self._s2, self._d2 = (self._as2(v, 1) for v in (self.kernel_size, self.stride,
                                                                  self.dilation))
        self.padding = padding if isinstance(padding, str) else self._tuple("padding", padding, 0)
        self._pads = _resolve_padding(padding if isinstance(padding, str) else
                                      self._as2(self.padding, 0), self._k2, self._s2, self._d2)
        if not isinstance(bias, bool):
            raise TypeError(f"bias must be a bool, got {bias!r}")
        gen = as_generator(rng)
        fan_in = self.in_channels // self.groups * math.prod(self.kernel_size)
        bound = 1.0 / math.sqrt(fan_in)
        shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        self.weight = Parameter(gen.uniform(-bound, bound, shape).astype(dtype))
        self.bias = (Parameter(gen.uniform(-bound, bound, self.out_channels).astype(dtype))
                     if bias else None)

    def _tuple(self, name, value, minimum):
        if self._dims == 2:
            return pair(name, value, minimum=minimum)
        if isinstance(value, (tuple, list)):
            if len(value) != 1:
                raise ValueError(f"{name} must be an int or a 1-tuple, got {value!r}")
            value = value[0]
        return (check_int(name, value, minimum=minimum),)

    def _as2(self, t, fill):
        """A ``_dims``-tuple as the (height, width) pair of the 2-D computation: a 1-D
        argument gets the height entry ``fill`` (1 for sizes, 0 for padding)."""
        return t if self._dims == 2 else (fill,) + t

    def _layer(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def forward(self, x):
        x = as_array("input", x, dtype=self.weight.data.dtype)
        d = self._dims
        if x.ndim not in (d + 1, d + 2):
            raise ValueError(f"{self._layer()} input must be {self._layout}, got shape "
                             f"{tuple(x.shape)}")
        batched = x if x.ndim == d + 2 else x[None]
        x4 = batched if d == 2 else batched[:, :, None, :]
        _check_input(x4, self.in_channels, self._layer())
        _check_output_size(x4, self._k2, self._s2, self._pads, self._d2)
        bias = None if self.bias is None else self.bias.data
        y, cache = _forward(x4, self._weight2(), bias, self._s2, self._pads, self._d2,
                            self.groups, self.padding_mode)
        y = y if d == 2 else y[:, :, 0, :]
        self._save(cache=cache, batched=x.ndim == d + 2, y_shape=y.shape)
        return y if x.ndim == d + 2 else y[0]

    def _weight2(self):
        w = self.weight.data
        return w if self._dims == 2 else w[:, :, None, :]

    def backward(self, grad_out):
        cache, batched, y_shape = self._saved("cache", "batched", "y_shape")
        grad = np.asarray(grad_out, dtype=self.weight.data.dtype)
        expected = y_shape if batched else y_shape[1:]
        if grad.shape != expected:
            raise ValueError(f"{self._layer()} grad_out has shape {grad.shape}, expected "
                             f"{expected}")
        grad = grad.reshape(y_shape)
        grad4 = grad if self._dims == 2 else grad[:, :, None, :]
        grad_x, grad_w, grad_b = _backward(grad4, self._weight2(), cache, self._s2, self._pads,
                                           self._d2, self.groups, self.padding_mode)
        self.weight.accumulate(grad_w.reshape(self.weight.data.shape))
        if self.bias is not None:
            self.bias.accumulate(grad_b)
        grad_x = grad_x if self._dims == 2 else grad_x[:, :, 0, :]
        return grad_x if batched else grad_x[0]

    def extra_repr(self) -> str:
        zero, one = (0,) * self._dims, (1,) * self._dims
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != zero:
            s += f", padding={self.padding}"
        if self.dilation != one:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv2d(_ConvNd):
    r"""2-D convolution layer, as ``torch.nn.Conv2d``, computed with im2col.

    Parameters
    ----------
    in_channels, out_channels : int
        Both divisible by ``groups``.
    kernel_size : int or (int, int)
    stride : int or (int, int), default 1
    padding : int, (int, int), 'valid' or 'same', default 0
        ``'same'`` keeps the spatial size (stride 1 only); an odd total padding puts the extra
        pixel at the bottom/right, as PyTorch does.
    dilation : int or (int, int), default 1
        Spacing between kernel taps; the kernel spans :math:`d(k-1)+1` pixels.
    groups : int, default 1
        Channels are split into ``groups`` independent convolutions
        (``groups == in_channels`` is a depthwise convolution).
    bias : bool, default True
    padding_mode : {'zeros', 'reflect', 'replicate', 'circular'}, default 'zeros'
    rng : numpy.random.Generator, int or None
        Source of the initial weights.
    dtype : numpy dtype, default float64

    Notes
    -----
    Shapes: input ``(N, C_in, H, W)`` or ``(C_in, H, W)``; output ``(N, C_out, H_out, W_out)``
    with :math:`H_{out} = \lfloor (H + 2p - d(k-1) - 1)/s \rfloor + 1`;
    ``weight`` ``(C_out, C_in/groups, kH, kW)``, ``bias`` ``(C_out,)``.
    Parameters: :math:`C_{out} (C_{in}/g)\, k_H k_W + C_{out}`.
    Initialisation is PyTorch's ``kaiming_uniform_(a=sqrt(5))``:
    :math:`W, b \sim U(-1/\sqrt{f}, 1/\sqrt{f})` with fan-in :math:`f = (C_{in}/g) k_H k_W`.

    Examples
    --------
    >>> conv = Conv2d(3, 8, 3, rng=0)
    >>> conv
    Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))
    >>> y = conv(np.ones((1, 3, 32, 32)))
    >>> y.shape, conv.weight.shape, conv.bias.shape
    ((1, 8, 30, 30), (8, 3, 3, 3), (8,))
    >>> conv.backward(np.ones_like(y)).shape
    (1, 3, 32, 32)
    """

    _layout = "(N, C, H, W) or (C, H, W)"


class Conv1d(_ConvNd):
    r"""1-D convolution layer, as ``torch.nn.Conv1d``, over sequences ``(N, C_in, L)`` or
    ``(C_in, L)``; every argument as in :class:`Conv2d`, each a single int (or 1-tuple).

    Computed as a 2-D convolution of a height-1 image with a ``(1, k)`` kernel, so it shares
    :class:`Conv2d`'s im2col kernels, padding modes and groups. Output length
    :math:`L_{out} = \lfloor (L + 2p - d(k-1) - 1)/s \rfloor + 1`; ``weight``
    ``(C_out, C_in/groups, k)``; initialisation :math:`U(-1/\sqrt{f}, 1/\sqrt{f})`,
    :math:`f = (C_{in}/g)\,k`, as PyTorch's.

    Examples
    --------
    >>> conv = Conv1d(4, 6, 3, padding=1, rng=0)
    >>> conv
    Conv1d(4, 6, kernel_size=(3,), stride=(1,), padding=(1,))
    >>> conv(np.ones((2, 4, 10))).shape, conv.weight.shape
    ((2, 6, 10), (6, 4, 3))
    """

    _dims = 1
    _layout = "(N, C, L) or (C, L)"
