r"""Margin losses: the multi-class hinge and the cosine-embedding loss.

A margin loss is zero once the right answer wins by at least the margin, and grows linearly
(or quadratically) with the shortfall otherwise; it has a kink where the shortfall reaches
zero, and there, like PyTorch, dlcore takes the subgradient of the flat side for the hinge.
"""

from __future__ import annotations

import numbers

import numpy as np

from .checks import as_array
from .losses import _class_weight, _insert_axis, _Loss
from .losses_classification import _class_layout, _index_targets

__all__ = ["MultiMarginLoss", "CosineEmbeddingLoss", "multi_margin_loss",
           "cosine_embedding_loss"]
__functional__ = ["multi_margin_loss", "cosine_embedding_loss"]

EPSILON = 1e-12  # PyTorch adds it to each squared norm in cosine_embedding_loss


class MultiMarginLoss(_Loss):
    r"""Multi-class hinge loss (Weston-Watkins style, averaged), as ``torch.nn.MultiMarginLoss``.

    Input ``(N, C)`` or ``(C,)`` scores, target class indices ``(N,)`` or ``()``:

    .. math::
        \ell_n = \frac{1}{C} \sum_{i \ne y_n} w_{y_n}
        \max(0,\ \text{margin} - x_{n, y_n} + x_{n, i})^p, \qquad p \in \{1, 2\}.

    Gradient, for every :math:`i \ne y_n` with a positive shortfall :math:`z_{ni}`:
    :math:`w_{y_n} p z_{ni}^{p-1} / C` on :math:`x_{n,i}`, and minus their sum on
    :math:`x_{n,y_n}`; at :math:`z_{ni} = 0` exactly the subgradient 0 is used, as in PyTorch.

    Examples
    --------
    >>> loss = MultiMarginLoss(reduction="none")
    >>> np.round(loss(np.array([[0.3, -2.0, -0.5]]), np.array([0])), 4)
    array([0.0667])
    """

    def __init__(self, p: int = 1, margin: float = 1.0, weight=None, reduction: str = "mean"):
        super().__init__(reduction)
        if p not in (1, 2) or isinstance(p, bool):
            raise ValueError(f"MultiMarginLoss p must be 1 or 2, got {p!r}")
        if not isinstance(margin, numbers.Real):
            raise TypeError(f"MultiMarginLoss margin must be a real number, got {margin!r}")
        self.p, self.margin = int(p), float(margin)
        self.weight = _class_weight(weight)

    def forward(self, input, target):
        x, cdim, wb = _class_layout(input, self.weight)
        if x.ndim > 2:
            raise ValueError(f"MultiMarginLoss input must be (N, C) or (C,), got shape {x.shape}")
        onehot, _ = _index_targets(target, x, cdim, ignore_index=None)
        C = x.shape[cdim]
        x_true = (onehot * x).sum(axis=cdim, keepdims=True)
        w_true = (onehot * wb).sum(axis=cdim, keepdims=True)
        z = np.where(onehot == 1, 0.0, self.margin - x_true + x)
        active = z > 0
        h = np.where(active, z ** self.p, 0.0)
        slope = np.where(active, self.p * z ** (self.p - 1), 0.0) * w_true / C
        slope = slope - onehot * slope.sum(axis=cdim, keepdims=True)
        self._save(slope=slope, cdim=cdim)
        return self._reduce((w_true * h).sum(axis=cdim) / C)

    def backward(self, grad_output=1.0):
        slope, cdim = self._saved("slope", "cdim")
        up = self._upstream(grad_output, slope.shape[:cdim] + slope.shape[cdim + 1:],
                           dtype=slope.dtype)
        return slope * _insert_axis(up, cdim)


class CosineEmbeddingLoss(_Loss):
    r"""Cosine-embedding loss on pairs, as ``torch.nn.CosineEmbeddingLoss``.

    ``forward(input1, input2, target)`` with inputs ``(N, D)`` or ``(D,)`` and targets
    :math:`y_n \in \{1, -1\}` of shape ``(N,)`` or ``()``. With
    :math:`\cos_n = \frac{x_1 \cdot x_2}{\sqrt{(\|x_1\|^2 + \epsilon)(\|x_2\|^2 + \epsilon)}}`,
    :math:`\epsilon = 10^{-12}`:

    .. math::
        \ell_n = \begin{cases} 1 - \cos_n & y_n = 1 \\
                 \max(0, \cos_n - \text{margin}) & y_n = -1 \end{cases}

    (0 for any other target value, as in PyTorch). ``backward`` returns the gradients with
    respect to *both* inputs, using
    :math:`\partial \cos / \partial x_1 = x_2 / d - \cos\, x_1 / (\|x_1\|^2 + \epsilon)`, with
    :math:`d` the denominator.

    Examples
    --------
    >>> loss = CosineEmbeddingLoss(margin=0.5, reduction="none")
    >>> a, b = np.array([[1.0, 0.0], [1.0, 0.0]]), np.array([[1.0, 1.0], [1.0, 1.0]])
    >>> np.round(loss(a, b, np.array([1, -1])), 4)
    array([0.2929, 0.2071])
    >>> g1, g2 = loss.backward(np.ones(2)); g1.shape, g2.shape
    ((2, 2), (2, 2))
    """

    def __init__(self, margin: float = 0.0, reduction: str = "mean"):
        super().__init__(reduction)
        if not isinstance(margin, numbers.Real):
            raise TypeError(f"CosineEmbeddingLoss margin must be a real number, got {margin!r}")
        self.margin = float(margin)

    def forward(self, input1, input2, target):
        x1 = as_array("input1", input1)
        x2 = as_array("input2", input2, dtype=x1.dtype)
        y = as_array("target", target)
        if x1.shape != x2.shape or x1.ndim not in (1, 2):
            raise ValueError(f"input1 shape {x1.shape} and input2 shape {x2.shape} must be the "
                             "same, (N, D) or (D,)")
        if y.shape != x1.shape[:-1]:
            raise ValueError(f"target shape {y.shape} does not match input shape {x1.shape}: "
                             f"expected {x1.shape[:-1]}")
        a = (x1 * x1).sum(axis=-1) + EPSILON
        b = (x2 * x2).sum(axis=-1) + EPSILON
        denom = np.sqrt(a * b)
        cos = (x1 * x2).sum(axis=-1) / denom
        pos, neg = y == 1, (y == -1) & (cos >= self.margin)
        per = np.where(pos, 1 - cos, 0.0) + np.where(neg, cos - self.margin, 0.0)
        dcos = (np.where(pos, -1.0, 0.0) + np.where(neg, 1.0, 0.0)).astype(x1.dtype)
        d, c = denom[..., None], cos[..., None]
        self._save(dcos=dcos, g1=x2 / d - c * x1 / a[..., None],
                   g2=x1 / d - c * x2 / b[..., None])
        return self._reduce(per)

    def backward(self, grad_output=1.0):
        """Gradients ``(d input1, d input2)``."""
        dcos, g1, g2 = self._saved("dcos", "g1", "g2")
        up = (dcos * self._upstream(grad_output, dcos.shape, dtype=g1.dtype))[..., None]
        return up * g1, up * g2


def multi_margin_loss(input, target, p: int = 1, margin: float = 1.0, weight=None,
                      reduction: str = "mean"):
    """Functional form of :class:`MultiMarginLoss`.

    Examples
    --------
    >>> round(multi_margin_loss(np.array([[2.0, 1.5, 0.0]]), np.array([0])), 6)
    0.166667
    """
    return MultiMarginLoss(p, margin, weight, reduction)(input, target)


def cosine_embedding_loss(input1, input2, target, margin: float = 0.0,
                          reduction: str = "mean"):
    """Functional form of :class:`CosineEmbeddingLoss`.

    Examples
    --------
    >>> a, b = np.array([[1.0, 0.0]]), np.array([[0.0, 3.0]])     # orthogonal: cos = 0
    >>> round(cosine_embedding_loss(a, b, np.array([1])), 6)
    1.0
    """
    return CosineEmbeddingLoss(margin, reduction)(input1, input2, target)
