"""Conv2d forward + backward and MaxPool2d forward + backward (chapter 3's kernels)."""

import numpy as np
import torch

import dlcore.nn as nn
from harness import layer_case


def _conv(n, c_in, size, c_out, k, padding):
    x = np.random.default_rng(0).standard_normal((n, c_in, size, size))
    return layer_case("Conv2d fwd+bwd",
                      f"({n}, {c_in}, {size}, {size}) -> {c_out}x{k}x{k} p{padding}",
                      nn.Conv2d(c_in, c_out, k, padding=padding, rng=0),
                      torch.nn.Conv2d(c_in, c_out, k, padding=padding, dtype=torch.float64), x)


def _max_pool(n, c, size, k, stride):
    x = np.random.default_rng(0).standard_normal((n, c, size, size))
    return layer_case("MaxPool2d fwd+bwd", f"({n}, {c}, {size}, {size}) k{k} s{stride}",
                      nn.MaxPool2d(k, stride), torch.nn.MaxPool2d(k, stride), x)


CASES = [_conv(64, 16, 32, 32, 3, 1), _max_pool(64, 16, 32, 2, 2), _max_pool(64, 32, 32, 3, 2)]
