"""Adam and AdamW: moving averages of the gradient and its square, with bias correction."""

from __future__ import annotations

import numpy as np

from ..checks import check_range
from .optimizer import Optimizer
from .sgd import _add_scaled_

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""``torch.optim.Adam`` (Kingma and Ba, 2015): same arguments, defaults, update and state.

    At step :math:`t` (counted from 1), with gradient :math:`g` (negated if ``maximize``):

    .. math::
        \theta &\leftarrow \theta (1 - \eta\lambda) \ \text{(decoupled)} \quad\text{or}\quad
            g \leftarrow g + \lambda\theta \ \text{(coupled L2, the default)} \\
        m &\leftarrow \beta_1 m + (1 - \beta_1) g, \qquad
        v \leftarrow \beta_2 v + (1 - \beta_2)\, g \odot g \\
        \hat v &= \max(\hat v, v) \ \text{(amsgrad)}, \ \text{else}\ v \\
        \theta &\leftarrow \theta - \frac{\eta}{1 - \beta_1^t}\,
            \frac{m}{\sqrt{\hat v} / \sqrt{1 - \beta_2^t} + \epsilon}

    The bias corrections use the step count :math:`t` as an exponent, and :math:`\epsilon`
    is added after dividing :math:`\sqrt{v}` by :math:`\sqrt{1 - \beta_2^t}`, as PyTorch does
    (computed as :math:`(\sqrt{\hat v} + \epsilon c) / c` with :math:`c = \sqrt{1 - \beta_2^t}`,
    so that both corrections fold into scalars and save a pass over the parameters).
    State per parameter: ``"step"`` (a float), ``"exp_avg"`` (:math:`m`), ``"exp_avg_sq"``
    (:math:`v`) and, with ``amsgrad``, ``"max_exp_avg_sq"``. ``foreach``, ``capturable``,
    ``differentiable`` and ``fused`` are accepted for compatibility and change nothing.

    Examples
    --------
    >>> import numpy as np
    >>> from dlcore.nn import Parameter
    >>> p = Parameter(np.array([0.0, 0.0])); p.grad = np.array([3.0, -1e-3])
    >>> opt = Adam([p], lr=0.1); opt.step(); p.data.round(4)   # first step ~ lr * sign(g)
    array([-0.1,  0.1])
    >>> opt.state[p]["step"]
    1.0
    """

    _name = "Adam"

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *, foreach=None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused=None, decoupled_weight_decay: bool = False):
        betas = check_adam_args(self._name, lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                                      capturable=capturable, differentiable=differentiable,
                                      fused=fused, decoupled_weight_decay=decoupled_weight_decay))

    def _update_group(self, group: dict) -> None:
        beta1, beta2 = group["betas"]
        lr, wd, decoupled = group["lr"], group["weight_decay"], group["decoupled_weight_decay"]
        for p, g in self._gradients(group, coupled_decay=not decoupled):
            state = self._state(p)
            if not state:
                state.update(step=0.0, exp_avg=np.zeros_like(p.data),
                             exp_avg_sq=np.zeros_like(p.data))
                if group["amsgrad"]:
                    state["max_exp_avg_sq"] = np.zeros_like(p.data)
            state["step"] += 1
            if decoupled and wd:
                p.data *= 1 - lr * wd
            m, v = state["exp_avg"], state["exp_avg_sq"]
            tmp = np.empty_like(p.data)  # the one scratch array of this update
            _lerp_into(m, g, 1 - beta1, tmp)
            _add_scaled_square(v, beta2, g, 1 - beta2, tmp)
            if group["amsgrad"]:
                np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
                v = state["max_exp_avg_sq"]
            step = state["step"]
            # sqrt(v)/c2 + eps = (sqrt(v) + eps c2)/c2 with c2 = sqrt(1 - beta2^t): the bias
            # corrections fold into eps and into one scalar step size
            c2 = (1 - beta2 ** step) ** 0.5
            np.sqrt(v, out=tmp)
            tmp += group["eps"] * c2
            np.divide(m, tmp, out=tmp)
            _add_scaled_(p.data, tmp, -lr / (1 - beta1 ** step) * c2)


def check_adam_args(what: str, lr, betas, eps, weight_decay) -> tuple:
    """The checks every Adam-family constructor makes (``lr``, ``eps``, ``weight_decay`` >= 0,
    ``betas`` a pair in [0, 1)); returns ``betas`` as a tuple of floats."""
    check_range("lr", lr, 0.0, what=what)
    check_range("eps", eps, 0.0, what=what)
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"{what} betas must be a pair (beta1, beta2), got {betas!r}")
    betas = tuple(check_range(f"betas[{i}]", b, 0.0, 1.0, high_open=True, what=what)
                  for i, b in enumerate(betas))
    check_range("weight_decay", weight_decay, 0.0, what=what)
    return betas


def _lerp_into(start: np.ndarray, end: np.ndarray, weight: float, tmp: np.ndarray) -> None:
    """In place ``start += weight * (end - start)``, with ATen's two formulas for ``lerp_``
    (switching at ``|weight| = 0.5``) so that it rounds like torch; ``tmp`` is scratch."""
    np.subtract(end, start, out=tmp)
    if abs(weight) < 0.5:
        _add_scaled_(start, tmp, weight)
    else:
        tmp *= 1 - weight
        np.subtract(end, tmp, out=start)


def _add_scaled_square(v: np.ndarray, decay: float, g: np.ndarray, scale: float,
                       tmp: np.ndarray) -> None:
    """In place ``v = decay * v + scale * g * g`` (torch's ``v.mul_(decay).addcmul_(g, g,
    value=scale)``); ``tmp`` is scratch."""
    v *= decay
    np.multiply(g, g, out=tmp)
    _add_scaled_(v, tmp, scale)


class AdamW(Adam):
    r"""``torch.optim.AdamW`` (Loshchilov and Hutter, 2019): Adam with decoupled weight decay.

    The decay multiplies the weights, :math:`\theta \leftarrow \theta(1 - \eta\lambda)`,
    before the Adam step, instead of adding :math:`\lambda\theta` to the gradient, so it is
    not rescaled by :math:`1/\sqrt{\hat v}`. The default ``weight_decay`` is ``1e-2``.
    Otherwise identical to :class:`Adam` (``decoupled_weight_decay`` is always True).

    Examples
    --------
    >>> import numpy as np
    >>> from dlcore.nn import Parameter
    >>> p = Parameter(np.array([2.0])); p.grad = np.array([0.0])
    >>> AdamW([p], lr=0.1, weight_decay=0.5).step(); p.data   # 2 * (1 - 0.1 * 0.5)
    array([1.9])
    """

    _name = "AdamW"

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach=None, capturable: bool = False, differentiable: bool = False,
                 fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
