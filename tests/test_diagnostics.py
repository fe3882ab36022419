import numpy as np
import pytest

from dlcore import nn
from dlcore.book.diagnostics import gradient_flow
from dlcore.nn import init


def tanh_net(depth, std, width=64, seed=0):
    rng = np.random.default_rng(seed)
    layers = []
    for _ in range(depth):
        lin = nn.Linear(width, width, rng=rng)
        init.normal_(lin.weight, 0.0, std, rng=rng)
        init.zeros_(lin.bias)
        layers += [lin, nn.Tanh()]
    return nn.Sequential(*layers)


def test_parameter_gradients_equal_sequential_backward():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((8, 64)), rng.standard_normal((8, 64))
    a, b = tanh_net(4, 0.2), tanh_net(4, 0.2)
    flow = gradient_flow(a, nn.MSELoss(), X, y)
    loss = nn.MSELoss()
    value = loss(b(X), y)
    b.backward(loss.backward())
    assert np.isclose(flow.loss, value)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_allclose(p.grad, q.grad, rtol=1e-13, atol=0)
    assert flow.names[:2] == ("0:Linear", "1:Tanh") and flow.has_weight.tolist() == [True, False] * 4


def test_output_and_input_gradients_chain():
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((8, 64)), rng.standard_normal((8, 64))
    flow = gradient_flow(tanh_net(3, 0.2), nn.MSELoss(), X, y)
    # the gradient leaving layer i is the one arriving at layer i - 1
    np.testing.assert_allclose(flow.input_grad[1:], flow.output_grad[:-1], rtol=1e-14)
    pred = tanh_net(3, 0.2)(X)
    assert np.isclose(flow.output_grad[-1], np.linalg.norm(2 * (pred - y) / pred.size))


def test_reports_a_vanishing_signal_that_weight_gradients_hide():
    # Small weights: the backward signal shrinks layer by layer while the forward activations
    # shrink the other way, so weight-gradient norms stay flat. The signal must show it.
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((32, 64)), rng.standard_normal((32, 64))
    flow = gradient_flow(tanh_net(10, 0.01), nn.MSELoss(), X, y)
    signal, weights = flow.output_grad[0::2], flow.weight_grad[0::2]
    assert signal[0] / signal[-1] < 1e-6
    assert 0.3 < weights[0] / weights[-1] < 3


def test_rejects_non_sequential():
    with pytest.raises(TypeError, match="Sequential"):
        gradient_flow(nn.Linear(2, 2, rng=0), nn.MSELoss(), np.ones((1, 2)), np.ones((1, 2)))
