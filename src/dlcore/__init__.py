"""dlcore: NumPy reference implementations of deep-learning fundamentals, each verified
against PyTorch in float64.

``import dlcore`` loads NumPy only. Layers, in the order they may import each other:

- infra: :mod:`dlcore.checks`, :mod:`dlcore.random`, :mod:`dlcore.gradcheck`;
- :mod:`dlcore.functional` (``torch.nn.functional``: maths on arrays, forward and backward);
- :mod:`dlcore.nn` (``torch.nn``: layers, losses, ``nn.init``, ``nn.utils``) and
  :mod:`dlcore.optim` (``torch.optim``, ``torch.optim.lr_scheduler``);
- :mod:`dlcore.maths`: maths that one chapter needs and PyTorch does not have;
- :mod:`dlcore.book`: the book's machinery (notebook helpers, plotting, datasets, seeds,
  training loop, widgets).
"""

__version__ = "0.1.0"

from . import functional, nn, optim  # noqa: E402

__all__ = ["nn", "functional", "optim", "__version__"]
