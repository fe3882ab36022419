"""The hand-written two-layer MLP against torch, merged linear layers, and a 50-step
training trajectory that must match torch to rtol 1e-9."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import dlcore.nn as nn
from dlcore.book.data import make_spirals, truth_table
from dlcore.gradcheck import check_module_gradients, numerical_gradient, rel_error
from dlcore.maths.mlp import (TwoLayerMLP, count_parameters, fit_lbfgs, merge_linear,
                              xor_relu_network)
from dlcore.optim import SGD
from dlcore.book.train import batches
from parity import close, copy_params, t

TORCH_ACT = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid}


def _torch_twin(net):
    ref = torch.nn.Sequential(
        torch.nn.Linear(net.in_features, net.hidden_features, bias=net.bias1 is not None),
        TORCH_ACT[net.activation](),
        torch.nn.Linear(net.hidden_features, net.out_features, bias=net.bias2 is not None))
    copy_params(net, ref)
    return ref


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 6), sizes=st.tuples(*[st.integers(1, 7)] * 3),
       activation=st.sampled_from(["relu", "tanh", "sigmoid"]), bias=st.booleans(),
       seed=st.integers(0, 1000))
def test_two_layer_mlp_matches_torch(n, sizes, activation, bias, seed):
    rng = np.random.default_rng(seed)
    net = TwoLayerMLP(*sizes, activation=activation, bias=bias, rng=rng)
    ref = _torch_twin(net)
    x = 3 * rng.standard_normal((n, sizes[0]))
    g = rng.standard_normal((n, sizes[2]))
    xt = t(x, grad=True)
    out_t = ref(xt)
    out_t.backward(t(g))
    close(net(x), out_t, rtol=1e-12, atol=1e-14)
    close(net.backward(g), xt.grad, rtol=1e-12, atol=1e-14)
    for p, q in zip(net.parameters(), ref.parameters()):
        close(p.grad, q.grad, rtol=1e-12, atol=1e-14)


def test_initialisation_is_two_linear_layers_from_one_stream():
    ours = TwoLayerMLP(4, 6, 3, rng=5)
    gen = np.random.default_rng(5)
    seq = nn.Sequential(nn.Linear(4, 6, rng=gen), nn.ReLU(), nn.Linear(6, 3, rng=gen))
    for p, q in zip(ours.parameters(), seq.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    assert [name for name, _ in ours.named_parameters()] == ["weight1", "bias1", "weight2",
                                                             "bias2"]


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_gradcheck(activation):
    net = TwoLayerMLP(3, 5, 2, activation=activation, rng=0)
    x = np.random.default_rng(1).standard_normal((4, 3))
    assert check_module_gradients(net, x, rng=2).passed(1e-7)


def test_per01_network_with_mse_matches_autograd_and_central_differences():
    rng = np.random.default_rng(0)
    net = TwoLayerMLP(3, 5, 2, rng=rng)
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    loss_fn = nn.MSELoss()
    loss_fn(net(x), y)
    grad_x = net.backward(loss_fn.backward())
    ref = _torch_twin(net)
    xt = t(x, grad=True)
    torch.nn.functional.mse_loss(ref(xt), t(y)).backward()
    close(grad_x, xt.grad, rtol=1e-12)
    for p, q in zip(net.parameters(), ref.parameters()):
        close(p.grad, q.grad, rtol=1e-12)
    for p in net.parameters():
        numeric = numerical_gradient(lambda _: loss_fn(net(x), y), p.data)
        assert rel_error(p.grad, numeric) < 1e-8


def test_backward_accumulates_like_torch():
    net = TwoLayerMLP(2, 3, 1, rng=0)
    x, g = np.ones((2, 2)), np.ones((2, 1))
    net(x)
    net.backward(g)
    first = net.weight1.grad.copy()
    net(x)
    net.backward(g)
    close(net.weight1.grad, 2 * first, rtol=1e-15)


def test_two_layer_mlp_bad_input():
    net = TwoLayerMLP(3, 4, 2, rng=0)
    with pytest.raises(RuntimeError, match="backward called before forward"):
        net.backward(np.ones((1, 2)))
    with pytest.raises(ValueError, match=r"TwoLayerMLP\(3, 4, 2\) input has shape \(5, 2\), "
                                         r"expected \(N, 3\)"):
        net(np.ones((5, 2)))
    net(np.ones((5, 3)))
    with pytest.raises(ValueError, match=r"grad_out has shape \(5, 3\), expected \(5, 2\)"):
        net.backward(np.ones((5, 3)))
    with pytest.raises(ValueError, match="activation must be one of"):
        TwoLayerMLP(3, 4, 2, activation="gelu")
    with pytest.raises(ValueError, match="hidden.*|out_features must be an integer >= 1"):
        TwoLayerMLP(3, 0, 2)


# -- merged linear layers, XOR with ReLU, parameter counts -------------------------------
@pytest.mark.parametrize("bias1, bias2", [(True, True), (True, False), (False, True),
                                          (False, False)])
def test_merge_linear(bias1, bias2):
    a, b = nn.Linear(3, 4, bias=bias1, rng=0), nn.Linear(4, 2, bias=bias2, rng=1)
    x = np.random.default_rng(2).standard_normal((6, 3))
    merged = merge_linear(a, b)
    close(merged(x), b(a(x)), rtol=1e-12)
    assert (merged.bias is not None) == (bias1 or bias2)
    close(merged.weight.data, b.weight.data @ a.weight.data, rtol=0, atol=0)
    assert count_parameters(merged) < count_parameters(a) + count_parameters(b)


def test_merge_linear_bad_input():
    with pytest.raises(ValueError, match="out_features=4 but second has in_features=3"):
        merge_linear(nn.Linear(3, 4, rng=0), nn.Linear(3, 2, rng=0))
    with pytest.raises(TypeError, match="second must be a dlcore Linear, got ReLU"):
        merge_linear(nn.Linear(3, 4, rng=0), nn.ReLU())


def test_xor_relu_network():
    X, y = truth_table("XOR")
    np.testing.assert_array_equal(xor_relu_network()(X).ravel(), y)


def test_parameter_count_matches_torch():
    ours = nn.Sequential(nn.Linear(200, 512, rng=0), nn.Tanh(), nn.Linear(512, 512, rng=1),
                         nn.Tanh(), nn.Linear(512, 10, rng=2), nn.LogSoftmax(dim=1))
    ref = torch.nn.Sequential(torch.nn.Linear(200, 512), torch.nn.Tanh(),
                              torch.nn.Linear(512, 512), torch.nn.Tanh(),
                              torch.nn.Linear(512, 10), torch.nn.LogSoftmax(dim=1))
    assert count_parameters(ours) == sum(p.numel() for p in ref.parameters()) == sum(
        i * o + o for i, o in [(200, 512), (512, 512), (512, 10)])
    with pytest.raises(TypeError, match="module must be a dlcore Module"):
        count_parameters(ref)


def test_fit_lbfgs_fits_a_curve_and_is_deterministic():
    x = np.linspace(-np.pi, np.pi, 60)[:, None]
    results = []
    for _ in range(2):
        net = TwoLayerMLP(1, 8, 1, activation="tanh", rng=0)
        before = nn.MSELoss()(net(x), np.sin(x))
        res = fit_lbfgs(net, nn.MSELoss(), x, np.sin(x), maxiter=300)
        results.append(net.weight1.data.copy())
        assert res.fun < 1e-5 < before
        close(nn.MSELoss()(net(x), np.sin(x)), res.fun, rtol=1e-12)
    np.testing.assert_array_equal(*results)


# -- a whole training run, step for step -------------------------------------------------
@pytest.mark.parametrize("activation, momentum", [("relu", 0.0), ("relu", 0.9),
                                                  ("tanh", 0.5)])
def test_fifty_step_trajectory_matches_torch(activation, momentum):
    """Same 2-layer MLP, same weights, same mini-batches: the same 50 losses and weights."""
    X, y = make_spirals(240, 3, rng=0)
    net = TwoLayerMLP(2, 32, 3, activation=activation, rng=1)
    ref = _torch_twin(net)
    loss_fn = nn.CrossEntropyLoss()
    opt = SGD(net.parameters(), lr=0.5, momentum=momentum)
    opt_t = torch.optim.SGD(ref.parameters(), lr=0.5, momentum=momentum)
    gen = np.random.default_rng(2)
    ours, theirs = [], []
    while len(ours) < 50:
        for idx in batches(len(X), 16, rng=gen):
            if len(ours) == 50:
                break
            opt.zero_grad()
            ours.append(loss_fn(net(X[idx]), y[idx]))
            net.backward(loss_fn.backward())
            opt.step()
            opt_t.zero_grad()
            loss = torch.nn.functional.cross_entropy(ref(t(X[idx])), torch.tensor(y[idx]))
            loss.backward()
            opt_t.step()
            theirs.append(loss.item())
    close(ours, theirs, rtol=1e-9, atol=0)
    assert ours[-1] < ours[0]  # it did train
    for p, q in zip(net.parameters(), ref.parameters()):
        close(p.data, q, rtol=1e-9, atol=1e-12)
