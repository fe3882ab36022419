"""A small, explicit training loop shared by every chapter.

One step is the four lines every framework hides: forward, loss, backward, update.
``fit`` adds mini-batching with an ``rng``, evaluation on a validation set after each epoch,
a history of losses and accuracies, and callbacks (e.g. early stopping) that may stop training.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..checks import check_int
from ..random import as_generator

__all__ = ["batches", "train_step", "evaluate", "History", "fit"]


def batches(n: int, batch_size: int, rng=None, shuffle: bool = True):
    """Yield index arrays that cover ``range(n)`` in mini-batches of ``batch_size``.

    With ``shuffle`` the order is a fresh permutation from ``rng`` on every call (one epoch);
    the last batch may be smaller, as with PyTorch's ``DataLoader(drop_last=False)``.

    Examples
    --------
    >>> [b.tolist() for b in batches(5, 2, shuffle=False)]
    [[0, 1], [2, 3], [4]]
    """
    n = check_int("n", n, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    order = as_generator(rng).permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def train_step(model, loss_fn, optimizer, X, y) -> float:
    """One update on one batch: zero the gradients, forward, loss, backward, step.

    Returns the batch loss (before the update).
    """
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    model.backward(loss_fn.backward())
    optimizer.step()
    return loss


def _accuracy(output, y):
    """Fraction correct: arg-max of ``(N, C)`` outputs, or sign of ``(N,)``/``(N, 1)`` logits."""
    if y.dtype.kind not in "iu":
        return None
    if output.ndim == 2 and output.shape[1] > 1:
        pred = output.argmax(axis=1)
    else:
        pred = (output.reshape(len(y)) > 0).astype(y.dtype)
    return float((pred == y).mean())


def evaluate(model, loss_fn, X, y) -> tuple[float, float | None]:
    """Loss and accuracy of ``model`` on ``(X, y)`` in eval mode (the mode is restored).

    Accuracy is ``None`` when ``y`` is not integer class labels.
    """
    was_training = model.training
    model.eval()
    try:
        out = model(X)
        return float(loss_fn(out, y)), _accuracy(out, np.asarray(y))
    finally:
        model.train(was_training)


@dataclass
class History:
    """Per-epoch records: ``train_loss`` is the size-weighted mean of the mini-batch losses seen
    during the epoch (what frameworks log); the rest are measured after the epoch."""

    train_loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)
    steps: int = 0
    stopped_epoch: int | None = None

    @property
    def epochs(self) -> int:
        return len(self.train_loss)


def fit(model, loss_fn, optimizer, X, y, *, epochs: int, batch_size: int | None = None,
        rng=None, validation=None, shuffle: bool = True, callbacks=(),
        train_metrics: bool = False) -> History:
    """Train ``model`` with mini-batch gradient descent.

    Parameters
    ----------
    model : dlcore.nn.Module
    loss_fn : a dlcore loss (``forward(output, target)`` and ``backward()``)
    optimizer : dlcore.optim.Optimizer over ``model.parameters()``
    X, y : arrays with the same first dimension
    epochs : int
    batch_size : int or None
        ``None`` means full batch (one step per epoch).
    rng : Generator, int or None
        Shuffles the mini-batches; the same seed gives the same batches.
    validation : tuple (X_val, y_val) or None
        Evaluated after every epoch in eval mode.
    callbacks : iterable
        Objects with ``on_epoch_end(epoch, history, model) -> bool``; ``True`` stops training.
    train_metrics : bool
        Also evaluate loss and accuracy on the whole training set after each epoch
        (``train_acc``), at the cost of one extra forward pass.

    Returns
    -------
    History
    """
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)}")
    epochs = check_int("epochs", epochs, minimum=0)
    batch_size = len(X) if batch_size is None else check_int("batch_size", batch_size,
                                                              minimum=1)
    gen = as_generator(rng)
    history = History()
    model.train()
    for epoch in range(epochs):
        total = 0.0
        for idx in batches(len(X), batch_size, gen, shuffle):
            total += train_step(model, loss_fn, optimizer, X[idx], y[idx]) * len(idx)
            history.steps += 1
        history.train_loss.append(total / len(X))
        if train_metrics:
            history.train_acc.append(evaluate(model, loss_fn, X, y)[1])
        if validation is not None:
            loss, acc = evaluate(model, loss_fn, *validation)
            history.val_loss.append(loss)
            history.val_acc.append(acc)
        if any([cb.on_epoch_end(epoch, history, model) for cb in callbacks]):
            history.stopped_epoch = epoch
            break
    return history
