"""Linear forward + backward (the foundation's kernel)."""

import numpy as np
import torch

import dlcore.nn as nn
from harness import layer_case


def _linear(n, fan_in, fan_out):
    x = np.random.default_rng(0).standard_normal((n, fan_in))
    return layer_case("Linear fwd+bwd", f"({n}, {fan_in}) -> {fan_out}",
                      nn.Linear(fan_in, fan_out, rng=0),
                      torch.nn.Linear(fan_in, fan_out, dtype=torch.float64), x)


CASES = [_linear(256, 512, 512), _linear(64, 64, 10)]
