"""The book's own machinery: notebook helpers, plotting, datasets, the multi-seed helper,
the training loop and the widget explorers. Nothing here has a PyTorch counterpart,
and nothing outside ``dlcore.book`` imports it.

The chapters import ``from dlcore.book import show_source, glue, figure, over_seeds``; the
datasets (:mod:`dlcore.book.data`), the training loop (:mod:`dlcore.book.train`) and the
explorers (:mod:`dlcore.book.widgets`) are imported from their modules. IPython and matplotlib
are imported only inside the functions that need them.
"""

from .notebook import glue, show_source
from .plotting import figure, to_png
from .seeds import Spread, over_seeds

__all__ = ["show_source", "glue", "figure", "to_png", "over_seeds", "Spread"]
