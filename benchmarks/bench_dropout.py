"""Dropout forward + backward in training mode (mask drawing included), and MC dropout."""

import numpy as np
import torch

import dlcore.nn as nn
from dlcore.maths.dropout_bayes import mc_predict
from harness import Case, layer_case


def _dropout(layer, ref, shape, p):
    x = np.random.default_rng(0).standard_normal(shape)
    return layer_case(f"{layer.__name__} fwd+bwd", f"{shape}, p={p}", layer(p, rng=0), ref(p), x)


def _mc(samples=100, n=256, hidden=128):
    ours = nn.Sequential(nn.Linear(16, hidden, rng=0), nn.ReLU(), nn.Dropout(0.2, rng=1),
                         nn.Linear(hidden, 1, rng=2))
    ref = torch.nn.Sequential(torch.nn.Linear(16, hidden), torch.nn.ReLU(),
                              torch.nn.Dropout(0.2), torch.nn.Linear(hidden, 1)).double()
    x = np.random.default_rng(3).standard_normal((n, 16))
    xt = torch.from_numpy(x)

    def run_torch():
        ref.train()
        with torch.no_grad():
            outs = torch.stack([ref(xt) for _ in range(samples)])
        return outs.mean(0), outs.std(0, correction=0)

    return Case("mc_predict", f"{samples} x ({n}, 16) -> 1", lambda: mc_predict(ours, x, samples,
                                                                                 rng=0), run_torch)


CASES = [_dropout(nn.Dropout, torch.nn.Dropout, (256, 1024), 0.5),
         _dropout(nn.Dropout2d, torch.nn.Dropout2d, (32, 64, 16, 16), 0.2),
         _mc()]
