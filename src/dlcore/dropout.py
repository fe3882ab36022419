"""Dropout: the functional form, the drop-rate posterior and Monte Carlo dropout.

Filled in by the dropout chapter (``book/04_dropout.ipynb``); the layers live in
``dlcore.nn.dropout``.
"""

__all__ = []
__functional__ = []
