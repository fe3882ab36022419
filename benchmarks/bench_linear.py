"""Linear forward + backward (the foundation's kernel)."""

import numpy as np
import torch

import dlcore.nn as nn
from harness import Case


def _linear(n, fan_in, fan_out):
    rng = np.random.default_rng(0)
    ours = nn.Linear(fan_in, fan_out, rng=rng)
    x = rng.standard_normal((n, fan_in))
    g = rng.standard_normal((n, fan_out))
    ref = torch.nn.Linear(fan_in, fan_out, dtype=torch.float64)
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

    return Case("Linear fwd+bwd", f"({n}, {fan_in}) -> {fan_out}", run_dlcore, run_torch)


CASES = [_linear(256, 512, 512), _linear(64, 64, 10)]
