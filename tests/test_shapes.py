"""The output-size formulas of dlcore.functional.conv against the shapes torch computes, and
dlcore.maths.cnn_shapes: the tracer, VGG."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import dlcore.nn as nn
from dlcore.functional.conv import (conv2d_output_size, conv_transpose2d_output_size,
                                    pool2d_output_size, same_padding)
from dlcore.maths.cnn_shapes import VGG_CONFIGS, build, format_trace, trace, vgg_spec

# torch's own warning about an extra padded copy, not about anything dlcore does
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")

META = "meta"  # for the big VGG inputs: torch computes shapes without touching any data


def _meta(*shape):
    """A small real tensor: the meta device skips some of torch's checks (pool output >= 1)."""
    return torch.zeros(*shape)


def _random_conv(rng):
    k = tuple(int(v) for v in rng.integers(1, 8, 2))
    return dict(size=tuple(int(v) for v in rng.integers(1, 40, 2)), kernel_size=k,
                stride=tuple(int(v) for v in rng.integers(1, 5, 2)),
                padding=tuple(int(v) for v in rng.integers(0, 4, 2)),
                dilation=tuple(int(v) for v in rng.integers(1, 4, 2)))


def test_conv2d_output_size_matches_torch_on_random_configurations():
    rng = np.random.default_rng(0)
    valid = invalid = 0
    for _ in range(2500):
        c = _random_conv(rng)
        x, w = _meta(1, 1, *c["size"]), _meta(1, 1, *c["kernel_size"])
        try:
            expected = tuple(F.conv2d(x, w, stride=c["stride"], padding=c["padding"],
                                      dilation=c["dilation"]).shape[2:])
        except RuntimeError:
            with pytest.raises(ValueError, match="is below 1"):
                conv2d_output_size(**c)
            invalid += 1
            continue
        assert conv2d_output_size(**c) == expected, c
        valid += 1
    assert valid > 1000 and invalid > 200, (valid, invalid)


@pytest.mark.parametrize("n, f, s, p, expected", [
    (224, 7, 1, 2, 222), (5, 3, 1, 0, 3), (32, 5, 2, 1, 15), (7, 3, 2, 0, 3),
    (28, 3, 1, 1, 28), (227, 11, 4, 0, 55)])
def test_conv2d_output_size_textbook_cases(n, f, s, p, expected):
    out = conv2d_output_size(n, f, s, p)
    assert out == expected == F.conv2d(_meta(1, 1, n, n), _meta(1, 1, f, f), stride=s,
                                       padding=p).shape[-1]
    assert isinstance(out, int)


def test_result_has_the_form_of_the_input():
    assert conv2d_output_size(9, 3) == 7
    assert conv2d_output_size((9, 9), 3) == (7, 7)
    assert conv2d_output_size(9, (3, 1)) == (7, 9)
    assert pool2d_output_size([8, 6], 2) == (4, 3)


def test_same_and_valid_padding_strings():
    rng = np.random.default_rng(1)
    for _ in range(300):
        size = tuple(int(v) for v in rng.integers(1, 20, 2))
        k = tuple(int(v) for v in rng.integers(1, 8, 2))
        d = tuple(int(v) for v in rng.integers(1, 4, 2))
        x, w = _meta(1, 1, *size), _meta(1, 1, *k)
        assert conv2d_output_size(size, k, padding="same", dilation=d) == size
        assert tuple(F.conv2d(x, w, padding="same", dilation=d).shape[2:]) == size
        try:
            expected = tuple(F.conv2d(x, w, padding="valid", dilation=d).shape[2:])
        except RuntimeError:
            with pytest.raises(ValueError):
                conv2d_output_size(size, k, padding="valid", dilation=d)
            continue
        assert conv2d_output_size(size, k, padding="valid", dilation=d) == expected
    assert same_padding(4) == ((1, 2), (1, 2))
    with pytest.raises(ValueError, match="stride 1"):
        conv2d_output_size(9, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="'full'"):
        conv2d_output_size(9, 3, padding="full")


def test_conv_transpose2d_output_size_matches_torch():
    rng = np.random.default_rng(2)
    checked = 0
    for _ in range(1500):
        c = _random_conv(rng)
        op = tuple(int(v) for v in rng.integers(0, 3, 2))
        x, w = _meta(1, 1, *c["size"]), _meta(1, 1, *c["kernel_size"])
        try:
            expected = tuple(F.conv_transpose2d(x, w, stride=c["stride"], padding=c["padding"],
                                                output_padding=op,
                                                dilation=c["dilation"]).shape[2:])
        except RuntimeError:
            with pytest.raises(ValueError):
                conv_transpose2d_output_size(**c, output_padding=op)
            continue
        assert conv_transpose2d_output_size(**c, output_padding=op) == expected, (c, op)
        checked += 1
    assert checked > 500


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool2d_output_size_matches_torch_with_ceil_mode(kind):
    rng = np.random.default_rng(3)
    valid = invalid = ceil_differs = 0
    for _ in range(2000):
        k = tuple(int(v) for v in rng.integers(1, 6, 2))
        size = tuple(int(v) for v in rng.integers(1, 30, 2))
        stride = None if rng.random() < 0.2 else tuple(int(v) for v in rng.integers(1, 5, 2))
        padding = tuple(int(rng.integers(0, kk // 2 + 2)) for kk in k)  # some too large
        dilation = (tuple(int(v) for v in rng.integers(1, 3, 2)) if kind == "max" else 1)
        ceil_mode = bool(rng.integers(0, 2))
        x = _meta(1, 1, *size)
        try:
            if kind == "max":
                y = F.max_pool2d(x, k, stride, padding, dilation, ceil_mode=ceil_mode)
            else:
                y = F.avg_pool2d(x, k, stride, padding, ceil_mode=ceil_mode)
        except RuntimeError:
            with pytest.raises(ValueError):
                pool2d_output_size(size, k, stride, padding, dilation, ceil_mode)
            invalid += 1
            continue
        ours = pool2d_output_size(size, k, stride, padding, dilation, ceil_mode)
        assert ours == tuple(y.shape[2:]), (size, k, stride, padding, dilation, ceil_mode)
        try:
            floor = pool2d_output_size(size, k, stride, padding, dilation, False)
        except ValueError:  # ceil mode can rescue a window that floor mode has no room for
            floor = None
        ceil_differs += ceil_mode and floor != ours
        valid += 1
    assert valid > 700 and invalid > 100 and ceil_differs > 50


def test_ceil_mode_drops_a_window_that_starts_in_the_padding():
    # 5 + 2*1 = 7 padded pixels, kernel 2, stride 2: ceil((7-2)/2) + 1 = 4 windows, but the
    # fourth would start at padded index 6, in the right padding, so PyTorch keeps 3.
    assert pool2d_output_size(5, 2, 2, padding=1, ceil_mode=True) == 3
    assert F.max_pool2d(_meta(1, 1, 5, 5), 2, 2, 1, ceil_mode=True).shape[-1] == 3


def test_errors_show_the_formula_and_the_numbers():
    with pytest.raises(ValueError, match=r"floor\(\(5 \+ 2\*0 - 1\*\(7-1\) - 1\)/1\) \+ 1 = -1"):
        conv2d_output_size(5, 7)
    with pytest.raises(ValueError, match="width"):
        conv2d_output_size((9, 2), 3)
    with pytest.raises(ValueError, match=r"ceil\(\("):
        pool2d_output_size(1, 4, stride=1, padding=0, ceil_mode=True)
    with pytest.raises(ValueError, match="at most half the kernel size"):
        pool2d_output_size(9, 2, padding=2)
    with pytest.raises(ValueError, match="stride must be an integer >= 1"):
        conv2d_output_size(9, 3, stride=0)
    with pytest.raises(TypeError, match="kernel_size must be an integer"):
        conv2d_output_size(9, 2.5)
    with pytest.raises(ValueError, match="output_padding must be smaller"):
        conv_transpose2d_output_size(9, 3, stride=2, output_padding=2)


VGG11_SIZES = [(224, 224), (512, 512), (704, 1024)]


@pytest.mark.parametrize("hw", VGG11_SIZES)
def test_vgg11_trace_matches_torch_layer_by_layer(hw):
    spec = vgg_spec("A")
    ref = build(spec, torch.nn).to(META)
    shapes, x = [], torch.empty(1, 3, *hw, device=META)
    for layer in ref:
        x = layer(x)
        shapes.append(tuple(x.shape))
    rows = trace(spec, (1, 3, *hw))
    assert [r.output_shape for r in rows] == shapes
    assert [r.layer for r in rows] == [type(m).__name__ for m in ref]
    assert [r.params for r in rows] == [sum(p.numel() for p in m.parameters()) for m in ref]
    assert rows == trace(ref, (1, 3, *hw))  # a torch module traces the same as its spec


def test_vgg11_built_from_dlcore_runs_with_the_traced_shapes():
    net = build(vgg_spec("A"), nn, rng=0)
    ref = build(vgg_spec("A"), torch.nn).double()
    assert repr(net) == repr(ref)
    assert sum(p.data.size for p in net.parameters()) == sum(p.numel() for p in ref.parameters())
    x = np.random.default_rng(0).standard_normal((1, 3, 32, 40))
    xt = torch.from_numpy(x)
    rows = trace(net, x.shape)
    with torch.no_grad():
        for layer, layer_t, row in zip(net, ref, rows):
            x, xt = layer(x), layer_t(xt)
            assert x.shape == tuple(xt.shape) == row.output_shape
    assert x.shape == (1, 512, 1, 1)


def test_vgg_configurations_layer_counts():
    counts = {"A": 8, "B": 10, "D": 13, "E": 16}  # convolution layers; + 3 FC = 11/13/16/19
    for key, convs in counts.items():
        spec = vgg_spec(key)
        assert sum(name == "Conv2d" for name, _ in spec) == convs
        assert sum(name == "MaxPool2d" for name, _ in spec) == 5
        assert VGG_CONFIGS[key].count("M") == 5
    bn = vgg_spec("A", batch_norm=True)
    assert [n for n, _ in bn[:4]] == ["Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d"]
    with pytest.raises(ValueError, match="config must be one of"):
        vgg_spec("Z")


def test_receptive_field_equals_the_gradient_support():
    """The receptive field of the centre output is where its input gradient is non-zero."""
    layers = [nn.Conv2d(1, 1, 3, rng=0), nn.AvgPool2d(2), nn.Conv2d(1, 1, 3, dilation=2, rng=0),
              nn.AvgPool2d(3, stride=2), nn.Conv2d(1, 1, (3, 1), rng=0)]
    for layer in layers:
        if isinstance(layer, nn.Conv2d):
            layer.weight.data[...] = 1.0  # positive weights: no accidental cancellation
    net = nn.Sequential(*layers)
    x = np.ones((1, 1, 61, 61))
    y = net(x)
    g = np.zeros_like(y)
    g[0, 0, y.shape[2] // 2, y.shape[3] // 2] = 1.0
    support = np.nonzero(net.backward(g)[0, 0])
    extent = tuple(int(s.max() - s.min() + 1) for s in support)
    assert trace(net, x.shape)[-1].receptive_field == extent


def test_trace_checks_channels_and_features():
    with pytest.raises(ValueError, match=r"BatchNorm2d\(16\) expects 16 channels, got shape "
                                         r"\(1, 32, 30, 30\)"):
        trace([nn.Conv2d(3, 32, 3, rng=0), ("BatchNorm2d", {"num_features": 16})], (1, 3, 32, 32))
    with pytest.raises(ValueError, match="Conv2d expects 3 input channels"):
        trace([nn.Conv2d(3, 8, 3, rng=0)], (1, 4, 32, 32))
    with pytest.raises(ValueError, match="Linear expects 10 input features"):
        trace([nn.Flatten(), nn.Linear(10, 2, rng=0)], (1, 3, 4, 4))
    with pytest.raises(ValueError, match="does not know"):
        trace([("LSTM", {})], (1, 3, 4, 4))
    with pytest.raises(ValueError, match="input_shape"):
        trace([], (3, 4))


def test_trace_flatten_linear_and_adaptive_pooling():
    layers = [torch.nn.Conv2d(3, 16, 3, padding=1), torch.nn.AdaptiveAvgPool2d(1),
              torch.nn.Flatten(), torch.nn.Linear(16, 10)]
    rows = trace(layers, (2, 3, 32, 32))
    assert [r.output_shape for r in rows] == [(2, 16, 32, 32), (2, 16, 1, 1), (2, 16), (2, 10)]
    assert [r.params for r in rows] == [448, 0, 0, 170]
    assert rows[-1].receptive_field == (32, 32)
    table = format_trace(rows)
    assert "total" in table and "618" in table


@pytest.mark.parametrize("size, layer", [(31, 20), (16, 20), (15, 15), (8, 15), (7, 10),
                                         (2, 5), (1, 2)])
def test_trace_error_names_the_layer_that_runs_out_of_room(size, layer):
    # VGG11 "A": pools at layers 2, 5, 10, 15, 20; each halves the size (rounding down), so an
    # input of 2**k .. 2**(k+1) - 1 pixels reaches the (k+1)-th pool with one pixel left.
    spec = vgg_spec("A")
    with pytest.raises(ValueError, match=rf"^layer {layer} \(MaxPool2d\) on input "
                                         rf"\(1, \d+, 1, 1\): .*is below 1"):
        trace(spec, (1, 3, size, size))
    trace(spec[:layer], (1, 3, size, size))          # every layer before it fits
