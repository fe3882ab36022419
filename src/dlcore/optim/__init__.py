"""Optimizers and learning-rate schedulers (the counterpart of ``torch.optim``).

Gradient clipping is in :mod:`dlcore.nn.utils` (as ``torch.nn.utils.clip_grad_norm_``); the
2-D test functions for optimizers are in :mod:`dlcore.maths.surfaces`."""

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adam_variants import Adamax, NAdam, RAdam
from .lbfgs import LBFGS
from .muon import Muon
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "NAdam", "RAdam",
           "Adamax", "Adadelta", "Rprop", "LBFGS", "Muon", "lr_scheduler"]
