"""LSTM and GRU forward + backward through time (float64), upstream gradient on the output."""

import numpy as np
import torch

import dlcore.nn as nn
from harness import layer_case


def _recurrent(kind, T, N, d, h):
    x = np.random.default_rng(1).standard_normal((T, N, d))
    return layer_case(f"{kind} fwd+bwd", f"T={T}, N={N}, {d}->{h}",
                      getattr(nn, kind)(d, h, rng=0),
                      getattr(torch.nn, kind)(d, h, dtype=torch.float64), x)


CASES = [_recurrent("LSTM", 32, 64, 64, 128), _recurrent("GRU", 32, 64, 64, 128)]
