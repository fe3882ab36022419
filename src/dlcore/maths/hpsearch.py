"""Hyper-parameter search helpers (chapter 12): log-uniform sampling, the main effects of a
response table, successive halving, Hyperband's brackets, and the expected result of random
search over a recorded pool."""

from __future__ import annotations

import math

import numpy as np

from ..checks import as_array, check_int
from ..random import as_generator

__all__ = ["sample_log_uniform", "main_effects", "successive_halving", "hyperband_brackets",
           "expected_best_of"]


def sample_log_uniform(low: float, high: float, size, rng=None) -> np.ndarray:
    r"""Draw values whose logarithm is uniform on :math:`[\log low, \log high]`.

    Every decade of ``[low, high]`` then receives the same share of the draws, whereas a
    uniform draw puts almost all of them in the top decade.

    Examples
    --------
    >>> x = sample_log_uniform(1e-5, 1.0, 4, rng=0)
    >>> bool(np.all((x >= 1e-5) & (x <= 1.0)))
    True
    """
    for name, v in (("low", low), ("high", high)):
        if not (isinstance(v, (int, float, np.floating)) and v > 0 and math.isfinite(v)):
            raise ValueError(f"sample_log_uniform {name} must be a finite number > 0, got {v!r}")
    if not low < high:
        raise ValueError(f"sample_log_uniform needs low < high, got low={low}, high={high}")
    gen = as_generator(rng)
    return np.exp(gen.uniform(math.log(low), math.log(high), size))


def main_effects(table) -> dict:
    r"""Two-way analysis of variance of a full table ``y[i, j]`` (one value per cell).

    With grand mean :math:`\bar y`, row means :math:`\bar y_{i\cdot}` and column means
    :math:`\bar y_{\cdot j}`, the total sum of squares splits exactly into
    :math:`SS_{rows} = J\sum_i(\bar y_{i\cdot}-\bar y)^2`,
    :math:`SS_{cols} = I\sum_j(\bar y_{\cdot j}-\bar y)^2` and the interaction (the rest).

    Returns
    -------
    dict
        ``{"rows": f, "cols": f, "interaction": f}``, fractions of the total that sum to 1.

    Examples
    --------
    >>> t = np.add.outer([0.0, 3.0], [0.0, 1.0, 2.0])   # purely additive
    >>> {k: round(v, 3) for k, v in main_effects(t).items()}
    {'rows': 0.771, 'cols': 0.229, 'interaction': 0.0}
    """
    y = as_array("table", table, dtype=np.float64)
    if y.ndim != 2 or min(y.shape) < 1:
        raise ValueError(f"main_effects table must be 2-D and non-empty, got shape {y.shape}")
    grand = y.mean()
    rows, cols = y.mean(axis=1) - grand, y.mean(axis=0) - grand
    total = float(((y - grand) ** 2).sum())
    if total == 0:
        raise ValueError("main_effects table is constant: no variance to split")
    ss_r, ss_c = y.shape[1] * float((rows ** 2).sum()), y.shape[0] * float((cols ** 2).sum())
    return {"rows": ss_r / total, "cols": ss_c / total,
            "interaction": max(0.0, (total - ss_r - ss_c) / total)}


def successive_halving(curves, budgets, eta: int = 3) -> dict:
    """Successive halving on recorded learning curves.

    Parameters
    ----------
    curves : array_like, shape (n_configs, n_rungs)
        Validation error of each configuration after ``budgets[i]`` units of training.
    budgets : sequence of int, increasing
        Training budget of each rung (e.g. epochs 1, 3, 9, 27).
    eta : int
        Keep the best ``1/eta`` of the configurations at each rung (at least one).

    Returns
    -------
    dict
        ``winner`` (index of the configuration left at the last rung), ``survivors`` (indices
        alive at each rung), ``cost_resume`` (training units when each survivor resumes from
        its checkpoint) and ``cost_restart`` (when it restarts from scratch at each rung).

    Examples
    --------
    >>> curves = np.array([[0.5, 0.4], [0.3, 0.2], [0.6, 0.1]])
    >>> out = successive_halving(curves, [1, 3], eta=3)
    >>> out["winner"], out["cost_resume"], out["cost_restart"]
    (1, 5, 6)
    """
    c = as_array("curves", curves, dtype=np.float64)
    b = [check_int("budgets", v, minimum=1) for v in budgets]
    eta = check_int("eta", eta, minimum=2)
    if c.ndim != 2 or c.shape[1] != len(b):
        raise ValueError(f"successive_halving curves must have shape (n_configs, {len(b)}), "
                         f"got {c.shape}")
    if any(b2 <= b1 for b1, b2 in zip(b, b[1:])):
        raise ValueError(f"successive_halving budgets must increase, got {list(budgets)}")
    alive = np.arange(c.shape[0])
    survivors, resume, restart, prev = [], 0, 0, 0
    for i, budget in enumerate(b):
        survivors.append(alive.copy())
        resume += len(alive) * (budget - prev)
        restart += len(alive) * budget
        prev = budget
        if i < len(b) - 1:
            keep = max(1, len(alive) // eta)
            order = np.argsort(c[alive, i], kind="stable")
            alive = alive[order[:keep]]
    winner = int(alive[np.argmin(c[alive, -1])])
    return {"winner": winner, "survivors": survivors, "cost_resume": int(resume),
            "cost_restart": int(restart)}


def hyperband_brackets(R: int, eta: int = 3) -> list:
    r"""Hyperband's brackets for a maximum budget ``R`` (Li et al., 2018).

    Bracket :math:`s = s_{max}, \dots, 0`, with :math:`s_{max} = \lfloor\log_\eta R\rfloor`,
    starts :math:`n = \lceil (s_{max}+1)\eta^s/(s+1)\rceil` configurations at budget
    :math:`R\eta^{-s}` and runs successive halving on them.

    Returns
    -------
    list of dict
        One per bracket: ``s``, ``rungs`` (list of ``(n_i, r_i)``) and ``budget``
        (:math:`\sum_i n_i r_i`).

    Examples
    --------
    >>> [b["rungs"][0] for b in hyperband_brackets(9, 3)]
    [(9, 1.0), (5, 3.0), (3, 9.0)]
    """
    R = check_int("R", R, minimum=1)
    eta = check_int("eta", eta, minimum=2)
    s_max = 0
    while eta ** (s_max + 1) <= R:
        s_max += 1
    out = []
    for s in range(s_max, -1, -1):
        n = math.ceil((s_max + 1) * eta ** s / (s + 1))
        r = R / eta ** s
        rungs = [(n // eta ** i, r * eta ** i) for i in range(s + 1)]
        out.append({"s": s, "rungs": rungs, "budget": sum(ni * ri for ni, ri in rungs)})
    return out


def expected_best_of(values, k: int) -> float:
    r"""Expected smallest value among ``k`` distinct entries of ``values`` drawn at random.

    This is what random search with ``k`` full trials achieves, on average, over a pool of
    recorded results. With the values sorted, :math:`v_{(1)} \le \dots \le v_{(n)}`, the
    smallest of a random ``k``-subset is :math:`v_{(i)}` with probability
    :math:`\binom{n-i}{k-1}/\binom{n}{k}` (the other :math:`k-1` members come from the
    :math:`n-i` larger ones), so

    .. math:: E[\min] = \sum_{i=1}^{n-k+1} v_{(i)} \binom{n-i}{k-1} \Big/ \binom{n}{k}.

    Parameters
    ----------
    values : array_like, shape (n,)
        One result per configuration (e.g. validation errors; smaller is better).
    k : int
        Number of configurations drawn without replacement, ``1 <= k <= n``.

    Examples
    --------
    >>> expected_best_of([3.0, 1.0, 2.0], 2)        # subsets {1,2}, {1,3}, {2,3}
    1.3333333333333333
    >>> expected_best_of([3.0, 1.0, 2.0], 1), expected_best_of([3.0, 1.0, 2.0], 3)
    (2.0, 1.0)
    """
    v = as_array("values", values, dtype=np.float64)
    if v.ndim != 1 or v.size == 0:
        raise ValueError(f"expected_best_of values must be 1-D and non-empty, got shape {v.shape}")
    k = check_int("k", k, minimum=1)
    n = v.size
    if k > n:
        raise ValueError(f"expected_best_of k must be at most len(values) = {n}, got {k}")
    v = np.sort(v)
    weights = np.array([math.comb(n - i, k - 1) for i in range(1, n + 1)], dtype=np.float64)
    return float(v @ weights / math.comb(n, k))
