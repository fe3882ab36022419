"""Argument checks that fail early with a message a reader can act on.

Every public dlcore function validates its arguments with these helpers, so that bad input
raises ``ValueError`` or ``TypeError`` naming the argument, the value given and what is
allowed, instead of an ``IndexError`` or a silent broadcast from deep inside NumPy.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "as_array",
    "check_choice",
    "check_int",
    "check_range",
    "check_shape",
    "check_same_shape",
    "pair",
]


def check_int(name: str, value, *, minimum: int | None = None) -> int:
    """Return ``value`` as an ``int`` after checking that it is an integer ``>= minimum``.

    Examples
    --------
    >>> check_int("in_features", 3, minimum=1)
    3
    >>> check_int("in_features", 0, minimum=1)
    Traceback (most recent call last):
    ...
    ValueError: in_features must be an integer >= 1, got 0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def check_range(name: str, value, low=None, high=None, *, low_open=False, high_open=False,
                what: str = "") -> float:
    """Return ``value`` as a float after checking it lies in the interval ``[low, high]``.

    ``low_open``/``high_open`` exclude the end points; ``None`` leaves a side unbounded.
    ``what`` prefixes the message, e.g. ``"dropout"`` gives ``"dropout p must be ..."``.

    Examples
    --------
    >>> check_range("p", 0.2, 0, 1, high_open=True, what="dropout")
    0.2
    >>> check_range("p", 1.2, 0, 1, high_open=True, what="dropout")
    Traceback (most recent call last):
    ...
    ValueError: dropout p must be in [0, 1), got 1.2
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{_label(what, name)} must be a real number, got {value!r}")
    value = float(value)
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high or np.isnan(value):
        raise ValueError(f"{_label(what, name)} must be in "
                         f"{_interval(low, high, low_open, high_open)}, got {value:g}")
    return value


def check_choice(name: str, value, allowed) -> object:
    """Return ``value`` if it is one of ``allowed``; otherwise raise ``ValueError``.

    Examples
    --------
    >>> check_choice("reduction", "sum", ("mean", "sum", "none"))
    'sum'
    >>> check_choice("reduction", "avg", ("mean", "sum", "none"))
    Traceback (most recent call last):
    ...
    ValueError: reduction must be one of 'mean', 'sum', 'none'; got 'avg'
    """
    if value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {options}; got {value!r}")
    return value


def as_array(name: str, x, *, dtype=None, min_ndim: int = 0) -> np.ndarray:
    """Convert ``x`` to a floating NumPy array, rejecting non-numeric input by name.

    Integer and boolean input becomes ``float64``; floating input keeps its precision unless
    ``dtype`` is given.
    """
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be array-like, got {type(x).__name__}: {exc}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    elif arr.dtype.kind != "f":
        arr = arr.astype(np.float64)
    if arr.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimension(s), "
                         f"got shape {arr.shape}")
    return arr


def check_shape(name: str, arr: np.ndarray, expected: tuple, *, layer: str = "") -> None:
    """Check ``arr.shape`` against ``expected``, where ``None`` in ``expected`` matches any size.

    Examples
    --------
    >>> check_shape("input", np.zeros((4, 5)), (None, 3), layer="Linear(3, 2)")
    Traceback (most recent call last):
    ...
    ValueError: Linear(3, 2) input has shape (4, 5), expected (N, 3)
    """
    ok = arr.ndim == len(expected) and all(e is None or e == s for e, s in zip(expected, arr.shape))
    if not ok:
        want = "(" + ", ".join("N" if e is None else str(e) for e in expected) + ")"
        where = f"{layer} " if layer else ""
        raise ValueError(f"{where}{name} has shape {tuple(arr.shape)}, expected {want}")


def check_same_shape(name_a: str, a: np.ndarray, name_b: str, b: np.ndarray) -> None:
    """Raise ``ValueError`` naming both shapes unless ``a`` and ``b`` have the same shape."""
    if a.shape != b.shape:
        raise ValueError(f"{name_a} shape {tuple(a.shape)} does not match "
                         f"{name_b} shape {tuple(b.shape)}")


def pair(name: str, value, *, minimum: int | None = None) -> tuple[int, int]:
    """Turn an int or a pair of ints into an ``(h, w)`` tuple, as PyTorch's ``_pair`` does.

    Examples
    --------
    >>> pair("kernel_size", 3)
    (3, 3)
    >>> pair("stride", (2, 1), minimum=1)
    (2, 1)
    """
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
        return tuple(check_int(f"{name}[{i}]", v, minimum=minimum) for i, v in enumerate(value))
    v = check_int(name, value, minimum=minimum)
    return (v, v)


def _label(what: str, name: str) -> str:
    return f"{what} {name}" if what else name


def _interval(low, high, low_open, high_open) -> str:
    left = "(" if low_open or low is None else "["
    right = ")" if high_open or high is None else "]"
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    return f"{left}{lo}, {hi}{right}"
