r"""Nearest-neighbour upsampling as a layer: ``Upsample``, the counterpart of ``torch.nn.Upsample``.

The maths (which input pixel each output pixel copies, and the backward that sums the
gradient over each copied block) lives in :mod:`dlcore.functional.vision`.
"""

from __future__ import annotations

import numpy as np

from ..functional.vision import _check, interpolate_backward, interpolate_indices
from .module import Module

__all__ = ["Upsample"]


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
