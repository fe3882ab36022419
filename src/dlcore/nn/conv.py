r"""2-D convolution layer ``Conv2d``; the maths (im2col forward and backward) is in
:mod:`dlcore.functional.conv`.
"""

from __future__ import annotations

import math

import numpy as np

from ..checks import as_array, check_choice, check_int, pair
from ..functional.conv import (_backward, _check_input, _check_output_size, _forward,
                               _resolve_padding)
from ..random import as_generator
from .module import Module, Parameter

__all__ = ["Conv2d"]


class Conv2d(Module):
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
        self.kernel_size = pair("kernel_size", kernel_size, minimum=1)
        self.stride = pair("stride", stride, minimum=1)
        self.dilation = pair("dilation", dilation, minimum=1)
        self.padding_mode = check_choice("padding_mode", padding_mode, ("zeros", "reflect",
                                                                        "replicate", "circular"))
        self._pads = _resolve_padding(padding, self.kernel_size, self.stride, self.dilation)
        self.padding = padding if isinstance(padding, str) else pair("padding", padding)
        if not isinstance(bias, bool):
            raise TypeError(f"bias must be a bool, got {bias!r}")
        gen = as_generator(rng)
        fan_in = self.in_channels // self.groups * self.kernel_size[0] * self.kernel_size[1]
        bound = 1.0 / math.sqrt(fan_in)
        shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        self.weight = Parameter(gen.uniform(-bound, bound, shape).astype(dtype))
        self.bias = (Parameter(gen.uniform(-bound, bound, self.out_channels).astype(dtype))
                     if bias else None)

    def _layer(self) -> str:
        return f"Conv2d({self.extra_repr()})"

    def forward(self, x):
        x = as_array("input", x, dtype=self.weight.data.dtype)
        _check_input(x, self.in_channels, self._layer())
        batched = x if x.ndim == 4 else x[None]
        _check_output_size(batched, self.kernel_size, self.stride, self._pads, self.dilation)
        bias = None if self.bias is None else self.bias.data
        y, cache = _forward(batched, self.weight.data, bias, self.stride, self._pads,
                            self.dilation, self.groups, self.padding_mode)
        self._save(cache=cache, batched=x.ndim == 4, y_shape=y.shape)
        return y if x.ndim == 4 else y[0]

    def backward(self, grad_out):
        cache, batched, y_shape = self._saved("cache", "batched", "y_shape")
        grad = np.asarray(grad_out, dtype=self.weight.data.dtype)
        expected = y_shape if batched else y_shape[1:]
        if grad.shape != expected:
            raise ValueError(f"{self._layer()} grad_out has shape {grad.shape}, expected "
                             f"{expected}")
        grad_x, grad_w, grad_b = _backward(grad.reshape(y_shape), self.weight.data, cache,
                                           self.stride, self._pads, self.dilation, self.groups,
                                           self.padding_mode)
        self.weight.accumulate(grad_w)
        if self.bias is not None:
            self.bias.accumulate(grad_b)
        return grad_x if batched else grad_x[0]

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s
