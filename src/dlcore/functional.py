"""Stateless functions, gathered from the topic modules (the counterpart of
``torch.nn.functional``).

Each topic module lists its functional names in ``__functional__``; this module re-exports
them, so ``dlcore.functional.softmax`` and ``dlcore.activations.softmax`` are the same object.
"""

import os as _os

# Until issue 14 turns this module into the package dlcore/functional/, this path lets the
# new submodules that already live there (dlcore/functional/attention.py) be imported.
__path__ = [_os.path.join(_os.path.dirname(__file__), "functional")]

from . import activations, dropout, losses, normalization  # noqa: E402
from .nn import conv, pooling  # noqa: E402
from dlcore.functional import attention, vision  # noqa: E402

_SOURCES = (activations, losses, dropout, normalization, conv, pooling, attention, vision)

__all__ = []
for _module in _SOURCES:
    for _name in getattr(_module, "__functional__", ()):
        globals()[_name] = getattr(_module, _name)
        __all__.append(_name)
del _module, _name
