"""Concatenation as a layer with a backward: ``Concat``, the join of U-Net skip connections.

PyTorch writes ``torch.cat([a, b], dim=1)`` inside ``forward``; a dlcore network needs the
join as a module so that its backward can hand each branch its share of the gradient.
"""

from __future__ import annotations

import numpy as np

from ..checks import check_int
from ..functional.vision import cat, cat_backward
from .module import Module

__all__ = ["Concat"]


class Concat(Module):
    r"""Concatenate the inputs along ``dim`` (``torch.cat(tensors, dim)`` as a layer).

    ``forward(*tensors)`` returns the joined array; ``backward(grad_out)`` returns a tuple
    with one gradient per input, in ``forward``'s order: the slices of ``grad_out`` that each
    input filled.

    Parameters
    ----------
    dim : int, default 1
        The channel axis of an NCHW batch, where skip connections are joined.

    Examples
    --------
    >>> join = Concat(dim=1)
    >>> y = join(np.zeros((2, 3, 4, 4)), np.ones((2, 5, 4, 4)))
    >>> y.shape
    (2, 8, 4, 4)
    >>> [g.shape for g in join.backward(np.ones_like(y))]
    [(2, 3, 4, 4), (2, 5, 4, 4)]
    """

    def __init__(self, dim: int = 1):
        super().__init__()
        self.dim = check_int("dim", dim)

    def forward(self, *tensors):
        y = cat(list(tensors), dim=self.dim)
        axis = self.dim % y.ndim
        self._save(sizes=[t.shape[axis] for t in map(np.asarray, tensors)])
        return y

    def backward(self, grad_out):
        (sizes,) = self._saved("sizes")
        return cat_backward(grad_out, sizes, dim=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
