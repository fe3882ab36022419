"""Timing harness for ``run.py``: dlcore against PyTorch, float64, the same thread count."""

from __future__ import annotations

import timeit
from dataclasses import dataclass
from typing import Callable


@dataclass
class Case:
    """One benchmark row: two zero-argument callables doing the same work."""

    kernel: str
    shape: str
    dlcore: Callable[[], object]
    torch: Callable[[], object]


def best_ms(fn: Callable[[], object], min_time: float = 0.2, repeat: int = 5) -> float:
    """Best-of-``repeat`` time per call in milliseconds, each repeat at least ``min_time`` s."""
    fn()  # warm up caches and lazy initialisation
    number, _ = timeit.Timer(fn).autorange()
    number = max(1, int(number * min_time / 0.2))
    return 1000 * min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def layer_case(kernel: str, shape: str, ours, theirs, x) -> Case:
    """Forward then backward of a dlcore layer and its torch twin on the same input ``x``
    and the same random upstream gradient (both float64). For a layer that returns a tuple
    (a recurrent layer's ``(output, h_n)``), the gradient flows into the first output only."""
    import numpy as np
    import torch

    def first(y):
        return y[0] if isinstance(y, tuple) else y

    g = np.random.default_rng(1).standard_normal(np.shape(first(ours(x))))
    xt = torch.from_numpy(x).requires_grad_()
    gt = torch.from_numpy(g)

    def run_dlcore():
        ours.zero_grad()
        ours(x)
        ours.backward(g)

    def run_torch():
        theirs.zero_grad()
        xt.grad = None
        first(theirs(xt)).backward(gt)

    return Case(kernel, shape, run_dlcore, run_torch)
