r"""Generated sequence tasks for the recurrent-networks chapter, each drawn from ``rng``.

- :func:`adding_problem` (Hochreiter & Schmidhuber 1997): sum the two marked values.
- :func:`copy_task` (as in Arjovsky et al. 2016): repeat S symbols after a delay.
- :func:`echo_task`: :math:`y_t = x_{t-d}`, a dependency of exactly ``delay`` steps.
- :func:`reversal_task`: output the input tokens in reverse order.
- :func:`sliding_windows`: (lookback window, target) pairs cut from a series.
- :func:`zen_of_python`: the text of ``import this`` and its character vocabulary.
"""

from __future__ import annotations

import codecs
import contextlib
import io

import numpy as np

from ..checks import check_int
from ..random import as_generator

__all__ = ["adding_problem", "copy_task", "echo_task", "reversal_task", "sliding_windows",
           "zen_of_python"]


def adding_problem(n: int, T: int, rng=None):
    r"""``n`` sequences of length ``T`` with two channels: values :math:`U(0, 1)` and a 0/1
    marker set at one position drawn uniformly from the first half (``t < T // 2``) and one
    from the second half. The target is the sum of the two marked values.

    Returns
    -------
    x : ndarray, shape (n, T, 2)
    y : ndarray, shape (n,)

    Examples
    --------
    >>> x, y = adding_problem(3, 10, rng=0)
    >>> x.shape, y.shape, x[..., 1].sum(axis=1).tolist()
    ((3, 10, 2), (3,), [2.0, 2.0, 2.0])
    >>> bool(np.allclose((x[..., 0] * x[..., 1]).sum(1), y))
    True
    """
    n = check_int("n", n, minimum=0)
    T = check_int("T", T, minimum=2)
    gen = as_generator(rng)
    values = gen.random((n, T))
    first = gen.integers(0, T // 2, size=n)
    second = gen.integers(T // 2, T, size=n)
    marks = np.zeros((n, T))
    rows = np.arange(n)
    marks[rows, first] = 1.0
    marks[rows, second] = 1.0
    return np.stack([values, marks], axis=-1), values[rows, first] + values[rows, second]


def copy_task(n: int, n_symbols: int = 5, n_categories: int = 4, delay: int = 10, rng=None):
    r"""The copy task: ``n_symbols`` (S) tokens from ``n_categories`` (K) categories, then
    ``delay - 1`` blanks, a delimiter and S blanks (length :math:`2S + D`); the target is
    blank for the first :math:`S + D` positions, then the S symbols.

    Tokens ``0 .. K-1`` are the categories, ``K`` the blank and ``K + 1`` the delimiter
    (vocabulary size K + 2).

    Returns
    -------
    x, y : integer ndarrays, shape (n, 2S + D)

    Examples
    --------
    >>> x, y = copy_task(1, 3, 4, 4, rng=0)
    >>> x.shape, int(x[0, 6]), y[0, :7].tolist(), bool((y[0, 7:] == x[0, :3]).all())
    ((1, 10), 5, [4, 4, 4, 4, 4, 4, 4], True)
    """
    n = check_int("n", n, minimum=0)
    S = check_int("n_symbols", n_symbols, minimum=1)
    K = check_int("n_categories", n_categories, minimum=1)
    D = check_int("delay", delay, minimum=1)
    gen = as_generator(rng)
    blank, delim = K, K + 1
    symbols = gen.integers(0, K, size=(n, S))
    x = np.full((n, 2 * S + D), blank, dtype=np.int64)
    x[:, :S] = symbols
    x[:, S + D - 1] = delim
    y = np.full_like(x, blank)
    y[:, S + D:] = symbols
    return x, y


def echo_task(n: int, T: int = 32, delay: int = 6, rng=None):
    r"""Delayed echo: :math:`x_t \sim N(0, 1)`, target :math:`y_t = x_{t-d}` for
    :math:`t \ge d`; ``mask`` is False on the first ``delay`` steps (no target there).

    Returns
    -------
    x, y : ndarray, shape (n, T, 1)
    mask : bool ndarray, shape (T,)

    Examples
    --------
    >>> x, y, mask = echo_task(2, 8, 3, rng=0)
    >>> bool(np.array_equal(y[:, 3:], x[:, :5])), mask.tolist()[:4]
    (True, [False, False, False, True])
    """
    n = check_int("n", n, minimum=0)
    T = check_int("T", T, minimum=1)
    delay = check_int("delay", delay, minimum=0)
    if delay >= T:
        raise ValueError(f"delay must be smaller than T, got delay={delay} and T={T}")
    x = as_generator(rng).standard_normal((n, T, 1))
    y = np.zeros_like(x)
    y[:, delay:] = x[:, :T - delay]
    return x, y, np.arange(T) >= delay


def reversal_task(n: int, length: int = 8, vocab: int = 10, rng=None):
    """Tokens uniform on ``0 .. vocab-1``; the target is the sequence reversed.

    Returns
    -------
    x, y : integer ndarrays, shape (n, length)

    Examples
    --------
    >>> x, y = reversal_task(2, 5, rng=0)
    >>> bool(np.array_equal(y, x[:, ::-1]))
    True
    """
    n = check_int("n", n, minimum=0)
    length = check_int("length", length, minimum=1)
    vocab = check_int("vocab", vocab, minimum=1)
    x = as_generator(rng).integers(0, vocab, size=(n, length))
    return x, x[:, ::-1].copy()


def sliding_windows(series, lookback: int, horizon: int = 1):
    r"""All windows ``series[i : i + lookback]`` with target ``series[i + lookback + horizon
    - 1]``, in time order.

    Returns
    -------
    X : ndarray, shape (m, lookback), with m = len(series) - lookback - horizon + 1
    y : ndarray, shape (m,)

    Examples
    --------
    >>> X, y = sliding_windows(np.arange(6.0), 3)
    >>> X.tolist(), y.tolist()
    ([[0.0, 1.0, 2.0], [1.0, 2.0, 3.0], [2.0, 3.0, 4.0]], [3.0, 4.0, 5.0])
    """
    s = np.asarray(series, dtype=np.float64)
    if s.ndim != 1:
        raise ValueError(f"series must be 1-D, got shape {s.shape}")
    lookback = check_int("lookback", lookback, minimum=1)
    horizon = check_int("horizon", horizon, minimum=1)
    m = len(s) - lookback - horizon + 1
    if m < 1:
        raise ValueError(f"series of length {len(s)} is too short for lookback={lookback} and "
                         f"horizon={horizon}")
    idx = np.arange(m)[:, None] + np.arange(lookback)[None, :]
    return s[idx], s[np.arange(m) + lookback + horizon - 1]


def zen_of_python():
    """The Zen of Python (``import this``, decoded from ROT13) and its sorted characters.

    Returns
    -------
    text : str
    vocab : list of str

    Examples
    --------
    >>> text, vocab = zen_of_python()
    >>> text.startswith("The Zen of Python"), len(vocab) == len(set(text))
    (True, True)
    """
    with contextlib.redirect_stdout(io.StringIO()):
        import this  # noqa: F401  (prints the text on first import)
    text = codecs.decode(this.s, "rot13")
    return text, sorted(set(text))
