r"""Learning-rate schedulers with ``torch.optim.lr_scheduler``'s arguments and sequences.

A scheduler rewrites ``group["lr"]`` of a dlcore optimizer each time ``step()`` is called
(once per epoch or per iteration, *after* ``optimizer.step()``). Construction performs step 0,
so ``get_last_lr()`` is the rate for the first epoch. Like PyTorch, ``step()`` uses each
scheduler's *chainable* recursive form (it multiplies the current ``lr``, so several
schedulers can act on the same optimizer), and ``step(epoch)`` (deprecated in PyTorch, which
warns) jumps with the closed form from ``base_lrs``.
"""

from __future__ import annotations

import math
import warnings
from bisect import bisect_right
from collections import Counter

from ..checks import check_choice, check_int, check_range
from .optimizer import Optimizer

__all__ = ["LRScheduler", "LambdaLR", "StepLR", "MultiStepLR", "ExponentialLR",
           "CosineAnnealingLR", "LinearLR", "SequentialLR", "ChainedScheduler",
           "ReduceLROnPlateau", "ConstantLR", "MultiplicativeLR", "PolynomialLR",
           "CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR"]

_EPOCH_DEPRECATION = ("The epoch parameter in `scheduler.step()` was not necessary and is being "
                      "deprecated where possible. Please use `scheduler.step()` to step the "
                      "scheduler. During the deprecation, if epoch is different from None, the "
                      "closed form is used instead of the new chainable form, where available.")


class _MissingInitialLR(KeyError, ValueError):
    """Resuming (``last_epoch >= 0``) needs ``initial_lr`` in every group (KeyError in torch)."""


def _lrs(optimizer) -> list:
    return [group["lr"] for group in optimizer.param_groups]


def _check_optimizer(optimizer) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be a dlcore Optimizer, got {type(optimizer).__name__}")


class LRScheduler:
    """Base class: ``base_lrs`` from each group's ``initial_lr``, ``last_epoch`` (the index of
    the last epoch stepped; -1 before construction), ``step()``, ``get_last_lr()``,
    ``state_dict()`` and ``load_state_dict()`` as in ``torch.optim.lr_scheduler.LRScheduler``.

    Sub-classes implement ``get_lr()`` (the recursive, chainable form) and may implement
    ``_get_closed_form_lr()`` (used by ``step(epoch)``).
    """

    def __init__(self, optimizer, last_epoch: int = -1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        last_epoch = check_int("last_epoch", last_epoch, minimum=-1)
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise _MissingInitialLR(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when "
                        f"resuming scheduler with last_epoch={last_epoch} >= 0")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list:
        raise NotImplementedError

    def get_last_lr(self) -> list:
        """The learning rates the last ``step()`` set, one per parameter group."""
        return self._last_lr

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch (``epoch=None``) or jump to ``epoch`` with the closed form."""
        self._step_count += 1
        if epoch is not None:
            warnings.warn(_EPOCH_DEPRECATION, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch: int | None = None) -> None:
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            closed = getattr(self, "_get_closed_form_lr", None)
            values = closed() if closed is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = _lrs(self.optimizer)

    def state_dict(self) -> dict:
        """Every attribute except the optimizer."""
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict) -> None:
        self.__dict__.update(state_dict)


class LambdaLR(LRScheduler):
    r"""``lr = base_lr * lr_lambda(last_epoch)``; ``lr_lambda`` is a function or one per group.

    Examples
    --------
    >>> import numpy as np
    >>> from dlcore.nn import Parameter
    >>> from dlcore.optim import SGD
    >>> opt = SGD([Parameter(np.zeros(1))], lr=1.0)
    >>> s = LambdaLR(opt, lambda e: 1 / (e + 1)); s.step(); s.get_last_lr()
    [0.5]
    """

    def __init__(self, optimizer, lr_lambda, last_epoch: int = -1):
        _check_optimizer(optimizer)
        n = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != n:
                raise ValueError(f"Expected {n} lr_lambdas, but got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * n
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        return [base * f(self.last_epoch) for base, f in zip(self.base_lrs, self.lr_lambdas)]


class StepLR(LRScheduler):
    r"""Multiply the rate by ``gamma`` every ``step_size`` epochs:
    :math:`\eta_e = \eta_0 \gamma^{\lfloor e / \text{step\_size} \rfloor}`.

    Examples
    --------
    >>> import numpy as np
    >>> from dlcore.nn import Parameter
    >>> from dlcore.optim import SGD
    >>> opt = SGD([Parameter(np.zeros(1))], lr=1.0)
    >>> s = StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for _ in range(5):
    ...     lrs.append(s.get_last_lr()[0]); opt.step(); s.step()
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        self.step_size = check_int("step_size", step_size, minimum=1)
        self.gamma = check_range("gamma", gamma, what="StepLR")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return _lrs(self.optimizer)
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        return [base * self.gamma ** (self.last_epoch // self.step_size)
                for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    r"""Multiply the rate by ``gamma`` at each epoch in ``milestones`` (by ``gamma**k`` if a
    milestone is listed ``k`` times).

    Examples
    --------
    >>> import numpy as np
    >>> from dlcore.nn import Parameter
    >>> from dlcore.optim import SGD
    >>> opt = SGD([Parameter(np.zeros(1))], lr=1.0)
    >>> s = MultiStepLR(opt, milestones=[1, 3], gamma=0.1)
    >>> for _ in range(3): s.step()
    >>> s.get_last_lr()[0] == 0.1 * 0.1
    True
    """

    def __init__(self, optimizer, milestones, gamma: float = 0.1, last_epoch: int = -1):
        self.milestones = Counter(check_int("milestones[]", m) for m in milestones)
        self.gamma = check_range("gamma", gamma, what="MultiStepLR")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        if self.last_epoch not in self.milestones:
            return _lrs(self.optimizer)
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [group["lr"] * factor for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        milestones = sorted(self.milestones.elements())
        return [base * self.gamma ** bisect_right(milestones, self.last_epoch)
                for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    r"""Multiply the rate by ``gamma`` every epoch: :math:`\eta_e = \eta_0 \gamma^e`.

    Examples
    --------
    >>> import numpy as np
    >>> from dlcore.nn import Parameter
    >>> from dlcore.optim import SGD
    >>> opt = SGD([Parameter(np.zeros(1))], lr=1.0)
    >>> s = ExponentialLR(opt, gamma=0.5); s.step(); s.step(); s.get_last_lr()
    [0.25]
    """

    def __init__(self, optimizer, gamma: float, last_epoch: int = -1):
        self.gamma = check_range("gamma", gamma, what="ExponentialLR")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        if self._is_initial:
            return _lrs(self.optimizer)
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    r"""Cosine annealing (Loshchilov and Hutter, 2017, without restarts):

    .. math::
        \eta_e = \eta_{\min} + \tfrac12(\eta_0 - \eta_{\min})(1 + \cos(\pi e / T_{\max}))

    computed recursively as PyTorch does (so it composes with other schedulers); past
    ``T_max`` the rate climbs back up, a cosine of period ``2 T_max``.

    Examples
    --------
    >>> import numpy as np
    >>> from dlcore.nn import Parameter
    >>> from dlcore.optim import SGD
    >>> opt = SGD([Parameter(np.zeros(1))], lr=1.0)
    >>> s = CosineAnnealingLR(opt, T_max=4)
    >>> for _ in range(2): s.step()
    >>> round(s.get_last_lr()[0], 12)
    0.5
    """

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):
        self.T_max = check_int("T_max", T_max, minimum=1)
        self.eta_min = check_range("eta_min", eta_min, what="CosineAnnealingLR")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        e, T, lo = self.last_epoch, self.T_max, self.eta_min
        groups = self.optimizer.param_groups
        if self._is_initial:
            return _lrs(self.optimizer)
        if self._step_count == 1 and e > 0:
            return self._get_closed_form_lr()
        if (e - 1 - T) % (2 * T) == 0:
            return [g["lr"] + (base - lo) * (1 - math.cos(math.pi / T)) / 2
                    for base, g in zip(self.base_lrs, groups)]
        return [(1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T))
                * (g["lr"] - lo) + lo for g in groups]

    def _get_closed_form_lr(self) -> list:
        return [self.eta_min + (base - self.eta_min)
                * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for base in self.base_lrs]


class LinearLR(LRScheduler):
    r"""Scale the rate by a factor moving linearly from ``start_factor`` to ``end_factor``
    over ``total_iters`` epochs, then keep it (the usual linear warm-up):
    :math:`\eta_e = \eta_0 (s + (f - s)\min(e, T)/T)`.

    Examples
    --------
    >>> import numpy as np
    >>> from dlcore.nn import Parameter
    >>> from dlcore.optim import SGD
    >>> opt = SGD([Parameter(np.zeros(1))], lr=1.0)
    >>> s = LinearLR(opt, start_factor=0.25, total_iters=3)
    >>> lrs = []
    >>> for _ in range(5):
    ...     lrs.append(round(s.get_last_lr()[0], 12)); s.step()
    >>> lrs
    [0.25, 0.5, 0.75, 1.0, 1.0]
    """

    def __init__(self, optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1):
        self.start_factor = check_range("start_factor", start_factor, 0.0, 1.0, low_open=True,
                                        what="LinearLR")
        self.end_factor = check_range("end_factor", end_factor, 0.0, 1.0, what="LinearLR")
        self.total_iters = check_int("total_iters", total_iters, minimum=1)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        s, f, T, e = self.start_factor, self.end_factor, self.total_iters, self.last_epoch
        if e == 0:
            return [group["lr"] * s for group in self.optimizer.param_groups]
        if self._is_initial or e > T:
            return _lrs(self.optimizer)
        factor = 1.0 + (f - s) / (T * s + (e - 1) * (f - s))
        return [group["lr"] * factor for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        s, f, T = self.start_factor, self.end_factor, self.total_iters
        return [base * (s + (f - s) * min(T, self.last_epoch) / T) for base in self.base_lrs]

# ----------------------------------------------------------------------------------------
# Metric-driven: ReduceLROnPlateau
# ----------------------------------------------------------------------------------------

class ReduceLROnPlateau(LRScheduler):
    r"""Multiply the rate by ``factor`` when a metric has not improved for more than
    ``patience`` epochs (``torch.optim.lr_scheduler.ReduceLROnPlateau``).

    "Improved" means ``a < best * (1 - threshold)`` (``mode="min"``, ``threshold_mode="rel"``),
    ``a < best - threshold`` (``"abs"``), or the mirror images for ``mode="max"``. After a
    reduction, ``cooldown`` epochs pass during which bad epochs are not counted. The rate never
    goes below ``min_lr`` (a number, or one per group), and a reduction smaller than ``eps`` is
    skipped. ``step(metric)`` takes the metric.

    Examples
    --------
    >>> import numpy as np
    >>> from dlcore.nn import Parameter
    >>> from dlcore.optim import SGD
    >>> opt = SGD([Parameter(np.zeros(1))], lr=1.0)
    >>> s = ReduceLROnPlateau(opt, patience=2)
    >>> for loss in [1.0, 0.9, 0.9, 0.9, 0.9]:
    ...     s.step(loss)
    >>> s.get_last_lr()
    [0.1]
    """

    def __init__(self, optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_lr=0, eps: float = 1e-8):
        self.factor = check_range("factor", factor, high=1.0, high_open=True,
                                  what="ReduceLROnPlateau")
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"ReduceLROnPlateau min_lr must have one value per parameter "
                                 f"group: expected {n} min_lrs, got {len(min_lr)}")
            self.default_min_lr = None
            self.min_lrs = [check_range(f"min_lr[{i}]", v, 0.0, what="ReduceLROnPlateau")
                            for i, v in enumerate(min_lr)]
        else:
            self.default_min_lr = check_range("min_lr", min_lr, 0.0, what="ReduceLROnPlateau")
            self.min_lrs = [self.default_min_lr] * n
        self.patience = check_int("patience", patience, minimum=0)
        self.cooldown = check_int("cooldown", cooldown, minimum=0)
        self.eps = check_range("eps", eps, 0.0, what="ReduceLROnPlateau")
        self.last_epoch = 0
        self._last_lr = _lrs(optimizer)
        self._init_is_better(mode, threshold, threshold_mode)
        self._reset()

    def _reset(self) -> None:
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def _init_is_better(self, mode, threshold, threshold_mode) -> None:
        self.mode = check_choice("mode", mode, ("min", "max"))
        self.threshold_mode = check_choice("threshold_mode", threshold_mode, ("rel", "abs"))
        self.threshold = threshold
        self.mode_worse = math.inf if mode == "min" else -math.inf

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def _is_better(self, a: float, best: float) -> bool:
        rel = self.threshold_mode == "rel"
        if self.mode == "min":
            return a < best * (1.0 - self.threshold) if rel else a < best - self.threshold
        return a > best * (self.threshold + 1.0) if rel else a > best + self.threshold

    def step(self, metrics, epoch=None) -> None:
        current = float(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(_EPOCH_DEPRECATION, UserWarning, stacklevel=2)
        self.last_epoch = epoch
        if self._is_better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = _lrs(self.optimizer)

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise ValueError(f"ReduceLROnPlateau has {len(self.min_lrs)} min_lrs but the "
                                 f"optimizer now has {len(groups)} parameter groups")
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs):
            old = float(group["lr"])
            new = max(old * self.factor, min_lr)
            if old - new > self.eps:
                group["lr"] = new

    def load_state_dict(self, state_dict: dict) -> None:
        self.__dict__.update(state_dict)
        self._init_is_better(self.mode, self.threshold, self.threshold_mode)

# ----------------------------------------------------------------------------------------
# Schedulers made of schedulers: SequentialLR, ChainedScheduler
# ----------------------------------------------------------------------------------------

class SequentialLR(LRScheduler):
    """Run ``schedulers[0]`` until ``milestones[0]``, then ``schedulers[1]`` (restarted at its
    epoch 0 from the base rates), and so on: e.g. a ``LinearLR`` warm-up then a cosine decay.

    Examples
    --------
    >>> import numpy as np
    >>> from dlcore.nn import Parameter
    >>> from dlcore.optim import SGD
    >>> from dlcore.optim.lr_scheduler import ExponentialLR, LinearLR
    >>> opt = SGD([Parameter(np.zeros(1))], lr=1.0)
    >>> warm = LinearLR(opt, start_factor=0.5, total_iters=2)
    >>> decay = ExponentialLR(opt, gamma=0.5)
    >>> s = SequentialLR(opt, [warm, decay], milestones=[2])
    >>> lrs = []
    >>> for _ in range(5):
    ...     lrs.append(s.get_last_lr()[0]); s.step()
    >>> lrs
    [0.5, 0.75, 1.0, 0.5, 0.25]
    """

    def __init__(self, optimizer, schedulers: list, milestones: list, last_epoch: int = -1):
        _check_optimizer(optimizer)
        if len(schedulers) < 1:
            raise ValueError("SequentialLR schedulers must hold at least one scheduler, got 0")
        for i, s in enumerate(schedulers):
            if not hasattr(s, "optimizer"):
                raise TypeError(f"SequentialLR schedulers[{i}] must be a scheduler with an "
                                f"`optimizer` attribute, got {type(s).__name__}")
            if isinstance(s, ReduceLROnPlateau):
                raise ValueError(f"SequentialLR schedulers[{i}] is a ReduceLROnPlateau, which "
                                 "needs a metric in step() and cannot be sequenced")
            if s.optimizer is not optimizer:
                raise ValueError(f"SequentialLR schedulers[{i}] ({type(s).__name__}) belongs "
                                 "to a different optimizer")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError("SequentialLR needs len(milestones) == len(schedulers) - 1, got "
                             f"{len(milestones)} milestones for {len(schedulers)} schedulers")
        self._schedulers = list(schedulers)
        self._milestones = list(milestones)
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        self.recursive_undo()
        idx = bisect_right(self._milestones, 0)
        self._schedulers[idx]._initial_step()
        self._last_lr = self._schedulers[idx].get_last_lr()

    def recursive_undo(self, sched=None) -> None:
        """Undo the initial step that each wrapped scheduler took when it was built."""
        scheds = self if sched is None else sched
        if hasattr(scheds, "_schedulers"):
            for s in scheds._schedulers:
                self.recursive_undo(s)
        elif hasattr(scheds, "last_epoch"):
            scheds.last_epoch -= 1

    def step(self) -> None:
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self) -> dict:
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        state = dict(state_dict)
        inner = state.pop("_schedulers")
        self.__dict__.update(state)
        for s, sd in zip(self._schedulers, inner):
            s.load_state_dict(sd)


class ChainedScheduler(LRScheduler):
    """Step several schedulers together, each multiplying the rate the previous one left.

    Examples
    --------
    >>> import numpy as np
    >>> from dlcore.nn import Parameter
    >>> from dlcore.optim import SGD
    >>> from dlcore.optim.lr_scheduler import ExponentialLR, StepLR
    >>> opt = SGD([Parameter(np.zeros(1))], lr=1.0)
    >>> s = ChainedScheduler([ExponentialLR(opt, 0.5), StepLR(opt, 2, 0.1)])
    >>> s.step(); s.step(); round(s.get_last_lr()[0], 12)   # 0.5**2 * 0.1
    0.025
    """

    def __init__(self, schedulers, optimizer=None):
        schedulers = list(schedulers)
        if len(schedulers) < 1:
            raise ValueError("ChainedScheduler schedulers must hold at least one scheduler, "
                             "got 0")
        optimizer = optimizer if optimizer is not None else schedulers[0].optimizer
        _check_optimizer(optimizer)
        for i, s in enumerate(schedulers):
            if isinstance(s, ReduceLROnPlateau):
                raise ValueError(f"ChainedScheduler schedulers[{i}] is a ReduceLROnPlateau, "
                                 "which needs a metric in step()")
            if s.optimizer is not optimizer:
                raise ValueError(f"ChainedScheduler schedulers[{i}] ({type(s).__name__}) "
                                 "belongs to a different optimizer")
        self._schedulers = schedulers
        self.optimizer = optimizer
        self._last_lr = _lrs(optimizer)

    def step(self) -> None:
        for s in self._schedulers:
            s.step()
        self._last_lr = _lrs(self.optimizer)

    def state_dict(self) -> dict:
        return SequentialLR.state_dict(self)

    def load_state_dict(self, state_dict: dict) -> None:
        SequentialLR.load_state_dict(self, state_dict)


def _per_group(name: str, optimizer, value) -> list:
    """``value`` repeated for every parameter group, or a list/tuple with one per group."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{name} must have one value per parameter group ({n}), "
                             f"got {len(value)}")
        return list(value)
    return [value] * n


def _set_momentum(optimizer, values, use_beta1: bool) -> None:
    for group, m in zip(optimizer.param_groups, values):
        if use_beta1:
            group["betas"] = (m, *group["betas"][1:])
        else:
            group["momentum"] = m


def _momentum_kind(optimizer, what: str) -> bool:
    """True if the optimizer's momentum is ``betas[0]`` (Adam family), False for ``momentum``."""
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError(f"{what} cycle_momentum=True needs an optimizer with momentum or "
                         f"betas; {type(optimizer).__name__} has neither")
    return "betas" in optimizer.defaults


class ConstantLR(LRScheduler):
    r"""Multiply the rate by ``factor`` until epoch ``total_iters``, then restore it: a constant
    warm-up, :math:`\eta_e = \eta_0\,(\text{factor if } e < \text{total\_iters else } 1)`.

    Examples
    --------
    >>> import numpy as np
    >>> from dlcore.nn import Parameter
    >>> from dlcore.optim import SGD
    >>> opt = SGD([Parameter(np.zeros(1))], lr=0.9)
    >>> s = ConstantLR(opt, factor=1 / 3, total_iters=2)
    >>> lrs = []
    >>> for _ in range(4):
    ...     lrs.append(round(s.get_last_lr()[0], 6)); opt.step(); s.step()
    >>> lrs
    [0.3, 0.3, 0.9, 0.9]
    """

    def __init__(self, optimizer, factor: float = 1.0 / 3, total_iters: int = 5,
                 last_epoch: int = -1):
        self.factor = check_range("factor", factor, 0.0, 1.0, what="ConstantLR")
        self.total_iters = check_int("total_iters", total_iters, minimum=0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        if self.last_epoch == 0:
            return [group["lr"] * self.factor for group in self.optimizer.param_groups]
        if self.last_epoch != self.total_iters:
            return _lrs(self.optimizer)
        return [group["lr"] * (1.0 / self.factor) for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        return [base * (self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor))
                for base in self.base_lrs]


class MultiplicativeLR(LRScheduler):
    r"""Multiply the current rate by ``lr_lambda(epoch)`` at every step (from epoch 1):
    :math:`\eta_e = \eta_{e-1} \cdot \lambda(e)`.

    Examples
    --------
    >>> import numpy as np
    >>> from dlcore.nn import Parameter
    >>> from dlcore.optim import SGD
    >>> opt = SGD([Parameter(np.zeros(1))], lr=1.0)
    >>> s = MultiplicativeLR(opt, lambda e: 0.5)
    >>> for _ in range(3): opt.step(); s.step()
    >>> s.get_last_lr()
    [0.125]
    """

    def __init__(self, optimizer, lr_lambda, last_epoch: int = -1):
        _check_optimizer(optimizer)
        self.lr_lambdas = _per_group("lr_lambda", optimizer, lr_lambda)
        for f in self.lr_lambdas:
            if not callable(f):
                raise TypeError(f"MultiplicativeLR lr_lambda must be a function, "
                                f"got {type(f).__name__}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        if self._is_initial:
            return _lrs(self.optimizer)
        return [group["lr"] * f(self.last_epoch)
                for f, group in zip(self.lr_lambdas, self.optimizer.param_groups)]

    def state_dict(self) -> dict:
        """As torch: the lambdas are not saved (only a callable object's attributes)."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [None if isinstance(f, type(_lrs)) else dict(vars(f))
                               for f in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        state = dict(state_dict)
        saved = state.pop("lr_lambdas")
        self.__dict__.update(state)
        for f, attrs in zip(self.lr_lambdas, saved):
            if attrs is not None:
                vars(f).update(attrs)


class PolynomialLR(LRScheduler):
    r"""Polynomial decay to 0 over ``total_iters`` epochs:
    :math:`\eta_e = \eta_0\,(1 - \min(e, T)/T)^{p}` (``power`` :math:`p`, default 1: linear).

    Examples
    --------
    >>> import numpy as np
    >>> from dlcore.nn import Parameter
    >>> from dlcore.optim import SGD
    >>> opt = SGD([Parameter(np.zeros(1))], lr=1.0)
    >>> s = PolynomialLR(opt, total_iters=4, power=2.0)
    >>> lrs = []
    >>> for _ in range(5):
    ...     lrs.append(round(s.get_last_lr()[0], 6)); opt.step(); s.step()
    >>> lrs
    [1.0, 0.5625, 0.25, 0.0625, 0.0]
    """

    def __init__(self, optimizer, total_iters: int = 5, power: float = 1.0,
                 last_epoch: int = -1):
        self.total_iters = check_int("total_iters", total_iters, minimum=1)
        self.power = check_range("power", power, what="PolynomialLR")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        if self._is_initial or self.last_epoch > self.total_iters:
            return _lrs(self.optimizer)
        factor = ((1.0 - self.last_epoch / self.total_iters)
                  / (1.0 - (self.last_epoch - 1) / self.total_iters)) ** self.power
        return [group["lr"] * factor for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        return [base * (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters)
                ** self.power for base in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""SGDR (Loshchilov and Hutter, 2017): cosine annealing restarted every :math:`T_i` epochs,
    with :math:`T_0` = ``T_0`` and :math:`T_{i+1} = T_i \cdot` ``T_mult``:

    .. math:: \eta = \eta_{\min} + \tfrac12 (\eta_0 - \eta_{\min})
              \bigl(1 + \cos(\pi\, T_{cur} / T_i)\bigr)

    where :math:`T_{cur}` counts the epochs since the last restart. ``step(epoch)`` accepts a
    fractional epoch (call it per batch with ``epoch + i / iters``), without a warning, as torch.

    Examples
    --------
    >>> import numpy as np
    >>> from dlcore.nn import Parameter
    >>> from dlcore.optim import SGD
    >>> opt = SGD([Parameter(np.zeros(1))], lr=1.0)
    >>> s = CosineAnnealingWarmRestarts(opt, T_0=2)
    >>> lrs = []
    >>> for _ in range(5):
    ...     lrs.append(round(s.get_last_lr()[0], 6)); opt.step(); s.step()
    >>> lrs
    [1.0, 0.5, 1.0, 0.5, 1.0]
    """

    def __init__(self, optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0,
                 last_epoch: int = -1):
        self.T_0 = check_int("T_0", T_0, minimum=1)
        self.T_mult = check_int("T_mult", T_mult, minimum=1)
        self.eta_min = check_range("eta_min", eta_min, what="CosineAnnealingWarmRestarts")
        self.T_i = self.T_0
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        return [self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * self.T_cur
                                                                      / self.T_i)) / 2
                for base in self.base_lrs]

    def step(self, epoch=None) -> None:
        """Advance one epoch, or jump to (possibly fractional) ``epoch``."""
        self._step_count += 1
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:
                self.T_cur %= self.T_i
                self.T_i *= self.T_mult
        else:
            if epoch < 0:
                raise ValueError(f"CosineAnnealingWarmRestarts epoch must be >= 0, got {epoch}")
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult ** n
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = _lrs(self.optimizer)


class CyclicLR(LRScheduler):
    r"""Cyclical learning rates (Smith, 2017), stepped once per *batch*.

    The rate climbs linearly from ``base_lr`` to ``max_lr`` over ``step_size_up`` iterations and
    falls back over ``step_size_down`` (default: the same). With cycle :math:`c = \lfloor 1 +
    e / (u + d) \rfloor`, position :math:`x = 1 + e/(u + d) - c` and ratio :math:`r = u/(u + d)`,
    the height is :math:`s = x / r` on the way up and :math:`(x - 1)/(r - 1)` on the way down, and

    .. math:: \eta = \eta_{base} + (\eta_{max} - \eta_{base})\, s\, f(\cdot)

    with the amplitude scale :math:`f(c) = 1` (``"triangular"``), :math:`2^{1-c}`
    (``"triangular2"``), :math:`\gamma^{e}` (``"exp_range"``, per iteration) or ``scale_fn``.
    With ``cycle_momentum`` the momentum (or Adam's :math:`\beta_1`) moves the opposite way,
    between ``max_momentum`` and ``base_momentum``. Construction sets every group's ``lr`` to
    ``base_lr``, as torch does.

    Examples
    --------
    >>> import numpy as np
    >>> from dlcore.nn import Parameter
    >>> from dlcore.optim import SGD
    >>> opt = SGD([Parameter(np.zeros(1))], lr=1.0, momentum=0.9)
    >>> s = CyclicLR(opt, base_lr=0.1, max_lr=0.5, step_size_up=2)
    >>> lrs = []
    >>> for _ in range(5):
    ...     lrs.append(round(s.get_last_lr()[0], 6)); opt.step(); s.step()
    >>> lrs, opt.param_groups[0]["momentum"]
    ([0.1, 0.3, 0.5, 0.3, 0.1], 0.85)
    """

    def __init__(self, optimizer, base_lr, max_lr, step_size_up: int = 2000,
                 step_size_down=None, mode: str = "triangular", gamma: float = 1.0,
                 scale_fn=None, scale_mode: str = "cycle", cycle_momentum: bool = True,
                 base_momentum: float = 0.8, max_momentum: float = 0.9,
                 last_epoch: int = -1):
        _check_optimizer(optimizer)
        base_lrs = _per_group("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"] = lr
        self.max_lrs = _per_group("max_lr", optimizer, max_lr)
        up = float(check_int("step_size_up", step_size_up, minimum=1))
        down = up if step_size_down is None else \
            float(check_int("step_size_down", step_size_down, minimum=0))
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        if scale_fn is None:
            check_choice("CyclicLR mode", mode, ("triangular", "triangular2", "exp_range"))
        check_choice("CyclicLR scale_mode", scale_mode, ("cycle", "iterations"))
        self.mode, self.gamma = mode, gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_fn()
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = _momentum_kind(optimizer, "CyclicLR")
            self.base_momentums = _per_group("base_momentum", optimizer, base_momentum)
            self.max_momentums = _per_group("max_momentum", optimizer, max_momentum)
            if last_epoch == -1:
                _set_momentum(optimizer, self.max_momentums, self.use_beta1)
                for group, hi, lo in zip(optimizer.param_groups, self.max_momentums,
                                         self.base_momentums):
                    group["max_momentum"], group["base_momentum"] = hi, lo
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _init_scale_fn(self) -> None:
        if self._scale_fn_custom is not None:
            return
        if self.mode in ("triangular", "triangular2"):
            self.scale_mode = "cycle"
        else:
            self.scale_mode = "iterations"

    def scale_fn(self, x) -> float:
        """The amplitude scale at cycle (or iteration) ``x``."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma ** x

    def get_lr(self) -> list:
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        height = x / self.step_ratio if x <= self.step_ratio else \
            (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = [base + (top - base) * height * scale
               for base, top in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            _set_momentum(self.optimizer,
                          [top - (top - base) * height * scale
                           for base, top in zip(self.base_momentums, self.max_momentums)],
                          self.use_beta1)
        return lrs

    def state_dict(self) -> dict:
        state = super().state_dict()
        fn = state.pop("_scale_fn_custom")
        state["_scale_fn_custom"] = None if fn is None or isinstance(fn, type(_lrs)) \
            else dict(vars(fn))
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        state = dict(state_dict)
        fn = state.pop("_scale_fn_custom")
        custom = self._scale_fn_custom
        super().load_state_dict(state)
        self._scale_fn_custom = custom
        if fn is not None:
            vars(custom).update(fn)
        self._init_scale_fn()


class OneCycleLR(LRScheduler):
    r"""The 1cycle policy (Smith and Topin, 2019), stepped once per *batch* for
    ``total_steps`` (or ``epochs * steps_per_epoch``) steps.

    The rate rises from ``max_lr / div_factor`` to ``max_lr`` over the first ``pct_start`` of
    the steps, then anneals to ``initial_lr / final_div_factor`` (cosine or linear,
    ``anneal_strategy``); ``three_phase`` goes back down to the initial rate symmetrically
    before the final annealing. Momentum (or :math:`\beta_1`) moves the opposite way between
    ``max_momentum`` and ``base_momentum``. The phase ends sit at steps ``pct_start * total - 1``
    and ``total - 1``, as in torch; stepping past ``total_steps`` raises.

    Examples
    --------
    >>> import numpy as np
    >>> from dlcore.nn import Parameter
    >>> from dlcore.optim import SGD
    >>> opt = SGD([Parameter(np.zeros(1))], lr=1.0, momentum=0.9)
    >>> s = OneCycleLR(opt, max_lr=1.0, total_steps=10, anneal_strategy="linear")
    >>> lrs = []
    >>> for _ in range(10):
    ...     lrs.append(round(s.get_last_lr()[0], 4)); opt.step(); s.step()
    >>> lrs[:4], lrs[-2:]      # up for 3 steps (0.3 * 10 - 1 = 2), then down to 4e-6
    ([0.04, 0.52, 1.0, 0.8571], [0.1429, 0.0])
    >>> s.step()
    Traceback (most recent call last):
    ...
    ValueError: OneCycleLR tried to step 11 times; total_steps is 10
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
                 pct_start: float = 0.3, anneal_strategy: str = "cos",
                 cycle_momentum: bool = True, base_momentum=0.85, max_momentum=0.95,
                 div_factor: float = 25.0, final_div_factor: float = 1e4,
                 three_phase: bool = False, last_epoch: int = -1):
        _check_optimizer(optimizer)
        if total_steps is not None:
            self.total_steps = check_int("total_steps", total_steps, minimum=1)
        elif epochs is not None and steps_per_epoch is not None:
            self.total_steps = check_int("epochs", epochs, minimum=1) * \
                check_int("steps_per_epoch", steps_per_epoch, minimum=1)
        else:
            raise ValueError("OneCycleLR needs total_steps, or epochs and steps_per_epoch")
        pct_start = check_range("pct_start", pct_start, 0.0, 1.0, what="OneCycleLR")
        check_choice("OneCycleLR anneal_strategy", anneal_strategy, ("cos", "linear"))
        self.anneal_strategy = anneal_strategy
        n = self.total_steps
        up = float(pct_start * n) - 1
        if three_phase:
            self._phases = [(up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                            (float(2 * pct_start * n) - 2, "max_lr", "initial_lr",
                             "base_momentum", "max_momentum"),
                            (n - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
        else:
            self._phases = [(up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                            (n - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        max_lrs = _per_group("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for group, top in zip(optimizer.param_groups, max_lrs):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = _momentum_kind(optimizer, "OneCycleLR")
            highs = _per_group("max_momentum", optimizer, max_momentum)
            lows = _per_group("base_momentum", optimizer, base_momentum)
            if last_epoch == -1:
                _set_momentum(optimizer, highs, self.use_beta1)
                for group, hi, lo in zip(optimizer.param_groups, highs, lows):
                    group["max_momentum"], group["base_momentum"] = hi, lo
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list:
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR tried to step {step} times; total_steps is "
                             f"{self.total_steps}")
        lrs = []
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, (end, lr0, lr1, m0, m1) in enumerate(self._phases):
                if step <= end or i == len(self._phases) - 1:
                    pct = (step - start) / (end - start)
                    lrs.append(self._anneal(group[lr0], group[lr1], pct))
                    if self.cycle_momentum:
                        m = self._anneal(group[m0], group[m1], pct)
                        if self.use_beta1:
                            group["betas"] = (m, *group["betas"][1:])
                        else:
                            group["momentum"] = m
                    break
                start = end
        return lrs
