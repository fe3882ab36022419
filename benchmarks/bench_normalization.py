"""BatchNorm2d forward + backward in training mode (batch statistics, running-stat update)."""

import numpy as np
import torch

import dlcore.nn as nn
from harness import Case


def _batchnorm2d(n, c, h, w):
    rng = np.random.default_rng(0)
    ours = nn.BatchNorm2d(c)
    ref = torch.nn.BatchNorm2d(c, dtype=torch.float64)
    x = rng.standard_normal((n, c, h, w))
    g = rng.standard_normal((n, c, h, w))
    xt = torch.from_numpy(x).requires_grad_()
    gt = torch.from_numpy(g)

    def run_dlcore():
        ours.zero_grad()
        ours(x)
        ours.backward(g)

    def run_torch():
        ref.zero_grad()
        xt.grad = None
        ref(xt).backward(gt)

    return Case("BatchNorm2d fwd+bwd", f"({n}, {c}, {h}, {w})", run_dlcore, run_torch)


CASES = [_batchnorm2d(32, 64, 16, 16), _batchnorm2d(8, 16, 8, 8)]
