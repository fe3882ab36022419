"""One way to turn an ``rng`` argument into a NumPy ``Generator``.

dlcore never touches NumPy's global random state: every stochastic function takes ``rng``,
which may be a ``numpy.random.Generator``, an integer seed, or ``None`` (fresh entropy).
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["as_generator"]


def as_generator(rng=None) -> np.random.Generator:
    """Return a ``numpy.random.Generator`` for ``rng``.

    Parameters
    ----------
    rng : numpy.random.Generator, int or None
        A generator is returned as it is (so draws continue its stream); an integer seeds a
        new PCG64 generator; ``None`` seeds one from the operating system.

    Examples
    --------
    >>> g = as_generator(0)
    >>> as_generator(g) is g
    True
    >>> round(float(as_generator(0).random()), 6) == round(float(np.random.default_rng(0).random()), 6)
    True
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        if rng is not None and rng < 0:
            raise ValueError(f"rng seed must be a non-negative integer, got {rng}")
        return np.random.default_rng(rng)
    raise TypeError("rng must be a numpy.random.Generator, an integer seed or None, "
                    f"got {type(rng).__name__}")
