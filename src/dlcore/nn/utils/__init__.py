"""Utilities for layers' inputs and parameters (the counterpart of ``torch.nn.utils``):
gradient clipping in :mod:`dlcore.nn.utils.clip_grad`, sequence packing in
:mod:`dlcore.nn.utils.rnn`."""

from . import rnn
from .clip_grad import (NonFiniteNormError, clip_grad_norm_, clip_grad_value_,
                        clip_grads_with_norm_, get_total_norm)

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm",
           "NonFiniteNormError", "rnn"]
