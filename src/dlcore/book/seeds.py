"""The book's one helper for experiments repeated over seeds, and for reading their spread.

A claim such as "BN tolerates larger learning rates" is a statement about a distribution of
runs, not about one run. :func:`over_seeds` runs an experiment once per seed and returns, for
each quantity it reports, a :class:`Spread`: the values, their mean, standard deviation and
range. Chapters print the spread next to the mean and claim a difference only when
:meth:`Spread.above` (the ranges do not overlap) or :meth:`Spread.differs` says so.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

import numpy as np

__all__ = ["Spread", "SeedRuns", "over_seeds", "DEFAULT_SEEDS"]

#: The seeds an experiment uses unless the chapter says otherwise (five, as the review asks).
DEFAULT_SEEDS = (0, 1, 2, 3, 4)


@dataclass(frozen=True)
class Spread:
    """One quantity measured once per seed.

    Attributes
    ----------
    values : numpy.ndarray, shape (n_seeds,)
        The measurement of each seed, in the order of ``seeds``.
    seeds : tuple of int
        The seeds, in the same order.
    """

    values: np.ndarray
    seeds: tuple

    @property
    def n(self) -> int:
        """Number of seeds."""
        return len(self.values)

    @property
    def mean(self) -> float:
        """Mean over seeds."""
        return float(np.mean(self.values))

    @property
    def std(self) -> float:
        """Sample standard deviation over seeds (``ddof=1``; 0 for a single seed)."""
        return float(np.std(self.values, ddof=1)) if self.n > 1 else 0.0

    @property
    def min(self) -> float:
        """Smallest value over seeds."""
        return float(np.min(self.values))

    @property
    def max(self) -> float:
        """Largest value over seeds."""
        return float(np.max(self.values))

    @property
    def median(self) -> float:
        """Median over seeds."""
        return float(np.median(self.values))

    def above(self, other: "Spread | float") -> bool:
        """True when every seed of ``self`` lies above every seed of ``other`` (or above the
        number ``other``): the ranges are separated, the strictest reading of "larger".

        Examples
        --------
        >>> a = Spread(np.array([0.9, 0.95]), (0, 1)); b = Spread(np.array([0.5, 0.8]), (0, 1))
        >>> a.above(b), b.above(a), a.above(0.92)
        (True, False, False)
        """
        return self.min > (other.max if isinstance(other, Spread) else float(other))

    def below(self, other: "Spread | float") -> bool:
        """True when every seed of ``self`` lies below every seed of ``other`` (or the number)."""
        return self.max < (other.min if isinstance(other, Spread) else float(other))

    def differs(self, other: "Spread", k: float = 2.0) -> bool:
        """True when the means differ by more than ``k`` standard errors of their difference,
        :math:`|\\bar a - \\bar b| > k \\sqrt{s_a^2/n_a + s_b^2/n_b}`. Weaker than
        :meth:`above` / :meth:`below`; use it when the ranges overlap but the means do not.
        """
        se = math.sqrt(self.std ** 2 / self.n + other.std ** 2 / other.n)
        return abs(self.mean - other.mean) > k * se

    def format(self, fmt: str = ".3g") -> str:
        """``mean ± std [min, max]`` with ``fmt`` applied to each number.

        Examples
        --------
        >>> Spread(np.array([1.0, 2.0, 3.0]), (0, 1, 2)).format(".2f")
        '2.00 ± 1.00 [1.00, 3.00]'
        """
        return (f"{self.mean:{fmt}} ± {self.std:{fmt}} "
                f"[{self.min:{fmt}}, {self.max:{fmt}}]")

    def __str__(self) -> str:
        return self.format()


class SeedRuns(Mapping):
    """The result of :func:`over_seeds`: a mapping from quantity name to :class:`Spread`.

    ``runs["acc"]`` is the spread of ``acc``; ``runs.raw`` holds what the experiment returned
    for each seed, unchanged, for quantities that are not numbers (curves, models).
    """

    def __init__(self, spreads: dict, raw: list, seeds: tuple):
        self._spreads = spreads
        self.raw = raw
        self.seeds = seeds

    def __getitem__(self, name):
        return self._spreads[name]

    def __iter__(self):
        return iter(self._spreads)

    def __len__(self):
        return len(self._spreads)

    def table(self, fmt: str = ".3g") -> str:
        """One line per quantity: name, mean ± std [min, max], and the number of seeds."""
        width = max((len(k) for k in self._spreads), default=0)
        return "\n".join(f"{k:<{width}}  {s.format(fmt)}  (n={s.n})"
                         for k, s in self._spreads.items())

    def __repr__(self):
        return f"SeedRuns(seeds={self.seeds}, quantities={list(self._spreads)})"


def _seeds(seeds) -> tuple:
    if isinstance(seeds, numbers.Integral) and not isinstance(seeds, bool):
        if seeds < 1:
            raise ValueError(f"over_seeds seeds must be a positive count or a list of seeds, "
                             f"got {seeds}")
        return tuple(range(int(seeds)))
    out = tuple(seeds)
    if not out:
        raise ValueError("over_seeds seeds must not be empty")
    for s in out:
        if not isinstance(s, numbers.Integral) or isinstance(s, bool):
            raise TypeError(f"over_seeds seeds must be integers, got {s!r}")
    return tuple(int(s) for s in out)


def over_seeds(experiment: Callable[[int], object],
               seeds: "int | Iterable[int]" = DEFAULT_SEEDS) -> SeedRuns:
    """Run ``experiment(seed)`` for each seed and gather the spread of what it reports.

    Parameters
    ----------
    experiment : callable
        ``experiment(seed) -> float | Mapping[str, float | object]``. A number is reported
        under the name ``"value"``; in a mapping, every real number becomes a
        :class:`Spread`, and anything else (arrays, models) stays in ``SeedRuns.raw``.
        The experiment must draw all its randomness from ``seed``.
    seeds : int or iterable of int, default (0, 1, 2, 3, 4)
        A count ``n`` (seeds ``0 .. n-1``) or the seeds themselves.

    Returns
    -------
    SeedRuns

    Examples
    --------
    >>> runs = over_seeds(lambda s: {"x": float(s), "curve": [s, s]}, seeds=3)
    >>> runs["x"].mean, runs["x"].max, runs.raw[2]["curve"]
    (1.0, 2.0, [2, 2])
    """
    seeds = _seeds(seeds)
    raw = [experiment(s) for s in seeds]
    first = raw[0]
    if isinstance(first, Mapping):
        names = [k for k, v in first.items() if isinstance(v, numbers.Real)
                 and not isinstance(v, bool)]
        rows = raw
    elif isinstance(first, numbers.Real) and not isinstance(first, bool):
        names, rows = ["value"], [{"value": r} for r in raw]
    else:
        raise TypeError(f"over_seeds experiment must return a number or a mapping, "
                        f"got {type(first).__name__}")
    spreads = {}
    for name in names:
        try:
            vals = np.array([float(r[name]) for r in rows])
        except (KeyError, TypeError) as exc:
            raise ValueError(f"over_seeds: quantity {name!r} is missing or not a number "
                             f"for some seed") from exc
        spreads[name] = Spread(vals, seeds)
    return SeedRuns(spreads, raw, seeds)
