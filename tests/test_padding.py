"""Padding layers and functional.pad against torch: every mode and layer, negative (cropping)
amounts, unbatched input, float32, N = 0, input gradients, bad input."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlcore import nn
from dlcore.functional.padding import pad, pad_backward
from parity import close, t

PADS = {1: [(1, 2), (0, 0), (-1, 2), (2, -1)],
        2: [(1, 2, 0, 1), (2, 2, 2, 2), (-1, 1, 1, -1), (0, 1, 2, 0)],
        3: [(1, 0, 0, 1, 1, 1), (1, 1, -1, 0, 2, 0)]}
MODES = ["constant", "reflect", "replicate", "circular"]


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("batched", [True, False])
def test_pad_matches_torch_forward_and_backward(k, mode, batched):
    rng = np.random.default_rng(k)
    shape = ((2,) if batched else ()) + (3,) + (4, 5, 3)[:k]
    x = rng.standard_normal(shape)
    for amounts in PADS[k]:
        value = 1.5 if mode == "constant" else None
        xt = t(x, grad=True)
        yt = F.pad(xt, amounts, mode=mode, value=value)
        y = pad(x, amounts, mode, value)
        close(y, yt, rtol=0, atol=0)
        g = rng.standard_normal(y.shape)
        yt.backward(torch.from_numpy(g))
        close(pad_backward(g, x.shape, amounts, mode), xt.grad, rtol=1e-14, atol=1e-15)


def test_constant_pad_on_leading_dimensions_and_crop():
    x = np.arange(24.0).reshape(2, 3, 4)
    for amounts in [(1, 1, 0, 0, 1, 2), (-1, 0, 0, -2)]:
        close(pad(x, amounts, value=-3.0), F.pad(torch.from_numpy(x), amounts, value=-3.0))


LAYERS = [(name, dims) for dims in (1, 2, 3)
          for name in (f"ZeroPad{dims}d", f"ConstantPad{dims}d", f"ReflectionPad{dims}d",
                       f"ReplicationPad{dims}d", f"CircularPad{dims}d")]


@pytest.mark.parametrize("name, dims", LAYERS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_padding_layers_match_torch(name, dims, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3) + (4, 3, 5)[:dims]).astype(dtype)
    padding = (1, 2, 2, 0, 1, 1)[:2 * dims]
    args = (padding, 0.25) if name.startswith("Constant") else (padding,)
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    y = ours(x)
    xt = torch.from_numpy(x).requires_grad_()
    yt = theirs(xt)
    assert y.dtype == dtype and y.shape == tuple(yt.shape)
    close(y, yt.detach(), rtol=0, atol=0)
    g = rng.standard_normal(y.shape).astype(dtype)
    yt.backward(torch.from_numpy(g))
    gx = ours.backward(g)
    assert gx.dtype == dtype
    close(gx, xt.grad, rtol=1e-6 if dtype == np.float32 else 1e-14, atol=1e-6)
    # an int padding pads every side; unbatched input works too
    close(getattr(nn, name)(*((1,) + args[1:]))(x[0]),
          getattr(torch.nn, name)(*((1,) + args[1:]))(torch.from_numpy(x[0])))


@pytest.mark.parametrize("name", ["ReflectionPad2d", "ZeroPad2d", "ReplicationPad2d"])
def test_empty_batch(name):
    x = np.zeros((0, 3, 4, 4))
    y = getattr(nn, name)(1)(x)
    assert y.shape == tuple(getattr(torch.nn, name)(1)(torch.zeros(0, 3, 4, 4)).shape)


@pytest.mark.parametrize("call, match", [
    (lambda: pad(np.ones((1, 3)), (3, 0), "reflect"), "smaller than the dimension"),
    (lambda: pad(np.ones((1, 3)), (4, 0), "circular"), "at most the dimension"),
    (lambda: pad(np.ones(3), (1, 1), "reflect"), "needs a 2-D or 3-D input"),
    (lambda: pad(np.ones((1, 3)), (1,)), "even number"),
    (lambda: pad(np.ones((1, 3)), (1, 1), "wrap"), "pad mode"),
    (lambda: pad(np.ones((1, 3)), (1, 1), "reflect", 2.0), "only for mode='constant'"),
    (lambda: pad(np.ones((1, 3)), (-4, 0)), "crops more"),
    (lambda: nn.ReflectionPad2d((1, 2)), "tuple of 4"),
    (lambda: nn.ZeroPad2d(1)(np.ones((2, 2, 2, 2, 2))), "3-D or 4-D input"),
])
def test_bad_padding_refused(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_pad_type_errors():
    with pytest.raises(TypeError, match="pad must hold integers"):
        pad(np.ones((1, 3)), (1.5, 1))
