r"""Binary cross-entropy, from probabilities and from logits, and its multi-label average.

For a probability :math:`p` of the positive class and a target :math:`y \in [0, 1]`,
:math:`\ell = -[y \log p + (1 - y) \log(1 - p)]`. From a logit :math:`x` with
:math:`p = \sigma(x)` the two logs are :math:`-\mathrm{softplus}(-x)` and
:math:`-\mathrm{softplus}(x)`, finite for every finite :math:`x`, and the gradient is the
familiar :math:`\sigma(x) - y`. From probabilities, PyTorch clamps each log at -100.
"""

from __future__ import annotations

import numpy as np

from .activations import sigmoid
from .checks import as_array
from .losses import _broadcast_or_raise, _insert_axis, _Loss, _pair_input_target, _softplus

__all__ = ["BCELoss", "BCEWithLogitsLoss", "MultiLabelSoftMarginLoss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "multilabel_soft_margin_loss"]
__functional__ = ["binary_cross_entropy", "binary_cross_entropy_with_logits",
                  "multilabel_soft_margin_loss"]

LOG_CLAMP = -100.0  # PyTorch's floor for log(p) and log(1 - p) in BCELoss
# PyTorch's floor for p (1 - p) in BCELoss's gradient: the float32 constant 1e-12, so its
# float64 value is 9.99999996e-13
EPSILON = float(np.float32(1e-12))


def _optional(name, value):
    return None if value is None else as_array(name, value)


class BCELoss(_Loss):
    r"""Binary cross-entropy on probabilities, as ``torch.nn.BCELoss``.

    .. math::
        \ell_n = -w_n \left[ y_n \max(\log x_n, -100) + (1 - y_n) \max(\log(1 - x_n), -100)
        \right], \qquad
        \frac{\partial \ell_n}{\partial x_n} = w_n \frac{x_n - y_n}{\max(x_n (1 - x_n), 10^{-12})}

    ``input`` holds probabilities in :math:`[0, 1]` (anything else raises ``ValueError``);
    ``weight`` is broadcast to the input. The clamp keeps the loss finite at :math:`x_n \in
    \{0, 1\}` but caps it at 100, so a confident mistake beyond :math:`e^{-100}` is not
    penalised further; :class:`BCEWithLogitsLoss` has no such cap and is the stable choice.

    Examples
    --------
    >>> loss = BCELoss(reduction="none")
    >>> np.round(loss(np.array([0.9, 0.0]), np.array([1.0, 1.0])), 4)
    array([  0.1054, 100.    ])
    """

    def __init__(self, weight=None, reduction: str = "mean"):
        super().__init__(reduction)
        self.weight = _optional("weight", weight)

    def forward(self, input, target):
        x, y = _pair_input_target(input, target)
        if x.size and not ((x >= 0) & (x <= 1)).all():
            bad = x[~((x >= 0) & (x <= 1))].flat[0]
            raise ValueError(f"BCELoss input must hold probabilities in [0, 1], got {bad:g}; "
                             "use BCEWithLogitsLoss for logits")
        w = _broadcast_or_raise("weight", self.weight, x.shape)
        with np.errstate(divide="ignore"):  # log 0 = -inf, clamped to -100 as in PyTorch
            log_p = np.maximum(np.log(x), LOG_CLAMP)
            log_q = np.maximum(np.log1p(-x), LOG_CLAMP)
        per = -w * (y * log_p + (1 - y) * log_q)
        self._save(local=w * (x - y) / np.maximum(x * (1 - x), EPSILON))
        return self._reduce(per)

    def backward(self, grad_output=1.0):
        (local,) = self._saved("local")
        return local * self._upstream(grad_output, local.shape, dtype=local.dtype)


def _bce_logits_plain(x, y):
    r"""Element losses and slopes of BCE on logits without weights, as PyTorch computes them:

    .. math::
        \ell = (1 - y)\, x - \log\sigma(x), \quad
        \log\sigma(x) = \min(x, 0) - \log(1 + e^{-|x|}), \quad
        \frac{\partial \ell}{\partial x} = \sigma(x) - y, \quad
        \sigma(x) = \frac{e^{\min(x, 0)}}{1 + e^{-|x|}}

    No exponential of a positive number is taken, so nothing overflows, and there is no
    branch on the sign of :math:`x` (``np.where`` on a random mask is slow)."""
    low = np.minimum(x, 0)
    e = np.abs(x)
    np.negative(e, out=e)
    np.exp(e, out=e)  # e^{-|x|}, in (0, 1]
    per = np.subtract(1, y)
    per *= x
    per -= low
    per += np.log1p(e)
    e += 1
    slope = np.exp(low, out=low)
    slope /= e
    slope -= y
    return per, slope


def _bce_logits_terms(x, y, w, p):
    """Element losses and their slopes for BCE on logits (see :class:`BCEWithLogitsLoss`)."""
    per = w * (p * y * _softplus(-x) + (1 - y) * _softplus(x))
    slope = w * (sigmoid(x) * (p * y + 1 - y) - p * y)
    return per, slope


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
        self.weight = _optional("weight", weight)
        self.pos_weight = _optional("pos_weight", pos_weight)

    def forward(self, input, target):
        x, y = _pair_input_target(input, target)
        if self.weight is None and self.pos_weight is None:
            per, slope = _bce_logits_plain(x, y)
        else:
            w = _broadcast_or_raise("weight", self.weight, x.shape)
            p = _broadcast_or_raise("pos_weight", self.pos_weight, x.shape)
            per, slope = _bce_logits_terms(x, y, w, p)
        self._save(slope=slope)
        return self._reduce(per)

    def backward(self, grad_output=1.0):
        (slope,) = self._saved("slope")
        return slope * self._upstream(grad_output, slope.shape, dtype=slope.dtype)


class MultiLabelSoftMarginLoss(_Loss):
    r"""Multi-label one-versus-all loss, as ``torch.nn.MultiLabelSoftMarginLoss``.

    Input ``(N, C)`` or ``(C,)`` logits, target of the same shape with entries in
    :math:`\{0, 1\}`: an independent sigmoid cross-entropy per class, averaged over the classes,

    .. math::
        \ell_n = \frac{1}{C} \sum_c -w_c \left[ y_{nc} \log\sigma(x_{nc})
        + (1 - y_{nc}) \log\sigma(-x_{nc}) \right],

    then reduced over the samples. It equals ``BCEWithLogitsLoss`` with ``"mean"`` when there
    is no weight. Gradient: :math:`w_c (\sigma(x_{nc}) - y_{nc}) / C`.

    Examples
    --------
    >>> loss = MultiLabelSoftMarginLoss()
    >>> round(loss(np.array([[1.2, -0.8, 3.0]]), np.array([[1.0, 0.0, 1.0]])), 6)
    0.227657
    """

    def __init__(self, weight=None, reduction: str = "mean"):
        super().__init__(reduction)
        self.weight = _optional("weight", weight)

    def forward(self, input, target):
        x, y = _pair_input_target(input, target)
        if x.ndim not in (1, 2):
            raise ValueError(f"MultiLabelSoftMarginLoss input must be (N, C) or (C,), got shape "
                             f"{x.shape}")
        C = x.shape[-1]
        w = _broadcast_or_raise("weight", self.weight, x.shape)
        per, slope = _bce_logits_terms(x, y, w, 1.0)
        self._save(slope=slope / C)
        return self._reduce(per.sum(axis=-1) / C)

    def backward(self, grad_output=1.0):
        (slope,) = self._saved("slope")
        up = self._upstream(grad_output, slope.shape[:-1], dtype=slope.dtype)
        return slope * _insert_axis(up, -1)


def binary_cross_entropy(input, target, weight=None, reduction: str = "mean"):
    """Functional form of :class:`BCELoss`.

    Examples
    --------
    >>> round(binary_cross_entropy(np.array([0.5]), np.array([1.0])), 6)
    0.693147
    """
    return BCELoss(weight, reduction)(input, target)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction: str = "mean",
                                     pos_weight=None):
    """Functional form of :class:`BCEWithLogitsLoss`.

    Examples
    --------
    >>> binary_cross_entropy_with_logits(np.array([-1e4]), np.array([1.0]), reduction="sum")
    10000.0
    """
    return BCEWithLogitsLoss(weight, reduction, pos_weight)(input, target)


def multilabel_soft_margin_loss(input, target, weight=None, reduction: str = "mean"):
    """Functional form of :class:`MultiLabelSoftMarginLoss`.

    Examples
    --------
    >>> round(multilabel_soft_margin_loss(np.zeros((1, 3)), np.ones((1, 3))), 6)
    0.693147
    """
    return MultiLabelSoftMarginLoss(weight, reduction)(input, target)
