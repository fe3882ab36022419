"""Optimizers, learning-rate schedulers and gradient clipping (the counterpart of
``torch.optim`` and ``torch.nn.utils.clip_grad_*``).

The 2-D test functions for optimizers live in :mod:`dlcore.optim.surfaces` (import it
explicitly)."""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .clip import clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "clip_grad_norm_",
           "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm", "lr_scheduler"]
