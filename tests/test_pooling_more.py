"""MaxPool1d, AvgPool1d and the adaptive poolings against PyTorch in float64: every argument,
batched and unbatched input, outputs, indices and gradients (ties and NaN included), output
sizes above, equal to and below the input's, None entries, float32, empty batches, errors."""

import numpy as np
import pytest
import torch

import dlcore.functional as F
import dlcore.nn as nn
from parity import close, t


def _compare(ours, theirs, x, rng):
    xt = t(x, grad=True)
    out_t = theirs(xt)
    yt = out_t[0] if isinstance(out_t, tuple) else out_t
    g = rng.standard_normal(tuple(yt.shape))
    if yt.numel():
        yt.backward(t(g))
    out = ours(x)
    y = out[0] if isinstance(out, tuple) else out
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-13, atol=1e-15)
    if isinstance(out, tuple):
        np.testing.assert_array_equal(out[1], out_t[1].numpy())
    dx = ours.backward(g)
    assert dx.shape == x.shape
    if yt.numel():
        np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-13, atol=1e-15)
    assert repr(ours) == repr(theirs)


POOL1D = [dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1),
          dict(kernel_size=3, stride=2, ceil_mode=True), dict(kernel_size=(2,), stride=(3,))]


@pytest.mark.parametrize("kwargs", POOL1D, ids=[str(k) for k in POOL1D])
@pytest.mark.parametrize("shape", [(2, 3, 9), (3, 9)])
def test_max_pool1d_matches_torch(kwargs, shape):
    rng = np.random.default_rng(0)
    x = np.round(rng.standard_normal(shape), 1)             # rounding makes ties
    for extra in ({}, {"return_indices": True}, {"dilation": 2}):
        args = {**kwargs, **extra}
        _compare(nn.MaxPool1d(**args), torch.nn.MaxPool1d(**args), x, rng)


@pytest.mark.parametrize("kwargs", POOL1D, ids=[str(k) for k in POOL1D])
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool1d_matches_torch(kwargs, count_include_pad):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 9))
    _compare(nn.AvgPool1d(**kwargs, count_include_pad=count_include_pad),
             torch.nn.AvgPool1d(**kwargs, count_include_pad=count_include_pad), x, rng)


@pytest.mark.parametrize("size", [1, 3, 5, 7, 0])
@pytest.mark.parametrize("cls", ["AdaptiveAvgPool1d", "AdaptiveMaxPool1d"])
def test_adaptive_1d_matches_torch(size, cls):
    rng = np.random.default_rng(2)
    x = np.round(rng.standard_normal((2, 3, 5)), 1)
    kwargs = {"return_indices": True} if "Max" in cls else {}
    _compare(getattr(nn, cls)(size, **kwargs), getattr(torch.nn, cls)(size, **kwargs), x, rng)
    _compare(getattr(nn, cls)(size), getattr(torch.nn, cls)(size), x[0], rng)   # unbatched


@pytest.mark.parametrize("size", [1, 2, (3, 2), (None, 4), (7, 5), (4, None)])
@pytest.mark.parametrize("cls", ["AdaptiveAvgPool2d", "AdaptiveMaxPool2d"])
def test_adaptive_2d_matches_torch(size, cls):
    rng = np.random.default_rng(3)
    x = np.round(rng.standard_normal((2, 3, 5, 6)), 1)
    kwargs = {"return_indices": True} if "Max" in cls else {}
    _compare(getattr(nn, cls)(size, **kwargs), getattr(torch.nn, cls)(size, **kwargs), x, rng)


def test_adaptive_max_nan_and_functional_forms():
    x = np.array([[[1.0, np.nan, 3.0, np.nan, 2.0, 0.5]]])
    y, idx = F.adaptive_max_pool1d(x, 2, return_indices=True)
    yt, it = torch.nn.functional.adaptive_max_pool1d(t(x), 2, return_indices=True)
    np.testing.assert_array_equal(np.isnan(y), torch.isnan(yt).numpy())
    np.testing.assert_array_equal(idx, it.numpy())               # the last NaN wins
    x2 = np.random.default_rng(4).standard_normal((2, 3, 6, 6))
    TF = torch.nn.functional
    for ours, theirs in [(F.adaptive_avg_pool2d(x2, 4), TF.adaptive_avg_pool2d(t(x2), 4)),
                         (F.max_pool1d(x2[0], 2), TF.max_pool1d(t(x2[0]), 2)),
                         (F.avg_pool1d(x2[0], 3, 2, 1), TF.avg_pool1d(t(x2[0]), 3, 2, 1))]:
        close(ours, theirs)


def test_float32_empty_and_errors():
    x = np.random.default_rng(5).standard_normal((2, 3, 8)).astype(np.float32)
    for m in (nn.MaxPool1d(2), nn.AvgPool1d(2), nn.AdaptiveAvgPool1d(3), nn.AdaptiveMaxPool1d(3)):
        y = m(x)
        assert y.dtype == np.float32 and m.backward(np.ones_like(y)).dtype == np.float32
    assert nn.AdaptiveAvgPool2d(2)(np.zeros((0, 3, 4, 4))).shape == (0, 3, 2, 2)
    assert nn.MaxPool1d(2)(np.zeros((0, 3, 4))).shape == (0, 3, 2)
    with pytest.raises(ValueError, match=r"input must be \(N, C, L\) or \(C, L\)"):
        nn.MaxPool1d(2)(np.zeros((1, 2, 3, 4)))
    with pytest.raises(ValueError, match="kernel_size must be an int or a 1-tuple"):
        nn.AvgPool1d((2, 2))
    with pytest.raises(ValueError, match="output_size must have 2 entries"):
        nn.AdaptiveAvgPool2d((1, 2, 3))
    with pytest.raises(ValueError, match="output_size must be an integer >= 0"):
        nn.AdaptiveMaxPool1d(-1)
    with pytest.raises(TypeError, match="return_indices must be a bool"):
        nn.AdaptiveMaxPool2d(2, return_indices=1)
