"""RMSprop: AdaGrad with the sum of squared gradients replaced by a moving average."""

from __future__ import annotations

import numpy as np

from ..checks import check_range
from .adam import _add_scaled_square, _lerp_into
from .optimizer import Optimizer
from .sgd import _add_scaled_

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""``torch.optim.RMSprop`` (Hinton's lecture 6e, 2012): same arguments, update and state.

    With gradient :math:`g` (negated if ``maximize``), smoothing ``alpha`` :math:`\alpha`:

    .. math::
        g &\leftarrow g + \lambda \theta \quad (\text{weight\_decay } \lambda) \\
        v &\leftarrow \alpha v + (1 - \alpha)\, g \odot g \\
        \bar g &\leftarrow \alpha \bar g + (1 - \alpha)\, g \quad (\text{centered only}) \\
        d &= \sqrt{v - \bar g \odot \bar g} + \epsilon \ \text{(centered)} \quad\text{or}\quad
             \sqrt{v} + \epsilon \\
        b &\leftarrow \mu b + g / d, \quad \theta \leftarrow \theta - \eta b
             \quad (\text{momentum } \mu > 0) \\
        \theta &\leftarrow \theta - \eta\, g / d \quad (\text{otherwise})

    :math:`\epsilon` is added *outside* the square root. State: ``"step"``, ``"square_avg"``
    (:math:`v`, from 0), ``"momentum_buffer"`` (if ``momentum > 0``), ``"grad_avg"`` (if
    ``centered``). PyTorch's default ``alpha`` is 0.99. In the centered form the variance
    estimate :math:`v - \bar g^2` is clamped at 0 against rounding (PyTorch would return NaN
    there). ``capturable``, ``foreach`` and ``differentiable`` are accepted for compatibility.

    Examples
    --------
    >>> import numpy as np
    >>> from dlcore.nn import Parameter
    >>> p = Parameter(np.array([1.0])); p.grad = np.array([2.0])
    >>> opt = RMSprop([p], lr=0.01, alpha=0.9); opt.step()
    >>> opt.state[p]["square_avg"]          # (1 - 0.9) * 2**2
    array([0.4])
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False,
                 capturable: bool = False, foreach=None, maximize: bool = False,
                 differentiable: bool = False):
        for name, value in (("lr", lr), ("eps", eps), ("momentum", momentum),
                            ("weight_decay", weight_decay), ("alpha", alpha)):
            check_range(name, value, 0.0, what="RMSprop")
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps,
                                      centered=centered, weight_decay=weight_decay,
                                      capturable=capturable, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable))

    def _update_group(self, group: dict) -> None:
        alpha, mu, lr = group["alpha"], group["momentum"], group["lr"]
        for p, g in self._gradients(group):
            state = self._state(p)
            if not state:
                state.update(step=0.0, square_avg=np.zeros_like(p.data))
                if mu > 0:
                    state["momentum_buffer"] = np.zeros_like(p.data)
                if group["centered"]:
                    state["grad_avg"] = np.zeros_like(p.data)
            state["step"] += 1
            v = state["square_avg"]
            denom = np.empty_like(p.data)  # the one scratch array of this update
            _add_scaled_square(v, alpha, g, 1 - alpha, denom)
            if group["centered"]:
                g_avg = state["grad_avg"]
                _lerp_into(g_avg, g, 1 - alpha, denom)
                np.multiply(g_avg, g_avg, out=denom)
                np.subtract(v, denom, out=denom)
                np.maximum(denom, 0.0, out=denom)
                np.sqrt(denom, out=denom)
            else:
                np.sqrt(v, out=denom)
            denom += group["eps"]
            np.divide(g, denom, out=denom)  # from here on, the step g / d
            if mu > 0:
                buf = state["momentum_buffer"]
                buf *= mu
                buf += denom
                denom = buf
            _add_scaled_(p.data, denom, -lr)
