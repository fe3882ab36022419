"""Normalisation: batch, layer and group normalisation maths and the normal density.

Filled in by the normalization chapter (``book/07_normalization.ipynb``); the layers live in
``dlcore.nn.normalization``.
"""

__all__ = []
__functional__ = []
