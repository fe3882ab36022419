r"""Adadelta (Zeiler, 2012): a step whose units match the parameter's, with no global rate."""

from __future__ import annotations

import numpy as np

from ..checks import check_range
from .adam import _add_scaled_square
from .optimizer import Optimizer
from .sgd import _add_scaled_

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""``torch.optim.Adadelta``: same arguments, defaults, update and state.

    .. math::
        v &\leftarrow \rho v + (1 - \rho) g^2 \\
        \Delta &= \frac{\sqrt{u + \epsilon}}{\sqrt{v + \epsilon}}\, g \\
        u &\leftarrow \rho u + (1 - \rho) \Delta^2 \\
        \theta &\leftarrow \theta - \eta \Delta

    The ratio of the two running RMS values gives the step the units of :math:`\theta`
    (Zeiler's motivation from a diagonal Newton step); ``lr`` (default 1.0) only rescales it.
    State: ``"step"``, ``"square_avg"`` (:math:`v`), ``"acc_delta"`` (:math:`u`).

    Examples
    --------
    >>> import numpy as np
    >>> from dlcore.nn import Parameter
    >>> p = Parameter(np.array([0.0])); p.grad = np.array([1.0])
    >>> Adadelta([p], eps=1e-6).step(); p.data.round(6)   # sqrt(1e-6) / sqrt(0.1 + 1e-6)
    array([-0.003162])
    """

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0, foreach=None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False):
        check_range("lr", lr, 0.0, what="Adadelta")
        check_range("rho", rho, 0.0, 1.0, what="Adadelta")
        check_range("eps", eps, 0.0, what="Adadelta")
        check_range("weight_decay", weight_decay, 0.0, what="Adadelta")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      foreach=foreach, capturable=capturable,
                                      maximize=maximize, differentiable=differentiable))

    def _update_group(self, group: dict) -> None:
        rho, eps = group["rho"], group["eps"]
        for p, g in self._gradients(group):
            state = self._state(p)
            if not state:
                state.update(step=0.0, square_avg=np.zeros_like(p.data),
                             acc_delta=np.zeros_like(p.data))
            state["step"] += 1
            tmp = np.empty_like(p.data)
            _add_scaled_square(state["square_avg"], rho, g, 1 - rho, tmp)
            std = np.sqrt(state["square_avg"] + eps)
            delta = np.sqrt(state["acc_delta"] + eps)
            delta /= std
            delta *= g
            _add_scaled_square(state["acc_delta"], rho, delta, 1 - rho, tmp)
            _add_scaled_(p.data, delta, -group["lr"])
