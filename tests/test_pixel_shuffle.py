"""PixelShuffle and PixelUnshuffle against PyTorch: values, gradients, leading dimensions,
float32, empty batches and argument errors."""

import numpy as np
import pytest
import torch

import dlcore.functional as F
import dlcore.nn as nn
from parity import close, t


@pytest.mark.parametrize("shape, r", [((2, 8, 3, 5), 2), ((1, 9, 2, 2), 3), ((4, 3, 2), 1),
                                      ((2, 3, 18, 4, 4), 3)])
def test_shuffle_and_unshuffle_match_torch(shape, r):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    for ours, theirs, inp in [(nn.PixelShuffle(r), torch.nn.PixelShuffle(r), x),
                              (nn.PixelUnshuffle(r), torch.nn.PixelUnshuffle(r),
                               F.pixel_shuffle(x, r))]:
        xt = t(inp, grad=True)
        yt = theirs(xt)
        g = rng.standard_normal(tuple(yt.shape))
        yt.backward(t(g))
        np.testing.assert_array_equal(ours(inp), yt.detach().numpy())
        np.testing.assert_array_equal(ours.backward(g), xt.grad.numpy())
        assert repr(ours) == repr(theirs)
    np.testing.assert_array_equal(F.pixel_unshuffle(F.pixel_shuffle(x, r), r), x)


def test_empty_batch():
    # torch's own backward fails on N = 0 (PixelShuffleBackward0 returns a wrong shape)
    x = np.zeros((0, 4, 2, 2))
    m = nn.PixelShuffle(2)
    assert m(x).shape == tuple(torch.nn.PixelShuffle(2)(t(x)).shape) == (0, 1, 4, 4)
    assert m.backward(np.zeros((0, 1, 4, 4))).shape == x.shape


def test_float32_and_errors():
    x = np.ones((1, 4, 2, 2), dtype=np.float32)
    m = nn.PixelShuffle(2)
    assert m(x).dtype == np.float32
    assert m.backward(np.ones((1, 1, 4, 4), np.float32)).dtype == np.float32
    with pytest.raises(ValueError, match=r"count \(3\) to be divisible by upscale_factor\*\*2 = 4"):
        F.pixel_shuffle(np.ones((1, 3, 2, 2)), 2)
    with pytest.raises(ValueError, match="height \\(3\\) and width \\(4\\) to be divisible"):
        F.pixel_unshuffle(np.ones((1, 1, 3, 4)), 2)
    with pytest.raises(ValueError, match="\\(\\*, C, H, W\\)"):
        F.pixel_shuffle(np.ones((4, 2)), 2)
    with pytest.raises(TypeError, match="upscale_factor must be an integer"):
        nn.PixelShuffle(2.0)
    with pytest.raises(ValueError, match="grad_out shape"):
        m.backward(np.ones((1, 4, 2, 2)))
