"""Thread control for small linear algebra.

BLAS libraries start threads for matrix products; on the small matrices of this book (tens to
hundreds of rows) the hand-off costs more than it saves, and on a busy machine it can cost ten
times the product itself.
"""

from __future__ import annotations

import contextlib

__all__ = ["single_threaded_blas"]


def single_threaded_blas():
    """Context manager limiting BLAS to one thread while it is open.

    Uses threadpoolctl (installed with scikit-learn); without it, does nothing.

    Examples
    --------
    >>> import numpy as np
    >>> with single_threaded_blas():
    ...     float((np.ones((3, 3)) @ np.ones(3))[0])
    3.0
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")
