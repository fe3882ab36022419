r"""Early stopping: watch a validation metric, stop when it has not improved for ``patience``
epochs, and hand back the weights of the best epoch.

It is a callback for :func:`dlcore.book.train.fit` (``on_epoch_end(epoch, history, model)``), and
can also be fed values one at a time with :meth:`EarlyStopping.step`, e.g. to replay a
recorded validation curve.
"""

from __future__ import annotations

import math

from ..checks import check_choice, check_int, check_range

__all__ = ["EarlyStopping"]

_MONITORS = ("val_loss", "val_acc", "train_loss", "train_acc")


class EarlyStopping:
    r"""Stop training once the monitored value stops improving; keep the best weights.

    An epoch *improves* when its value beats the best so far by more than ``min_delta``:
    :math:`v < v^\ast - \delta` for ``mode="min"``, :math:`v > v^\ast + \delta` for
    ``mode="max"`` (the Keras / PyTorch Lightning rule). Each epoch without improvement adds
    one to a counter (``wait``) that an improvement resets; training stops at the epoch where
    ``wait`` reaches ``patience``. A NaN value never improves.

    Parameters
    ----------
    monitor : {"val_loss", "val_acc", "train_loss", "train_acc"}
        The :class:`dlcore.book.train.History` list read by :meth:`on_epoch_end`.
    mode : {"min", "max"}
        Whether smaller or larger is better.
    patience : int >= 1
        Epochs without improvement tolerated before stopping.
    min_delta : float >= 0
        The smallest change that counts as an improvement.
    restore_best_weights : bool
        Keep ``model.state_dict()`` of the best epoch and load it back into the model when
        training stops (or when :meth:`restore` is called).

    Attributes
    ----------
    best_value : float
        Best monitored value so far (``inf`` / ``-inf`` before the first epoch).
    best_epoch : int or None
        Epoch (0-based, as ``fit`` counts) of ``best_value``.
    stopped_epoch : int or None
        Epoch at which :meth:`step` returned True; None while training goes on.
    wait : int
        Epochs since the last improvement.
    best_state : dict or None
        Copy of the model's ``state_dict()`` at ``best_epoch``.

    Examples
    --------
    >>> stopper = EarlyStopping(patience=2)
    >>> for value in [0.9, 0.7, 0.8, 0.75, 0.6]:
    ...     if stopper.step(value):
    ...         break
    >>> stopper.best_epoch, stopper.stopped_epoch, stopper.best_value
    (1, 3, 0.7)
    """

    def __init__(self, monitor: str = "val_loss", mode: str = "min", patience: int = 5,
                 min_delta: float = 0.0, restore_best_weights: bool = True):
        self.monitor = check_choice("monitor", monitor, _MONITORS)
        self.mode = check_choice("mode", mode, ("min", "max"))
        self.patience = check_int("patience", patience, minimum=1)
        self.min_delta = check_range("min_delta", min_delta, 0.0, what="EarlyStopping")
        self.restore_best_weights = bool(restore_best_weights)
        self.reset()

    def reset(self) -> None:
        """Forget everything seen so far (to reuse the object for a new run)."""
        self.best_value = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = None
        self.stopped_epoch = None
        self.best_state = None
        self.wait = 0
        self._epoch = -1

    def improves(self, value: float) -> bool:
        """Whether ``value`` beats ``best_value`` by more than ``min_delta``."""
        if self.mode == "min":
            return value < self.best_value - self.min_delta
        return value > self.best_value + self.min_delta

    def step(self, value, model=None) -> bool:
        """Record one epoch's monitored ``value``; return True when training should stop.

        ``model`` (optional) is snapshotted at each new best epoch and, with
        ``restore_best_weights``, restored when this returns True.
        """
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise TypeError(f"EarlyStopping value must be a real number, got {value!r}") \
                    from None
        value = float(value)
        self._epoch += 1
        if self.improves(value):
            self.best_value, self.best_epoch, self.wait = value, self._epoch, 0
            if model is not None and self.restore_best_weights:
                self.best_state = model.state_dict()
            return False
        self.wait += 1
        if self.wait < self.patience:
            return False
        self.stopped_epoch = self._epoch
        if model is not None:
            self.restore(model)
        return True

    def restore(self, model) -> None:
        """Load the best epoch's weights into ``model`` (if they were kept)."""
        if self.restore_best_weights and self.best_state is not None:
            model.load_state_dict(self.best_state)

    def on_epoch_end(self, epoch: int, history, model) -> bool:
        """The :func:`dlcore.book.train.fit` callback: read ``history.<monitor>[-1]`` and step."""
        values = getattr(history, self.monitor, None) or []
        if not values or values[-1] is None:
            raise ValueError(f"EarlyStopping monitor={self.monitor!r} has no value at epoch "
                             f"{epoch}: pass validation=(X_val, y_val) to fit for 'val_*', "
                             "train_metrics=True for 'train_acc', and integer labels for "
                             "accuracies")
        self._epoch = epoch - 1
        return self.step(values[-1], model)

    def __repr__(self) -> str:
        return (f"EarlyStopping(monitor={self.monitor!r}, mode={self.mode!r}, "
                f"patience={self.patience}, min_delta={self.min_delta}, "
                f"restore_best_weights={self.restore_best_weights})")
