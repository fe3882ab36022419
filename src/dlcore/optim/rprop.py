r"""Rprop (Riedmiller and Braun, 1993): per-coordinate steps driven by the gradient's sign only."""

from __future__ import annotations

import numpy as np

from ..checks import check_range
from .optimizer import Optimizer

__all__ = ["Rprop"]


def _pair(what, name, value):
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f"{what} {name} must be a pair, got {value!r}")
    return tuple(check_range(f"{name}[{i}]", v, what=what) for i, v in enumerate(value))


class Rprop(Optimizer):
    r"""``torch.optim.Rprop`` (the Rprop⁻ variant, without weight backtracking).

    Each coordinate keeps its own step size :math:`\Delta` (starting at ``lr``) and the
    previous gradient :math:`g^-`. With ``etas`` :math:`(\eta^-, \eta^+)`:

    .. math::
        s &= \operatorname{sign}(g\, g^-) \\
        \Delta &\leftarrow \operatorname{clip}\bigl(\Delta \cdot
                 \{\eta^+ \text{ if } s > 0;\ \eta^- \text{ if } s < 0;\ 1 \text{ if } s = 0\},
                 \ \Delta_{\min},\ \Delta_{\max}\bigr) \\
        g &\leftarrow 0 \ \text{where the sign flipped}, \qquad
        \theta \leftarrow \theta - \operatorname{sign}(g)\,\Delta, \qquad g^- \leftarrow g

    Zeroing the gradient after a sign flip makes the next step's product 0, so the step size
    is left alone once after each overshoot. The gradient's magnitude is never used: Rprop is a
    full-batch method (mini-batch noise flips signs at random). State: ``"step"``,
    ``"prev"`` (:math:`g^-`), ``"step_size"`` (:math:`\Delta`). No weight decay, as in torch.

    Examples
    --------
    >>> import numpy as np
    >>> from dlcore.nn import Parameter
    >>> p = Parameter(np.array([0.0, 0.0])); opt = Rprop([p], lr=0.1)
    >>> for g in ([1.0, 1.0], [1.0, -1.0]):
    ...     p.grad = np.array(g); opt.step()
    >>> opt.state[p]["step_size"]       # grown by 1.2, shrunk by 0.5
    array([0.12, 0.05])
    """

    def __init__(self, params, lr: float = 1e-2, etas: tuple = (0.5, 1.2),
                 step_sizes: tuple = (1e-6, 50), *, capturable: bool = False, foreach=None,
                 maximize: bool = False, differentiable: bool = False):
        check_range("lr", lr, 0.0, what="Rprop")
        etas = _pair("Rprop", "etas", etas)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Rprop etas must satisfy 0 < etaminus < 1 < etaplus, got {etas}")
        step_sizes = _pair("Rprop", "step_sizes", step_sizes)
        super().__init__(params, dict(lr=lr, etas=etas, step_sizes=step_sizes,
                                      capturable=capturable, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable))

    def _update_group(self, group: dict) -> None:
        etaminus, etaplus = group["etas"]
        lo, hi = group["step_sizes"]
        for p, g in self._gradients(group):
            state = self._state(p)
            if not state:
                state.update(step=0.0, prev=np.zeros_like(p.data),
                             step_size=np.full_like(p.data, group["lr"]))
            state["step"] += 1
            factor = np.sign(g * state["prev"])
            flipped = factor < 0
            factor[factor > 0] = etaplus
            factor[flipped] = etaminus
            factor[factor == 0] = 1.0
            size = state["step_size"]
            size *= factor
            np.clip(size, lo, hi, out=size)
            g = g.copy()
            g[factor == etaminus] = 0.0     # torch tests the factor, not the sign
            p.data -= np.sign(g) * size
            state["prev"][...] = g
