r"""Convolution layers ``Conv1d``, ``Conv2d`` and ``ConvTranspose2d``; the maths (im2col forward
and backward) is in :mod:`dlcore.functional.conv` (a 1-D convolution runs as a 2-D one of
height 1; a transposed convolution runs as a convolution's input gradient).
"""

from __future__ import annotations

import math

import numpy as np

from ..checks import as_array, check_choice, check_int, pair
from ..functional.conv import (_backward, _check_input, _check_output_size, _forward,
                               _resolve_padding, _transpose_backward, _transpose_forward,
                               conv_transpose2d_output_size, transpose_output_padding)
from ..random import as_generator
from .module import Module, Parameter

__all__ = ["Conv1d", "Conv2d", "ConvTranspose2d"]


def _check_channels(in_channels, out_channels, groups):
    """``(in_channels, out_channels, groups)``, checked: positive ints, both channel counts
    divisible by ``groups``."""
    checked = [check_int(name, value, minimum=1) for name, value in
               (("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups))]
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
        if value % checked[2]:
            raise ValueError(f"{name} must be divisible by groups, got {name}={value}, "
                             f"groups={groups}")
    return tuple(checked)


def _init_parameters(shape, out_channels, bias, rng, dtype):
    r"""PyTorch's initialisation of a convolution's ``weight`` of ``shape`` and its bias:
    ``kaiming_uniform_(a=sqrt(5))``, i.e. :math:`U(-1/\sqrt f, 1/\sqrt f)` for both, with
    ``torch.nn.init``'s fan-in :math:`f` = ``shape[1] * kH * kW``."""
    if not isinstance(bias, bool):
        raise TypeError(f"bias must be a bool, got {bias!r}")
    gen = as_generator(rng)
    bound = 1.0 / math.sqrt(math.prod(shape[1:]))
    weight = Parameter(gen.uniform(-bound, bound, shape).astype(dtype))
    return weight, (Parameter(gen.uniform(-bound, bound, out_channels).astype(dtype))
                    if bias else None)


def _upstream(layer, grad_out):
    """``(cache, batched, grad)`` for a convolution layer's backward: the saved forward state
    and ``grad_out`` checked against the output's shape and reshaped to the batched output."""
    cache, batched, y_shape = layer._saved("cache", "batched", "y_shape")
    grad = np.asarray(grad_out, dtype=layer.weight.data.dtype)
    expected = y_shape if batched else y_shape[1:]
    if grad.shape != expected:
        raise ValueError(f"{type(layer).__name__}({layer.extra_repr()}) grad_out has shape "
                         f"{grad.shape}, expected {expected}")
    return cache, batched, grad.reshape(y_shape)


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
        self.in_channels, self.out_channels, self.groups = _check_channels(
            in_channels, out_channels, groups)
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
        shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        self.weight, self.bias = _init_parameters(shape, self.out_channels, bias, rng, dtype)

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
        cache, batched, grad = _upstream(self, grad_out)
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


class ConvTranspose2d(Module):
    r"""2-D transposed convolution layer, as ``torch.nn.ConvTranspose2d``.

    Each input pixel scatters a copy of the kernel, scaled by the pixel's value, into the
    output; the copies are ``stride`` pixels apart and add where they overlap. It is the adjoint
    (the input gradient) of :class:`Conv2d` with the same weight and arguments, not its inverse,
    and it is computed that way: the forward pass is ``Conv2d``'s input-gradient kernel, the
    backward pass ``Conv2d``'s forward kernel (for the input gradient) and its weight-gradient
    kernel.

    Parameters
    ----------
    in_channels, out_channels : int
        Both divisible by ``groups``.
    kernel_size : int or (int, int)
    stride : int or (int, int), default 1
        Spacing of the scattered copies: the upsampling factor.
    padding : int or (int, int), default 0
        Rows and columns cropped from each side of the full output (the padding of the
        convolution this layer is the adjoint of).
    output_padding : int or (int, int), default 0
        Rows and columns added at the bottom and right, to pick one of the ``stride`` input
        sizes that the convolution maps to the same output size; must be smaller than the
        stride or the dilation.
    groups : int, default 1
    bias : bool, default True
    dilation : int or (int, int), default 1
    padding_mode : {'zeros'}
        The only mode PyTorch supports for transposed convolutions.
    rng : numpy.random.Generator, int or None
        Source of the initial weights.
    dtype : numpy dtype, default float64

    Notes
    -----
    Shapes: input ``(N, C_in, H, W)`` or ``(C_in, H, W)``; output ``(N, C_out, H_out, W_out)``
    with :math:`H_{out} = (H - 1)s - 2p + d(k - 1) + p_{out} + 1`; ``weight``
    ``(C_in, C_out/groups, kH, kW)`` (input channels first, the reverse of ``Conv2d``'s),
    ``bias`` ``(C_out,)``. Parameters: :math:`C_{in} (C_{out}/g)\, k_H k_W + C_{out}`.
    Initialisation as PyTorch's: :math:`W, b \sim U(-1/\sqrt{f}, 1/\sqrt{f})` with
    :math:`f = (C_{out}/g)\, k_H k_W` (``torch.nn.init`` reads the fan-in from the weight's
    second axis). ``forward(input, output_size=None)`` accepts a target size instead of a fixed
    ``output_padding``, as PyTorch's does.

    Examples
    --------
    >>> up = ConvTranspose2d(8, 4, 4, stride=2, padding=1, rng=0)
    >>> up
    ConvTranspose2d(8, 4, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1))
    >>> y = up(np.ones((1, 8, 5, 5)))
    >>> y.shape, up.weight.shape
    ((1, 4, 10, 10), (8, 4, 4, 4))
    >>> up.backward(np.ones_like(y)).shape
    (1, 8, 5, 5)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", rng=None, dtype=np.float64):
        super().__init__()
        self.in_channels, self.out_channels, self.groups = _check_channels(
            in_channels, out_channels, groups)
        self.kernel_size = pair("kernel_size", kernel_size, minimum=1)
        self.stride = pair("stride", stride, minimum=1)
        self.padding = pair("padding", padding, minimum=0)
        self.output_padding = pair("output_padding", output_padding, minimum=0)
        self.dilation = pair("dilation", dilation, minimum=1)
        if isinstance(padding_mode, str) and padding_mode in ("reflect", "replicate", "circular"):
            raise ValueError(f"ConvTranspose2d supports only padding_mode='zeros' (as PyTorch), "
                             f"got padding_mode={padding_mode!r}")
        self.padding_mode = check_choice("padding_mode", padding_mode, ("zeros",))
        for a in range(2):
            if self.output_padding[a] >= max(self.stride[a], self.dilation[a]):
                raise ValueError(f"output_padding must be smaller than stride or dilation, got "
                                 f"output_padding={output_padding!r}, stride={stride!r}, "
                                 f"dilation={dilation!r}")
        shape = (self.in_channels, self.out_channels // self.groups) + self.kernel_size
        self.weight, self.bias = _init_parameters(shape, self.out_channels, bias, rng, dtype)

    def _layer(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def forward(self, x, output_size=None):
        x = as_array("input", x, dtype=self.weight.data.dtype)
        if x.ndim not in (3, 4):
            raise ValueError(f"{self._layer()} input must be (N, C, H, W) or (C, H, W), got "
                             f"shape {tuple(x.shape)}")
        batched = x if x.ndim == 4 else x[None]
        _check_input(batched, self.in_channels, self._layer())
        output_padding = self.output_padding if output_size is None else \
            transpose_output_padding(batched.shape[2:], output_size, self.kernel_size,
                                     self.stride, self.padding, self.dilation)
        bias = None if self.bias is None else self.bias.data
        y, cache = _transpose_forward(batched, self.weight.data, bias, self.stride, self.padding,
                                      output_padding, self.dilation, self.groups)
        self._save(cache=cache, batched=x.ndim == 4, y_shape=y.shape)
        return y if x.ndim == 4 else y[0]

    def backward(self, grad_out):
        cache, batched, grad = _upstream(self, grad_out)
        grad_x, grad_w, grad_b = _transpose_backward(grad, self.weight.data,
                                                     cache, self.stride, self.dilation,
                                                     self.groups)
        self.weight.accumulate(grad_w)
        if self.bias is not None:
            self.bias.accumulate(grad_b)
        return grad_x if batched else grad_x[0]

    def output_size(self, size):
        """Spatial output size for an input of ``size`` ``(H, W)`` (``output_padding`` as set)."""
        return conv_transpose2d_output_size(tuple(size), self.kernel_size, self.stride,
                                            self.padding, self.output_padding, self.dilation)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0, 0):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s
