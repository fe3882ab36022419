"""Conv2d forward + backward and MaxPool2d forward + backward (chapter 3's kernels)."""

import numpy as np
import torch

import dlcore.nn as nn
from harness import Case


def _pair(ours, ref, x_shape, rng):
    """Two closures running forward then backward of the same layer on the same data."""
    x = rng.standard_normal(x_shape)
    y = ours(x)
    g = rng.standard_normal(y.shape)
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

    return run_dlcore, run_torch


def _conv(n, c_in, size, c_out, k, padding):
    rng = np.random.default_rng(0)
    ours = nn.Conv2d(c_in, c_out, k, padding=padding, rng=rng)
    ref = torch.nn.Conv2d(c_in, c_out, k, padding=padding, dtype=torch.float64)
    return Case("Conv2d fwd+bwd", f"({n}, {c_in}, {size}, {size}) -> {c_out}x{k}x{k} p{padding}",
                *_pair(ours, ref, (n, c_in, size, size), rng))


def _max_pool(n, c, size, k, stride):
    rng = np.random.default_rng(0)
    ours, ref = nn.MaxPool2d(k, stride), torch.nn.MaxPool2d(k, stride)
    return Case("MaxPool2d fwd+bwd", f"({n}, {c}, {size}, {size}) k{k} s{stride}",
                *_pair(ours, ref, (n, c, size, size), rng))


CASES = [_conv(64, 16, 32, 32, 3, 1), _max_pool(64, 16, 32, 2, 2), _max_pool(64, 32, 32, 3, 2)]
