"""One MLP training step (forward, cross-entropy, backward, SGD update): the hand-written
``TwoLayerMLP`` against the same network in torch."""

import numpy as np
import torch

import dlcore.nn as nn
from dlcore.maths.mlp import TwoLayerMLP
from dlcore.optim import SGD
from harness import Case


def _mlp_step(n, fan_in, hidden, classes):
    rng = np.random.default_rng(0)
    ours = TwoLayerMLP(fan_in, hidden, classes, rng=rng)
    x = rng.standard_normal((n, fan_in))
    y = rng.integers(0, classes, n)
    loss_fn, opt = nn.CrossEntropyLoss(), SGD(ours.parameters(), lr=0.01, momentum=0.9)
    ref = torch.nn.Sequential(torch.nn.Linear(fan_in, hidden, dtype=torch.float64),
                              torch.nn.ReLU(),
                              torch.nn.Linear(hidden, classes, dtype=torch.float64))
    opt_t = torch.optim.SGD(ref.parameters(), lr=0.01, momentum=0.9)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def run_dlcore():
        opt.zero_grad()
        loss_fn(ours(x), y)
        ours.backward(loss_fn.backward())
        opt.step()

    def run_torch():
        opt_t.zero_grad()
        torch.nn.functional.cross_entropy(ref(xt), yt).backward()
        opt_t.step()

    return Case("MLP train step", f"({n}, {fan_in}) -> {hidden} -> {classes}", run_dlcore,
                run_torch)


CASES = [_mlp_step(32, 64, 64, 10), _mlp_step(256, 784, 512, 10)]
