"""Utilities that work on layers' inputs and parameters (the counterpart of ``torch.nn.utils``)."""

from . import rnn  # noqa: F401
