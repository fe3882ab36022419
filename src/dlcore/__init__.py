"""dlcore: NumPy reference implementations of deep-learning fundamentals, each verified
against PyTorch in float64.

``import dlcore`` loads NumPy only. Sub-packages mirror PyTorch's layout: ``dlcore.nn``
(layers, losses), ``dlcore.functional``, ``dlcore.optim``; the topic modules
(``dlcore.activations``, ``dlcore.losses``, ...) hold the maths of one chapter each.
"""

__version__ = "0.1.0"

from . import nn  # noqa: E402  (first: the topic modules build on dlcore.nn.module)
from . import functional, optim  # noqa: E402

__all__ = ["nn", "functional", "optim", "__version__"]
