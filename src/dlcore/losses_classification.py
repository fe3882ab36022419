r"""Multi-class losses: cross-entropy from logits, negative log-likelihood, KL divergence.

``CrossEntropyLoss`` is ``NLLLoss`` applied to ``log_softmax`` of the logits. Both take the
class dimension at position 1 (``(N, C)`` or ``(N, C, d1, ...)``) or 0 for an unbatched
``(C,)`` input, and class-index targets with ``ignore_index`` and a per-class ``weight``; a
weighted ``"mean"`` divides by the sum of the weights of the samples kept, not by their count.
"""

from __future__ import annotations

import numpy as np

from .activations import log_softmax
from .checks import as_array, check_range
from .losses import _class_weight, _insert_axis, _Loss, _pair_input_target

__all__ = ["CrossEntropyLoss", "NLLLoss", "KLDivLoss", "cross_entropy", "nll_loss", "kl_div"]
__functional__ = ["cross_entropy", "nll_loss", "kl_div"]


def _class_layout(input, weight):
    """The input as an array, its class dimension, and the per-class weight (ones if None)."""
    x = as_array("input", input, min_ndim=1)
    cdim = 1 if x.ndim >= 2 else 0
    C = x.shape[cdim]
    w = np.ones(C, dtype=x.dtype) if weight is None else weight
    if w.shape != (C,):
        raise ValueError(f"weight has {w.shape[0]} entries but the input has {C} classes")
    wshape = [1] * x.ndim
    wshape[cdim] = C
    return x, cdim, w.reshape(wshape)


def _check_targets(target, x, cdim, ignore_index):
    """Class-index targets as an integer array, checked against the input; and the mask of
    kept samples (``None`` when every sample is kept, the common case, so no mask is built).

    ``ignore_index=None`` ignores nothing (losses without that option)."""
    t = np.asarray(target)
    if t.dtype.kind not in "iu":
        raise TypeError(f"target must hold class indices (integers), got dtype {t.dtype}")
    C = x.shape[cdim]
    expected = x.shape[:cdim] + x.shape[cdim + 1:]
    if t.shape != expected:
        raise ValueError(f"target shape {t.shape} does not match input shape {x.shape}: "
                         f"class-index targets must have shape {expected}")
    keep = None if ignore_index is None else t != ignore_index
    if keep is not None and keep.all():
        keep = None
    bad = (t < 0) | (t >= C)
    if keep is not None:
        bad &= keep
    if bad.any():
        also = "" if ignore_index is None else f" (or ignore_index={ignore_index})"
        raise ValueError(f"target class index must be in [0, {C - 1}]{also}, "
                         f"got {int(t[bad].flat[0])}")
    return t, keep


def _index_targets(target, x, cdim, ignore_index):
    """One-hot of class-index targets (zero rows where ignored) and the mask of kept samples.

    ``ignore_index=None`` ignores nothing (losses without that option)."""
    t, keep = _check_targets(target, x, cdim, ignore_index)
    keep = np.ones(t.shape, bool) if keep is None else keep
    C = x.shape[cdim]
    classes = np.arange(C).reshape([C if d == cdim else 1 for d in range(x.ndim)])
    onehot = (np.expand_dims(np.where(keep, t, 0), cdim) == classes).astype(x.dtype)
    return onehot, np.expand_dims(keep, cdim)


class NLLLoss(_Loss):
    r"""Negative log-likelihood of class-index targets, as ``torch.nn.NLLLoss``.

    ``input`` holds log-probabilities, shape ``(N, C)``, ``(C,)`` or ``(N, C, d1, ...)``;
    ``target`` class indices of shape ``(N,)``, ``()`` or ``(N, d1, ...)``.

    .. math::
        \ell_n = -w_{y_n}\, x_{n, y_n}, \qquad
        \text{mean} = \frac{\sum_n \ell_n}{\sum_n w_{y_n}}

    over the samples whose target is not ``ignore_index`` (the others contribute 0). The
    gradient is :math:`-w_{y_n}` at the target entry and 0 elsewhere.

    Examples
    --------
    >>> loss = NLLLoss(weight=np.array([1.0, 3.0]))
    >>> loss(np.log(np.array([[0.5, 0.5], [0.9, 0.1]])), np.array([0, 1]))
    1.900
    """

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__(reduction)
        self.weight = _class_weight(weight)
        self.ignore_index = int(ignore_index)

    def forward(self, input, target):
        x, cdim, wb = _class_layout(input, self.weight)
        onehot, keep = _index_targets(target, x, cdim, self.ignore_index)
        q = onehot * wb * keep
        self._save(q=q, cdim=cdim, divisor=float(q.sum()))
        return self._reduce(-(q * x).sum(axis=cdim), float(q.sum()))

    def backward(self, grad_output=1.0):
        q, cdim, divisor = self._saved("q", "cdim", "divisor")
        up = self._upstream(grad_output, q.shape[:cdim] + q.shape[cdim + 1:], divisor, q.dtype)
        return -q * _insert_axis(up, cdim)


class CrossEntropyLoss(NLLLoss):
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
        super().__init__(weight, ignore_index, reduction)
        self.label_smoothing = check_range("label_smoothing", label_smoothing, 0.0, 1.0)

    def forward(self, input, target):
        x, cdim, wb = _class_layout(input, self.weight)
        plain = self.weight is None and not self.label_smoothing
        if plain and np.asarray(target).dtype.kind in "iu":
            return self._forward_indices(x, cdim, target)
        logp = log_softmax(x, cdim)
        q, divisor = self._target_weights(target, x, cdim, wb)
        self._save(logp=logp, q=q, cdim=cdim, divisor=divisor)
        return self._reduce(-(q * logp).sum(axis=cdim), divisor)

    def _forward_indices(self, x, cdim, target):
        r"""Fast path for plain class indices (no weight, no smoothing): no one-hot matrix.

        With :math:`z = x - \max_c x_c` and :math:`s = \sum_c e^{z_c}`, the loss of a sample is
        :math:`\log s - z_{y}`, read at the target only; the softmax :math:`e^{z} / s` is kept
        for the gradient :math:`p - \text{onehot}(y)`."""
        t, keep = _check_targets(target, x, cdim, self.ignore_index)
        idx = np.expand_dims(t if keep is None else np.where(keep, t, 0), cdim)
        z = x - x.max(axis=cdim, keepdims=True)
        p = np.exp(z)
        s = p.sum(axis=cdim, keepdims=True)
        p /= s
        per = np.log(s)
        per -= np.take_along_axis(z, idx, axis=cdim)
        per = per.squeeze(cdim)[()]  # [()]: a NumPy scalar, not a 0-d array, for (C,) input
        if keep is not None:
            per = per * keep  # ignored samples contribute 0 (their log s - z_0 is finite)
        divisor = float(per.size if keep is None else np.count_nonzero(keep))
        self._save(p=p, idx=idx, keep=keep, cdim=cdim, divisor=divisor)
        return self._reduce(per, divisor)

    def _target_weights(self, target, x, cdim, wb):
        """Weights :math:`q` on each :math:`-\\log p`, and the divisor for ``"mean"``."""
        C, eps = x.shape[cdim], self.label_smoothing
        t = np.asarray(target)
        if t.dtype.kind == "f":  # class probabilities
            x, t = _pair_input_target(x, t)
            if self.ignore_index != -100:
                raise ValueError(f"ignore_index={self.ignore_index} applies to class-index "
                                 "targets only, not to probability targets (as in PyTorch)")
            t = t * (1 - eps) + eps / C if eps else t
            return wb * t, x.size // C
        onehot, keep = _index_targets(t, x, cdim, self.ignore_index)
        q = ((1 - eps) * onehot + eps / C) * wb
        return q * keep, float((onehot * wb * keep).sum())

    def backward(self, grad_output=1.0):
        if "idx" in self._saved():
            return self._backward_indices(grad_output)
        logp, q, cdim, divisor = self._saved("logp", "q", "cdim", "divisor")
        local = np.exp(logp) * q.sum(axis=cdim, keepdims=True) - q
        up = self._upstream(grad_output, logp.shape[:cdim] + logp.shape[cdim + 1:], divisor,
                           logp.dtype)
        return local * _insert_axis(up, cdim)

    def _backward_indices(self, grad_output):
        r"""Gradient of the fast path: :math:`u\,(p - \text{onehot}(y))`, with :math:`u` the
        upstream factor of each sample (0 for ignored samples)."""
        p, idx, keep, cdim, divisor = self._saved("p", "idx", "keep", "cdim", "divisor")
        up = self._upstream(grad_output, idx.shape[:cdim] + idx.shape[cdim + 1:], divisor,
                            p.dtype)
        if keep is not None:
            up = up * keep
        up = _insert_axis(up, cdim)
        grad = p * up
        at_target = np.take_along_axis(grad, idx, axis=cdim)
        at_target -= up
        np.put_along_axis(grad, idx, at_target, axis=cdim)
        return grad


class KLDivLoss(_Loss):
    r"""Kullback-Leibler divergence, as ``torch.nn.KLDivLoss``.

    ``input`` holds log-probabilities :math:`x = \log q`; ``target`` probabilities :math:`y`
    (or log-probabilities with ``log_target=True``), of the same shape:

    .. math::
        \ell_i = y_i (\log y_i - x_i) \;\; (0 \text{ where } y_i = 0), \qquad
        \frac{\partial \ell_i}{\partial x_i} = -y_i .

    ``reduction="batchmean"`` divides the sum by the batch size ``input.shape[0]`` and gives
    the true :math:`\mathrm{KL}(y \,\|\, q)` per sample; ``"mean"`` divides by the number of
    *elements* (PyTorch warns about it; dlcore only documents it).

    Examples
    --------
    >>> loss = KLDivLoss(reduction="batchmean")
    >>> round(loss(np.log(np.array([[0.5, 0.5]])), np.array([[0.9, 0.1]])), 6)
    0.368064
    """

    _reductions = ("mean", "sum", "none", "batchmean")

    def __init__(self, reduction: str = "mean", log_target: bool = False):
        super().__init__(reduction)
        self.log_target = bool(log_target)

    def forward(self, input, target):
        x, y = _pair_input_target(input, target)
        if self.log_target:
            p = np.exp(y)
            per = p * (y - x)
        else:
            p = y
            with np.errstate(divide="ignore", invalid="ignore"):  # y < 0 gives NaN, as torch
                y_log_y = np.where(y == 0, 0.0, y * np.log(np.where(y == 0, 1.0, y)))
            per = y_log_y - y * x
        divisor = (x.shape[0] if x.ndim else 1) if self.reduction == "batchmean" else None
        self._save(p=p, divisor=divisor)
        if self.reduction == "batchmean":
            return float(per.sum() / divisor)
        return self._reduce(per)

    def backward(self, grad_output=1.0):
        p, divisor = self._saved("p", "divisor")
        if self.reduction == "batchmean":
            return -p * p.dtype.type(float(grad_output) / divisor)
        return -p * self._upstream(grad_output, p.shape, dtype=p.dtype)


def cross_entropy(input, target, weight=None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0):
    """Functional form of :class:`CrossEntropyLoss`.

    Examples
    --------
    >>> round(cross_entropy(np.zeros((2, 4)), np.array([0, 3])), 6)   # log 4
    1.386294
    """
    return CrossEntropyLoss(weight, ignore_index, reduction, label_smoothing)(input, target)


def nll_loss(input, target, weight=None, ignore_index: int = -100, reduction: str = "mean"):
    """Functional form of :class:`NLLLoss`.

    Examples
    --------
    >>> round(nll_loss(np.log(np.array([[0.25, 0.75]])), np.array([1])), 6)
    0.287682
    """
    return NLLLoss(weight, ignore_index, reduction)(input, target)


def kl_div(input, target, reduction: str = "mean", log_target: bool = False):
    """Functional form of :class:`KLDivLoss`.

    Examples
    --------
    >>> kl_div(np.log(np.array([[0.5, 0.5]])), np.array([[0.5, 0.5]]), reduction="batchmean")
    0.0
    """
    return KLDivLoss(reduction, log_target)(input, target)
