r"""2-D convolution through im2col: ``Conv2d`` and the functional ``conv2d``.

Deep-learning "convolution" is cross-correlation: with weight :math:`W` of shape
``(C_out, C_in / groups, kH, kW)``,

.. math::

    y[n, o, h, w] = b_o + \sum_{c, i, j} W[o, c, i, j]\;
                    x_{pad}[n, g(o) C_g + c,\; h s_h + i d_h,\; w s_w + j d_w].

im2col turns that into one matrix product per group, ``W (O/g, C/g kH kW) @ cols (C/g kH kW,
N H_out W_out)``, and the backward pass into two more:
:math:`\partial L/\partial W = G\,\text{cols}^\top`,
:math:`\partial L/\partial \text{cols} = W^\top G`, followed by col2im. The columns are built
on :func:`~dlcore.im2col.im2col_grid`'s grid, a block of output positions at a time, so each
block goes from its copy through its products while it is still in cache.
"""

from __future__ import annotations

import math

import numpy as np

from ..checks import as_array, check_choice, check_int, pair
from ..im2col import (add_grid_columns, grid_columns, pad2d, pad2d_backward, phase_planes,
                      planes_to_image)
from ..random import as_generator
from ..shapes import conv2d_output_size, same_padding
from .module import Module, Parameter

__all__ = ["Conv2d"]
__functional__ = ["conv2d"]


def _resolve_padding(padding, kernel_size, stride, dilation):
    """``((top, bottom), (left, right))`` for an int, a pair, ``'valid'`` or ``'same'``."""
    if isinstance(padding, str):
        check_choice("padding", padding, ("valid", "same"))
        if padding == "valid":
            return ((0, 0), (0, 0))
        if stride != (1, 1):
            raise ValueError(f"padding='same' is not supported for strided convolutions, got "
                             f"stride={stride}")
        return same_padding(kernel_size, dilation)
    ph, pw = pair("padding", padding, minimum=0)
    return ((ph, ph), (pw, pw))


def _check_input(x, channels, layer):
    if x.ndim not in (3, 4):
        raise ValueError(f"{layer} input must be (N, C, H, W) or (C, H, W), got shape "
                         f"{tuple(x.shape)}")
    if x.shape[-3] != channels:
        raise ValueError(f"{layer} expected input with {channels} channels, got shape "
                         f"{tuple(x.shape)} ({x.shape[-3]} channels)")


#: Columns built per block (8 MiB of float64): a block stays in cache from its copy to its
#: products, and each product is still large enough for BLAS to use several threads.
_BLOCK_VALUES = 2 ** 20


def _out_hw(xp_shape, kernel_size, stride, dilation):
    return tuple((xp_shape[2 + a] - dilation[a] * (kernel_size[a] - 1) - 1) // stride[a] + 1
                 for a in range(2))


def _blocks(size, rows):
    """``(start, stop)`` ranges of grid positions, ``_BLOCK_VALUES // rows`` at a time."""
    step = max(1, _BLOCK_VALUES // rows)
    return [(start, min(start + step, size)) for start in range(0, size, step)]


def _forward(x, weight, bias, stride, pads, dilation, groups, mode):
    """Convolve a batched ``x``; return ``y`` and what the backward pass needs.

    The columns are those of :func:`~dlcore.im2col.im2col_grid`, built a block of grid
    positions at a time from the input's phase planes (which the backward pass keeps instead
    of the columns); grid cells outside ``(H_out, W_out)`` are cropped from ``y``.
    """
    xp = pad2d(x, pads, mode)
    kernel = weight.shape[2:]
    out_hw = _out_hw(xp.shape, kernel, stride, dilation)
    planes, grid = phase_planes(xp, kernel, stride, dilation, out_hw)
    out, size = weight.shape[0], x.shape[0] * grid[0] * grid[1]
    w_m = weight.reshape(groups, out // groups, -1)
    y = np.empty((groups, out // groups, size), dtype=weight.dtype)
    for start, stop in _blocks(size, weight[0].size * groups):
        cols = grid_columns(planes, kernel, stride, dilation, grid, start, stop)
        # one product per group (a stacked matmul: one BLAS call each, looped in C)
        np.matmul(w_m, cols.reshape(groups, -1, stop - start), out=y[:, :, start:stop])
    y = y.reshape(out, x.shape[0], *grid)[:, :, :out_hw[0], :out_hw[1]].transpose(1, 0, 2, 3)
    y = np.ascontiguousarray(y)
    if bias is not None:
        y += bias[:, None, None]
    return y, dict(planes=planes, grid=grid, xp_shape=xp.shape, x_shape=x.shape)


def _backward(grad, weight, cache, stride, pads, dilation, groups, mode):
    """Gradients ``(dx, dW, db)`` of :func:`_forward`, block by block of grid positions:
    rebuild the columns, ``dW += G cols^T``, ``dcols = W^T G``, add ``dcols`` back."""
    planes, grid = cache["planes"], cache["grid"]
    n, out, ho, wo = grad.shape
    kernel, size = weight.shape[2:], n * grid[0] * grid[1]
    g_grid = np.zeros((out, n) + grid, dtype=weight.dtype)  # zero outside (H_out, W_out), so
    g_grid[:, :, :ho, :wo] = grad.transpose(1, 0, 2, 3)    # the extra grid cells add nothing
    g_m = g_grid.reshape(groups, out // groups, size)
    w_m = weight.reshape(groups, out // groups, -1)
    grad_w = np.zeros(w_m.shape, dtype=weight.dtype)
    grad_planes = np.zeros_like(planes)
    for start, stop in _blocks(size, weight[0].size * groups):
        cols = grid_columns(planes, kernel, stride, dilation, grid, start, stop)
        cols_m, g_block = cols.reshape(groups, -1, stop - start), g_m[:, :, start:stop]
        # (cols G^T)^T rather than G cols^T: the same product, but BLAS handles the long
        # inner dimension better this way round when it runs on several threads
        grad_w += np.matmul(cols_m, g_block.transpose(0, 2, 1)).transpose(0, 2, 1)
        np.matmul(w_m.transpose(0, 2, 1), g_block, out=cols_m)   # dcols, reusing the block
        add_grid_columns(grad_planes, cols, stride, dilation, grid, start)
    grad_xp = planes_to_image(grad_planes, cache["xp_shape"], stride, grid)
    grad_x = pad2d_backward(grad_xp, pads, mode, cache["x_shape"])
    return np.ascontiguousarray(grad_x), grad_w.reshape(weight.shape), grad.sum(axis=(0, 2, 3))


def _check_weight(x, weight, bias, groups):
    if weight.ndim != 4:
        raise ValueError(f"conv2d weight must be (C_out, C_in/groups, kH, kW), got shape "
                         f"{weight.shape}")
    if weight.shape[0] % groups:
        raise ValueError(f"conv2d weight shape {weight.shape}: out_channels "
                         f"{weight.shape[0]} is not divisible by groups={groups}")
    _check_input(x, weight.shape[1] * groups, f"conv2d(weight {weight.shape}, groups={groups})")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"conv2d bias shape {bias.shape} does not match weight shape "
                         f"{weight.shape}: expected ({weight.shape[0]},)")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Functional 2-D convolution (cross-correlation), as ``torch.nn.functional.conv2d``.

    Parameters
    ----------
    input : array, shape (N, C_in, H, W) or (C_in, H, W)
    weight : array, shape (C_out, C_in / groups, kH, kW)
    bias : array, shape (C_out,), optional
    stride, dilation : int or (int, int)
    padding : int, (int, int), 'valid' or 'same'
        Zero padding; ``'same'`` pads :math:`d(k-1)` in total (odd pixel after).
    groups : int
        Input and output channels are split into ``groups`` independent convolutions.

    Returns
    -------
    numpy.ndarray, shape (N, C_out, H_out, W_out) (or without N)
        :math:`H_{out} = \\lfloor (H + 2p - d(k-1) - 1)/s \\rfloor + 1`.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> conv2d(x, np.ones((1, 1, 2, 2)), stride=2)
    array([[[[10., 18.],
             [42., 50.]]]])
    """
    x = as_array("input", input, dtype=np.float64)
    w = as_array("weight", weight, dtype=np.float64)
    b = None if bias is None else as_array("bias", bias, dtype=np.float64)
    groups = check_int("groups", groups, minimum=1)
    _check_weight(x, w, b, groups)
    stride, dilation = pair("stride", stride, minimum=1), pair("dilation", dilation, minimum=1)
    pads = _resolve_padding(padding, w.shape[2:], stride, dilation)
    batched = x if x.ndim == 4 else x[None]
    _check_output_size(batched, w.shape[2:], stride, pads, dilation)
    y, _ = _forward(batched, w, b, stride, pads, dilation, groups, "zeros")
    return y if x.ndim == 4 else y[0]


def _check_output_size(x, kernel_size, stride, pads, dilation):
    """Raise the shape helper's explanation if the padded input is smaller than the kernel."""
    padded = tuple(x.shape[2 + i] + sum(pads[i]) for i in range(2))
    conv2d_output_size(padded, kernel_size, stride, 0, dilation)


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
