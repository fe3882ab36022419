r"""Loss functions as modules (the loss classes of ``torch.nn``).

A loss's ``forward(input, target)`` returns the loss (a float for ``reduction="mean"`` or
``"sum"``, an array for ``"none"``) and remembers what its gradient needs;
``backward(grad_output=1.0)`` returns :math:`\partial L / \partial \text{input}`.

The maths lives in :mod:`dlcore.functional.loss`: each class checks its arguments once, in
``__init__``; ``forward`` calls the functional forward kernel and keeps the ``saved`` dict it
returns; ``backward`` hands that dict to the matching backward kernel. The classes come in
the order of that module: regression, binary, multi-class, margin, likelihood.
"""

from __future__ import annotations

import numpy as np

from ..functional import loss as F
from .module import Module

__all__ = ["MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss",
           "MultiLabelSoftMarginLoss", "NLLLoss", "CrossEntropyLoss", "KLDivLoss",
           "MultiMarginLoss", "CosineEmbeddingLoss", "MarginRankingLoss", "HingeEmbeddingLoss",
           "SoftMarginLoss", "MultiLabelMarginLoss", "PoissonNLLLoss", "GaussianNLLLoss",
           "TripletMarginLoss"]


class _Loss(Module):
    """Shared plumbing: the ``reduction`` argument, and ``forward``/``backward`` through the
    functional kernels ``_forward_kernel(input, target, *self._args()) -> (loss, saved)`` and
    ``_backward_kernel(saved, grad_output)``."""

    _reductions = F.REDUCTIONS

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = F._check_reduction(reduction, self._reductions)

    def __call__(self, *inputs):
        return self.forward(*inputs)

    def forward(self, input, target):
        loss, saved = self._forward_kernel(input, target, *self._args())
        self._save(saved=saved)
        return loss

    def backward(self, grad_output=1.0):
        (saved,) = self._saved("saved")
        return self._backward_kernel(saved, grad_output)

    def extra_repr(self) -> str:
        return ""  # PyTorch's loss modules print no arguments: repr is e.g. "HuberLoss()"


# ------------------------------------------------------------------------------------------
# Regression
# ------------------------------------------------------------------------------------------

class _PointwiseLoss(_Loss):
    r"""A loss :math:`\rho(x_n - y_n)` per element; ``_rho(d)`` returns ``(loss, slope)``.

    ``_weight`` is the per-element weight that only PyTorch's *functional* forms accept (None
    here: a hook for tests of the weighted gradient); ``_weight_sum_divides`` is how ``"mean"``
    then divides (see :func:`dlcore.functional.loss._pointwise_forward`).
    """

    _weight = None
    _weight_sum_divides = True
    _backward_kernel = staticmethod(F._pointwise_backward)

    def forward(self, input, target):
        loss, saved = F._pointwise_forward(self._rho, input, target, self.reduction,
                                           self._weight, self._weight_sum_divides)
        self._save(saved=saved)
        return loss


class MSELoss(_PointwiseLoss):
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

    _rho = staticmethod(F._mse_rho)


class L1Loss(_PointwiseLoss):
    r"""Mean absolute error :math:`\ell_n = |x_n - y_n|`, as ``torch.nn.L1Loss``.

    Gradient: :math:`\mathrm{sign}(x_n - y_n)`, with the subgradient 0 chosen at a zero
    residual (PyTorch's convention). Every point pulls on the fit with the same force, however
    far away it is: the median, not the mean, minimises it.

    Examples
    --------
    >>> loss = L1Loss(reduction="sum")
    >>> loss(np.array([1.0, 3.0, 2.0]), np.array([0.0, 5.0, 2.0]))
    3.0
    >>> loss.backward()
    array([ 1., -1.,  0.])
    """

    _rho = staticmethod(F._l1_rho)


class HuberLoss(_PointwiseLoss):
    r"""Huber loss with threshold ``delta`` :math:`\delta > 0`, as ``torch.nn.HuberLoss``.

    .. math::
        \ell_n = \begin{cases} \tfrac12 d_n^2 & |d_n| < \delta \\
                 \delta\,(|d_n| - \tfrac12 \delta) & \text{otherwise} \end{cases},
        \qquad \frac{\partial \ell_n}{\partial x_n} = \mathrm{clip}(d_n, -\delta, \delta)

    with :math:`d_n = x_n - y_n`: quadratic (MSE-like) for *small* residuals, linear
    (MAE-like) for large ones, so the gradient is bounded by :math:`\delta` (Huber, 1964).

    Examples
    --------
    >>> loss = HuberLoss(reduction="none", delta=1.0)
    >>> loss(np.array([0.5, 3.0]), np.array([0.0, 0.0]))
    array([0.125, 2.5  ])
    >>> loss.backward(np.ones(2))
    array([0.5, 1. ])
    """

    _weight_sum_divides = False  # torch's huber_loss(weight=...) takes a plain mean

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction)
        self.delta = F._check_delta(delta)

    def _rho(self, d):
        return F._huber_rho(d, self.delta)


class SmoothL1Loss(_PointwiseLoss):
    r"""Smooth L1 loss with threshold ``beta`` :math:`\beta \ge 0`, as ``torch.nn.SmoothL1Loss``.

    .. math::
        \ell_n = \begin{cases} \tfrac12 d_n^2 / \beta & |d_n| < \beta \\
                 |d_n| - \tfrac12 \beta & \text{otherwise} \end{cases},
        \qquad \frac{\partial \ell_n}{\partial x_n} = \mathrm{clip}(d_n / \beta, -1, 1)

    It is Huber divided by :math:`\beta` (``SmoothL1(beta) = Huber(delta=beta) / beta``), so its
    slope is bounded by 1 whatever :math:`\beta`; with ``beta=0`` it is exactly ``L1Loss``.

    Examples
    --------
    >>> loss = SmoothL1Loss(reduction="none", beta=2.0)
    >>> loss(np.array([1.0, 3.0]), np.array([0.0, 0.0]))
    array([0.25, 2.  ])
    """

    def __init__(self, reduction: str = "mean", beta: float = 1.0):
        super().__init__(reduction)
        self.beta = F._check_beta(beta)

    def _rho(self, d):
        return F._smooth_l1_rho(d, self.beta)


# ------------------------------------------------------------------------------------------
# Binary cross-entropy
# ------------------------------------------------------------------------------------------

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

    _forward_kernel = staticmethod(F._bce_forward)
    _backward_kernel = staticmethod(F._bce_backward)

    def __init__(self, weight=None, reduction: str = "mean"):
        super().__init__(reduction)
        self.weight = F._optional("weight", weight)

    def _args(self):
        return self.weight, self.reduction


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

    _forward_kernel = staticmethod(F._bce_with_logits_forward)
    _backward_kernel = staticmethod(F._bce_with_logits_backward)

    def __init__(self, weight=None, reduction: str = "mean", pos_weight=None):
        super().__init__(reduction)
        self.weight = F._optional("weight", weight)
        self.pos_weight = F._optional("pos_weight", pos_weight)

    def _args(self):
        return self.weight, self.reduction, self.pos_weight


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

    _forward_kernel = staticmethod(F._multilabel_soft_margin_forward)
    _backward_kernel = staticmethod(F._multilabel_soft_margin_backward)

    def __init__(self, weight=None, reduction: str = "mean"):
        super().__init__(reduction)
        self.weight = F._optional("weight", weight)

    def _args(self):
        return self.weight, self.reduction


# ------------------------------------------------------------------------------------------
# Multi-class
# ------------------------------------------------------------------------------------------

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

    _forward_kernel = staticmethod(F._nll_forward)
    _backward_kernel = staticmethod(F._nll_backward)

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__(reduction)
        self.weight = F._class_weight(weight)
        self.ignore_index = F._check_ignore_index(ignore_index)

    def _args(self):
        return self.weight, self.ignore_index, self.reduction


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

    _forward_kernel = staticmethod(F._cross_entropy_forward)
    _backward_kernel = staticmethod(F._cross_entropy_backward)

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0):
        super().__init__(weight, ignore_index, reduction)
        self.label_smoothing = F._check_label_smoothing(label_smoothing)

    def _args(self):
        return self.weight, self.ignore_index, self.reduction, self.label_smoothing


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

    _reductions = F.KL_REDUCTIONS
    _forward_kernel = staticmethod(F._kl_div_forward)
    _backward_kernel = staticmethod(F._kl_div_backward)

    def __init__(self, reduction: str = "mean", log_target: bool = False):
        super().__init__(reduction)
        self.log_target = bool(log_target)

    def _args(self):
        return self.reduction, self.log_target


# ------------------------------------------------------------------------------------------
# Margin
# ------------------------------------------------------------------------------------------

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

    _forward_kernel = staticmethod(F._multi_margin_forward)
    _backward_kernel = staticmethod(F._multi_margin_backward)

    def __init__(self, p: int = 1, margin: float = 1.0, weight=None, reduction: str = "mean"):
        super().__init__(reduction)
        self.p, self.margin = F._check_multi_margin(p, margin)
        self.weight = F._class_weight(weight)

    def _args(self):
        return self.p, self.margin, self.weight, self.reduction


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
        self.margin = F._check_cosine_margin(margin)

    def forward(self, input1, input2, target):
        loss, saved = F._cosine_embedding_forward(input1, input2, target, self.margin,
                                                  self.reduction)
        self._save(saved=saved)
        return loss

    def backward(self, grad_output=1.0):
        """Gradients ``(d input1, d input2)``."""
        (saved,) = self._saved("saved")
        return F._cosine_embedding_backward(saved, grad_output)


class _PairLoss(_Loss):
    """A loss of ``forward(input1, input2, target)`` whose backward returns both gradients."""

    def forward(self, input1, input2, target):
        loss, saved = self._forward_kernel(input1, input2, target, *self._args())
        self._save(saved=saved)
        return loss


class MarginRankingLoss(_PairLoss):
    r"""Margin ranking loss, as ``torch.nn.MarginRankingLoss``: for scores :math:`x_1, x_2`
    and :math:`y \in \{1, -1\}` (:math:`x_1` should rank higher when :math:`y = 1`),

    .. math:: \ell_n = \max(0,\ -y_n (x_{1,n} - x_{2,n}) + \text{margin}).

    The three inputs have the same number of dimensions and broadcast. ``backward`` returns
    ``(d input1, d input2)`` = :math:`(-y, y)` where the hinge is active, *including* the kink
    (PyTorch's ``clamp_min`` passes the gradient at 0).

    Examples
    --------
    >>> loss = MarginRankingLoss(margin=1.0)
    >>> loss(np.array([2.0, 0.0]), np.array([1.0, 1.0]), np.array([1.0, -1.0]))
    0.0
    """

    _forward_kernel = staticmethod(F._margin_ranking_forward)
    _backward_kernel = staticmethod(F._margin_ranking_backward)

    def __init__(self, margin: float = 0.0, reduction: str = "mean"):
        super().__init__(reduction)
        self.margin = F._real("margin", margin, "MarginRankingLoss")

    def _args(self):
        return self.margin, self.reduction


class HingeEmbeddingLoss(_Loss):
    r"""Hinge embedding loss, as ``torch.nn.HingeEmbeddingLoss``: for a distance-like input
    :math:`x` and :math:`y \in \{1, -1\}`,

    .. math::
        \ell_n = \begin{cases} x_n & y_n = 1 \\ \max(0, \text{margin} - x_n) & y_n = -1
        \end{cases}

    (for other targets PyTorch adds both terms; so does dlcore). Gradient: 1 for
    :math:`y = 1`; :math:`-1` for :math:`y = -1` while :math:`x \le \text{margin}` (the kink
    included, as in PyTorch). Input and target broadcast.

    Examples
    --------
    >>> HingeEmbeddingLoss(reduction="none")(np.array([0.25, 3.0]), np.array([-1.0, 1.0]))
    array([0.75, 3.  ])
    """

    _forward_kernel = staticmethod(F._hinge_embedding_forward)
    _backward_kernel = staticmethod(F._slope_backward)

    def __init__(self, margin: float = 1.0, reduction: str = "mean"):
        super().__init__(reduction)
        self.margin = F._real("margin", margin, "HingeEmbeddingLoss")

    def _args(self):
        return self.margin, self.reduction


class SoftMarginLoss(_Loss):
    r"""Soft margin (logistic) loss for :math:`y \in \{1, -1\}`, as ``torch.nn.SoftMarginLoss``:
    :math:`\ell_n = \log(1 + e^{-y_n x_n})`, gradient :math:`-y_n \sigma(-y_n x_n)`.

    Computed as a stable softplus: where PyTorch's ``log1p(exp(.))`` overflows to inf
    (:math:`-y x \gtrsim 710` in float64) dlcore returns the finite value :math:`-y x`.

    Examples
    --------
    >>> round(SoftMarginLoss()(np.array([0.0, 800.0]), np.array([1.0, 1.0])), 6)
    0.346574
    """

    _forward_kernel = staticmethod(F._soft_margin_forward)
    _backward_kernel = staticmethod(F._slope_backward)

    def _args(self):
        return (self.reduction,)


class MultiLabelMarginLoss(_Loss):
    r"""Multi-label hinge loss, as ``torch.nn.MultiLabelMarginLoss``.

    Input ``(N, C)`` or ``(C,)`` scores; the target has the same shape and lists each row's
    classes, ended by the first -1 (later entries are ignored). With :math:`T_n` that list:

    .. math::
        \ell_n = \frac{1}{C} \sum_{j \in T_n} \sum_{i \notin T_n}
        \max(0,\ 1 - (x_{n, j} - x_{n, i})).

    A class listed twice counts twice, as in PyTorch; at a shortfall of exactly 0 the
    gradient is 0. An empty batch gives loss 0 for ``"mean"`` (PyTorch returns an
    uninitialised scalar, about 1e-310).

    Examples
    --------
    >>> round(MultiLabelMarginLoss()(np.array([[0.1, 0.2, 0.4, 0.8]]), np.array([[3, 0, -1, 1]])), 6)
    0.85
    """

    _forward_kernel = staticmethod(F._multilabel_margin_forward)
    _backward_kernel = staticmethod(F._multilabel_margin_backward)

    def _args(self):
        return (self.reduction,)


class PoissonNLLLoss(_Loss):
    r"""Poisson negative log-likelihood of counts :math:`y` for a rate given by the input, as
    ``torch.nn.PoissonNLLLoss`` (its deprecated ``size_average`` and ``reduce`` are not taken).

    ``log_input=True``: the input is :math:`\log\lambda` and :math:`\ell = e^x - y x`;
    ``False``: the input is :math:`\lambda` and :math:`\ell = x - y \log(x + \epsilon)`.
    ``full=True`` adds Stirling's approximation of :math:`\log y!`,
    :math:`y \log y - y + \tfrac12 \log(2\pi y)`, where :math:`y > 1`. Input and target
    broadcast; backward returns the input gradient.

    Examples
    --------
    >>> round(PoissonNLLLoss()(np.array([0.0]), np.array([2.0])), 6)
    1.0
    """

    _forward_kernel = staticmethod(F._poisson_nll_forward)
    _backward_kernel = staticmethod(F._slope_backward)

    def __init__(self, log_input: bool = True, full: bool = False, eps: float = 1e-8,
                 reduction: str = "mean"):
        super().__init__(reduction)
        self.log_input = F._check_flag("log_input", log_input, "PoissonNLLLoss")
        self.full = F._check_flag("full", full, "PoissonNLLLoss")
        self.eps = F._real("eps", eps, "PoissonNLLLoss")

    def _args(self):
        return self.log_input, self.full, self.eps, self.reduction


class GaussianNLLLoss(_Loss):
    r"""Gaussian negative log-likelihood with a predicted variance, as
    ``torch.nn.GaussianNLLLoss``: ``forward(input, target, var)``,

    .. math:: \ell_n = \tfrac12\left(\log v_n + \frac{(x_n - y_n)^2}{v_n}\right)
              \ (+\ \tfrac12\log 2\pi \text{ if full}),\qquad v_n = \max(\text{var}_n, \epsilon).

    ``var`` has the input's shape, that shape with a last dimension of 1, or that shape
    without its last dimension (one variance per sample), or is a number. As in PyTorch the
    clamp is invisible to the gradient: every entry of ``var`` gets
    :math:`\tfrac12(1/v - (x - y)^2/v^2)`, clamped or not. ``backward`` returns
    ``(d input, d var)`` (``d var`` is None for a number).

    Examples
    --------
    >>> loss = GaussianNLLLoss()
    >>> round(loss(np.array([1.0]), np.array([0.0]), np.array([1.0])), 6)
    0.5
    >>> loss.backward()
    (array([1.]), array([0.]))
    """

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean"):
        super().__init__(reduction)
        self.full = F._check_flag("full", full, "GaussianNLLLoss")
        self.eps = F._real("eps", eps, "GaussianNLLLoss")

    def forward(self, input, target, var):
        loss, saved = F._gaussian_nll_forward(input, target, var, self.full, self.eps,
                                              self.reduction)
        self._save(saved=saved)
        return loss

    def backward(self, grad_output=1.0):
        (saved,) = self._saved("saved")
        return F._gaussian_nll_backward(saved, grad_output)


class TripletMarginLoss(_PairLoss):
    r"""Triplet margin loss for metric learning, as ``torch.nn.TripletMarginLoss``
    (Schroff et al., 2015): with :math:`d` the :func:`~dlcore.functional.distance.pairwise_distance`
    (``p``, ``eps``),

    .. math:: \ell_n = \max\big(d(a_n, p_n) - d(a_n, n_n) + \text{margin},\ 0\big),

    pulling the positive in and pushing the negative out until it is ``margin`` farther.
    ``swap=True`` uses :math:`\min(d(a, n), d(p, n))` as the negative distance (Balntas et
    al., 2016). ``forward(anchor, positive, negative)`` with ``(N, D)`` or ``(D,)`` inputs;
    ``backward`` returns the three gradients. At the hinge's kink the gradient passes, as in
    PyTorch; a swap tie splits it equally.

    Examples
    --------
    >>> loss = TripletMarginLoss(margin=2.0, eps=0.0)
    >>> a, pos, neg = np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]]), np.array([[0.0, 2.0]])
    >>> loss(a, pos, neg)                                          # 1 - 2 + 2
    1.0
    >>> [g.round(3).tolist() for g in loss.backward()]
    [[[-1.0, 1.0]], [[1.0, 0.0]], [[0.0, -1.0]]]
    """

    _forward_kernel = staticmethod(F._triplet_margin_forward)
    _backward_kernel = staticmethod(F._triplet_margin_backward)

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                 swap: bool = False, reduction: str = "mean"):
        super().__init__(reduction)
        self.margin, self.p, self.eps, self.swap = F._check_triplet(margin, p, eps, swap)

    def _args(self):
        return self.margin, self.p, self.eps, self.swap, self.reduction
