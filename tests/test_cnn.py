"""Conv2d, MaxPool2d, AvgPool2d and their functional forms against torch in float64."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

import dlcore.functional as dF
import dlcore.nn as nn
from dlcore.gradcheck import check_module_gradients
from dlcore.functional._im2col import im2col
from dlcore.maths.residual import Residual
from dlcore.functional.conv import conv2d_output_size, pool2d_output_size
from dlcore.maths.cnn_shapes import trace, vgg_spec
from dlcore.book.widgets.cnn import (OUT_CURRENT, TAP_PAD, conv_arithmetic_explorer, conv_grids,
                                     grid_rgba, vgg_trace_explorer)
from parity import close, copy_params, t

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")

small = st.integers(1, 3)
hw_pair = st.tuples(st.integers(1, 3), st.integers(1, 3))


def _run_pair(ours, ref, x, rng):
    """Forward and backward through both; return (y, gx) of each, torch ones as NumPy."""
    xt = t(x, grad=True)
    yt = ref(xt)
    y = ours(x)
    g = rng.standard_normal(y.shape)
    yt.backward(t(g))
    return y, ours.backward(g), yt, xt.grad


@settings(max_examples=60, deadline=None)
@given(groups=small, cin_per=st.integers(1, 2), cout_per=st.integers(1, 2), k=hw_pair,
       stride=st.tuples(st.integers(1, 3), st.integers(1, 3)), padding=st.one_of(
           st.integers(0, 2), st.tuples(st.integers(0, 2), st.integers(0, 2)),
           st.sampled_from(["same", "valid"])),
       dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)), bias=st.booleans(),
       mode=st.sampled_from(["zeros", "reflect", "replicate", "circular"]),
       hw=st.tuples(st.integers(4, 9), st.integers(4, 9)), batched=st.booleans(),
       seed=st.integers(0, 2**16))
def test_conv2d_matches_torch(groups, cin_per, cout_per, k, stride, padding, dilation, bias,
                              mode, hw, batched, seed):
    if padding == "same":
        stride = 1
    rng = np.random.default_rng(seed)
    args = (groups * cin_per, groups * cout_per, k, stride, padding, dilation, groups, bias, mode)
    ours, ref = nn.Conv2d(*args, rng=rng), torch.nn.Conv2d(*args)
    copy_params(ours, ref)
    x = rng.standard_normal(((2,) if batched else ()) + (groups * cin_per, *hw))
    if _refused_by_both(ours, ref, x):
        return
    y, gx, yt, gxt = _run_pair(ours, ref, x, rng)
    close(y, yt, rtol=1e-10, atol=1e-12)
    close(gx, gxt, rtol=1e-10, atol=1e-12)
    close(ours.weight.grad, ref.weight.grad, rtol=1e-10, atol=1e-12)
    if bias:
        close(ours.bias.grad, ref.bias.grad, rtol=1e-10, atol=1e-12)
    assert repr(ours) == repr(ref)


def test_conv2d_default_init_is_torchs_kaiming_uniform():
    conv = nn.Conv2d(6, 32, (3, 5), groups=2, rng=0)
    bound = 1 / np.sqrt(3 * 3 * 5)  # fan_in = in_channels / groups * kH * kW
    ref = torch.nn.Conv2d(6, 32, (3, 5), groups=2)
    assert conv.weight.shape == tuple(ref.weight.shape)
    for ours, theirs in ((conv.weight.data, ref.weight), (conv.bias.data, ref.bias)):
        assert np.abs(ours).max() <= bound
        assert np.abs(theirs.detach().numpy()).max() <= bound
    assert np.abs(conv.weight.data).max() > 0.95 * bound  # the whole interval is used
    np.testing.assert_array_equal(conv.weight.data, nn.Conv2d(6, 32, (3, 5), groups=2,
                                                              rng=0).weight.data)
    state = np.random.get_state()[1].copy()
    nn.Conv2d(3, 4, 3)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # global state untouched
    assert [n for n, _ in conv.named_parameters()] == ["weight", "bias"]
    assert nn.Conv2d(3, 4, 3, bias=False, rng=0).parameters()[0].shape == (4, 3, 3, 3)


@pytest.mark.parametrize("kwargs", [
    dict(stride=2, padding=1), dict(dilation=2, padding="same"), dict(groups=2, bias=False),
    dict(padding_mode="reflect", padding=1), dict(padding_mode="circular", padding=(2, 1))])
def test_conv2d_gradcheck(kwargs):
    conv = nn.Conv2d(2, 4, 3, rng=0, **kwargs)
    x = np.random.default_rng(1).standard_normal((2, 2, 6, 5))
    report = check_module_gradients(conv, x, rng=2)
    assert report.passed(1e-7), report


def test_functional_conv2d_matches_torch():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 9, 7))
    w = rng.standard_normal((6, 2, 3, 2))
    b = rng.standard_normal(6)
    for kwargs in (dict(), dict(stride=(2, 1), padding=1, dilation=(1, 2)), dict(padding="same"),
                   dict(padding="valid", groups=2)):
        groups = kwargs.pop("groups", 2)
        close(dF.conv2d(x, w, b, groups=groups, **kwargs),
              F.conv2d(t(x), t(w), t(b), groups=groups, **kwargs), rtol=1e-12, atol=1e-12)
    close(dF.conv2d(x[0], w, groups=2), F.conv2d(t(x[0]), t(w), groups=2))


def test_conv2d_rejects_bad_arguments_and_input():
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(3, 4, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="padding must be one of 'valid', 'same'"):
        nn.Conv2d(3, 4, 3, padding="full")
    with pytest.raises(ValueError, match="kernel_size must be an integer >= 1"):
        nn.Conv2d(3, 4, 0)
    with pytest.raises(TypeError, match="bias must be a bool"):
        nn.Conv2d(3, 4, 3, bias=None)
    conv = nn.Conv2d(3, 8, 3, rng=0)
    with pytest.raises(ValueError, match=r"expected input with 3 channels, got shape "
                                         r"\(1, 4, 8, 8\)"):
        conv(np.zeros((1, 4, 8, 8)))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\) or \(C, H, W\)"):
        conv(np.zeros((3, 8)))
    with pytest.raises(ValueError, match="kernel .* is larger than the padded input"):
        conv(np.zeros((1, 3, 2, 8)))
    with pytest.raises(RuntimeError, match="before forward"):
        nn.Conv2d(3, 8, 3, rng=0).backward(np.zeros((1, 8, 6, 6)))
    conv(np.zeros((1, 3, 8, 8)))
    with pytest.raises(ValueError, match=r"grad_out has shape \(1, 8, 5, 6\), expected"):
        conv.backward(np.zeros((1, 8, 5, 6)))
    with pytest.raises(ValueError, match="padding_mode='reflect' needs padding < input"):
        nn.Conv2d(3, 8, 3, padding=3, padding_mode="reflect", rng=0)(np.zeros((1, 3, 3, 8)))
    with pytest.raises(ValueError, match=r"bias shape \(5,\) does not match"):
        dF.conv2d(np.zeros((1, 2, 5, 5)), np.zeros((4, 2, 3, 3)), np.zeros(5))


def _refused_by_both(ours, ref, x) -> bool:
    """True when torch rejects this configuration, after checking dlcore rejects it too."""
    try:
        ref(t(x))
    except RuntimeError:
        with pytest.raises(ValueError):
            ours(x)
        return True
    return False


# -- pooling ---------------------------------------------------------------------------------

pool_cfg = dict(k=hw_pair.map(lambda v: (v[0] + 1, v[1])),
                stride=st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))),
                hw=st.tuples(st.integers(1, 10), st.integers(1, 10)), ceil_mode=st.booleans(),
                batched=st.booleans(), seed=st.integers(0, 2**16))


def _some_window_is_all_padding(hw, k, stride, padding, dilation, ceil_mode):
    """Whether a pooling window, along either axis, has every tap in the padding."""
    for size, kk, s, p, d in zip(hw, k, stride, padding, dilation):
        n_out = pool2d_output_size(size, kk, s, p, d, ceil_mode)
        for o in range(n_out):
            taps = [o * s - p + j * d for j in range(kk)]
            if all(tap < 0 or tap >= size for tap in taps):
                return True
    return False


def _tied_input(rng, shape):
    """Small integers, so that windows have tied maxima; some -inf."""
    x = rng.integers(-2, 3, shape).astype(np.float64)
    x[rng.random(shape) < 0.05] = -np.inf
    return x


@settings(max_examples=120, deadline=None)
@given(dilation=hw_pair.map(lambda v: (v[0], min(v[1], 2))), pad_frac=st.floats(0, 1),
       **pool_cfg)
def test_max_pool2d_matches_torch_including_ties(k, stride, hw, ceil_mode, batched, seed,
                                                 dilation, pad_frac):
    rng = np.random.default_rng(seed)
    padding = (int(pad_frac * (k[0] // 2)), int(pad_frac * (k[1] // 2)))
    ours = nn.MaxPool2d(k, stride, padding, dilation, return_indices=True, ceil_mode=ceil_mode)
    ref = torch.nn.MaxPool2d(k, stride, padding, dilation, return_indices=True,
                             ceil_mode=ceil_mode)
    x = _tied_input(rng, ((2,) if batched else ()) + (3, *hw))
    if _refused_by_both(ours, ref, x):
        return
    if _some_window_is_all_padding(hw, k, stride or k, padding, dilation, ceil_mode):
        # torch returns -inf there with an index outside the input; dlcore refuses
        with pytest.raises(ValueError, match="covers only padding"):
            ours(x)
        return
    xt = t(x, grad=True)
    yt, it = ref(xt)
    y, idx = ours(x)
    np.testing.assert_array_equal(y, yt.detach().numpy())
    np.testing.assert_array_equal(idx, it.numpy())
    assert idx.dtype == np.int64
    g = rng.standard_normal(y.shape)
    yt.backward(t(g))
    close(ours.backward(g), xt.grad, rtol=1e-12, atol=1e-12)
    assert repr(ours).replace("return_indices=True, ", "") == repr(ref)


def test_max_pool2d_nan_wins_like_torch():
    x = np.array([[[[1.0, np.nan, 3.0, 2.0], [np.nan, 0.0, 8.0, 1.0]]]])
    y, idx = dF.max_pool2d(x, 2, return_indices=True)
    yt, it = F.max_pool2d(t(x), 2, return_indices=True)
    np.testing.assert_array_equal(idx, it.numpy())
    np.testing.assert_array_equal(np.isnan(y), np.isnan(yt.numpy()))


@settings(max_examples=100, deadline=None)
@given(pad_frac=st.floats(0, 1), count_include_pad=st.booleans(),
       divisor_override=st.sampled_from([None, None, 1, 3, -2]), **pool_cfg)
def test_avg_pool2d_matches_torch(k, stride, hw, ceil_mode, batched, seed, pad_frac,
                                  count_include_pad, divisor_override):
    rng = np.random.default_rng(seed)
    padding = (int(pad_frac * (k[0] // 2)), int(pad_frac * (k[1] // 2)))
    args = (k, stride, padding, ceil_mode, count_include_pad, divisor_override)
    ours, ref = nn.AvgPool2d(*args), torch.nn.AvgPool2d(*args)
    x = rng.standard_normal(((2,) if batched else ()) + (3, *hw))
    if _refused_by_both(ours, ref, x):
        return
    y, gx, yt, gxt = _run_pair(ours, ref, x, rng)
    close(y, yt, rtol=1e-12, atol=1e-13)
    close(gx, gxt, rtol=1e-12, atol=1e-13)
    close(dF.avg_pool2d(x, *args), yt, rtol=1e-12, atol=1e-13)
    assert repr(ours) == repr(ref)


def test_functional_max_pool2d_matches_torch():
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 8))
    for kwargs in (dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
                   dict(kernel_size=(3, 2), dilation=(2, 1))):
        y, idx = dF.max_pool2d(x, **kwargs, return_indices=True)
        yt, it = F.max_pool2d(t(x), **kwargs, return_indices=True)
        close(y, yt, rtol=0, atol=0)
        np.testing.assert_array_equal(idx, it.numpy())


@pytest.mark.parametrize("pool", [nn.MaxPool2d(3, 2, 1), nn.AvgPool2d(3, 2, 1, ceil_mode=True),
                                  nn.AvgPool2d(2, count_include_pad=False, padding=1)])
def test_pooling_gradcheck(pool):
    x = np.random.default_rng(0).standard_normal((2, 2, 7, 6))  # continuous: no ties
    report = check_module_gradients(pool, x, rng=1)
    assert report.passed(1e-7), report
    assert pool.parameters() == []


def test_max_pool_gradient_goes_to_the_first_maximum():
    x = np.array([[[[2.0, 2.0], [2.0, 1.0]]]])
    pool = nn.MaxPool2d(2)
    pool(x)
    np.testing.assert_array_equal(pool.backward(np.ones((1, 1, 1, 1)))[0, 0], [[1, 0], [0, 0]])
    overlapping = nn.MaxPool2d(2, stride=1)
    y = overlapping(np.array([[[[0.0, 0, 0], [0, 5, 0], [0, 0, 0]]]]))
    assert (y == 5).all()
    np.testing.assert_array_equal(overlapping.backward(np.ones_like(y))[0, 0],
                                  [[0, 0, 0], [0, 4, 0], [0, 0, 0]])


def test_pooling_rejects_bad_arguments():
    with pytest.raises(ValueError, match="at most half the kernel size"):
        nn.MaxPool2d(2, padding=2)(np.zeros((1, 1, 8, 8)))
    with pytest.raises(ValueError, match="is below 1"):
        nn.AvgPool2d(3)(np.zeros((1, 1, 2, 8)))
    with pytest.raises(ValueError, match="divisor_override must be a non-zero"):
        nn.AvgPool2d(2, divisor_override=0)
    with pytest.raises(TypeError, match="ceil_mode must be a bool"):
        nn.MaxPool2d(2, ceil_mode="yes")
    with pytest.raises(ValueError, match="covers only padding"):
        nn.MaxPool2d(2, 1, 1, 2)(np.zeros((1, 1, 1, 9)))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\) or \(C, H, W\)"):
        nn.MaxPool2d(2)(np.zeros((4, 4)))
    pool = nn.AvgPool2d(2)
    pool(np.zeros((1, 1, 4, 4)))
    with pytest.raises(ValueError, match=r"grad_out has shape \(1, 1, 3, 3\), expected"):
        pool.backward(np.zeros((1, 1, 3, 3)))


def test_exports():
    assert {"Conv2d", "MaxPool2d", "AvgPool2d"} <= set(nn.__all__)
    assert {"conv2d", "max_pool2d", "avg_pool2d"} <= set(dF.__all__)


# -- residual blocks ---------------------------------------------------------------------------

def test_residual_block_matches_torch_and_gradcheck():
    rng = np.random.default_rng(0)
    body = nn.Sequential(nn.Conv2d(2, 2, 3, padding=1, rng=rng), nn.ReLU(),
                         nn.Conv2d(2, 2, 3, padding=1, rng=rng))
    block = Residual(body)
    ref = torch.nn.Sequential(torch.nn.Conv2d(2, 2, 3, padding=1), torch.nn.ReLU(),
                              torch.nn.Conv2d(2, 2, 3, padding=1))
    copy_params(block, ref)
    x = rng.standard_normal((2, 2, 5, 4))
    g = rng.standard_normal(x.shape)
    xt = t(x, grad=True)
    yt = xt + ref(xt)
    yt.backward(t(g))
    close(block(x), yt, rtol=1e-12, atol=1e-12)
    close(block.backward(g), xt.grad, rtol=1e-12, atol=1e-12)
    for p, q in zip(block.parameters(), ref.parameters()):
        close(p.grad, q.grad, rtol=1e-12, atol=1e-12)
    assert [n for n, _ in block.named_parameters()][0] == "body.0.weight"
    assert check_module_gradients(Residual(nn.Conv2d(2, 2, 3, padding=1, rng=0)), x,
                                  rng=1).passed(1e-7)


def test_residual_block_with_zero_body_is_the_identity_and_checks_shapes():
    block = Residual(nn.Conv2d(2, 2, 3, padding=1, rng=0))
    block.body.weight.data[...] = 0.0
    block.body.bias.data[...] = 0.0
    x = np.random.default_rng(0).standard_normal((1, 2, 4, 4))
    np.testing.assert_array_equal(block(x), x)
    with pytest.raises(ValueError, match=r"body output shape \(1, 3, 2, 2\) does not match"):
        Residual(nn.Conv2d(2, 3, 3, rng=0))(x)
    with pytest.raises(TypeError, match="body must be a dlcore Module"):
        Residual(lambda v: v)


# -- widgets -----------------------------------------------------------------------------------

def test_conv_grids_mark_exactly_the_im2col_window():
    rng = np.random.default_rng(0)
    for _ in range(50):
        n, k, s, p, d = (int(rng.integers(1, 10)), int(rng.integers(1, 4)),
                         int(rng.integers(1, 4)), int(rng.integers(0, 3)), int(rng.integers(1, 3)))
        try:
            m = conv2d_output_size(n, k, s, p, d)
        except ValueError:
            continue
        step = int(rng.integers(0, m * m))
        grid, out, m2, (row, col) = conv_grids(n, k, s, p, d, step, canvas=30)
        assert m2 == m and (row, col) == divmod(step, m)
        # number every padded pixel, take the window of output (row, col) from im2col
        positions = np.arange((n + 2 * p) ** 2, dtype=float).reshape(1, 1, n + 2 * p, -1)
        cols = im2col(positions, (k, k), (s, s), (d, d))[0, :, :, 0, row, col]
        marked = np.flatnonzero(grid[:n + 2 * p, :n + 2 * p] >= TAP_PAD)
        np.testing.assert_array_equal(np.sort(cols.ravel()), marked)
        assert (out == OUT_CURRENT).sum() == 1 and np.isfinite(out).sum() == m * m


def test_conv_explorer_follows_its_sliders():
    e = conv_arithmetic_explorer()
    first = e.image.value
    times = []
    for name, value in (("n", 5), ("kernel", 3), ("stride", 2), ("padding", 1), ("dilation", 1),
                        ("step", 4)):
        e.controls[name].value = value
        times.append(e.last_callback_ms)
    grid, out, m, _ = conv_grids(5, 3, 2, 1, 1, 4, canvas=18)
    np.testing.assert_array_equal(e.artists["input"].get_array(), grid_rgba(grid))
    np.testing.assert_array_equal(e.artists["output"].get_array(), grid_rgba(out))
    assert e.artists["label"].get_text() == "3 x 3" and "= 3;" in e.status.value
    assert e.image.value != first and e.image.value[:4] == b"\x89PNG"
    e.controls["padding"].value = 0
    e.controls["kernel"].value = 7                     # 5 < 7: no output, explained
    assert e.status.value.startswith("No output") and "larger than the padded input" in \
        e.status.value
    np.testing.assert_array_equal(e.artists["output"].get_array(),
                                  grid_rgba(np.full((18, 18), np.nan)))
    assert np.median(times) < 50, times


def test_vgg_explorer_follows_its_sliders():
    e = vgg_trace_explorer("A")
    times = []
    for name, value in (("height", 512), ("width", 1024)):
        e.controls[name].value = value
        times.append(e.last_callback_ms)
    rows = trace(vgg_spec("A"), (1, 3, 512, 1024))
    np.testing.assert_allclose([b.get_width() for b in e.artists["spatial"]],
                               [np.log2(r.output_shape[2] * r.output_shape[3]) for r in rows])
    np.testing.assert_allclose([b.get_width() for b in e.artists["channels"]],
                               [np.log2(r.output_shape[1]) for r in rows])
    assert "(1, 512, 16, 32)" in e.status.value
    e.controls["height"].value = 16
    assert e.status.value.startswith("No output") and "is below 1" in e.status.value
    assert all(b.get_width() == 0 for b in e.artists["spatial"])
    assert "layer 20 (MaxPool2d)" in e.status.value                 # it names the layer
    e.controls["height"].value = 227                                 # odd sizes are reachable
    assert e.controls["height"].value == 227 and "(1, 512, 7, 32)" in e.status.value
    e.controls["height"].value = 9
    assert "layer 15 (MaxPool2d)" in e.status.value
    assert np.median(times) < 50, times
