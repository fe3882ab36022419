r"""Dropout layers: ``Dropout`` (element-wise) and ``Dropout1d``/``Dropout2d``/``Dropout3d``
(whole channels), as in ``torch.nn``.

Training draws a keep mask :math:`m` (each entry kept with probability :math:`1 - p`) and
returns :math:`y = x \odot m/(1 - p)`; backward multiplies the upstream gradient by the *same*
:math:`m/(1 - p)`. Eval mode is the identity. ``mode="classic"`` gives the original,
non-inverted dropout: :math:`y = x \odot m` in training and :math:`y = (1 - p)\,x` in eval.
"""

from __future__ import annotations

import numpy as np

from ..checks import check_choice
from ..functional.dropout import (MODES, _channels1d, _channels2d, _channels3d, _elementwise,
                                  check_p)
from ..random import as_generator
from .module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d"]


class _DropoutNd(Module):
    """Shared state and backward of the dropout layers.

    ``generator`` is the ``numpy.random.Generator`` the masks are drawn from: a layer built
    with ``rng=0`` draws the same sequence of masks in every run.
    """

    _impl = None  # the dlcore.functional.dropout body: checks ranks, draws the mask, applies it

    def __init__(self, p: float = 0.5, inplace: bool = False, mode: str = "inverted",
                 rng=None):
        super().__init__()
        self.mode = check_choice("mode", mode, MODES)
        self.p = check_p(p, mode)
        self.inplace = bool(inplace)
        self.generator = as_generator(rng)

    def forward(self, input, keep=None):
        """Apply dropout. ``keep`` (bool, broadcastable to the input; ``True`` = kept) replaces
        the random mask, e.g. to reproduce a mask PyTorch drew; it is ignored in eval mode."""
        out, m = self._apply(input, keep)
        self._save(m=m)
        return out

    def _apply(self, input, keep):
        return self._impl(input, self.p, self.training, self.inplace, self.generator,
                          self.mode, keep)

    def backward(self, grad_out):
        r""":math:`\partial L/\partial x = \partial L/\partial y \odot m/(1-p)` with the mask of
        the last forward (a constant in eval mode)."""
        (m,) = self._saved("m")
        return np.asarray(grad_out) * m

    def extra_repr(self) -> str:
        extra = "" if self.mode == "inverted" else f", mode={self.mode!r}"
        return f"p={self.p:g}, inplace={self.inplace}{extra}"


class Dropout(_DropoutNd):
    r"""Zero each element with probability ``p`` in training, as ``torch.nn.Dropout``.

    Parameters
    ----------
    p : float, default 0.5
        Probability of *zeroing* an element (not of keeping it). ``[0, 1)`` for
        ``mode="inverted"``: PyTorch accepts ``p = 1`` and outputs zeros, dlcore raises
        ``ValueError`` because the scale :math:`1/(1 - p)` is undefined. ``[0, 1]`` for classic.
    inplace : bool, default False
        Overwrite the input array (a writable float ndarray) instead of allocating.
    mode : {"inverted", "classic"}
        ``"inverted"`` (PyTorch): :math:`y = x \odot m/(1-p)` in training, :math:`y = x` in
        eval. ``"classic"`` (Srivastava et al. 2014): :math:`y = x \odot m` in training,
        :math:`y = (1-p)\,x` in eval. Both have :math:`E_{train}[y] = y_{eval}`.
    rng : numpy.random.Generator, int or None
        Source of the masks, kept as ``self.generator``.

    Notes
    -----
    Shapes: any input, output of the same shape. :math:`m_i \sim \text{Bernoulli}(1-p)`
    independently; the variance added is :math:`\frac{p}{1-p} x_i^2` (inverted).

    Examples
    --------
    >>> layer = Dropout(p=0.5, rng=0)
    >>> layer(np.ones(6))
    array([2., 0., 0., 0., 2., 2.])
    >>> layer.backward(np.full(6, 3.0))       # the same mask and scale
    array([6., 0., 0., 0., 6., 6.])
    >>> layer.eval()(np.ones(3))
    array([1., 1., 1.])
    """

    _impl = staticmethod(_elementwise)


class Dropout1d(_DropoutNd):
    """Zero whole channels of ``(N, C, L)`` or ``(C, L)`` input, as ``torch.nn.Dropout1d``.

    Arguments as :class:`Dropout`; the mask has shape ``(N, C, 1)`` (``(C, 1)`` unbatched).

    Examples
    --------
    >>> y = Dropout1d(0.5, rng=0)(np.ones((1, 3, 4)))
    >>> y[0]
    array([[2., 2., 2., 2.],
           [0., 0., 0., 0.],
           [0., 0., 0., 0.]])
    """

    _impl = staticmethod(_channels1d)


class Dropout2d(_DropoutNd):
    r"""Zero whole feature maps of ``(N, C, H, W)`` input, as ``torch.nn.Dropout2d``
    (spatial dropout, Tompson et al. 2015).

    Each channel of each sample is kept with probability :math:`1 - p` and then scaled by
    :math:`1/(1 - p)`; the mask has shape ``(N, C, 1, 1)``. As in PyTorch, 3-D input is read as
    ``(N, C, L)`` with a warning (not as unbatched ``(C, H, W)``). Arguments as :class:`Dropout`.

    Examples
    --------
    >>> layer = Dropout2d(0.5, rng=0)
    >>> y = layer(np.ones((1, 4, 2, 2)))
    >>> y[0, :, 0, 0]                          # one value per channel
    array([2., 0., 0., 0.])
    >>> bool((y == y[:, :, :1, :1]).all())    # all-or-nothing within each channel
    True
    """

    _impl = staticmethod(_channels2d)


class Dropout3d(_DropoutNd):
    """Zero whole channels of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input, as
    ``torch.nn.Dropout3d``; the mask has shape ``(N, C, 1, 1, 1)``. Arguments as
    :class:`Dropout`.

    Examples
    --------
    >>> Dropout3d(0.5, rng=0)(np.ones((1, 2, 1, 1, 2))).ravel()
    array([2., 2., 0., 0.])
    """

    _impl = staticmethod(_channels3d)
