"""AdaGrad: each coordinate's step divided by the root of its summed squared gradients."""

from __future__ import annotations

import numpy as np

from ..checks import check_range
from .optimizer import Optimizer
from .sgd import _add_scaled_

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""``torch.optim.Adagrad`` (Duchi, Hazan and Singer, 2011): same arguments, update and state.

    At step :math:`t` (counted from 1), with gradient :math:`g` (negated if ``maximize``):

    .. math::
        g &\leftarrow g + \lambda \theta \quad (\text{weight\_decay } \lambda) \\
        \tilde\eta &= \eta / (1 + (t - 1)\,\text{lr\_decay}) \\
        G &\leftarrow G + g \odot g \\
        \theta &\leftarrow \theta - \tilde\eta\, g / (\sqrt{G} + \epsilon)

    :math:`G` starts at ``initial_accumulator_value`` and is ``state[p]["sum"]``; the step
    count is ``state[p]["step"]``. As in PyTorch, the state of every parameter is created by
    the constructor, from the constructor's ``initial_accumulator_value`` (a value given in a
    parameter group is ignored there, as PyTorch ignores it). The division is per coordinate: a coordinate that rarely gets a gradient
    keeps a small :math:`G` and so a large step. ``foreach``, ``differentiable`` and ``fused``
    are accepted for compatibility and change nothing.

    Examples
    --------
    >>> import numpy as np
    >>> from dlcore.nn import Parameter
    >>> p = Parameter(np.array([1.0, 1.0])); p.grad = np.array([0.5, -2.0])
    >>> opt = Adagrad([p], lr=0.1); opt.step(); p.data   # first step: lr * sign(g)
    array([0.9, 1.1])
    >>> opt.state[p]["sum"]
    array([0.25, 4.  ])
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10, foreach=None, *,
                 maximize: bool = False, differentiable: bool = False, fused=None):
        for name, value in (("lr", lr), ("lr_decay", lr_decay), ("weight_decay", weight_decay),
                            ("initial_accumulator_value", initial_accumulator_value),
                            ("eps", eps)):
            check_range(name, value, 0.0, what="Adagrad")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps,
                                      weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, fused=fused))
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, initial_accumulator_value)

    def _init_state(self, p, value: float) -> dict:
        return self.state.setdefault(p, {"step": 0.0, "sum": np.full_like(p.data, value)})

    def _update_group(self, group: dict) -> None:
        for p, g in self._gradients(group):
            state = self._init_state(p, group["initial_accumulator_value"])
            state["step"] += 1
            clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
            std = np.multiply(g, g)  # the one scratch array of this update
            state["sum"] += std
            np.sqrt(state["sum"], out=std)
            std += group["eps"]
            np.divide(g, std, out=std)
            _add_scaled_(p.data, std, -clr)  # theta - clr (g / std), torch's addcdiv_ order
