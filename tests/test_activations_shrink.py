"""Shrinkage, threshold, randomized leaky ReLU, softmin and GLU against PyTorch.

Each layer is checked in float64 for values and input gradients on inputs that include the
kinks, NaN and +-inf; in float32 for dtype (output and gradient keep the input's); on empty
batches; by numerical gradients where the function is smooth; and for the argument errors
PyTorch raises (here as ``TypeError``/``ValueError`` naming the argument).
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import dlcore.functional.activation as A
import dlcore.nn as nn
from dlcore.gradcheck import check_module_gradients
from parity import close, t

EDGES = [0.0, -0.0, 0.5, -0.5, 0.5 + 1e-12, -0.5 - 1e-12, 1.0, -1.0, 20.0, -20.0, 1e4, -1e4]
SPECIAL = [np.nan, np.inf, -np.inf]

# dlcore layer, torch layer: every argument PyTorch has, at its default and off it
LAYERS = [
    (lambda: nn.Softshrink(), lambda: torch.nn.Softshrink()),
    (lambda: nn.Softshrink(0.0), lambda: torch.nn.Softshrink(0.0)),
    (lambda: nn.Softshrink(2.5), lambda: torch.nn.Softshrink(2.5)),
    (lambda: nn.Hardshrink(), lambda: torch.nn.Hardshrink()),
    (lambda: nn.Hardshrink(1.0), lambda: torch.nn.Hardshrink(1.0)),
    (lambda: nn.Hardshrink(-1.0), lambda: torch.nn.Hardshrink(-1.0)),
    (lambda: nn.Tanhshrink(), lambda: torch.nn.Tanhshrink()),
    (lambda: nn.Threshold(0.5, -3.0), lambda: torch.nn.Threshold(0.5, -3.0)),
    (lambda: nn.Threshold(-1.0, 20.0), lambda: torch.nn.Threshold(-1.0, 20.0)),
    (lambda: nn.Threshold(0.0, np.inf), lambda: torch.nn.Threshold(0.0, float("inf"))),
    (lambda: nn.RReLU().eval(), lambda: torch.nn.RReLU().eval()),
    (lambda: nn.RReLU(0.1, 0.5).eval(), lambda: torch.nn.RReLU(0.1, 0.5).eval()),
    (lambda: nn.RReLU(0.3, 0.3), lambda: torch.nn.RReLU(0.3, 0.3)),  # training, one slope
    (lambda: nn.Softmin(dim=1), lambda: torch.nn.Softmin(dim=1)),
    (lambda: nn.Softmin(dim=-1), lambda: torch.nn.Softmin(dim=-1)),
    (lambda: nn.GLU(), lambda: torch.nn.GLU()),
    (lambda: nn.GLU(dim=1), lambda: torch.nn.GLU(dim=1)),
    (lambda: nn.GLU(dim=0), lambda: torch.nn.GLU(dim=0)),
]
IDS = [repr(make()) + ("" if make().training else ".eval()") for make, _ in LAYERS]


def _input(special=True):
    x = np.random.default_rng(0).standard_normal((4, 6, 4)) * 3
    x.flat[:len(EDGES)] = EDGES
    if special:
        x.flat[len(EDGES):len(EDGES) + 3] = SPECIAL
    return x


def _torch_run(make_theirs, x, g):
    xt = t(x, grad=True)
    yt = make_theirs()(xt)
    yt.backward(t(g))
    return yt.detach().numpy(), xt.grad.numpy()


@pytest.mark.parametrize("make_ours, make_theirs", LAYERS, ids=IDS)
def test_values_and_gradients_match_torch(make_ours, make_theirs):
    ours = make_ours()
    smooth_only = isinstance(ours, (nn.Softmin, nn.GLU))  # NaN spreads along dim there
    x = _input(special=not smooth_only)
    y = ours(x)
    g = np.random.default_rng(1).standard_normal(y.shape)
    y_ref, dx_ref = _torch_run(make_theirs, x, g)
    np.testing.assert_allclose(y, y_ref, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(ours.backward(g), dx_ref, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("make_ours, make_theirs", [LAYERS[i] for i in (13, 15)],
                         ids=["Softmin", "GLU"])
def test_nan_spreads_as_in_torch(make_ours, make_theirs):
    x = _input(special=False)
    x[0, 0, 0] = np.nan
    ours = make_ours()
    y = ours(x)
    g = np.ones_like(y)
    y_ref, dx_ref = _torch_run(make_theirs, x, g)
    np.testing.assert_array_equal(np.isnan(y), np.isnan(y_ref))
    np.testing.assert_allclose(y, y_ref, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(ours.backward(g), dx_ref, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("make_ours, make_theirs", LAYERS, ids=IDS)
def test_float32_keeps_dtype_and_matches_torch(make_ours, make_theirs):
    ours = make_ours()
    x = _input(special=False).astype(np.float32)
    y = ours(x)
    g = np.ones_like(y)
    dx = ours.backward(g)
    assert y.dtype == np.float32 and dx.dtype == np.float32
    xt = torch.tensor(x, requires_grad=True)
    yt = make_theirs()(xt)
    yt.backward(torch.ones_like(yt))
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=2e-6, atol=1e-6)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=2e-6, atol=1e-6)


@pytest.mark.parametrize("make_ours, make_theirs", LAYERS, ids=IDS)
def test_empty_batch(make_ours, make_theirs):
    ours = make_ours()
    x = np.zeros((0, 6, 4))
    y = ours(x)
    assert y.shape == tuple(make_theirs()(torch.zeros(0, 6, 4)).shape)
    assert ours.backward(np.zeros_like(y)).shape == x.shape


@pytest.mark.parametrize("make", [lambda: nn.Tanhshrink(), lambda: nn.Softmin(dim=1),
                                  lambda: nn.GLU(), lambda: nn.GLU(dim=0),
                                  lambda: nn.Softshrink(0.1), lambda: nn.Hardshrink(0.1),
                                  lambda: nn.Threshold(0.1, 2.0), lambda: nn.RReLU(0.2, 0.4)])
def test_numerical_gradients(make):
    x = np.random.default_rng(3).standard_normal((6, 4))
    x[np.abs(np.abs(x) - 0.1) < 1e-3] += 0.01  # keep central differences off the kinks
    m = make()
    if isinstance(m, nn.RReLU):  # one fixed slope draw for every evaluation
        noise = A.rrelu_noise(x, 0.2, 0.4, training=True, rng=0)
        m.forward = lambda inp, _f=m.forward: _f(inp, noise=noise)
        x = np.where(np.abs(x) < 1e-3, 0.01, x)
    report = check_module_gradients(m, x, rng=4)
    assert report.passed(1e-7), str(report)


def test_rrelu_training_draws_slopes_in_range_and_backward_reuses_them():
    m = nn.RReLU(0.1, 0.3, rng=0)
    x = np.concatenate([-np.ones(20000), np.zeros(10), np.ones(10), [np.nan]])
    y = m(x)
    slopes = y[:20000] / x[:20000]
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3
    assert abs(slopes.mean() - 0.2) < 3 * 0.2 / np.sqrt(12 * 20000) * 3  # U(0.1, 0.3) mean
    assert len(np.unique(slopes)) > 19000                                  # one draw each
    dx = m.backward(np.ones_like(x))
    np.testing.assert_array_equal(dx[:20000], slopes)
    assert np.all((dx[20000:20010] >= 0.1) & (dx[20000:20010] <= 0.3))    # x = 0 draws too
    np.testing.assert_array_equal(dx[20010:], 1.0)                         # x > 0 and NaN: 1
    # the same seed gives the same slopes; the noise PyTorch drew can be replayed
    np.testing.assert_array_equal(nn.RReLU(0.1, 0.3, rng=0)(x), y)
    xt = t(np.array([-2.0, -1.0, 0.0, 3.0]), grad=True)
    noise_t = torch.empty_like(xt)
    yt = torch.ops.aten.rrelu_with_noise(xt, noise_t, 0.1, 0.3, True)
    yt.backward(torch.ones_like(yt))
    ours = nn.RReLU(0.1, 0.3)
    close(ours(xt.detach().numpy(), noise=noise_t.numpy()), yt)
    close(ours.backward(np.ones(4)), xt.grad)


def test_inplace_layers_overwrite_their_input_and_keep_gradients():
    values = [-1.0, 0.5, 2.0]
    for m, reference in [(nn.Threshold(0.5, -1.0, inplace=True), torch.nn.Threshold(0.5, -1.0)),
                         (nn.RReLU(inplace=True).eval(), torch.nn.RReLU().eval())]:
        x = np.array(values)
        assert m(x) is x
        xt = t(values, grad=True)
        yt = reference(xt)
        yt.backward(torch.ones(3))
        close(x, yt)
        close(m.backward(np.ones(3)), xt.grad)


def test_functional_forms_match_torch():
    x = _input()
    pairs = [(A.softshrink(x, 0.7), TF.softshrink(t(x), 0.7)),
             (A.hardshrink(x, 0.7), TF.hardshrink(t(x), 0.7)),
             (A.tanhshrink(x), TF.tanhshrink(t(x))),
             (A.threshold(x, 0.2, 5.0), TF.threshold(t(x), 0.2, 5.0)),
             (A.rrelu(x, 0.2, 0.4), TF.rrelu(t(x), 0.2, 0.4)),
             (A.rrelu(x, 0.25, 0.25, training=True), TF.rrelu(t(x), 0.25, 0.25, True))]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-14, atol=0)
    finite = _input(special=False)
    close(A.softmin(finite, dim=2), TF.softmin(t(finite), dim=2))
    close(A.softmin(finite, dim=0, dtype=np.float32), TF.softmin(t(finite), 0, dtype=torch.float32))
    close(A.glu(finite, dim=1), TF.glu(t(finite), dim=1))
    assert A.softmin(finite, dim=0, dtype=np.float32).dtype == np.float32


def test_reprs_match_torch():
    for ours, theirs in [(nn.Softshrink(), torch.nn.Softshrink()),
                         (nn.Hardshrink(0.25), torch.nn.Hardshrink(0.25)),
                         (nn.Tanhshrink(), torch.nn.Tanhshrink()),
                         (nn.Threshold(0.1, 20), torch.nn.Threshold(0.1, 20)),
                         (nn.Threshold(0.1, 20, True), torch.nn.Threshold(0.1, 20, True)),
                         (nn.RReLU(), torch.nn.RReLU()),
                         (nn.RReLU(0.1, 0.2, True), torch.nn.RReLU(0.1, 0.2, True)),
                         (nn.Softmin(1), torch.nn.Softmin(1)), (nn.GLU(), torch.nn.GLU())]:
        assert repr(ours) == repr(theirs)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"softshrink lambd must be in \[0, inf\), got -1"):
        nn.Softshrink(-1.0)
    with pytest.raises(TypeError, match="lambd must be a real number"):
        nn.Hardshrink("0.5")
    with pytest.raises(TypeError, match="threshold threshold must be a real number"):
        nn.Threshold("a", 1.0)
    with pytest.raises(TypeError, match="threshold value must be a real number"):
        A.threshold(np.ones(2), 0.0, None)
    with pytest.raises(ValueError, match="rrelu lower must be <= upper"):
        nn.RReLU(0.5, 0.1)
    with pytest.raises(TypeError, match="rrelu upper must be a real number"):
        A.rrelu(np.ones(2), 0.1, "x")
    with pytest.raises(ValueError, match="which must be even, but it has size 3"):
        nn.GLU()(np.ones((2, 3)))
    with pytest.raises(ValueError, match="glu does not support scalars"):
        A.glu(np.float64(1.0))
    with pytest.raises(ValueError, match=r"dim must be in \[-2, 1\]"):
        nn.GLU(dim=2)(np.ones((2, 4)))
    with pytest.raises(TypeError, match="dim must be an integer"):
        nn.Softmin(dim=1.0)
    with pytest.raises(ValueError, match="grad_out shape"):
        m = nn.RReLU()
        m(np.ones(3))
        m.backward(np.ones(4))
    for bad in (nn.Softshrink(), nn.GLU(), nn.RReLU()):
        with pytest.raises(RuntimeError, match="backward called before forward"):
            bad.backward(np.ones(2))
