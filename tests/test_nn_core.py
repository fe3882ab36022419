"""Parameter, Module, Sequential, Linear, Flatten and the basic activation layers."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import dlcore.nn as nn
from dlcore.gradcheck import check_module_gradients
from parity import close, copy_params, t


def test_parameters_in_torch_order_and_state_dict_keys():
    net = nn.Sequential(nn.Linear(3, 4, rng=0), nn.ReLU(), nn.Linear(4, 2, bias=False, rng=1))
    ref = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(),
                              torch.nn.Linear(4, 2, bias=False))
    assert [n for n, _ in net.named_parameters()] == [n for n, _ in ref.named_parameters()]
    assert list(net.state_dict()) == list(ref.state_dict())
    assert [p.shape for p in net.parameters()] == [tuple(p.shape) for p in ref.parameters()]


def test_backward_accumulates_and_zero_grad_resets():
    layer = nn.Linear(3, 2, rng=0)
    x = np.ones((4, 3))
    layer(x)
    layer.backward(np.ones((4, 2)))
    first = layer.weight.grad.copy()
    layer(x)
    layer.backward(np.ones((4, 2)))
    np.testing.assert_array_equal(layer.weight.grad, 2 * first)
    layer.zero_grad()
    assert layer.weight.grad is None and layer.bias.grad is None
    layer(x)
    layer.backward(np.ones((4, 2)))
    layer.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(layer.weight.grad, 0.0)


def test_train_eval_propagate_to_children():
    net = nn.Sequential(nn.Linear(2, 2, rng=0), nn.Sequential(nn.Tanh()))
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_state_dict_round_trip_copies():
    a, b = nn.Linear(3, 2, rng=0), nn.Linear(3, 2, rng=1)
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    b.weight.data += 1
    assert not np.array_equal(a.weight.data, b.weight.data)
    with pytest.raises(RuntimeError, match='Unexpected key\\(s\\) in state_dict: "bias"'):
        nn.Linear(3, 2, bias=False).load_state_dict(a.state_dict())


def test_repr_like_torch():
    net = nn.Sequential(nn.Linear(3, 4, rng=0), nn.ReLU())
    assert repr(net) == repr(torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU()))


def test_backward_before_forward_is_explained():
    with pytest.raises(RuntimeError, match="before forward"):
        nn.Linear(2, 2, rng=0).backward(np.ones((1, 2)))


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 6), fan_in=st.integers(1, 7), fan_out=st.integers(1, 7),
       lead=st.sampled_from([(), (3,)]), bias=st.booleans(), seed=st.integers(0, 2**16))
def test_linear_matches_torch(n, fan_in, fan_out, lead, bias, seed):
    rng = np.random.default_rng(seed)
    ours = nn.Linear(fan_in, fan_out, bias=bias, rng=rng)
    ref = torch.nn.Linear(fan_in, fan_out, bias=bias)
    copy_params(ours, ref)
    x = rng.standard_normal(lead + (n, fan_in))
    g = rng.standard_normal(lead + (n, fan_out))
    xt = t(x, grad=True)
    y = ours(x)
    ref(xt).backward(t(g))
    close(y, ref(xt))
    close(ours.backward(g), xt.grad)
    for p, q in zip(ours.parameters(), ref.parameters()):
        close(p.grad, q.grad)


def test_linear_init_distribution_matches_torch_bounds():
    layer = nn.Linear(400, 300, rng=0)
    bound = 1 / np.sqrt(400)
    w = layer.weight.data
    assert w.min() >= -bound and w.max() <= bound
    # U(-a, a) has variance a^2 / 3; 120000 draws pin the sample variance to about 0.5%.
    assert abs(w.var() / (bound ** 2 / 3) - 1) < 0.02
    assert abs(layer.bias.data).max() <= bound
    np.testing.assert_array_equal(nn.Linear(4, 3, rng=7).weight.data,
                                  nn.Linear(4, 3, rng=7).weight.data)


@pytest.mark.parametrize("make", [lambda: nn.Linear(4, 3, rng=0),
                                  lambda: nn.Sequential(nn.Linear(4, 5, rng=0), nn.Tanh(),
                                                        nn.Linear(5, 3, rng=1), nn.Sigmoid()),
                                  lambda: nn.Softmax(dim=1), lambda: nn.LogSoftmax(dim=0),
                                  lambda: nn.ReLU()])
def test_gradients_pass_numerical_check(make):
    x = np.random.default_rng(3).standard_normal((6, 4))
    report = check_module_gradients(make(), x, rng=4)
    assert report.passed(1e-7), str(report)


@pytest.mark.parametrize("ours, theirs", [
    (nn.ReLU(), torch.nn.ReLU()), (nn.Sigmoid(), torch.nn.Sigmoid()), (nn.Tanh(), torch.nn.Tanh()),
    (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)), (nn.LogSoftmax(dim=-1), torch.nn.LogSoftmax(dim=-1)),
    (nn.Flatten(), torch.nn.Flatten()), (nn.Flatten(0, 1), torch.nn.Flatten(0, 1)),
])
def test_activation_and_flatten_layers_match_torch(ours, theirs):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4, 5)) * 10
    x[0, 0, :3] = [0.0, 800.0, -800.0]
    xt = t(x, grad=True)
    yt = theirs(xt)
    g = rng.standard_normal(tuple(yt.shape))
    yt.backward(t(g))
    close(ours(x), yt)
    close(ours.backward(g), xt.grad)


def test_bad_input_names_argument_and_shapes():
    with pytest.raises(ValueError, match=r"in_features must be an integer >= 1, got 0"):
        nn.Linear(0, 3)
    with pytest.raises(TypeError, match="out_features"):
        nn.Linear(3, 2.5)
    with pytest.raises(ValueError, match=r"\(4, 5\).*\(\*, 3\)"):
        nn.Linear(3, 2, rng=0)(np.ones((4, 5)))
    with pytest.raises(TypeError, match="Sequential argument 1"):
        nn.Sequential(nn.ReLU(), lambda x: x)
    with pytest.raises(TypeError, match="real numbers"):
        nn.ReLU()(np.array(["a"]))


def test_assigning_to_a_buffer_keeps_it_in_state_dict():
    class Running(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("mean", np.zeros(2))

        def forward(self, x):
            self.mean = 0.9 * self.mean + 0.1 * x.mean(0)  # rebinds, as layers often do
            return x

    m = Running()
    m(np.ones((3, 2)))
    np.testing.assert_allclose(m.state_dict()["mean"], 0.1)


def _pairs(n):
    """n dlcore Linear layers and torch copies of them."""
    ours = [nn.Linear(2, 3 + i, rng=i) for i in range(n)]
    theirs = [torch.nn.Linear(2, 3 + i) for i in range(n)]
    for a, b in zip(ours, theirs):
        copy_params(a, b)
    return ours, theirs


def _same_state(ours, theirs):
    a, b = ours.state_dict(), theirs.state_dict()
    assert list(a) == list(b)
    for key in a:
        close(a[key], b[key])


def test_module_list_matches_torch_through_edits():
    (l0, l1, l2, l3), (t0, t1, t2, t3) = _pairs(4)
    ours, theirs = nn.ModuleList([l0, l1]), torch.nn.ModuleList([t0, t1])
    _same_state(ours, theirs)
    ours.append(l2)
    theirs.append(t2)
    ours.insert(1, l3)
    theirs.insert(1, t3)
    _same_state(ours, theirs)
    del ours[0]
    del theirs[0]                                   # keys renumber: "0" is now l3
    _same_state(ours, theirs)
    ours[-1], theirs[-1] = l0, t0
    _same_state(ours, theirs)
    assert ours.pop(0) is l3 and theirs.pop(0) is t3
    _same_state(ours, theirs)
    ours += [nn.ReLU()]
    assert len(ours) == 3 and isinstance(ours[-1], nn.ReLU) and len(ours[0:2]) == 2
    assert [p.data.shape for p in ours.parameters()] == [tuple(p.shape) for p in
                                                         theirs.parameters()]
    x = np.ones((4, 2))
    assert ours[0](x).shape == (4, 4)
    with pytest.raises(NotImplementedError, match="ModuleList does not implement forward"):
        ours(x)
    with pytest.raises(TypeError, match="ModuleList.append argument must be a dlcore Module"):
        ours.append(torch.nn.ReLU())
    with pytest.raises(IndexError, match="index 5 is out of range for 3 modules"):
        ours[5]
    with pytest.raises(TypeError, match="index must be an integer"):
        ours["0"]


def test_module_dict_matches_torch_and_refuses_bad_keys():
    (l0, l1), (t0, t1) = _pairs(2)
    ours = nn.ModuleDict({"enc": l0, "act": nn.ReLU()})
    theirs = torch.nn.ModuleDict({"enc": t0, "act": torch.nn.ReLU()})
    ours["head"], theirs["head"] = l1, t1
    _same_state(ours, theirs)
    assert list(ours) == list(theirs) and ours.keys() == list(theirs.keys())
    assert "enc" in ours and ours.pop("enc") is l0 and theirs.pop("enc") is t0
    _same_state(ours, theirs)
    ours.update([("enc", l0)])
    theirs.update([("enc", t0)])
    _same_state(ours, theirs)
    assert repr(ours).splitlines()[1] == "  (act): ReLU()"
    ours.clear()
    assert len(ours) == 0 and ours.state_dict() == {}
    with pytest.raises(TypeError, match="ModuleDict key must be a string, got int"):
        ours[1] = nn.ReLU()
    with pytest.raises(KeyError, match="without '.'"):
        ours["a.b"] = nn.ReLU()
    with pytest.raises(KeyError, match="would shadow the attribute"):
        ours["training"] = nn.ReLU()
    with pytest.raises(ValueError, match="element 0 must be a"):
        ours.update(["ab"])


@pytest.mark.parametrize("dim, sizes, shape", [(1, (3, 4), (2, 12, 5)), (-1, (2, -1), (0, 3, 6)),
                                               (0, (-1, 2), (8, 1)), (2, (1, 5), (2, 3, 5))])
def test_unflatten_and_flatten_match_torch_with_empty_batches(dim, sizes, shape):
    x = np.random.default_rng(0).standard_normal(shape)
    ours, theirs = nn.Unflatten(dim, sizes), torch.nn.Unflatten(dim, sizes)
    y = ours(x)
    yt = theirs(t(x))
    assert y.shape == tuple(yt.shape) and repr(ours) == repr(theirs)
    close(y, yt)
    assert ours.backward(np.ones_like(y)).shape == x.shape
    flat = nn.Flatten(dim % len(shape), dim % len(shape) + len(sizes) - 1)
    np.testing.assert_array_equal(flat(y), x)       # Flatten undoes it, N = 0 included
    assert nn.Flatten()(np.zeros((0, 3, 4))).shape == (0, 12)
    with pytest.raises(ValueError, match="has product 6, but dim 1 has size 12"):
        nn.Unflatten(1, (2, 3))(np.zeros((2, 12)))
    with pytest.raises(ValueError, match="at most one -1"):
        nn.Unflatten(1, (-1, -1))
    with pytest.raises(TypeError, match="unflattened_size must be a tuple or list"):
        nn.Unflatten(1, 6)


def test_gradcheck_reports_a_parameter_backward_forgot():
    class ForgetsBias(nn.Linear):
        def backward(self, grad_out):
            bias_grad = self.bias.grad
            out = super().backward(grad_out)
            self.bias.grad = bias_grad          # undo the bias accumulation
            return out

    report = check_module_gradients(ForgetsBias(3, 2, rng=0), np.ones((4, 3)), rng=1)
    assert not report.passed(1e-7)
    assert report.parameters["weight"] < 1e-7 and report.parameters["bias"] > 0.5
