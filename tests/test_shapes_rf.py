"""The tracer's receptive field after Flatten, adaptive pooling and Linear, against the
support of the input gradient (the receptive field's definition)."""

import numpy as np
import pytest
import torch

from dlcore.maths.cnn_shapes import trace


def gradient_support(net, x, index):
    x = x.clone().requires_grad_()
    net(x)[index].backward()
    support = np.nonzero(x.grad[0].abs().sum(0).numpy())
    return tuple(int(s.max() - s.min() + 1) for s in support)


def conv_stack():
    torch.manual_seed(0)
    layers = [torch.nn.Conv2d(1, 2, 3), torch.nn.AvgPool2d(2), torch.nn.Conv2d(2, 2, 3)]  # avg: max routes to one tie
    for m in layers:
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.constant_(m.weight, 1.0)
    return layers


def test_flatten_keeps_the_receptive_field():
    layers = conv_stack() + [torch.nn.Flatten()]
    net = torch.nn.Sequential(*layers)
    x = torch.ones(1, 1, 40, 40, dtype=torch.float64)
    rows = trace(layers, tuple(x.shape))
    assert rows[-1].receptive_field == rows[-2].receptive_field == (8, 8)
    centre = rows[-1].output_shape[1] // 2
    assert gradient_support(net.double(), x, (0, centre)) == (8, 8)


@pytest.mark.parametrize("out", [1, 3, 5])
def test_adaptive_pooling_widens_by_its_largest_bin(out):
    layers = conv_stack() + [torch.nn.AdaptiveAvgPool2d(out)]
    net = torch.nn.Sequential(*layers).double()
    x = torch.ones(1, 1, 40, 40, dtype=torch.float64)
    rows = trace(layers, tuple(x.shape))
    supports = {gradient_support(net, x, (0, 0, i, j)) for i in range(out) for j in range(out)}
    assert rows[-1].receptive_field == max(supports)


def test_linear_after_flatten_sees_the_union():
    layers = conv_stack() + [torch.nn.Flatten(), torch.nn.Linear(2 * 17 * 17, 3)]
    net = torch.nn.Sequential(*layers).double()
    x = torch.ones(1, 1, 40, 40, dtype=torch.float64)
    rows = trace(layers, tuple(x.shape))
    assert rows[-1].receptive_field == gradient_support(net, x, (0, 1)) == (40, 40)
    small = conv_stack()[:1] + [torch.nn.Flatten(), torch.nn.Linear(2 * 38 * 38, 3)]
    rows = trace(small, (1, 1, 40, 40))
    assert [r.receptive_field for r in rows] == [(3, 3), (3, 3), (40, 40)]
