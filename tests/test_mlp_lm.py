"""Levenberg–Marquardt fitting of a one-output TwoLayerMLP, and its Jacobian."""

import numpy as np
import pytest

import dlcore.nn as nn
from dlcore.maths.mlp import TwoLayerMLP, fit_least_squares, output_jacobian


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_output_jacobian_agrees_with_backward_and_finite_differences(activation):
    rng = np.random.default_rng(3)
    net = TwoLayerMLP(2, 5, 1, activation=activation, rng=rng)
    x = rng.standard_normal((7, 2))
    J = output_jacobian(net, x)
    n_params = sum(p.data.size for p in net.parameters())
    assert J.shape == (7, n_params)
    # J^T g is what backward accumulates for the upstream gradient g
    g = rng.standard_normal((7, 1))
    net.zero_grad()
    net(x)
    net.backward(g)
    grads = np.concatenate([p.grad.ravel() for p in net.parameters()])
    np.testing.assert_allclose(J.T @ g[:, 0], grads, rtol=1e-12, atol=1e-14)
    # each column against a central difference
    theta = [p.data for p in net.parameters()]
    col = 0
    for p in theta:
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + 1e-6
            up = net(x)[:, 0]
            p[idx] = old - 1e-6
            down = net(x)[:, 0]
            p[idx] = old
            np.testing.assert_allclose(J[:, col], (up - down) / 2e-6, rtol=1e-5, atol=1e-7)
            col += 1


def test_output_jacobian_refuses_several_outputs():
    with pytest.raises(ValueError, match="one output"):
        output_jacobian(TwoLayerMLP(1, 3, 2, rng=0), np.zeros((2, 1)))


def test_fit_least_squares_beats_its_start_and_updates_in_place():
    x = np.linspace(-np.pi, np.pi, 60)[:, None]
    net = TwoLayerMLP(1, 8, 1, activation="tanh", rng=1)
    before = np.abs(net(x) - np.sin(x)).max()
    result = fit_least_squares(net, x, np.sin(x), max_nfev=100)
    after = np.abs(net(x) - np.sin(x)).max()
    np.testing.assert_allclose(np.abs(result.fun).max(), after, rtol=1e-12)
    assert after < 1e-2 < before
    with pytest.raises(ValueError, match="max_nfev"):
        fit_least_squares(net, x, np.sin(x), max_nfev=0)
