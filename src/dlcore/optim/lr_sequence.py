"""Schedulers made of schedulers: ``SequentialLR`` (one after another, at milestones) and
``ChainedScheduler`` (all at once), as in ``torch.optim.lr_scheduler`` (re-exported there)."""

from __future__ import annotations

from bisect import bisect_right

from .lr_plateau import ReduceLROnPlateau
from .lr_scheduler import LRScheduler, _check_optimizer, _lrs

__all__ = ["SequentialLR", "ChainedScheduler"]


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
