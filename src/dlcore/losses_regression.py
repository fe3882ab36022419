r"""Regression losses: functions of the residual :math:`d = x - y`, element by element.

``MSELoss`` squares the residual, ``L1Loss`` takes its absolute value, and ``HuberLoss`` /
``SmoothL1Loss`` join a parabola near zero to straight lines further out, so that a single
outlier pulls on the fit with a bounded force. Each is written as the element loss
:math:`\rho(d)` and its slope :math:`\rho'(d)`; the backward pass is the slope times the
gradient of the reduction.
"""

from __future__ import annotations

import numpy as np

from .checks import as_array, check_range
from .losses import _Loss, _pair_input_target

__all__ = ["MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss",
           "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss"]
__functional__ = ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss"]


class _PointwiseLoss(_Loss):
    """A loss :math:`\\rho(x_n - y_n)` per element. Subclasses define ``_rho(d) -> (loss, slope)``.

    ``_weight`` is the per-element weight that only PyTorch's *functional* forms accept;
    ``_weight_sum_divides`` says whether ``"mean"`` then divides by the sum of the weights
    (``mse_loss``, ``l1_loss``) or by the element count (``huber_loss``), as PyTorch does.
    """

    _weight = None
    _weight_sum_divides = True

    def forward(self, input, target):
        x, y = _pair_input_target(input, target)
        per, slope = self._rho(x - y)
        divisor = None
        if self._weight is not None:
            w = as_array("weight", self._weight, dtype=x.dtype)
            if w.shape != x.shape:
                raise ValueError(f"weight shape {w.shape} does not match input shape {x.shape}")
            per, slope = per * w, slope * w
            divisor = float(w.sum()) if self._weight_sum_divides else None
        self._save(slope=slope, divisor=divisor)
        return self._reduce(per, divisor)

    def backward(self, grad_output=1.0):
        slope, divisor = self._saved("slope", "divisor")
        return slope * self._upstream(grad_output, slope.shape, divisor, slope.dtype)

    @classmethod
    def _functional(cls, input, target, weight, *args):
        loss = cls(*args)
        loss._weight = weight
        return loss(input, target)


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

    def _rho(self, d):
        return d * d, 2 * d


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

    def _rho(self, d):
        return np.abs(d), np.sign(d)


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
        self.delta = check_range("delta", delta, 0.0, low_open=True, what="HuberLoss")

    def _rho(self, d):
        # with s = clip(d, -delta, delta): s (d - s/2) is d^2/2 inside and delta(|d| - delta/2)
        # outside, in three passes over the data
        s = np.clip(d, -self.delta, self.delta)
        per = np.multiply(s, -0.5)
        per += d
        per *= s
        return per, s


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
        self.beta = check_range("beta", beta, 0.0, what="SmoothL1Loss")

    def _rho(self, d):
        if self.beta == 0:
            return np.abs(d), np.sign(d)
        s = np.clip(d / self.beta, -1.0, 1.0)    # s (d - beta s / 2): Huber(beta) / beta
        return s * (d - 0.5 * self.beta * s), s


def mse_loss(input, target, reduction: str = "mean", weight=None):
    """Functional form of :class:`MSELoss`; ``weight`` (input-shaped) makes ``"mean"`` divide
    by ``weight.sum()``, as ``torch.nn.functional.mse_loss``.

    Examples
    --------
    >>> mse_loss(np.array([1.0, 3.0]), np.zeros(2), weight=np.array([1.0, 0.0]))
    1.0
    """
    return MSELoss._functional(input, target, weight, reduction)


def l1_loss(input, target, reduction: str = "mean", weight=None):
    """Functional form of :class:`L1Loss`; ``weight`` as in :func:`mse_loss`.

    Examples
    --------
    >>> l1_loss(np.array([1.0, -3.0]), np.zeros(2))
    2.0
    """
    return L1Loss._functional(input, target, weight, reduction)


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0, weight=None):
    """Functional form of :class:`HuberLoss`; with ``weight`` (input-shaped), ``"mean"`` is the
    plain mean of the weighted element losses, as ``torch.nn.functional.huber_loss``.

    Examples
    --------
    >>> huber_loss(np.array([0.5, 3.0]), np.zeros(2), reduction="sum")
    2.625
    """
    return HuberLoss._functional(input, target, weight, reduction, delta)


def smooth_l1_loss(input, target, reduction: str = "mean", beta: float = 1.0):
    """Functional form of :class:`SmoothL1Loss`.

    Examples
    --------
    >>> smooth_l1_loss(np.array([0.5, 3.0]), np.zeros(2), reduction="sum", beta=2.0)
    2.0625
    """
    return SmoothL1Loss(reduction, beta)(input, target)
