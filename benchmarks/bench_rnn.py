"""LSTM and GRU forward + backward through time (float64), upstream gradient on the output."""

import numpy as np
import torch

import dlcore.nn as nn
from harness import Case


def _recurrent(kind, T, N, d, h):
    ours = getattr(nn, kind)(d, h, rng=0)
    theirs = getattr(torch.nn, kind)(d, h, dtype=torch.float64)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((T, N, d))
    g = rng.standard_normal((T, N, h))
    xt = torch.from_numpy(x).requires_grad_()
    gt = torch.from_numpy(g)

    def run_dlcore():
        ours.zero_grad()
        ours(x)
        ours.backward(g)

    def run_torch():
        theirs.zero_grad()
        xt.grad = None
        theirs(xt)[0].backward(gt)

    return Case(f"{kind} fwd+bwd", f"T={T}, N={N}, {d}->{h}", run_dlcore, run_torch)


CASES = [_recurrent("LSTM", 32, 64, 64, 128), _recurrent("GRU", 32, 64, 64, 128)]
