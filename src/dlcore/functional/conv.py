r"""2-D convolution through im2col (``conv2d``, as ``torch.nn.functional.conv2d``), its
backward kernel, and the output-size arithmetic of convolution and pooling.

Deep-learning "convolution" is cross-correlation: with weight :math:`W` of shape
``(C_out, C_in / groups, kH, kW)``,

.. math::

    y[n, o, h, w] = b_o + \sum_{c, i, j} W[o, c, i, j]\;
                    x_{pad}[n, g(o) C_g + c,\; h s_h + i d_h,\; w s_w + j d_w].

im2col turns that into one matrix product per group, ``W (O/g, C/g kH kW) @ cols (C/g kH kW,
N H_out W_out)``, and the backward pass into two more:
:math:`\partial L/\partial W = G\,\text{cols}^\top`,
:math:`\partial L/\partial \text{cols} = W^\top G`, followed by col2im. The columns are built
on :func:`~dlcore.functional._im2col.im2col_grid`'s grid, a block of output positions at a
time, so each block goes from its copy through its products while it is still in cache.
The layer :class:`dlcore.nn.Conv2d` keeps the weights and calls :func:`_forward` and
:func:`_backward`.

Output sizes (the end of this module). Along one spatial axis, with input size :math:`n`,
kernel :math:`k`, stride :math:`s`, padding :math:`p` and dilation :math:`d` (the dilated
kernel spans :math:`d(k-1)+1` pixels),

.. math::

    n_{out} = \left\lfloor \frac{n + 2p - d(k-1) - 1}{s} \right\rfloor + 1 .

A transposed convolution inverts it: :math:`n_{out} = (n-1)s - 2p + d(k-1) + p_{out} + 1`.
Pooling uses the convolution formula, or with ``ceil_mode`` the ceiling, except that a last
window that would *start* in the right padding is dropped (PyTorch's rule)
:cite:p:`dumoulin2016`.
"""

from __future__ import annotations

import numpy as np

from ..checks import as_array, check_choice, check_int, pair
from ._im2col import (add_grid_columns, grid_columns, pad2d, pad2d_backward, phase_planes,
                      plane_layout, planes_to_image)

__all__ = ["conv2d", "conv_transpose2d", "conv2d_output_size", "conv_transpose2d_output_size",
           "transpose_output_padding",
           "pool2d_output_size", "same_padding"]


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

    The columns are those of :func:`~dlcore.functional._im2col.im2col_grid`, built a block of grid
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
    return y, dict(planes=planes, planes_shape=planes.shape, grid=grid, xp_shape=xp.shape,
                   x_shape=x.shape)


def _backward(grad, weight, cache, stride, pads, dilation, groups, mode, input_grad=True,
              weight_grad=True):
    """Gradients ``(dx, dW, db)`` of :func:`_forward`, block by block of grid positions:
    rebuild the columns, ``dW += G cols^T``, ``dcols = W^T G``, add ``dcols`` back.

    ``input_grad=False`` or ``weight_grad=False`` skips that gradient (returned as ``None``);
    the input gradient alone needs only the geometry of ``cache`` (``grid``, ``planes_shape``,
    ``xp_shape``, ``x_shape``), not the planes, which is how :func:`conv_transpose2d` runs its
    forward pass. ``grad`` may be smaller than the forward output ``(H_out, W_out)``: the
    missing rows and columns count as zero.
    """
    grid = cache["grid"]
    n, out, ho, wo = grad.shape
    kernel, size = weight.shape[2:], n * grid[0] * grid[1]
    g_grid = np.zeros((out, n) + grid, dtype=weight.dtype)  # zero outside (H_out, W_out), so
    g_grid[:, :, :ho, :wo] = grad.transpose(1, 0, 2, 3)    # the extra grid cells add nothing
    g_m = g_grid.reshape(groups, out // groups, size)
    w_m = weight.reshape(groups, out // groups, -1)
    grad_w = np.zeros(w_m.shape, dtype=weight.dtype) if weight_grad else None
    grad_planes = np.zeros(cache["planes_shape"], dtype=weight.dtype) if input_grad else None
    channels = cache["planes_shape"][2]
    for start, stop in _blocks(size, weight[0].size * groups):
        g_block = g_m[:, :, start:stop]
        if weight_grad:
            cols = grid_columns(cache["planes"], kernel, stride, dilation, grid, start, stop)
            cols_m = cols.reshape(groups, -1, stop - start)
            # (cols G^T)^T rather than G cols^T: the same product, but BLAS handles the long
            # inner dimension better this way round when it runs on several threads
            grad_w += np.matmul(cols_m, g_block.transpose(0, 2, 1)).transpose(0, 2, 1)
        else:
            cols = np.empty((channels,) + tuple(kernel) + (stop - start,), dtype=weight.dtype)
            cols_m = cols.reshape(groups, -1, stop - start)
        if input_grad:
            np.matmul(w_m.transpose(0, 2, 1), g_block, out=cols_m)   # dcols, reusing the block
            add_grid_columns(grad_planes, cols, stride, dilation, grid, start)
    grad_x = None
    if input_grad:
        grad_xp = planes_to_image(grad_planes, cache["xp_shape"], stride, grid)
        grad_x = np.ascontiguousarray(pad2d_backward(grad_xp, pads, mode, cache["x_shape"]))
    grad_w = None if grad_w is None else grad_w.reshape(weight.shape)
    return grad_x, grad_w, grad.sum(axis=(0, 2, 3))


def _check_weight(x, weight, bias, groups, transposed=False):
    """The weight, input and bias shapes of ``conv2d`` or (``transposed``) ``conv_transpose2d``,
    whose weight is ``(C_in, C_out/groups, kH, kW)`` instead of ``(C_out, C_in/groups, kH, kW)``."""
    name, split, layout = (("conv_transpose2d", "in_channels", "(C_in, C_out/groups, kH, kW)")
                           if transposed else
                           ("conv2d", "out_channels", "(C_out, C_in/groups, kH, kW)"))
    if weight.ndim != 4:
        raise ValueError(f"{name} weight must be {layout}, got shape {weight.shape}")
    if weight.shape[0] % groups:
        raise ValueError(f"{name} weight shape {weight.shape}: {split} "
                         f"{weight.shape[0]} is not divisible by groups={groups}")
    channels_in = weight.shape[0] if transposed else weight.shape[1] * groups
    _check_input(x, channels_in, f"{name}(weight {weight.shape}, groups={groups})")
    out = weight.shape[1] * groups if transposed else weight.shape[0]
    if bias is not None and bias.shape != (out,):
        raise ValueError(f"{name} bias shape {bias.shape} does not match weight shape "
                         f"{weight.shape} and groups={groups}: expected ({out},)")


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


# -- transposed convolution ---------------------------------------------------------------

def _transpose_geometry(x_shape, weight_shape, stride, padding, output_padding, dilation,
                        groups):
    """The convolution whose input gradient ``conv_transpose2d`` is: that convolution's input
    is the transposed convolution's output ``(N, C_out, H_out, W_out)``; return its pads and
    the geometry :func:`_backward` needs (no planes: only the input gradient is computed)."""
    kernel = weight_shape[2:]
    out_hw = conv_transpose2d_output_size(x_shape[2:], kernel, stride, padding, output_padding,
                                          dilation)
    y_shape = (x_shape[0], weight_shape[1] * groups) + out_hw
    pads = tuple((p, p) for p in padding)
    xp_shape = y_shape[:2] + tuple(y_shape[2 + a] + 2 * padding[a] for a in range(2))
    # at least (H_in, W_in); larger when output_padding >= stride (allowed when < dilation)
    conv_hw = _out_hw(xp_shape, kernel, stride, dilation)
    planes_shape, grid = plane_layout(xp_shape, kernel, stride, dilation, conv_hw)
    return pads, dict(grid=grid, planes_shape=planes_shape, xp_shape=xp_shape, x_shape=y_shape)


def _transpose_forward(x, weight, bias, stride, padding, output_padding, dilation, groups):
    """``conv_transpose2d`` of a batched ``x``: the input gradient of the convolution with the
    same ``weight``, read as ``(C_out, C_in/groups, kH, kW)`` of that convolution, for the
    upstream gradient ``x``. Returns ``y`` and what :func:`_transpose_backward` needs."""
    pads, geometry = _transpose_geometry(x.shape, weight.shape, stride, padding, output_padding,
                                         dilation, groups)
    y, _, _ = _backward(x, weight, geometry, stride, pads, dilation, groups, "zeros",
                        weight_grad=False)
    if bias is not None:
        y += bias[:, None, None]
    return y, dict(pads=pads, x=x)


def _transpose_backward(grad, weight, cache, stride, dilation, groups):
    """Gradients ``(dx, dW, db)`` of :func:`_transpose_forward`. The adjoint of an adjoint is
    the map itself, so ``dx`` is the convolution of ``grad`` with ``weight`` (cropped to the
    input's size), and ``dW`` is that convolution's weight gradient with ``grad`` as its input
    and ``x`` as its upstream gradient."""
    x, pads = cache["x"], cache["pads"]
    grad_x, conv_cache = _forward(grad, weight, None, stride, pads, dilation, groups, "zeros")
    _, grad_w, _ = _backward(x, weight, conv_cache, stride, pads, dilation, groups, "zeros",
                             input_grad=False)
    grad_x = np.ascontiguousarray(grad_x[:, :, :x.shape[2], :x.shape[3]])
    return grad_x, grad_w, grad.sum(axis=(0, 2, 3))


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    r"""Functional 2-D transposed convolution, as ``torch.nn.functional.conv_transpose2d``.

    Each input pixel scatters a copy of the kernel, weighted by its value, into the output,
    the copies ``stride`` pixels apart; overlapping copies add up:

    .. math::

        y_{pad}[n, o, h s_h + i d_h, w s_w + j d_w] \mathrel{+}=
        W[c, o - g(c) C_{out}/g, i, j]\; x[n, c, h, w],

    and ``padding`` crops :math:`p` rows and columns from each side of :math:`y_{pad}`. It is
    the adjoint (the input gradient) of :func:`conv2d` with the same weight and arguments, and
    is computed that way, by the same im2col kernels.

    Parameters
    ----------
    input : array, shape (N, C_in, H, W) or (C_in, H, W)
    weight : array, shape (C_in, C_out / groups, kH, kW)
        Note the order: input channels first, the reverse of ``conv2d``'s.
    bias : array, shape (C_out,), optional
    stride, padding, output_padding, dilation : int or (int, int)
        ``output_padding`` (rows and columns added at the bottom and right) must be smaller
        than the stride or the dilation.
    groups : int

    Returns
    -------
    numpy.ndarray, shape (N, C_out, H_out, W_out) (or without N)
        :math:`H_{out} = (H - 1)s - 2p + d(k - 1) + p_{out} + 1`, in the dtype of
        ``input`` and ``weight`` (float32 stays float32).

    Examples
    --------
    >>> conv_transpose2d(np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3)), stride=2)[0, 0]
    array([[1., 1., 2., 1., 1.],
           [1., 1., 2., 1., 1.],
           [2., 2., 4., 2., 2.],
           [1., 1., 2., 1., 1.],
           [1., 1., 2., 1., 1.]])
    """
    x, w = as_array("input", input), as_array("weight", weight)
    dtype = np.result_type(x, w)
    x, w = x.astype(dtype, copy=False), w.astype(dtype, copy=False)
    b = None if bias is None else as_array("bias", bias, dtype=dtype)
    groups = check_int("groups", groups, minimum=1)
    _check_weight(x, w, b, groups, transposed=True)
    stride, dilation = pair("stride", stride, minimum=1), pair("dilation", dilation, minimum=1)
    padding = pair("padding", padding, minimum=0)
    output_padding = pair("output_padding", output_padding, minimum=0)
    batched = x if x.ndim == 4 else x[None]
    y, _ = _transpose_forward(batched, w, b, stride, padding, output_padding, dilation, groups)
    return y if x.ndim == 4 else y[0]


def transpose_output_padding(in_size, output_size, kernel_size, stride, padding, dilation):
    """The ``output_padding`` that makes a transposed convolution produce ``output_size``, as
    ``torch.nn.ConvTranspose2d.forward(input, output_size)`` chooses it: sizes from the
    formula with ``output_padding = 0`` up to ``stride - 1`` more are reachable.

    Examples
    --------
    >>> transpose_output_padding((4, 4), (8, 7), (3, 3), (2, 2), (1, 1), (1, 1))
    (1, 0)
    """
    output_size = tuple(output_size)[-2:]
    if len(output_size) != 2 or not all(isinstance(v, (int, np.integer)) for v in output_size):
        raise ValueError(f"output_size must end in two ints (H_out, W_out), got {output_size!r}")
    result = []
    for n, size, k, s, p, d in zip(in_size, output_size, kernel_size, stride, padding, dilation):
        smallest = (n - 1) * s - 2 * p + d * (k - 1) + 1
        if not smallest <= size <= smallest + s - 1:
            raise ValueError(f"requested output_size {tuple(output_size)} is not reachable: "
                             f"each size must lie in [{smallest}, {smallest + s - 1}] for input "
                             f"size {n} (kernel {k}, stride {s}, padding {p}, dilation {d})")
        result.append(int(size - smallest))
    return tuple(result)


# -- output sizes --------------------------------------------------------------------------

def _as_pairs(size, **args):
    """Return ``(scalar, size_pair, {name: pair})``; ``scalar`` when every argument is an int.

    Kernel size, stride and dilation must be >= 1, paddings >= 0.
    """
    scalar = all(not isinstance(v, (tuple, list)) for v in (size, *args.values()))
    pairs = {name: pair(name, value, minimum=0 if "padding" in name else 1)
             for name, value in args.items()}
    return scalar, pair("size", size, minimum=1), pairs


def _result(scalar, hw):
    return hw[0] if scalar else tuple(hw)


def _too_small(what, formula, numbers, out, axis, extra=""):
    raise ValueError(f"{what} output {('height', 'width')[axis]} {formula} = {numbers} = {out} "
                     f"is below 1{extra}")


def same_padding(kernel_size, dilation=1):
    """The (before, after) padding per axis that ``padding='same'`` adds (stride 1 only).

    PyTorch pads :math:`d(k-1)` in total, half before and the odd pixel, if any, after.

    Examples
    --------
    >>> same_padding(3)
    ((1, 1), (1, 1))
    >>> same_padding((4, 3), dilation=(1, 2))
    ((1, 2), (2, 2))
    """
    k, d = pair("kernel_size", kernel_size, minimum=1), pair("dilation", dilation, minimum=1)
    totals = [d[i] * (k[i] - 1) for i in range(2)]
    return tuple((t // 2, t - t // 2) for t in totals)


def conv2d_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    r"""Spatial output size of ``Conv2d``: :math:`\lfloor (n + 2p - d(k-1) - 1)/s \rfloor + 1`.

    Parameters
    ----------
    size, kernel_size, stride, dilation : int or (int, int)
        Input size :math:`n` and the layer's arguments, per axis (height, width).
    padding : int, (int, int), 'valid' or 'same'
        As in ``torch.nn.Conv2d``; ``'same'`` needs stride 1.

    Returns
    -------
    int or (int, int)
        An int when ``size`` and every argument are ints, otherwise an ``(h, w)`` tuple.

    Raises
    ------
    ValueError
        When the output would be smaller than 1, with the formula and the numbers.

    Examples
    --------
    >>> conv2d_output_size(32, 5, stride=2, padding=1)
    15
    >>> conv2d_output_size((224, 200), 7, padding=2)
    (222, 198)
    >>> conv2d_output_size(5, 7)
    Traceback (most recent call last):
    ...
    ValueError: conv2d output height floor((n + 2p - d(k-1) - 1)/s) + 1
    = floor((5 + 2*0 - 1*(7-1) - 1)/1) + 1 = -1 is below 1: the dilated kernel (7)
    is larger than the padded input (5)
    """
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"padding must be an int, a pair, 'same' or 'valid'; got {padding!r}")
        scalar, n, p = _as_pairs(size, kernel_size=kernel_size, stride=stride, dilation=dilation)
        if padding == "same":
            if p["stride"] != (1, 1):
                raise ValueError(f"padding='same' needs stride 1, got stride={stride!r}")
            return _result(scalar, n)
        padding = 0
    scalar, n, a = _as_pairs(size, kernel_size=kernel_size, stride=stride, padding=padding,
                             dilation=dilation)
    out = []
    for i in range(2):
        k, s, p, d = (a[name][i] for name in ("kernel_size", "stride", "padding", "dilation"))
        o = (n[i] + 2 * p - d * (k - 1) - 1) // s + 1
        if o < 1:
            _too_small("conv2d", "floor((n + 2p - d(k-1) - 1)/s) + 1",
                       f"floor(({n[i]} + 2*{p} - {d}*({k}-1) - 1)/{s}) + 1", o, i,
                       f": the dilated kernel ({d * (k - 1) + 1}) is larger than the padded "
                       f"input ({n[i] + 2 * p})")
        out.append(o)
    return _result(scalar, out)


def conv_transpose2d_output_size(size, kernel_size, stride=1, padding=0, output_padding=0,
                                 dilation=1):
    r"""Spatial output size of ``ConvTranspose2d``: :math:`(n-1)s - 2p + d(k-1) + p_{out} + 1`.

    ``output_padding`` must be smaller than the stride or the dilation, as in PyTorch.

    Examples
    --------
    >>> conv_transpose2d_output_size(15, 5, stride=2, padding=1)
    31
    >>> conv_transpose2d_output_size(15, 5, stride=2, padding=1, output_padding=1)
    32
    """
    scalar, n, a = _as_pairs(size, kernel_size=kernel_size, stride=stride, padding=padding,
                             output_padding=output_padding, dilation=dilation)
    out = []
    for i in range(2):
        k, s, p, op, d = (a[name][i] for name in ("kernel_size", "stride", "padding",
                                                  "output_padding", "dilation"))
        if op >= s and op >= d:
            raise ValueError(f"output_padding must be smaller than stride or dilation, got "
                             f"output_padding={output_padding!r}, stride={stride!r}, "
                             f"dilation={dilation!r}")
        o = (n[i] - 1) * s - 2 * p + d * (k - 1) + op + 1
        if o < 1:
            _too_small("conv_transpose2d", "(n-1)s - 2p + d(k-1) + output_padding + 1",
                       f"({n[i]}-1)*{s} - 2*{p} + {d}*({k}-1) + {op} + 1", o, i)
        out.append(o)
    return _result(scalar, out)


def pool2d_output_size(size, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    r"""Spatial output size of ``MaxPool2d``/``AvgPool2d`` with PyTorch's ``ceil_mode`` rule.

    :math:`n_{out} = \lfloor (n + 2p - d(k-1) - 1 + c)/s \rfloor + 1` with :math:`c = s - 1`
    in ceil mode (rounding up) and 0 otherwise; in ceil mode, if the last window would start
    at or beyond :math:`n + p` (entirely in the right padding) it is dropped. PyTorch also
    requires :math:`p \le \lfloor k/2 \rfloor`.

    Parameters
    ----------
    size, kernel_size, padding, dilation : int or (int, int)
    stride : int, (int, int) or None
        ``None`` means ``kernel_size`` (non-overlapping windows).
    ceil_mode : bool

    Examples
    --------
    >>> pool2d_output_size(7, 2), pool2d_output_size(7, 2, ceil_mode=True)
    (3, 4)
    >>> pool2d_output_size(5, 2, stride=2, padding=1, ceil_mode=True)
    3
    >>> pool2d_output_size(4, 3, padding=2)
    Traceback (most recent call last):
    ...
    ValueError: pool padding must be at most half the kernel size, got padding=2, kernel_size=3
    """
    stride = kernel_size if stride is None else stride
    scalar, n, a = _as_pairs(size, kernel_size=kernel_size, stride=stride, padding=padding,
                             dilation=dilation)
    out = []
    for i in range(2):
        k, s, p, d = (a[name][i] for name in ("kernel_size", "stride", "padding", "dilation"))
        if p > k // 2:
            raise ValueError(f"pool padding must be at most half the kernel size, got "
                             f"padding={padding!r}, kernel_size={kernel_size!r}")
        o = (n[i] + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (o - 1) * s >= n[i] + p:
            o -= 1
        if o < 1:
            rounding = "ceil" if ceil_mode else "floor"
            _too_small("pool2d", f"{rounding}((n + 2p - d(k-1) - 1)/s) + 1",
                       f"{rounding}(({n[i]} + 2*{p} - {d}*({k}-1) - 1)/{s}) + 1", o, i)
        out.append(o)
    return _result(scalar, out)
