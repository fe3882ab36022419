r"""Loss functions as modules, mirroring ``torch.nn``'s loss classes.

A loss's ``forward(input, target)`` returns the loss (a float for ``reduction="mean"`` or
``"sum"``, an array for ``"none"``) and remembers what its gradient needs;
``backward(grad_output=1.0)`` returns :math:`\partial L / \partial \text{input}`. Every loss is
computed from logits where PyTorch's is, with log-sum-exp, so logits of magnitude 1e4 are safe.

This module holds the shared plumbing (:class:`_Loss`, the reductions) and gathers the losses,
which live in one module per idea:

- :mod:`dlcore.losses_regression`: ``MSELoss``, ``L1Loss``, ``HuberLoss``, ``SmoothL1Loss``;
- :mod:`dlcore.losses_binary`: ``BCELoss``, ``BCEWithLogitsLoss``, ``MultiLabelSoftMarginLoss``;
- :mod:`dlcore.losses_classification`: ``CrossEntropyLoss``, ``NLLLoss``, ``KLDivLoss``;
- :mod:`dlcore.losses_margin`: ``MultiMarginLoss``, ``CosineEmbeddingLoss``.
"""

from __future__ import annotations

import numpy as np

from .checks import as_array, check_choice
from .nn.module import Module

REDUCTIONS = ("mean", "sum", "none")


class _Loss(Module):
    """Shared plumbing: the ``reduction`` argument and backward through the reduction."""

    _reductions = REDUCTIONS

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = check_choice("reduction", reduction, self._reductions)

    def __call__(self, *inputs):
        return self.forward(*inputs)

    def _reduce(self, per_element, divisor=None):
        """Reduce element losses; ``divisor`` replaces the element count for ``mean``."""
        if self.reduction == "none":
            return per_element
        total = per_element.sum()
        if self.reduction == "sum":
            return float(total)
        n = per_element.size if divisor is None else divisor
        with np.errstate(invalid="ignore", divide="ignore"):  # 0/0 is NaN, as in PyTorch
            return float(total / n)

    def _upstream(self, grad_output, shape, divisor=None, dtype=np.float64):
        """Gradient of the reduced loss with respect to each element loss, in ``dtype`` (the
        input's, so that float32 input gets a float32 gradient, as in PyTorch)."""
        if self.reduction == "none":
            g = np.asarray(grad_output, dtype=dtype)
            return np.broadcast_to(g, shape) if g.ndim == 0 else _same(g, shape)
        # "sum" and "mean": the same factor for every element, returned as a 0-d array that
        # broadcasts against the element gradients (no array of copies is built)
        g = float(grad_output)
        if self.reduction == "sum":
            return np.asarray(g, dtype=dtype)
        n = int(np.prod(shape)) if divisor is None else divisor
        # Nothing counted (e.g. every target ignored): PyTorch's loss is NaN, its gradient 0.
        return np.asarray(g / n if n else 0.0, dtype=dtype)

    def extra_repr(self) -> str:
        return ""  # PyTorch's loss modules print no arguments: repr is e.g. "HuberLoss()"


def _same(g, shape):
    if g.shape != tuple(shape):
        raise ValueError(f"grad_output shape {g.shape} does not match loss shape {tuple(shape)}")
    return g


def _insert_axis(up, axis):
    """``up`` with the class axis put back (a 0-d upstream factor broadcasts as it is)."""
    return up if up.ndim == 0 else np.expand_dims(up, axis)


def _softplus(x):
    """``log(1 + e^x)`` without overflow: ``max(x, 0) + log1p(e^{-|x|})``."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _broadcast_or_raise(name, value, shape):
    """``value`` broadcast to ``shape`` (the scalar 1.0 when ``None``, which keeps the input's
    dtype), or a ValueError naming both shapes."""
    if value is None:
        return 1.0
    try:
        return np.broadcast_to(value, shape)
    except ValueError:
        raise ValueError(f"{name} of shape {value.shape} cannot be broadcast to the input "
                         f"shape {tuple(shape)}") from None


def _class_weight(weight):
    """A per-class rescaling weight: ``None`` or a 1-D float array."""
    if weight is None:
        return None
    w = as_array("weight", weight, min_ndim=1)
    if w.ndim != 1:
        raise ValueError(f"weight must be 1-D (one entry per class), got shape {w.shape}")
    return w


def _pair_input_target(input, target):
    """Input and target as float arrays of the same shape (the target takes the input's dtype)."""
    x = as_array("input", input)
    y = as_array("target", target, dtype=x.dtype)
    if x.shape != y.shape:
        raise ValueError(f"input shape {tuple(x.shape)} does not match target shape "
                         f"{tuple(y.shape)}")
    return x, y


from .losses_regression import *  # noqa: E402,F401,F403
from .losses_binary import *  # noqa: E402,F401,F403
from .losses_classification import *  # noqa: E402,F401,F403
from .losses_margin import *  # noqa: E402,F401,F403
from . import losses_binary, losses_classification, losses_margin, losses_regression  # noqa: E402

_PARTS = (losses_regression, losses_binary, losses_classification, losses_margin)
__all__ = [name for part in _PARTS for name in part.__all__]
__functional__ = [name for part in _PARTS for name in part.__functional__]
