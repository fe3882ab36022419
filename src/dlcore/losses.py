r"""Loss functions as modules, mirroring ``torch.nn``'s loss classes.

A loss's ``forward(input, target)`` returns the loss (a float for ``reduction="mean"`` or
``"sum"``, an array for ``"none"``) and remembers what its gradient needs;
``backward(grad_output=1.0)`` returns :math:`\partial L / \partial \text{input}`. Every loss is
computed from logits where PyTorch's is, with log-sum-exp, so logits of magnitude 1e4 are safe.
"""

from __future__ import annotations

import numpy as np

from .activations import log_softmax, sigmoid
from .checks import as_array, check_choice, check_range, check_same_shape
from .nn.module import Module

__all__ = ["MSELoss", "BCEWithLogitsLoss", "CrossEntropyLoss",
           "mse_loss", "binary_cross_entropy_with_logits", "cross_entropy"]
__functional__ = ["mse_loss", "binary_cross_entropy_with_logits", "cross_entropy"]

REDUCTIONS = ("mean", "sum", "none")


class _Loss(Module):
    """Shared plumbing: the ``reduction`` argument and backward through the reduction."""

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = check_choice("reduction", reduction, REDUCTIONS)

    def __call__(self, input, target):
        return self.forward(input, target)

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

    def _upstream(self, grad_output, shape, divisor=None):
        """Gradient of the reduced loss with respect to each element loss."""
        if self.reduction == "none":
            g = np.asarray(grad_output, dtype=np.float64)
            return np.broadcast_to(g, shape) if g.ndim == 0 else _same(g, shape)
        g = float(grad_output)
        if self.reduction == "sum":
            return np.full(shape, g)
        n = int(np.prod(shape)) if divisor is None else divisor
        # Nothing counted (e.g. every target ignored): PyTorch's loss is NaN, its gradient 0.
        return np.full(shape, g / n if n else 0.0)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


def _same(g, shape):
    if g.shape != tuple(shape):
        raise ValueError(f"grad_output shape {g.shape} does not match loss shape {tuple(shape)}")
    return g


class MSELoss(_Loss):
    r"""Mean squared error :math:`\ell_n = (x_n - y_n)^2`, reduced by ``reduction``.

    Gradient: :math:`\partial \ell_n / \partial x_n = 2 (x_n - y_n)`, divided by the number of
    elements for ``"mean"``. Unlike PyTorch, which warns and broadcasts, mismatched shapes
    raise ``ValueError``.

    Examples
    --------
    >>> loss = MSELoss()
    >>> loss(np.array([1.0, 3.0]), np.array([0.0, 0.0]))
    5.0
    >>> loss.backward()
    array([1., 3.])
    """

    def forward(self, input, target):
        x = as_array("input", input)
        y = as_array("target", target, dtype=x.dtype)
        check_same_shape("input", x, "target", y)
        self._save(diff=x - y)
        return self._reduce((x - y) ** 2)

    def backward(self, grad_output=1.0):
        (diff,) = self._saved("diff")
        return 2 * diff * self._upstream(grad_output, diff.shape)


class BCEWithLogitsLoss(_Loss):
    r"""Binary cross-entropy on logits, as ``torch.nn.BCEWithLogitsLoss``.

    .. math::
        \ell_n = -w_n \left[ p\, y_n \log \sigma(x_n) + (1 - y_n) \log(1 - \sigma(x_n)) \right]

    with :math:`\log\sigma(x) = -\mathrm{softplus}(-x)` and
    :math:`\log(1-\sigma(x)) = -\mathrm{softplus}(x)` evaluated stably. ``weight`` (rescales
    each element, broadcast to the input) and ``pos_weight`` :math:`p` (weights the positive
    term, broadcast along the last dimension, i.e. per class) are optional.
    Gradient: :math:`\partial \ell_n / \partial x_n = w_n [\sigma(x_n)(p y_n + 1 - y_n) - p y_n]`.

    Examples
    --------
    >>> loss = BCEWithLogitsLoss()
    >>> round(loss(np.array([0.0]), np.array([1.0])), 6)
    0.693147
    >>> loss(np.array([-1e4]), np.array([1.0]))
    10000.0
    """

    def __init__(self, weight=None, reduction: str = "mean", pos_weight=None):
        super().__init__(reduction)
        self.weight = None if weight is None else as_array("weight", weight)
        self.pos_weight = None if pos_weight is None else as_array("pos_weight", pos_weight)

    def forward(self, input, target):
        x = as_array("input", input)
        y = as_array("target", target, dtype=x.dtype)
        check_same_shape("input", x, "target", y)
        w = _broadcast_or_raise("weight", self.weight, x.shape)
        p = _broadcast_or_raise("pos_weight", self.pos_weight, x.shape)
        log_sig, log_one_minus = -_softplus(-x), -_softplus(x)
        per = -w * (p * y * log_sig + (1 - y) * log_one_minus)
        self._save(x=x, y=y, w=w, p=p)
        return self._reduce(per)

    def backward(self, grad_output=1.0):
        x, y, w, p = self._saved("x", "y", "w", "p")
        local = w * (sigmoid(x) * (p * y + 1 - y) - p * y)
        return local * self._upstream(grad_output, x.shape)


def _softplus(x):
    """``log(1 + e^x)`` without overflow: ``max(x, 0) + log1p(e^{-|x|})``."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _broadcast_or_raise(name, value, shape):
    if value is None:
        return np.ones(())
    try:
        return np.broadcast_to(value, shape)
    except ValueError:
        raise ValueError(f"{name} of shape {value.shape} cannot be broadcast to the input "
                         f"shape {tuple(shape)}") from None


class CrossEntropyLoss(_Loss):
    r"""Cross-entropy from logits, as ``torch.nn.CrossEntropyLoss``.

    Input ``(N, C)``, ``(C,)`` or ``(N, C, d1, ...)``; target either class indices (integer
    array of shape ``(N,)``, ``()`` or ``(N, d1, ...)``) or class probabilities shaped like the
    input. With :math:`\log p = \mathrm{log\_softmax}(x)` over the class dimension:

    - indices: :math:`\ell_n = -w_{y_n} \log p_{n, y_n}`; samples whose target equals
      ``ignore_index`` contribute 0, and ``"mean"`` divides by :math:`\sum_n w_{y_n}` over the
      samples kept.
    - probabilities: :math:`\ell_n = -\sum_c w_c\, y_{n,c} \log p_{n,c}`; ``"mean"`` divides by
      the number of samples.
    - ``label_smoothing`` :math:`\varepsilon`: probability targets become
      :math:`(1-\varepsilon) y + \varepsilon / C`; for index targets PyTorch adds
      :math:`\varepsilon/C` times the weighted sum :math:`-\sum_c w_c \log p_{n,c}` to
      :math:`(1-\varepsilon)` times the plain loss, normalised by the same divisor.

    The gradient with respect to the logits is :math:`\partial \ell_n / \partial x_{n} =
    (\sum_c q_{n,c})\, p_n - q_n`, where :math:`q_{n,c}` is the weight the loss puts on
    :math:`-\log p_{n,c}` (for one-hot targets without weights, the familiar :math:`p - y`).

    Examples
    --------
    >>> loss = CrossEntropyLoss()
    >>> round(loss(np.array([[2.0, 1.0, 0.1]]), np.array([0])), 6)
    0.417030
    >>> np.round(loss.backward(), 3)
    array([[-0.341,  0.242,  0.099]])
    """

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0):
        super().__init__(reduction)
        self.weight = None if weight is None else as_array("weight", weight, min_ndim=1)
        if self.weight is not None and self.weight.ndim != 1:
            raise ValueError(f"weight must be 1-D (one entry per class), got shape "
                             f"{self.weight.shape}")
        self.ignore_index = int(ignore_index)
        self.label_smoothing = check_range("label_smoothing", label_smoothing, 0.0, 1.0)

    def forward(self, input, target):
        x = as_array("input", input, min_ndim=1)
        batched = x.ndim >= 2
        cdim = 1 if batched else 0
        C = x.shape[cdim]
        w = np.ones(C) if self.weight is None else self.weight
        if w.shape != (C,):
            raise ValueError(f"weight has {w.shape[0]} entries but the input has {C} classes")
        logp = log_softmax(x, cdim)
        q, divisor = self._target_weights(np.asarray(target), x, cdim, w)
        per = -(q * logp).sum(axis=cdim)
        self._save(logp=logp, q=q, cdim=cdim, divisor=divisor)
        return self._reduce(per, divisor)

    def _target_weights(self, t, x, cdim, w):
        """Weights :math:`q` on each :math:`-\\log p`, and the divisor for ``"mean"``."""
        C, eps = x.shape[cdim], self.label_smoothing
        wshape = [1] * x.ndim
        wshape[cdim] = C
        wb = w.reshape(wshape)
        if t.dtype.kind == "f":  # class probabilities
            check_same_shape("input", x, "target (probabilities)", t)
            if self.ignore_index != -100:
                raise ValueError(f"ignore_index={self.ignore_index} applies to class-index "
                                 "targets only, not to probability targets (as in PyTorch)")
            t = t * (1 - eps) + eps / C if eps else t
            return wb * t, x.size // C
        if t.dtype.kind not in "iu":
            raise TypeError(f"target must hold class indices (integers) or probabilities "
                            f"(floats), got dtype {t.dtype}")
        expected = x.shape[:cdim] + x.shape[cdim + 1:]
        if t.shape != expected:
            raise ValueError(f"target shape {t.shape} does not match input shape {x.shape}: "
                             f"class-index targets must have shape {expected}")
        keep = t != self.ignore_index
        bad = keep & ((t < 0) | (t >= C))
        if bad.any():
            raise ValueError(f"target class index must be in [0, {C - 1}] (or ignore_index="
                             f"{self.ignore_index}), got {int(t[bad].flat[0])}")
        safe = np.where(keep, t, 0)
        onehot = (np.expand_dims(safe, cdim) == np.arange(C).reshape(wshape)).astype(x.dtype)
        mask = np.expand_dims(keep, cdim)
        q = (1 - eps) * onehot * wb + (eps / C) * wb
        divisor = float((w[safe] * keep).sum())
        return q * mask, divisor

    def backward(self, grad_output=1.0):
        logp, q, cdim, divisor = self._saved("logp", "q", "cdim", "divisor")
        local = np.exp(logp) * q.sum(axis=cdim, keepdims=True) - q
        up = self._upstream(grad_output, logp.shape[:cdim] + logp.shape[cdim + 1:], divisor)
        return local * np.expand_dims(up, cdim)

    def extra_repr(self) -> str:
        return (f"ignore_index={self.ignore_index}, reduction={self.reduction!r}, "
                f"label_smoothing={self.label_smoothing}")


def mse_loss(input, target, reduction: str = "mean"):
    """Functional form of :class:`MSELoss`."""
    return MSELoss(reduction)(input, target)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction: str = "mean",
                                     pos_weight=None):
    """Functional form of :class:`BCEWithLogitsLoss`."""
    return BCEWithLogitsLoss(weight, reduction, pos_weight)(input, target)


def cross_entropy(input, target, weight=None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0):
    """Functional form of :class:`CrossEntropyLoss`."""
    return CrossEntropyLoss(weight, ignore_index, reduction, label_smoothing)(input, target)
