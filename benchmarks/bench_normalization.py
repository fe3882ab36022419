"""BatchNorm2d forward + backward in training mode (batch statistics, running-stat update)."""

import numpy as np
import torch

import dlcore.nn as nn
from harness import layer_case


def _batchnorm2d(n, c, h, w):
    x = np.random.default_rng(0).standard_normal((n, c, h, w))
    return layer_case("BatchNorm2d fwd+bwd", f"({n}, {c}, {h}, {w})", nn.BatchNorm2d(c),
                      torch.nn.BatchNorm2d(c, dtype=torch.float64), x)


CASES = [_batchnorm2d(32, 64, 16, 16), _batchnorm2d(8, 16, 8, 8)]
