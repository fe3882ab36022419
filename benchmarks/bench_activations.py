"""Activation layers, forward + backward, dlcore against torch.nn in float64."""

import numpy as np
import torch

import dlcore.nn as nn
from harness import layer_case

SHAPE = (256, 1024)


def _case(name, ours, theirs, shape=SHAPE):
    x = np.random.default_rng(0).standard_normal(shape) * 3
    return layer_case(f"{name} fwd+bwd", str(shape), ours, theirs, x)


CASES = [
    _case("ReLU", nn.ReLU(), torch.nn.ReLU()),
    _case("LeakyReLU", nn.LeakyReLU(0.1), torch.nn.LeakyReLU(0.1)),
    _case("Sigmoid", nn.Sigmoid(), torch.nn.Sigmoid()),
    _case("Tanh", nn.Tanh(), torch.nn.Tanh()),
    _case("ELU", nn.ELU(), torch.nn.ELU()),
    _case("SELU", nn.SELU(), torch.nn.SELU()),
    _case("GELU", nn.GELU(), torch.nn.GELU()),
    _case("GELU(tanh)", nn.GELU("tanh"), torch.nn.GELU("tanh")),
    _case("SiLU", nn.SiLU(), torch.nn.SiLU()),
    _case("Mish", nn.Mish(), torch.nn.Mish()),
    _case("Softplus", nn.Softplus(), torch.nn.Softplus()),
    _case("Hardswish", nn.Hardswish(), torch.nn.Hardswish()),
    _case("PReLU(C)", nn.PReLU(1024), torch.nn.PReLU(1024, dtype=torch.float64)),
    _case("Softmax(dim=1)", nn.Softmax(dim=1), torch.nn.Softmax(dim=1)),
]
