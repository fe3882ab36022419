"""Stateless functions, gathered from the topic modules (the counterpart of
``torch.nn.functional``).

Each topic module lists its functional names in ``__functional__``; this module re-exports
them, so ``dlcore.functional.softmax`` and ``dlcore.activations.softmax`` are the same object.
"""

from . import activations, dropout, losses, normalization
from .nn import conv, pooling

_SOURCES = (activations, losses, dropout, normalization, conv, pooling)

__all__ = []
for _module in _SOURCES:
    for _name in getattr(_module, "__functional__", ()):
        globals()[_name] = getattr(_module, _name)
        __all__.append(_name)
del _module, _name
