"""Activations: functional forms, derivatives and layers against PyTorch in float64.

Inputs always include the awkward points 0, +-1e-8, +-20, +-800 and +-1e4 (and the kinks of
each function); no NaN, inf or warning may appear (pytest turns warnings into errors).
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings, strategies as st

import dlcore.functional.activation as A
import dlcore.functional as F
import dlcore.nn as nn
from dlcore.gradcheck import check_module_gradients
from parity import close, t

SPECIAL = [0.0, -0.0, 1e-8, -1e-8, 1.0, -1.0, 20.0, -20.0, 800.0, -800.0, 1e4, -1e4]

# name, dlcore kwargs, torch function (float64 tensor -> tensor)
CASES = [
    ("sigmoid", {}, torch.sigmoid),
    ("tanh", {}, torch.tanh),
    ("logsigmoid", {}, TF.logsigmoid),
    ("relu", {}, TF.relu),
    ("relu6", {}, TF.relu6),
    ("leaky_relu", {}, TF.leaky_relu),
    ("leaky_relu", {"negative_slope": 0.2}, lambda x: TF.leaky_relu(x, 0.2)),
    ("leaky_relu", {"negative_slope": 0.0}, lambda x: TF.leaky_relu(x, 0.0)),
    ("leaky_relu", {"negative_slope": -0.5}, lambda x: TF.leaky_relu(x, -0.5)),
    ("leaky_relu", {"negative_slope": 1.5}, lambda x: TF.leaky_relu(x, 1.5)),
    ("hardtanh", {}, TF.hardtanh),
    ("hardtanh", {"min_val": -0.5, "max_val": 2.0}, lambda x: TF.hardtanh(x, -0.5, 2.0)),
    ("hardtanh", {"min_val": 0.5, "max_val": 0.5}, lambda x: TF.hardtanh(x, 0.5, 0.5)),
    ("hardtanh", {"min_val": 0.0, "max_val": 20.0}, lambda x: TF.hardtanh(x, 0.0, 20.0)),
    ("hardsigmoid", {}, TF.hardsigmoid),
    ("hardswish", {}, TF.hardswish),
    ("elu", {}, TF.elu),
    ("elu", {"alpha": 0.5}, lambda x: TF.elu(x, 0.5)),
    ("elu", {"alpha": 2.0}, lambda x: TF.elu(x, 2.0)),
    ("elu", {"alpha": -1.0}, lambda x: TF.elu(x, -1.0)),
    ("selu", {}, TF.selu),
    ("celu", {}, TF.celu),
    ("celu", {"alpha": 0.5}, lambda x: TF.celu(x, 0.5)),
    ("celu", {"alpha": 3.0}, lambda x: TF.celu(x, 3.0)),
    ("gelu", {}, TF.gelu),
    ("gelu", {"approximate": "tanh"}, lambda x: TF.gelu(x, approximate="tanh")),
    ("silu", {}, TF.silu),
    ("mish", {}, TF.mish),
    ("softsign", {}, TF.softsign),
    ("softplus", {}, TF.softplus),
    ("softplus", {"beta": 2.0, "threshold": 3.0}, lambda x: TF.softplus(x, 2.0, 3.0)),
    ("softplus", {"beta": 0.5, "threshold": 10.0}, lambda x: TF.softplus(x, 0.5, 10.0)),
    ("softplus", {"beta": -1.0}, lambda x: TF.softplus(x, -1.0)),
    ("softplus", {"beta": 1.0, "threshold": 500.0}, lambda x: TF.softplus(x, 1.0, 500.0)),
]
IDS = [f"{name}-{kw}" for name, kw, _ in CASES]

# Kinks and thresholds: the exact points where PyTorch makes a choice.
KINKS = [1.5, 1.5 + 1e-12, 1.49999, 3.0, -3.0, 6.0, -0.5, 2.0, 0.5, 10.0, 20.0, -20.0, 500.0]

values = st.one_of(st.sampled_from(SPECIAL + KINKS),
                   st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False),
                   st.floats(-30, 30, allow_nan=False, allow_infinity=False))
arrays = st.lists(values, min_size=1, max_size=24).map(lambda v: np.array(v + SPECIAL))


def torch_value_and_derivative(fn, x):
    xt = t(x, grad=True)
    y = fn(xt)
    y.sum().backward()  # element-wise function: d(sum y)/dx_i = f'(x_i)
    return y.detach().numpy(), xt.grad.numpy()


def check_against_torch(name, kwargs, fn, x):
    y_ref, d_ref = torch_value_and_derivative(fn, x)
    y = getattr(F, name)(x, **kwargs)
    d = A.derivative(name, x, **kwargs)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(d))
    close(y, y_ref)
    close(d, d_ref)


@pytest.mark.parametrize("name, kwargs, fn", CASES, ids=IDS)
def test_special_values_and_kinks_match_torch(name, kwargs, fn):
    check_against_torch(name, kwargs, fn, np.array(SPECIAL + KINKS + [-k for k in KINKS]))


@pytest.mark.parametrize("name, kwargs, fn", CASES, ids=IDS)
@settings(max_examples=10, deadline=None)
@given(x=arrays)
def test_forward_and_derivative_match_torch(name, kwargs, fn, x):
    check_against_torch(name, kwargs, fn, x)


@pytest.mark.parametrize("name, kwargs, fn", CASES, ids=IDS)
def test_no_overflow_anywhere_in_float64(name, kwargs, fn):
    """Finite input stays finite far beyond exp's range (1e300 * 1.5 still fits), with no
    warning: no branch that np.where discards may overflow either."""
    x = np.array([-1e300, -1e200, -1e154, -710.0, 710.0, 1e154, 1e200, 1e300])
    assert np.all(np.isfinite(getattr(F, name)(x, **kwargs)))
    assert np.all(np.isfinite(A.derivative(name, x, **kwargs)))


@pytest.mark.parametrize("name, kwargs, fn", CASES, ids=IDS)
def test_float32_input_keeps_its_dtype(name, kwargs, fn):
    x = np.linspace(-5, 5, 11, dtype=np.float32)
    assert getattr(F, name)(x, **kwargs).dtype == np.float32
    assert A.derivative(name, x, **kwargs).dtype == np.float32


@pytest.mark.parametrize("name, kwargs, fn", CASES, ids=IDS)
def test_scalar_and_strided_inputs(name, kwargs, fn):
    base = np.linspace(-30, 30, 24).reshape(4, 6)
    strided = base[:, ::2].T                      # neither C- nor F-contiguous
    for x in (strided, np.array(-1.5), np.array(0.0)):
        y_ref, d_ref = torch_value_and_derivative(fn, x)
        close(getattr(F, name)(x, **kwargs), y_ref)
        close(A.derivative(name, x, **kwargs), d_ref)


def test_gradient_at_exactly_zero_is_torchs():
    """relu: 0, leaky_relu: the slope, abs: 0, hardtanh: 0 at its ends, elu: alpha."""
    zero = np.array([0.0])
    expected = {("relu", ()): 0.0, ("leaky_relu", (("negative_slope", 0.01),)): 0.01,
                ("elu", (("alpha", 2.0),)): 2.0, ("selu", ()): A.SELU_SCALE * A.SELU_ALPHA,
                ("celu", (("alpha", 2.0),)): 1.0, ("softsign", ()): 1.0, ("relu6", ()): 0.0}
    for (name, kw), value in expected.items():
        assert A.derivative(name, zero, **dict(kw))[0] == value, name
    ends = np.array([-1.0, 1.0])
    np.testing.assert_array_equal(A.derivative("hardtanh", ends), [0.0, 0.0])
    xt = t(ends, grad=True)
    TF.hardtanh(xt).sum().backward()
    np.testing.assert_array_equal(xt.grad.numpy(), [0.0, 0.0])


def test_selu_constants_are_torchs():
    x = t([-1.0, 1.0])
    close(A.selu(np.array([-1.0, 1.0])), TF.selu(x), rtol=1e-15, atol=0)
    assert A.SELU_ALPHA == 1.6732632423543772848170429916717
    assert A.SELU_SCALE == 1.0507009873554804934193349852946


def test_softplus_threshold_rule_is_strict():
    # beta * x > threshold is linear; equality is not.
    x = np.array([10.0, 10.0 + 1e-9])
    y = A.softplus(x, beta=2.0, threshold=20.0)
    assert y[1] == x[1] and y[0] == pytest.approx(np.log1p(np.exp(20.0)) / 2, rel=1e-15)
    np.testing.assert_array_equal(A.softplus_grad(x, 2.0, 20.0)[1], 1.0)


@pytest.mark.parametrize("k", [1 / math.log(2), 1.44, 1.5, 0.7])
def test_base2_sigmoid_and_its_derivative_against_autograd(k):
    # The naive formula on moderate inputs, where 2^(-kx) does not overflow ...
    x = np.array([0.0, 1e-8, -1e-8, 0.1, 0.5, 0.99, 3.0, -3.0, 20.0, -20.0])
    xt = t(x, grad=True)
    y = 1 / (1 + torch.pow(2.0, -k * xt))
    y.sum().backward()
    close(A.sigmoid_base2(x, k), y)
    close(A.derivative("sigmoid_base2", x, k=k), xt.grad)
    # ... and the equal sigmoid(k ln2 x) everywhere, including +-800 and +-1e4.
    x = np.array(SPECIAL)
    y_ref, d_ref = torch_value_and_derivative(lambda v: torch.sigmoid(k * math.log(2) * v), x)
    close(A.sigmoid_base2(x, k), y_ref)
    close(A.derivative("sigmoid_base2", x, k=k), d_ref)
    if k == 1 / math.log(2):
        close(A.sigmoid_base2(x, k), A.sigmoid(x), rtol=1e-14, atol=1e-300)


@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), data=st.data(),
       scale=st.sampled_from([1.0, 30.0, 1e3]), seed=st.integers(0, 2**16))
def test_softmax_and_log_softmax_full_jacobian_against_autograd(shape, data, scale, seed):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = np.random.default_rng(seed).standard_normal(shape) * scale
    for ours_fn, layer, ref in [(F.softmax, nn.Softmax(dim), torch.softmax),
                                (F.log_softmax, nn.LogSoftmax(dim), torch.log_softmax)]:
        jac_ref = torch.autograd.functional.jacobian(lambda v: ref(v, dim), t(x)).numpy()
        close(ours_fn(x, dim), ref(t(x), dim))
        # Build the full Jacobian from the layer's backward: row k is e_k^T J.
        layer(x)
        n = x.size
        rows = [layer.backward(np.eye(n)[k].reshape(shape)).reshape(-1) for k in range(n)]
        close(np.array(rows), jac_ref.reshape(n, n))


@settings(max_examples=25, deadline=None)
@given(lead=st.lists(st.integers(1, 3), max_size=2), n=st.integers(1, 6),
       seed=st.integers(0, 2**16))
def test_softmax_jacobian_matrix_against_autograd(lead, n, seed):
    x = np.random.default_rng(seed).standard_normal(tuple(lead) + (n,)) * 5
    J = A.softmax_jacobian(x)
    for idx in np.ndindex(*lead):
        ref = torch.autograd.functional.jacobian(lambda v: torch.softmax(v, -1), t(x[idx]))
        close(J[idx], ref)
        np.testing.assert_allclose(J[idx].sum(axis=1), 0.0, atol=1e-15)


def test_softmax_dtype_argument_casts_like_torch():
    x = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    assert A.softmax(x, 0, dtype=np.float64).dtype == np.float64
    close(A.log_softmax(x, 0, dtype=np.float64), torch.log_softmax(t(x), 0))


# ---- layers ------------------------------------------------------------------------------

LAYERS = [
    (lambda: nn.ReLU(), lambda: torch.nn.ReLU()),
    (lambda: nn.ReLU6(), lambda: torch.nn.ReLU6()),
    (lambda: nn.LeakyReLU(), lambda: torch.nn.LeakyReLU()),
    (lambda: nn.LeakyReLU(0.2), lambda: torch.nn.LeakyReLU(0.2)),
    (lambda: nn.Hardtanh(-2.0, 0.5), lambda: torch.nn.Hardtanh(-2.0, 0.5)),
    (lambda: nn.Hardsigmoid(), lambda: torch.nn.Hardsigmoid()),
    (lambda: nn.Hardswish(), lambda: torch.nn.Hardswish()),
    (lambda: nn.ELU(alpha=0.7), lambda: torch.nn.ELU(alpha=0.7)),
    (lambda: nn.SELU(), lambda: torch.nn.SELU()),
    (lambda: nn.CELU(alpha=1.5), lambda: torch.nn.CELU(alpha=1.5)),
    (lambda: nn.GELU(), lambda: torch.nn.GELU()),
    (lambda: nn.GELU(approximate="tanh"), lambda: torch.nn.GELU(approximate="tanh")),
    (lambda: nn.SiLU(), lambda: torch.nn.SiLU()),
    (lambda: nn.Mish(), lambda: torch.nn.Mish()),
    (lambda: nn.Softplus(beta=2.0, threshold=5.0), lambda: torch.nn.Softplus(2.0, 5.0)),
    (lambda: nn.Softsign(), lambda: torch.nn.Softsign()),
    (lambda: nn.LogSigmoid(), lambda: torch.nn.LogSigmoid()),
    (lambda: nn.Sigmoid(), lambda: torch.nn.Sigmoid()),
    (lambda: nn.Tanh(), lambda: torch.nn.Tanh()),
    (lambda: nn.PReLU(), lambda: torch.nn.PReLU()),
    (lambda: nn.PReLU(4, init=0.1), lambda: torch.nn.PReLU(4, init=0.1)),
    (lambda: nn.Softmax(dim=1), lambda: torch.nn.Softmax(dim=1)),
    (lambda: nn.LogSoftmax(dim=-1), lambda: torch.nn.LogSoftmax(dim=-1)),
]
LAYER_IDS = [repr(make()) for make, _ in LAYERS]


def _layer_input(rng, shape=(3, 4, 5)):
    x = rng.standard_normal(shape) * 6
    x.reshape(-1)[: len(SPECIAL)] = SPECIAL
    return x


@pytest.mark.parametrize("make, make_ref", LAYERS, ids=LAYER_IDS)
def test_layer_forward_backward_and_parameter_grads_match_torch(make, make_ref):
    rng = np.random.default_rng(0)
    ours, ref = make(), make_ref()
    with torch.no_grad():  # make PReLU's slopes different per channel, in both
        for p, q in zip(ours.parameters(), ref.parameters()):
            p.data[...] = rng.uniform(-0.5, 0.5, p.shape)
            q.copy_(torch.from_numpy(p.data))
    x, g = _layer_input(rng), rng.standard_normal((3, 4, 5))
    xt = t(x, grad=True)
    yt = ref(xt)
    yt.backward(t(g))
    close(ours(x), yt)
    close(ours.backward(g), xt.grad)
    for p, q in zip(ours.parameters(), ref.parameters()):
        close(p.grad, q.grad)
    assert repr(ours) == repr(ref)


@pytest.mark.parametrize("make, make_ref", LAYERS, ids=LAYER_IDS)
def test_layer_backward_passes_numerical_check(make, make_ref):
    x = np.random.default_rng(1).standard_normal((2, 4, 3)) * 2
    report = check_module_gradients(make(), x, rng=2)
    assert report.passed(1e-7), str(report)


@pytest.mark.parametrize("name, dl_cls, torch_cls, kwargs", [
    ("relu", nn.ReLU, torch.nn.ReLU, {}), ("relu6", nn.ReLU6, torch.nn.ReLU6, {}),
    ("leaky_relu", nn.LeakyReLU, torch.nn.LeakyReLU, {"negative_slope": 0.3}),
    ("hardtanh", nn.Hardtanh, torch.nn.Hardtanh, {}), ("elu", nn.ELU, torch.nn.ELU, {}),
    ("selu", nn.SELU, torch.nn.SELU, {}), ("celu", nn.CELU, torch.nn.CELU, {"alpha": 2.0}),
    ("silu", nn.SiLU, torch.nn.SiLU, {}), ("mish", nn.Mish, torch.nn.Mish, {}),
    ("hardsigmoid", nn.Hardsigmoid, torch.nn.Hardsigmoid, {}),
    ("hardswish", nn.Hardswish, torch.nn.Hardswish, {}),
])
def test_inplace_overwrites_the_input_and_still_backpropagates(name, dl_cls, torch_cls, kwargs):
    rng = np.random.default_rng(3)
    x = _layer_input(rng, (4, 6))
    g = rng.standard_normal(x.shape)
    ours, ref = dl_cls(**kwargs, inplace=True), torch_cls(**kwargs, inplace=True)
    assert repr(ours) == repr(ref)
    xt = t(x, grad=True)
    yt = ref(xt.clone())
    yt.backward(t(g))
    buffer = x.copy()
    y = ours(buffer)
    assert y is buffer
    close(buffer, yt)
    close(ours.backward(g), xt.grad)
    out = x.copy()
    assert getattr(F, name)(out, **kwargs, inplace=True) is out
    close(out, yt)


def test_prelu_per_channel_on_4d_input_and_shared_on_1d_input():
    rng = np.random.default_rng(4)
    ours, ref = nn.PReLU(3), torch.nn.PReLU(3)
    x = rng.standard_normal((2, 3, 4, 5))
    x[0, :, 0, 0] = 0.0  # the kink: slope for the input, 0 for the weight
    g = rng.standard_normal(x.shape)
    xt = t(x, grad=True)
    ref(xt).backward(t(g))
    close(ours(x), ref(xt))
    close(ours.backward(g), xt.grad)
    close(ours.weight.grad, ref.weight.grad)
    one, one_ref = nn.PReLU(), torch.nn.PReLU()
    v = rng.standard_normal(7)
    vt = t(v, grad=True)
    one_ref(vt).backward(t(np.ones(7)))
    close(one(v), one_ref(vt))
    close(one.backward(np.ones(7)), vt.grad)
    close(one.weight.grad, one_ref.weight.grad)


def test_prelu_gradient_accumulates():
    m = nn.PReLU()
    x = np.array([-1.0, -2.0, 3.0])
    for _ in range(2):
        m(x)
        m.backward(np.ones(3))
    np.testing.assert_array_equal(m.weight.grad, [-6.0])


def test_functional_exports_every_activation():
    exported = [name for name in F.__all__ if name in A.__all__]
    for name in exported:
        assert getattr(F, name) is getattr(A, name)
        assert name in dir(TF) or name == "logsigmoid", name
    assert set(A.NAMES) - {"sigmoid_base2"} <= set(exported)


def test_bad_input_names_argument_and_value():
    with pytest.raises(ValueError, match=r"min_val cannot be greater than max_val.*2.*1"):
        F.hardtanh(np.ones(2), 2.0, 1.0)
    with pytest.raises(ValueError, match="max_val .*must be greater than min_val"):
        nn.Hardtanh(1.0, 1.0)
    with pytest.raises(ValueError, match="celu alpha cannot be 0"):
        nn.CELU(alpha=0.0)
    with pytest.raises(ValueError, match="softplus beta must be non-zero"):
        F.softplus(np.ones(2), beta=0)
    with pytest.raises(ValueError, match="approximate must be one of 'none', 'tanh'; got 'erf'"):
        nn.GELU(approximate="erf")
    with pytest.raises(ValueError, match=r"3 parameters.*\(2, 4\).*4 channel"):
        F.prelu(np.ones((2, 4)), np.ones(3))
    with pytest.raises(ValueError, match="num_parameters must be an integer >= 1, got 0"):
        nn.PReLU(0)
    with pytest.raises(ValueError, match="activation name must be one of .*got 'swish'"):
        A.derivative("swish", np.ones(2))
    with pytest.raises(TypeError, match="inplace=True needs a floating-point numpy array"):
        F.relu([1.0, -1.0], inplace=True)
    with pytest.raises(TypeError, match="negative_slope must be a real number"):
        nn.LeakyReLU("0.1")
    with pytest.raises(TypeError, match="input must hold real numbers"):
        F.gelu(np.array(["x"]))
    m = nn.ELU()
    with pytest.raises(RuntimeError, match="before forward"):
        m.backward(np.ones(2))
    m(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"grad_out shape \(3, 2\).*\(2, 3\)"):
        m.backward(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"dim must be in \[-2, 1\].*\(2, 3\), got 2"):
        F.softmax(np.ones((2, 3)), dim=2)


# ---- widgets -----------------------------------------------------------------------------

def test_activation_explorer_follows_its_controls():
    from dlcore.book.widgets.activations import activation_curves, activation_explorer

    e = activation_explorer(label="tanh", eps=1e-2)
    first_png = e.image.value
    e.controls["label"].value = "elu"
    e.controls["param"].value = 2.0
    x = e.artists["f"].get_xdata()
    np.testing.assert_allclose(e.artists["f"].get_ydata(), A.elu(x, alpha=2.0))
    np.testing.assert_allclose(e.artists["df"].get_ydata(), A.elu_grad(x, alpha=2.0))
    assert e.image.value != first_png and "alpha = 2" in e.status.value
    # the shaded rectangles cover exactly the grid points where |f'| < eps
    e.controls["eps"].value = 1e-2
    inside = np.zeros(x.size, dtype=bool)
    for path in e.artists["saturated"].get_paths():
        left, right = path.vertices[:, 0].min(), path.vertices[:, 0].max()
        inside |= (x > left) & (x < right)
    np.testing.assert_array_equal(inside, np.abs(A.elu_grad(x, alpha=2.0)) < 1e-2)
    assert inside[0] and not inside[-1]            # ELU saturates on the left only
    e.controls["label"].value = "leaky_relu"
    assert len(e.artists["saturated"].get_paths()) == 0     # never saturates
    x2, f, d = activation_curves("hardtanh", 2.0, np.array([-3.0, 0.0, 2.0]))
    np.testing.assert_array_equal(f, [-2.0, 0.0, 2.0])
    np.testing.assert_array_equal(d, [0.0, 1.0, 0.0])


def test_activation_explorer_callback_budget():
    from dlcore.book.widgets.activations import ACTIVATIONS, activation_explorer

    e = activation_explorer()
    e.controls["label"].value = "gelu"            # first use imports scipy.special
    times = []
    for label in ACTIVATIONS:
        e.controls["label"].value = label
        times.append(e.last_callback_ms)
    assert np.median(times) < 50, times


def test_depth_explorer_shows_probe_depth_gradient_norms():
    from dlcore.book.widgets.activations import depth_explorer, probe_depth

    e = depth_explorer(rng=0, width=16, batch=32)
    e.controls["depth"].value = 12
    e.controls["activation"].value = "sigmoid"
    e.controls["scheme"].value = "xavier"
    xs, ys = e.artists["norms"].get_data()
    np.testing.assert_array_equal(xs, np.arange(1, 13))
    expected = probe_depth("sigmoid", "xavier", depth=12, width=16, batch=32, rng=0).grad_norms
    np.testing.assert_allclose(ys, expected)
    assert ys[0] < 1e-3 * ys[-1]                   # vanishing towards the input
    np.testing.assert_allclose(e.artists["deltas"].get_ydata(),
                               probe_depth("sigmoid", "xavier", depth=12, width=16, batch=32,
                                           rng=0).delta_norms)
    assert "||dL/dz|| layer 1" in e.status.value and "forward RMS" in e.status.value
    e.controls["scheme"].value = "zeros"
    assert "exactly 0" in e.status.value
    times = []
    for depth in (5, 10, 20, 30):
        e.controls["depth"].value = depth
        times.append(e.last_callback_ms)
    assert np.median(times) < 50, times


def _torch_copy(model, width, activation):
    """The probe's Linear layers as torch layers (same weights), each followed by activation."""
    layers = []
    for m in model:
        if isinstance(m, nn.Linear):
            ref = torch.nn.Linear(width, width)
            with torch.no_grad():
                ref.weight.copy_(torch.from_numpy(m.weight.data))
                ref.bias.copy_(torch.from_numpy(m.bias.data))
            layers += [ref, activation()]
    return layers


def test_probe_depth_gradients_match_torch_autograd():
    from dlcore.book.widgets.activations import probe_depth

    probe = probe_depth("tanh", "kaiming", depth=4, width=8, batch=16, rng=3)
    layers = _torch_copy(probe.model, 8, torch.nn.Tanh)
    h, acts, zs = t(probe.x), [], []
    for layer in layers:
        h = layer(h)
        if isinstance(layer, torch.nn.Tanh):
            acts.append(h)
        else:
            h.retain_grad()
            zs.append(h)
    torch.nn.functional.mse_loss(h, t(probe.target)).backward()
    norms = [layers[i].weight.grad.norm().item() for i in range(0, 8, 2)]
    close(probe.grad_norms, norms)
    for ours, theirs in zip(probe.activations, acts, strict=True):
        close(ours, theirs)
    # the back-propagated signal dL/dz_l and the forward RMS, layer by layer
    close(probe.delta_norms, [z.grad.norm().item() for z in zs])
    close(probe.rms, [a.pow(2).mean().sqrt().item() for a in acts])
    assert not np.allclose(probe.delta_norms, probe.grad_norms)


def test_probe_depth_linear_loss_is_an_upstream_gradient_independent_of_the_network():
    from dlcore.book.widgets.activations import probe_depth

    mse = probe_depth("relu", "kaiming", depth=3, width=6, batch=10, rng=4)
    lin = probe_depth("relu", "kaiming", depth=3, width=6, batch=10, rng=4, loss="linear")
    for a, b in zip(mse.model.parameters(), lin.model.parameters()):
        np.testing.assert_array_equal(a.data, b.data)      # same weights, same rng stream
    np.testing.assert_array_equal(mse.x, lin.x)
    np.testing.assert_array_equal(mse.target, lin.target)
    # against torch: L = -(2/N) sum(h * t) through the same network
    layers = _torch_copy(lin.model, 6, torch.nn.ReLU)
    h, zs = t(lin.x), []
    for layer in layers:
        h = layer(h)
        if isinstance(layer, torch.nn.Linear):
            h.retain_grad()
            zs.append(h)
    (-2.0 * (h * t(lin.target)).sum() / lin.target.size).backward()
    close(lin.delta_norms, [z.grad.norm().item() for z in zs])
    close(lin.grad_norms, [layers[i].weight.grad.norm().item() for i in range(0, 6, 2)])
    assert not np.allclose(lin.delta_norms, mse.delta_norms)
    with pytest.raises(ValueError, match="loss"):
        probe_depth("relu", "kaiming", depth=2, width=4, batch=3, loss="l1")


def test_probe_depth_xavier_gain_scheme_uses_the_activation_gain():
    from dlcore.book.widgets.activations import probe_depth

    for act, gain in [("tanh", 5 / 3), ("relu", math.sqrt(2)), ("sigmoid", 1.0)]:
        plain = probe_depth(act, "xavier", depth=2, width=300, batch=4, rng=5)
        gained = probe_depth(act, "xavier + gain", depth=2, width=300, batch=4, rng=5)
        for a, b in zip(plain.model.parameters(), gained.model.parameters()):
            if a.data.ndim == 2:      # same draw, scaled by the gain (torch's calculate_gain)
                np.testing.assert_allclose(b.data, gain * a.data, rtol=1e-12)
    assert abs(torch.nn.init.calculate_gain("tanh") - 5 / 3) < 1e-12


# ---- stacked training (ACT-09's learning-rate sweep) ----------------------------------------

class _Shifted(nn.Module):
    """f(x) + c with f's backward: the layer the stacked helper's ``shift`` stands for."""

    def __init__(self, inner, shift):
        super().__init__()
        self.inner, self.shift = inner, shift

    def forward(self, x):
        return self.inner(x) + self.shift

    def backward(self, grad_out):
        return self.inner.backward(grad_out)


def _moons_mlp(layer, seed, width=8):
    g = np.random.default_rng(seed)
    return nn.Sequential(nn.Linear(2, width, rng=g), layer(), nn.Linear(width, width, rng=g),
                         layer(), nn.Linear(width, 1, rng=g))


@pytest.mark.parametrize("activation, shift, layer", [
    ("sigmoid", 0.0, lambda: nn.Sigmoid()),
    ("sigmoid", -0.5, lambda: _Shifted(nn.Sigmoid(), -0.5)),
    ("tanh", 1.0, lambda: _Shifted(nn.Tanh(), 1.0)),
    ("tanh", 0.0, lambda: nn.Tanh()),
])
def test_stacked_sgd_bce_equals_fit_for_every_copy(activation, shift, layer):
    from dlcore.book.data import make_moons
    from dlcore.book.stacked import stacked_sgd_bce
    from dlcore.book.train import fit
    from dlcore.optim import SGD

    X, y = make_moons(60, noise=0.2, rng=1)
    y = y.reshape(-1, 1).astype(float)
    seeds, lrs = [0, 1, 2], [0.3, 0.5, 1.0]
    models = [_moons_mlp(layer, s) for s in seeds for _ in lrs]
    before = [p.data.copy() for m in models for p in m.parameters()]
    curves = stacked_sgd_bce(models, activation, [lr for _ in seeds for lr in lrs], X, y,
                             epochs=40, shift=shift)
    assert curves.shape == (len(models), 40)
    # the models passed in are only read
    for p, b in zip((p for m in models for p in m.parameters()), before):
        np.testing.assert_array_equal(p.data, b)
    for i, (s, lr) in enumerate((s, lr) for s in seeds for lr in lrs):
        net = _moons_mlp(layer, s)
        hist = fit(net, nn.BCEWithLogitsLoss(), SGD(net.parameters(), lr=lr), X, y, epochs=40)
        np.testing.assert_allclose(curves[i], hist.train_loss, rtol=1e-10, atol=0)
    # the curves differ between rates (the test would pass trivially if lrs were ignored)
    assert not np.allclose(curves[0], curves[2])


def test_stacked_sgd_bce_rejects_bad_arguments():
    from dlcore.book.stacked import stacked_sgd_bce

    net = _moons_mlp(lambda: nn.Tanh(), 0)
    X, y = np.zeros((4, 2)), np.zeros((4, 1))
    with pytest.raises(ValueError, match=r"activation must be one of.*got 'relu'"):
        stacked_sgd_bce([net], "relu", [0.1], X, y, epochs=2)
    with pytest.raises(ValueError, match=r"1 models and 2 rates"):
        stacked_sgd_bce([net], "tanh", [0.1, 0.2], X, y, epochs=2)
