"""Loss forward + backward: dlcore against torch.nn in float64."""

import numpy as np
import torch

import dlcore.nn as nn
from harness import Case


def _loss_case(name, ours, theirs, x, target, torch_target):
    xt = torch.from_numpy(x).requires_grad_()

    def run_dlcore():
        ours(x, target)
        ours.backward()

    def run_torch():
        xt.grad = None
        theirs(xt, torch_target).backward()

    return Case(f"{name} fwd+bwd", str(x.shape), run_dlcore, run_torch)


def _cases(n=1024, c=100):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c)) * 3
    cls = rng.integers(0, c, n)
    bits = rng.integers(0, 2, (n, c)).astype(float)
    y = rng.standard_normal((n, c))
    return [
        _loss_case("CrossEntropyLoss", nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss(), x,
                   cls, torch.from_numpy(cls)),
        _loss_case("BCEWithLogitsLoss", nn.BCEWithLogitsLoss(), torch.nn.BCEWithLogitsLoss(), x,
                   bits, torch.from_numpy(bits)),
        _loss_case("HuberLoss", nn.HuberLoss(), torch.nn.HuberLoss(), x, y, torch.from_numpy(y)),
    ]


CASES = _cases()
