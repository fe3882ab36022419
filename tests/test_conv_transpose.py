"""ConvTranspose2d and conv_transpose2d against torch in float64: every argument (stride,
padding, output_padding, groups, dilation, bias, non-square pairs), batched and unbatched
input, forward(output_size=...), parameter gradients, numerical gradients, float32, N = 0,
the initialisation bound, repr, the output-size helper on random configurations, the adjoint
identity with conv2d, and the errors."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import dlcore.functional as dF
import dlcore.nn as nn
from dlcore.functional.conv import conv_transpose2d_output_size
from dlcore.gradcheck import check_module_gradients
from parity import close, copy_params, t

CASES = [dict(), dict(stride=2), dict(stride=2, padding=1, output_padding=1),
         dict(stride=2, padding=1, output_padding=1, dilation=2),
         dict(stride=2, padding=1, output_padding=1, groups=2),
         dict(stride=1, dilation=2, output_padding=1),          # output_padding < dilation only
         dict(kernel_size=4, stride=2, padding=1, bias=False),
         dict(kernel_size=(2, 3), stride=(2, 1), padding=(0, 1), output_padding=(1, 0),
              dilation=(1, 2)),
         dict(kernel_size=5, stride=3, padding=2, output_padding=2, groups=2),
         dict(kernel_size=1, stride=2)]


@pytest.mark.parametrize("kwargs", CASES, ids=[str(c) for c in CASES])
@pytest.mark.parametrize("batched", [True, False])
def test_conv_transpose2d_matches_torch(kwargs, batched):
    kwargs = {"kernel_size": 3, **kwargs}
    ours, theirs = nn.ConvTranspose2d(4, 6, rng=0, **kwargs), torch.nn.ConvTranspose2d(4, 6, **kwargs)
    copy_params(ours, theirs)
    assert repr(ours) == repr(theirs)
    assert ours.weight.shape == tuple(theirs.weight.shape)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 4, 5, 6) if batched else (4, 5, 6))
    xt = t(x, grad=True)
    yt = theirs(xt)
    g = rng.standard_normal(tuple(yt.shape))
    yt.backward(t(g))
    y = ours(x)
    assert y.shape == tuple(yt.shape)
    close(y, yt, rtol=1e-12, atol=1e-12)
    close(ours.backward(g), xt.grad, rtol=1e-12, atol=1e-12)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        close(p.grad, q.grad, rtol=1e-12, atol=1e-12)
    bias = None if ours.bias is None else ours.bias.data
    functional = {k: v for k, v in kwargs.items() if k not in ("kernel_size", "bias")}
    close(dF.conv_transpose2d(x, ours.weight.data, bias, **functional),
          F.conv_transpose2d(t(x), t(ours.weight.data), None if bias is None else t(bias),
                             **functional), rtol=1e-12, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(h=st.integers(1, 6), w=st.integers(1, 6), k=st.integers(1, 4), s=st.integers(1, 3),
       p=st.integers(0, 2), d=st.integers(1, 2), groups=st.sampled_from([1, 2]),
       op_seed=st.integers(0, 10), seed=st.integers(0, 2 ** 16))
def test_random_configurations_match_torch(h, w, k, s, p, d, groups, op_seed, seed):
    op = op_seed % max(s, d)
    size = (h - 1) * s - 2 * p + d * (k - 1) + op + 1
    if size < 1:
        with pytest.raises(ValueError, match="below 1"):
            dF.conv_transpose2d(np.zeros((1, 2, h, w)), np.zeros((2, 2, k, k)), stride=s,
                                padding=p, output_padding=op, dilation=d)
        return
    rng = np.random.default_rng(seed)
    x, wt = rng.standard_normal((2, 2, h, w)), rng.standard_normal((2, 4 // groups, k, k))
    b = rng.standard_normal(4)
    args = dict(stride=s, padding=p, output_padding=op, dilation=d, groups=groups)
    xt, wtt, bt = t(x, grad=True), t(wt, grad=True), t(b, grad=True)
    try:
        yt = F.conv_transpose2d(xt, wtt, bt, **args)
    except RuntimeError:   # torch refuses a negative width while the height is valid
        with pytest.raises(ValueError):
            dF.conv_transpose2d(x, wt, b, **args)
        return
    layer = nn.ConvTranspose2d(2, 4, k, s, p, op, groups, True, d)
    layer.weight.data[...], layer.bias.data[...] = wt, b
    y = layer(x)
    close(y, yt, rtol=1e-12, atol=1e-12)
    g = rng.standard_normal(y.shape)
    yt.backward(t(g))
    close(layer.backward(g), xt.grad, rtol=1e-12, atol=1e-12)
    close(layer.weight.grad, wtt.grad, rtol=1e-12, atol=1e-12)
    close(layer.bias.grad, bt.grad, rtol=1e-12, atol=1e-12)


def test_forward_output_size_picks_output_padding_as_torch():
    ours = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, rng=0)
    theirs = torch.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    copy_params(ours, theirs)
    x = np.random.default_rng(2).standard_normal((1, 3, 4, 4))
    for size in [(7, 7), (8, 7), (1, 3, 8, 8)]:
        close(ours(x, output_size=size), theirs(t(x), output_size=list(size)), rtol=1e-12)
    with pytest.raises(ValueError, match="valid sizes range"):
        theirs(t(x), output_size=[9, 9])
    with pytest.raises(ValueError, match=r"output_size \(9, 9\) is not reachable.*\[7, 8\]"):
        ours(x, output_size=(9, 9))


def test_gradcheck_float32_and_empty_batch():
    rng = np.random.default_rng(3)
    layer = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2,
                               dilation=2, rng=0)
    report = check_module_gradients(layer, rng.standard_normal((2, 4, 3, 4)), rng=0)
    assert report.passed(1e-7), report
    layer32 = nn.ConvTranspose2d(2, 3, 3, stride=2, rng=0, dtype=np.float32)
    x32 = rng.standard_normal((2, 2, 4, 4)).astype(np.float32)
    y = layer32(x32)
    assert y.dtype == np.float32 and layer32.weight.data.dtype == np.float32
    assert layer32.backward(np.ones_like(y)).dtype == np.float32
    assert layer32.weight.grad.dtype == np.float32 and layer32.bias.grad.dtype == np.float32
    assert dF.conv_transpose2d(x32, layer32.weight.data).dtype == np.float32
    ours = nn.ConvTranspose2d(2, 3, 3, stride=2, rng=0)
    theirs = torch.nn.ConvTranspose2d(2, 3, 3, stride=2)
    yt = theirs(torch.zeros(0, 2, 4, 4))
    y0 = ours(np.zeros((0, 2, 4, 4)))
    assert y0.shape == tuple(yt.shape) == (0, 3, 9, 9)
    assert ours.backward(np.zeros(y0.shape)).shape == (0, 2, 4, 4)
    assert np.all(ours.weight.grad == 0) and np.all(ours.bias.grad == 0)


def test_init_bound_uses_the_weights_second_axis_as_torch():
    # torch.nn.init reads fan-in from weight.size(1) = C_out/groups, times the kernel area
    ours = nn.ConvTranspose2d(16, 8, 3, groups=2, rng=0)
    theirs = torch.nn.ConvTranspose2d(16, 8, 3, groups=2)
    bound = 1 / math.sqrt(8 // 2 * 9)
    for w in (ours.weight.data, theirs.weight.detach().numpy()):
        assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    for b in (ours.bias.data, theirs.bias.detach().numpy()):
        assert np.abs(b).max() <= bound
    assert ours.weight.shape == (16, 4, 3, 3)
    n_params = sum(p.data.size for p in ours.parameters())
    assert n_params == sum(p.numel() for p in theirs.parameters()) == 16 * 4 * 9 + 8


def test_output_size_helper_matches_torch_on_random_configurations():
    rng = np.random.default_rng(0)
    checked = 0
    for _ in range(500):
        n, k, s, p, d = (int(v) for v in rng.integers([1, 1, 1, 0, 1], [16, 6, 4, 3, 3]))
        op = int(rng.integers(0, max(s, d)))
        try:
            expected = torch.nn.ConvTranspose2d(1, 1, k, s, p, op, dilation=d)(
                torch.zeros(1, 1, n, n)).shape[-1]
        except RuntimeError:
            with pytest.raises(ValueError, match="below 1"):
                conv_transpose2d_output_size(n, k, s, p, op, d)
            continue
        assert conv_transpose2d_output_size(n, k, s, p, op, d) == expected
        checked += 1
    assert checked > 400


def test_adjoint_of_conv2d_both_ways():
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((2, 3, 7, 7)), rng.standard_normal((4, 3, 3, 3))
    y = dF.conv2d(x, w, stride=2, padding=1)
    g = rng.standard_normal(y.shape)
    back = dF.conv_transpose2d(g, w, stride=2, padding=1)
    assert back.shape == x.shape
    assert np.isclose(np.sum(y * g), np.sum(x * back), rtol=1e-12)
    conv = nn.Conv2d(3, 4, 3, stride=2, padding=1, rng=0)
    conv(x)
    up = nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, bias=False)
    up.weight.data[...] = conv.weight.data
    close(conv.backward(g), up(g), rtol=1e-12, atol=1e-12)
    close(up.backward(x), conv(x) - conv.bias.data[:, None, None], rtol=1e-12, atol=1e-12)


def test_bad_arguments_raise_by_name():
    with pytest.raises(RuntimeError):
        torch.nn.ConvTranspose2d(2, 2, 3, stride=2, output_padding=2)(torch.zeros(1, 2, 3, 3))
    with pytest.raises(ValueError, match="output_padding must be smaller than stride or dilation"):
        nn.ConvTranspose2d(2, 2, 3, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="output_padding must be smaller than stride or dilation"):
        dF.conv_transpose2d(np.zeros((1, 2, 3, 3)), np.zeros((2, 2, 3, 3)), stride=2,
                            output_padding=2)
    with pytest.raises(ValueError, match="padding_mode='zeros'"):
        nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="padding_mode"):
        nn.ConvTranspose2d(2, 2, 3, padding_mode="bogus")
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.ConvTranspose2d(3, 2, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        nn.ConvTranspose2d(2, 3, 3, groups=2)
    with pytest.raises(TypeError, match="kernel_size"):
        nn.ConvTranspose2d(2, 2, 2.5)
    with pytest.raises(TypeError, match="output_padding"):
        nn.ConvTranspose2d(2, 2, 3, stride=2, output_padding="1")
    with pytest.raises(TypeError, match="bias"):
        nn.ConvTranspose2d(2, 2, 3, bias=1)
    with pytest.raises(ValueError, match="padding must be >= 0|padding"):
        nn.ConvTranspose2d(2, 2, 3, padding=-1)
    layer = nn.ConvTranspose2d(2, 4, 3, rng=0)
    with pytest.raises(ValueError, match="expected input with 2 channels"):
        layer(np.zeros((1, 3, 4, 4)))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\) or \(C, H, W\)"):
        layer(np.zeros((4, 4)))
    layer(np.zeros((1, 2, 4, 4)))
    with pytest.raises(ValueError, match="grad_out has shape"):
        layer.backward(np.zeros((1, 4, 5, 5)))
    with pytest.raises(ValueError, match=r"weight must be \(C_in, C_out/groups, kH, kW\)"):
        dF.conv_transpose2d(np.zeros((1, 2, 3, 3)), np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match="bias shape"):
        dF.conv_transpose2d(np.zeros((1, 2, 3, 3)), np.zeros((2, 3, 3, 3)), bias=np.zeros(2))
    with pytest.raises(ValueError, match="in_channels 3 is not divisible by groups=2"):
        dF.conv_transpose2d(np.zeros((1, 3, 3, 3)), np.zeros((3, 1, 3, 3)), groups=2)


def test_exports():
    assert "ConvTranspose2d" in nn.__all__ and "conv_transpose2d" in dF.__all__
