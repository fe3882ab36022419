r"""Distance layers, ``PairwiseDistance`` and ``CosineSimilarity`` (``torch.nn``'s distance
modules); the maths is in :mod:`dlcore.functional.distance`. ``forward(x1, x2)`` returns the
distance or similarity; ``backward(grad_out)`` returns the gradients ``(d x1, d x2)``.
"""

from __future__ import annotations

import numpy as np

from ..checks import check_int, check_range
from ..functional.distance import (cosine_similarity, cosine_similarity_backward,
                                   pairwise_distance, pairwise_distance_backward)
from .module import Module

__all__ = ["PairwiseDistance", "CosineSimilarity"]


class PairwiseDistance(Module):
    r""":math:`\lVert x_1 - x_2 + \epsilon\rVert_p` over the last dimension, as
    ``torch.nn.PairwiseDistance``.

    Examples
    --------
    >>> m = PairwiseDistance(eps=0.0)
    >>> m(np.array([[3.0, 0.0]]), np.array([[0.0, 4.0]]))
    array([5.])
    """

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
        super().__init__()
        pairwise_distance(np.zeros(1), np.zeros(1), p, eps)  # validate now
        self.norm, self.eps, self.keepdim = p, check_range("eps", eps), bool(keepdim)

    def forward(self, x1, x2):
        self._save(x1=x1, x2=x2)
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)

    def backward(self, grad_out):
        x1, x2 = self._saved("x1", "x2")
        return pairwise_distance_backward(grad_out, x1, x2, self.norm, self.eps, self.keepdim)


class CosineSimilarity(Module):
    r"""Cosine similarity along ``dim`` with each norm clamped at ``eps``, as
    ``torch.nn.CosineSimilarity``.

    Examples
    --------
    >>> CosineSimilarity()(np.array([[1.0, 0.0]]), np.array([[1.0, 1.0]]))
    array([0.70710678])
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8):
        super().__init__()
        self.dim, self.eps = check_int("dim", dim), check_range("eps", eps, 0.0)

    def forward(self, x1, x2):
        self._save(x1=x1, x2=x2)
        return cosine_similarity(x1, x2, self.dim, self.eps)

    def backward(self, grad_out):
        x1, x2 = self._saved("x1", "x2")
        return cosine_similarity_backward(grad_out, x1, x2, self.dim, self.eps)
