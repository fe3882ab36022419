"""dlcore.nn.init against torch.nn.init: gains, fans, bounds and standard deviations, and the
distribution of the draws (Kolmogorov-Smirnov)."""

import math
from unittest import mock

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from scipy import stats

import dlcore.nn.init as init
import dlcore.nn as nn

NONLINEARITIES = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                  "conv_transpose2d", "conv_transpose3d", "sigmoid", "tanh", "relu",
                  "leaky_relu", "selu"]

shapes = st.lists(st.integers(1, 9), min_size=2, max_size=5).map(tuple)


@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
@pytest.mark.parametrize("param", [None, 0, 0.2, 3, -0.5])
def test_calculate_gain_matches_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == torch.nn.init.calculate_gain(
        nonlinearity, param)


@settings(max_examples=60, deadline=None)
@given(shape=shapes)
def test_fans_follow_torch_convention(shape):
    assert init._calculate_fan_in_and_fan_out(np.empty(shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


def test_fans_of_real_layers():
    conv_like = np.empty((16, 3, 5, 5))          # Conv2d(3, 16, 5).weight
    assert init._calculate_fan_in_and_fan_out(conv_like) == (75, 400)
    layer = nn.Linear(7, 3, rng=0)                # (out, in)
    assert init._calculate_fan_in_and_fan_out(layer.weight) == (7, 3)


def _torch_recorded_scale(fn_name, shape, **kwargs):
    """The bound (uniform) or std (normal) torch.nn.init passes to its sampler."""
    calls = []

    def uniform_(self, low, high, generator=None):
        calls.append(high)
        return self

    def normal_(self, mean, std, generator=None):
        calls.append(std)
        return self

    with mock.patch.object(torch.Tensor, "uniform_", uniform_), \
            mock.patch.object(torch.Tensor, "normal_", normal_):
        getattr(torch.nn.init, fn_name)(torch.empty(shape), **kwargs)
    return calls[-1]


def _torch_scale(fn_name, shape, **kwargs):
    """The bound (uniform) or std (normal) torch's formula gives, read from torch itself."""
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    if fn_name.startswith("xavier"):
        std = kwargs.get("gain", 1.0) * math.sqrt(2.0 / float(fan_in + fan_out))
    else:
        fan = fan_in if kwargs.get("mode", "fan_in") == "fan_in" else fan_out
        gain = torch.nn.init.calculate_gain(kwargs.get("nonlinearity", "leaky_relu"),
                                            kwargs.get("a", 0))
        std = gain / math.sqrt(fan)
    return math.sqrt(3.0) * std if fn_name.endswith("uniform_") else std


@settings(max_examples=40, deadline=None)
@given(shape=shapes, nonlinearity=st.sampled_from(["relu", "leaky_relu", "tanh", "linear",
                                                    "sigmoid", "selu"]),
       a=st.sampled_from([0, 0.01, 0.2, math.sqrt(5)]), mode=st.sampled_from(["fan_in", "fan_out"]),
       gain=st.sampled_from([1.0, 0.5, 5 / 3]), seed=st.integers(0, 2**16))
def test_bounds_and_stds_match_torch_formulas(shape, nonlinearity, a, mode, gain, seed):
    cases = {
        "xavier_uniform_": {"gain": gain}, "xavier_normal_": {"gain": gain},
        "kaiming_uniform_": {"a": a, "mode": mode, "nonlinearity": nonlinearity},
        "kaiming_normal_": {"a": a, "mode": mode, "nonlinearity": nonlinearity},
    }
    for fn_name, kwargs in cases.items():
        scale = _torch_recorded_scale(fn_name, shape, **kwargs)
        assert _torch_scale(fn_name, shape, **kwargs) == pytest.approx(scale, rel=1e-15)
        kind, _, ours = _dlcore_scale(fn_name, shape, kwargs)
        assert ours == pytest.approx(scale, rel=1e-15)
        w = getattr(init, fn_name)(np.empty(shape), **kwargs, rng=seed)
        if kind == "uniform":
            assert np.abs(w).max() <= scale


def _dlcore_scale(fn_name, shape, kwargs):
    """Read the scale dlcore used by intercepting its draw."""
    seen = []

    class Spy(np.random.Generator):
        def uniform(self, lo, hi, size):
            seen.append(("uniform", lo, hi))
            return np.zeros(size)

        def normal(self, mean, std, size):
            seen.append(("normal", mean, std))
            return np.zeros(size)

    getattr(init, fn_name)(np.empty(shape), **kwargs, rng=Spy(np.random.PCG64(0)))
    return seen[-1]


@pytest.mark.parametrize("fn_name, kwargs, dist", [
    ("xavier_uniform_", {}, "uniform"), ("xavier_normal_", {"gain": 5 / 3}, "normal"),
    ("kaiming_uniform_", {"nonlinearity": "relu"}, "uniform"),
    ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "tanh"}, "normal"),
    ("kaiming_uniform_", {"a": math.sqrt(5)}, "uniform"),
    ("lecun_normal_", {}, "normal"),
])
def test_draws_pass_a_kolmogorov_smirnov_test_against_torch_formula(fn_name, kwargs, dist):
    shape = (256, 512)
    w = getattr(init, fn_name)(np.empty(shape), **kwargs, rng=0)
    if fn_name == "lecun_normal_":
        scale = 1 / math.sqrt(512)
    else:
        scale = _torch_scale(fn_name, shape, **kwargs)
    if dist == "uniform":
        ref = stats.uniform(loc=-scale, scale=2 * scale)
    else:
        ref = stats.norm(scale=scale)
    assert stats.kstest(w.ravel(), ref.cdf).pvalue > 1e-3
    # and the torch draws pass the same test (the reference really is torch's distribution)
    torch.manual_seed(0)
    tw = torch.empty(shape)
    if fn_name == "lecun_normal_":
        torch.nn.init.kaiming_normal_(tw, mode="fan_in", nonlinearity="linear")
    else:
        getattr(torch.nn.init, fn_name)(tw, **kwargs)
    assert stats.kstest(tw.numpy().ravel(), ref.cdf).pvalue > 1e-3
    # empirical std within 1% of the formula (131072 draws: the standard error is ~0.2%)
    expected_std = scale / math.sqrt(3) if dist == "uniform" else scale
    assert abs(w.std() / expected_std - 1) < 0.01


def test_simple_fills_and_parameters_in_place():
    p = nn.Linear(4, 3, rng=0).weight
    assert init.zeros_(p) is p and not p.data.any()
    assert init.ones_(p) is p and (p.data == 1).all()
    init.constant_(p, 0.3)
    np.testing.assert_array_equal(p.data, 0.3)
    arr = np.empty((3, 4))
    assert init.eye_(arr) is arr
    np.testing.assert_array_equal(arr, torch.nn.init.eye_(torch.empty(3, 4)).numpy())
    w = init.uniform_(np.empty(10000), -0.5, 2.0, rng=1)
    assert w.min() >= -0.5 and w.max() < 2.0
    w = init.normal_(np.empty(20000), 3.0, 0.1, rng=1)
    assert abs(w.mean() - 3.0) < 0.005 and abs(w.std() - 0.1) < 0.003
    f32 = np.empty((5, 5), dtype=np.float32)
    assert init.kaiming_normal_(f32, rng=0).dtype == np.float32


def test_rng_makes_draws_reproducible_and_leaves_global_state_alone():
    state = np.random.get_state()[1].copy()
    a = init.xavier_normal_(np.empty((5, 6)), rng=3)
    b = init.xavier_normal_(np.empty((5, 6)), rng=3)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_zero_element_tensor_is_a_no_op_with_torchs_warning():
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        w = init.kaiming_uniform_(np.empty((0, 3)))
    assert w.shape == (0, 3)


def test_bad_input_names_argument_and_value():
    with pytest.raises(ValueError, match="nonlinearity must be one of .*got 'gelu'"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="negative_slope .* must be a real number, got True"):
        init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError, match=r"fewer than 2 dimensions, got shape \(5,\)"):
        init.xavier_uniform_(np.empty(5))
    with pytest.raises(ValueError, match="mode must be one of 'fan_in', 'fan_out'; got 'fan_avg'"):
        init.kaiming_normal_(np.empty((3, 3)), mode="fan_avg")
    with pytest.raises(TypeError, match="floating-point numpy array or a dlcore Parameter"):
        init.zeros_([1.0, 2.0])
    with pytest.raises(ValueError, match="normal_ std must be in"):
        init.normal_(np.empty(3), std=-1.0)
    with pytest.raises(ValueError, match="uniform_ needs a <= b, got a=2 > b=1"):
        init.uniform_(np.empty(3), 2.0, 1.0)
    with pytest.raises(ValueError, match="eye_ only supports 2-D"):
        init.eye_(np.empty((2, 2, 2)))


@pytest.mark.parametrize("mean, std, a, b", [
    (0.0, 1.0, -2.0, 2.0),        # most of the mass inside: redraw-from-normal branch
    (0.0, 0.02, -0.04, 0.04),     # ViT-style small std
    (0.0, 1.0, 1.0, 3.0),         # a tail window: uniform-proposal branch
    (0.5, 2.0, -0.2, 0.3),        # narrow window around the mean: uniform-proposal branch
])
def test_trunc_normal_matches_scipy_truncnorm_and_torch(mean, std, a, b):
    w = init.trunc_normal_(np.empty((200, 100)), mean, std, a, b, rng=0)
    assert w.min() >= a and w.max() <= b
    ref = stats.truncnorm((a - mean) / std, (b - mean) / std, loc=mean, scale=std)
    assert stats.kstest(w.ravel(), ref.cdf).pvalue > 1e-3
    torch.manual_seed(0)
    tw = torch.nn.init.trunc_normal_(torch.empty(200, 100), mean, std, a, b).numpy()
    assert stats.kstest(tw.ravel(), ref.cdf).pvalue > 1e-3


def test_trunc_normal_warns_like_torch_and_checks_arguments():
    with pytest.warns(UserWarning, match="more than 2 std from"):
        init.trunc_normal_(np.empty(10), mean=5.0, std=1.0, a=-1.0, b=1.0, rng=0)
    with pytest.raises(ValueError, match="trunc_normal_ needs a < b, got a=1, b=0"):
        init.trunc_normal_(np.empty(3), a=1.0, b=0.0)
    with pytest.raises(ValueError, match="trunc_normal_ std must be in"):
        init.trunc_normal_(np.empty(3), std=0.0)


@pytest.mark.parametrize("shape", [(4, 4), (3, 7), (7, 3), (6, 2, 3, 3), (1, 5)])
@pytest.mark.parametrize("gain", [1, 0.5])
def test_orthogonal_matches_torch_given_the_same_normal_draws(shape, gain):
    rows, cols = shape[0], int(np.prod(shape[1:]))
    draws = np.random.default_rng(0).standard_normal((rows, cols))

    def normal_(self, mean=0.0, std=1.0, generator=None):
        return self.copy_(torch.from_numpy(draws))

    with mock.patch.object(torch.Tensor, "normal_", normal_):
        ref = torch.nn.init.orthogonal_(torch.empty(shape, dtype=torch.float64), gain=gain).numpy()
    ours = init.orthogonal_(np.empty(shape), gain=gain, rng=0)   # rng=0 gives the same draws
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-12)
    flat = ours.reshape(rows, cols) / gain
    small = flat @ flat.T if rows <= cols else flat.T @ flat
    np.testing.assert_allclose(small, np.eye(min(rows, cols)), atol=1e-12)


def test_orthogonal_rejects_1d():
    with pytest.raises(ValueError, match=r"2 or more dimensions, got shape \(4,\)"):
        init.orthogonal_(np.empty(4))
