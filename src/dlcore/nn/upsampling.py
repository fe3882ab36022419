r"""Upsampling layers: ``Upsample`` (nearest neighbour, the counterpart of ``torch.nn.Upsample``)
and the pixel-shuffle permutations ``PixelShuffle`` and ``PixelUnshuffle``.

The maths (which input pixel each output pixel copies, and the backward that sums the
gradient over each copied block) lives in :mod:`dlcore.functional.vision`.
"""

from __future__ import annotations

import numpy as np

from ..checks import as_array, check_int
from ..functional.vision import (_check, interpolate_backward, interpolate_indices,
                                 pixel_shuffle, pixel_unshuffle)
from .module import Module

__all__ = ["Upsample", "PixelShuffle", "PixelUnshuffle"]


class Upsample(Module):
    r"""Upsample a 3-D, 4-D or 5-D batch by nearest-neighbour copying, as ``torch.nn.Upsample``.

    Parameters
    ----------
    size : int or tuple of int, optional
        Output spatial size.
    scale_factor : float or tuple of float, optional
        Multiplier of the spatial size (:math:`n_{out} = \lfloor n_{in} f\rfloor`); give
        exactly one of ``size`` and ``scale_factor``.
    mode : {"nearest"}
    align_corners : None
    recompute_scale_factor : bool, optional

    Notes
    -----
    With ``scale_factor=2`` each input pixel becomes a 2x2 block, and the backward pass adds
    the four upstream gradients of its block: :math:`\partial L/\partial x_{ij} =
    \sum_{a, b \in \{0, 1\}} G_{2i + a,\, 2j + b}`.

    Examples
    --------
    >>> up = Upsample(scale_factor=2)
    >>> y = up(np.arange(4.0).reshape(1, 1, 2, 2))
    >>> y.shape
    (1, 1, 4, 4)
    >>> up.backward(np.ones_like(y))
    array([[[[4., 4.],
             [4., 4.]]]])
    """

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest",
                 align_corners=None, recompute_scale_factor=None):
        super().__init__()
        _check(np.zeros((1, 1, 1)), mode, align_corners, False)
        if (size is None) == (scale_factor is None):
            raise ValueError("Upsample needs exactly one of size and scale_factor, got "
                             f"size={size!r}, scale_factor={scale_factor!r}")
        self.size = size
        self.scale_factor = scale_factor
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, x):
        x = _check(x, self.mode, self.align_corners, False)
        idx = interpolate_indices(x.shape[2:], self.size, self.scale_factor,
                                  self.recompute_scale_factor)
        self._save(in_size=x.shape[2:], idx=idx, dtype=x.dtype)
        if not x.size:
            return np.zeros(x.shape[:2] + tuple(len(i) for i in idx), dtype=x.dtype)
        return x[(Ellipsis,) + np.ix_(*idx)]

    def backward(self, grad_out):
        in_size, idx, dtype = self._saved("in_size", "idx", "dtype")
        return interpolate_backward(np.asarray(grad_out, dtype=dtype), in_size, idx)

    def extra_repr(self) -> str:
        what = f"size={self.size}" if self.size is not None else \
            f"scale_factor={self.scale_factor}"
        return f"{what}, mode='{self.mode}'"


class PixelShuffle(Module):
    r"""``(*, C r^2, H, W) -> (*, C, H r, W r)``, as ``torch.nn.PixelShuffle``: the
    upsampling step of a sub-pixel convolution (a convolution to :math:`C r^2` channels, then
    this permutation), an alternative to transposed convolution without its checkerboard
    overlap. Backward is :func:`~dlcore.functional.vision.pixel_unshuffle` of the gradient.

    Examples
    --------
    >>> PixelShuffle(2)(np.zeros((1, 8, 3, 3))).shape
    (1, 2, 6, 6)
    """

    def __init__(self, upscale_factor: int):
        super().__init__()
        self.upscale_factor = check_int("upscale_factor", upscale_factor, minimum=1)

    def forward(self, x):
        y = pixel_shuffle(x, self.upscale_factor)
        self._save(shape=y.shape)
        return y

    def backward(self, grad_out):
        (shape,) = self._saved("shape")
        return pixel_unshuffle(_grad(grad_out, shape), self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    r"""``(*, C, H r, W r) -> (*, C r^2, H, W)``, as ``torch.nn.PixelUnshuffle`` (the inverse of
    :class:`PixelShuffle`; backward shuffles the gradient).

    Examples
    --------
    >>> PixelUnshuffle(2)(np.zeros((1, 2, 6, 6))).shape
    (1, 8, 3, 3)
    """

    def __init__(self, downscale_factor: int):
        super().__init__()
        self.downscale_factor = check_int("downscale_factor", downscale_factor, minimum=1)

    def forward(self, x):
        y = pixel_unshuffle(x, self.downscale_factor)
        self._save(shape=y.shape)
        return y

    def backward(self, grad_out):
        (shape,) = self._saved("shape")
        return pixel_shuffle(_grad(grad_out, shape), self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


def _grad(grad_out, shape):
    g = as_array("grad_out", grad_out)
    if g.shape != shape:
        raise ValueError(f"grad_out shape {g.shape} does not match the output shape {shape}")
    return g
