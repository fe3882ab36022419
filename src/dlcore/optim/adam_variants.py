r"""The Adam family beyond Adam and AdamW: NAdam, RAdam and Adamax, as in ``torch.optim``.

All three keep Adam's first moment :math:`m \leftarrow \beta_1 m + (1 - \beta_1) g` and change
what divides it or how it is bias-corrected:

- **NAdam** (Dozat, 2016) applies Nesterov's look-ahead to :math:`m`, with a momentum that warms
  up over the first few hundred steps (``momentum_decay``).
- **RAdam** (Liu et al., 2020) switches the adaptive denominator off while the variance of
  :math:`\hat v` is too large to trust (the first ~5 steps), and rectifies it afterwards.
- **Adamax** (Kingma and Ba, 2015, section 7.1) replaces :math:`\sqrt{v}` by an exponentially
  weighted infinity norm :math:`u \leftarrow \max(\beta_2 u, |g| + \epsilon)`.
"""

from __future__ import annotations

import numpy as np

from ..checks import check_range
from .adam import _add_scaled_square, _lerp_into, check_adam_args
from .optimizer import Optimizer
from .sgd import _add_scaled_

__all__ = ["NAdam", "RAdam", "Adamax"]


def _moments(state, p, g, beta1, beta2):
    """Update Adam's ``exp_avg`` and ``exp_avg_sq`` in place, as torch does (lerp, addcmul)."""
    tmp = np.empty_like(p.data)
    _lerp_into(state["exp_avg"], g, 1 - beta1, tmp)
    _add_scaled_square(state["exp_avg_sq"], beta2, g, 1 - beta2, tmp)
    return state["exp_avg"], state["exp_avg_sq"]


class NAdam(Optimizer):
    r"""``torch.optim.NAdam``: Adam with Nesterov momentum (Dozat, 2016).

    At step :math:`t`, with :math:`\psi` = ``momentum_decay``:

    .. math::
        \mu_t &= \beta_1 \bigl(1 - \tfrac12\, 0.96^{t\psi}\bigr), \qquad
        \Pi_t = \textstyle\prod_{i \le t} \mu_i \\
        m &\leftarrow \beta_1 m + (1 - \beta_1) g, \qquad
        v \leftarrow \beta_2 v + (1 - \beta_2) g^2, \qquad
        d = \sqrt{v / (1 - \beta_2^t)} + \epsilon \\
        \theta &\leftarrow \theta - \eta\,\frac{1 - \mu_t}{1 - \Pi_t}\,\frac{g}{d}
                                  - \eta\,\frac{\mu_{t+1}}{1 - \Pi_t\,\mu_{t+1}}\,\frac{m}{d}

    The first term is the gradient's own contribution, the second the look-ahead momentum
    :math:`\mu_{t+1} m`. ``weight_decay`` is L2 in the gradient, or decoupled
    (:math:`\theta \leftarrow \theta(1 - \eta\lambda)`) with ``decoupled_weight_decay``.
    State: ``"step"``, ``"mu_product"`` (:math:`\Pi_t`), ``"exp_avg"``, ``"exp_avg_sq"``.

    Examples
    --------
    >>> import numpy as np
    >>> from dlcore.nn import Parameter
    >>> p = Parameter(np.array([0.0])); p.grad = np.array([1.0])
    >>> opt = NAdam([p], lr=0.1); opt.step()
    >>> round(float(opt.state[p]["mu_product"]), 6)   # mu_1 = 0.9 (1 - 0.5 * 0.96^0.004)
    0.450073
    """

    def __init__(self, params, lr: float = 2e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach=None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False):
        betas = check_adam_args("NAdam", lr, betas, eps, weight_decay)
        check_range("momentum_decay", momentum_decay, 0.0, what="NAdam")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize, foreach=foreach,
                                      capturable=capturable, differentiable=differentiable))

    def _update_group(self, group: dict) -> None:
        beta1, beta2 = group["betas"]
        lr, wd, psi = group["lr"], group["weight_decay"], group["momentum_decay"]
        decoupled = group["decoupled_weight_decay"]
        for p, g in self._gradients(group, coupled_decay=not decoupled):
            state = self._state(p)
            if not state:
                state.update(step=0.0, mu_product=1.0, exp_avg=np.zeros_like(p.data),
                             exp_avg_sq=np.zeros_like(p.data))
            state["step"] += 1
            t = state["step"]
            if decoupled and wd:
                p.data *= 1 - lr * wd
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
            state["mu_product"] *= mu
            m, v = _moments(state, p, g, beta1, beta2)
            denom = np.sqrt(v / (1 - beta2 ** t))
            denom += group["eps"]
            pi = state["mu_product"]
            _add_scaled_(p.data, g / denom, -lr * (1.0 - mu) / (1.0 - pi))
            _add_scaled_(p.data, m / denom, -lr * mu_next / (1.0 - pi * mu_next))


class RAdam(Optimizer):
    r"""``torch.optim.RAdam``: Adam with the variance of its adaptive step rectified
    (Liu et al., 2020).

    With :math:`\rho_\infty = 2/(1 - \beta_2) - 1` and
    :math:`\rho_t = \rho_\infty - 2 t \beta_2^t / (1 - \beta_2^t)` (the length of the
    approximated simple moving average behind :math:`\hat v`):

    .. math::
        \hat m &= m / (1 - \beta_1^t) \\
        \theta &\leftarrow \theta - \eta\, \hat m\, r_t\,
                 \frac{\sqrt{1 - \beta_2^t}}{\sqrt{v} + \epsilon}, \quad
        r_t = \sqrt{\frac{(\rho_t - 4)(\rho_t - 2)\rho_\infty}
                          {(\rho_\infty - 4)(\rho_\infty - 2)\rho_t}}
                 \quad \text{if } \rho_t > 5 \\
        \theta &\leftarrow \theta - \eta\, \hat m \quad \text{otherwise (SGD with momentum)}

    With the default :math:`\beta_2 = 0.999`, :math:`\rho_t > 5` from step 6 on.
    ``weight_decay`` as in :class:`NAdam`. State: ``"step"``, ``"exp_avg"``, ``"exp_avg_sq"``.

    Examples
    --------
    >>> import numpy as np
    >>> from dlcore.nn import Parameter
    >>> p = Parameter(np.array([0.0])); p.grad = np.array([1e-3])
    >>> RAdam([p], lr=0.1).step(); p.data        # step 1: plain momentum, -lr * m_hat
    array([-0.0001])
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, decoupled_weight_decay: bool = False, *,
                 foreach=None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False):
        betas = check_adam_args("RAdam", lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize, foreach=foreach,
                                      capturable=capturable, differentiable=differentiable))

    def _update_group(self, group: dict) -> None:
        beta1, beta2 = group["betas"]
        lr, wd, decoupled = group["lr"], group["weight_decay"], group["decoupled_weight_decay"]
        rho_inf = 2 / (1 - beta2) - 1
        for p, g in self._gradients(group, coupled_decay=not decoupled):
            state = self._state(p)
            if not state:
                state.update(step=0.0, exp_avg=np.zeros_like(p.data),
                             exp_avg_sq=np.zeros_like(p.data))
            state["step"] += 1
            t = state["step"]
            if decoupled and wd:
                p.data *= 1 - lr * wd
            m, v = _moments(state, p, g, beta1, beta2)
            bc2 = 1 - beta2 ** t
            m_hat = m / (1 - beta1 ** t)
            rho_t = rho_inf - 2 * t * beta2 ** t / bc2
            if rho_t > 5.0:
                rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                        / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                adaptive = bc2 ** 0.5 / (np.sqrt(v) + group["eps"])
                p.data -= m_hat * lr * adaptive * rect
            else:
                p.data -= m_hat * lr


class Adamax(Optimizer):
    r"""``torch.optim.Adamax``: Adam with the infinity norm (Kingma and Ba, 2015, section 7.1).

    .. math::
        m &\leftarrow \beta_1 m + (1 - \beta_1) g, \qquad
        u \leftarrow \max(\beta_2 u,\ |g| + \epsilon) \\
        \theta &\leftarrow \theta - \frac{\eta}{1 - \beta_1^t}\,\frac{m}{u}

    :math:`u` needs no bias correction: it is a maximum, not an average started at zero.
    PyTorch adds :math:`\epsilon` to :math:`|g|` inside the maximum (not to the denominator).
    ``weight_decay`` is L2 in the gradient. State: ``"step"``, ``"exp_avg"``, ``"exp_inf"``.

    Examples
    --------
    >>> import numpy as np
    >>> from dlcore.nn import Parameter
    >>> p = Parameter(np.array([0.0])); p.grad = np.array([4.0])
    >>> opt = Adamax([p], lr=0.1); opt.step(); p.data.round(6)   # first step ~ lr * sign(g)
    array([-0.1])
    """

    def __init__(self, params, lr: float = 2e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, foreach=None, *, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False):
        betas = check_adam_args("Adamax", lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, capturable=capturable))

    def _update_group(self, group: dict) -> None:
        beta1, beta2 = group["betas"]
        for p, g in self._gradients(group):
            state = self._state(p)
            if not state:
                state.update(step=0.0, exp_avg=np.zeros_like(p.data),
                             exp_inf=np.zeros_like(p.data))
            state["step"] += 1
            tmp = np.empty_like(p.data)
            _lerp_into(state["exp_avg"], g, 1 - beta1, tmp)
            u = state["exp_inf"]
            u *= beta2
            np.abs(g, out=tmp)
            tmp += group["eps"]
            np.maximum(u, tmp, out=u)
            clr = group["lr"] / (1 - beta1 ** state["step"])
            np.divide(state["exp_avg"], u, out=tmp)
            _add_scaled_(p.data, tmp, -clr)
