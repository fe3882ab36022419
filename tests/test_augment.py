"""Augmentations on image batches: shifts, flips, noise and mixup."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import dlcore.nn as nn
from dlcore.maths.augment import flip, gaussian_noise, mix, mixup, random_flip, random_shift, shift
from dlcore.maths.regularization import smooth_labels
from parity import close, t


def _shift_reference(img, dy, dx, fill):
    """Pixel by pixel: out[i, j] = img[i - dy, j - dx] when inside the frame."""
    H, W = img.shape[-2:]
    out = np.full_like(img, fill)
    for i in range(H):
        for j in range(W):
            if 0 <= i - dy < H and 0 <= j - dx < W:
                out[..., i, j] = img[..., i - dy, j - dx]
    return out


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 5), c=st.sampled_from([None, 1, 3]), h=st.integers(1, 6),
       w=st.integers(1, 6), max_shift=st.integers(0, 7), fill=st.sampled_from([0.0, -1.5]),
       seed=st.integers(0, 2**16))
def test_shift_matches_pixelwise_reference(n, c, h, w, max_shift, fill, seed):
    rng = np.random.default_rng(seed)
    shape = (n, h, w) if c is None else (n, c, h, w)
    x = rng.standard_normal(shape)
    dy, dx = rng.integers(-max_shift, max_shift + 1, (2, n))
    out = shift(x, dy, dx, fill)
    for k in range(n):
        np.testing.assert_array_equal(out[k], _shift_reference(x[k], dy[k], dx[k], fill))


def test_random_shift_is_seeded_and_leaves_global_state_alone():
    x = np.random.default_rng(0).random((6, 1, 8, 8))
    state = np.random.get_state()[1].copy()
    a, b = random_shift(x, 2, rng=3), random_shift(x, 2, rng=3)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, random_shift(x, 2, rng=4))
    np.testing.assert_array_equal(np.random.get_state()[1], state)
    np.testing.assert_array_equal(random_shift(x, 0, rng=0), x)
    # a pure translation keeps the pixel multiset when the content stays inside the frame
    digit = np.zeros((1, 1, 8, 8))
    digit[0, 0, 2:6, 3:5] = 1.0
    moved = random_shift(digit, 1, rng=5)
    assert moved.sum() == digit.sum()


@pytest.mark.parametrize("dims", [(-1,), (-2,), (-2, -1), 3])
def test_flip_matches_torch(dims):
    x = np.random.default_rng(1).standard_normal((2, 3, 4, 5))
    torch_dims = [dims] if isinstance(dims, int) else list(dims)
    close(flip(x, dims), torch.flip(t(x), torch_dims), rtol=0, atol=0)


def test_random_flip_probability_and_errors():
    x = np.random.default_rng(2).standard_normal((400, 1, 3, 3))
    np.testing.assert_array_equal(random_flip(x, 0.0, rng=0), x)
    np.testing.assert_array_equal(random_flip(x, 1.0, rng=0), flip(x))
    flipped = ~np.all(random_flip(x, 0.3, rng=0) == x, axis=(1, 2, 3))
    assert 0.22 < flipped.mean() < 0.38
    with pytest.raises(ValueError, match="dims must name the image axes"):
        flip(x, dims=1)
    with pytest.raises(ValueError, match=r"must have shape \(N, H, W\) or \(N, C, H, W\)"):
        flip(np.ones((4, 64)))
    with pytest.raises(ValueError, match="random_flip p must be in"):
        random_flip(x, 1.5)
    with pytest.raises(ValueError, match="dx must be an integer or 400 integers"):
        shift(x, 0, np.zeros(3, dtype=int))


def test_gaussian_noise_statistics_and_seed():
    z = gaussian_noise(np.zeros(200_000), 0.5, rng=0)
    assert abs(z.mean()) < 0.005 and z.std() == pytest.approx(0.5, rel=0.01)
    np.testing.assert_array_equal(gaussian_noise(np.ones(4), 1.0, rng=7),
                                  1.0 + np.random.default_rng(7).standard_normal(4))
    with pytest.raises(ValueError, match="gaussian_noise std must be in"):
        gaussian_noise(np.ones(2), -1.0)


def test_mix_and_the_linearity_of_soft_target_cross_entropy():
    x1, x2, lam = np.array([1.0, 0.0, 2.0]), np.array([0.0, 4.0, 1.0]), 0.7
    close(mix(x1, x2, lam), [0.7, 1.2, 1.7], rtol=1e-15, atol=1e-15)
    target = mix(*smooth_labels(np.array([0, 2]), 3), lam)
    close(target, [0.7, 0.0, 0.3], rtol=1e-15, atol=1e-15)
    logits = np.array([[0.2, 0.1, 1.5]])
    ce = nn.CrossEntropyLoss()
    ours = ce(logits, target[None])
    ref = torch.nn.functional.cross_entropy(t(logits), t(target[None]))
    close(ours, ref, rtol=1e-14, atol=1e-15)
    split = lam * ce(logits, np.array([0])) + (1 - lam) * ce(logits, np.array([2]))
    assert ours == pytest.approx(split, rel=1e-14)


def test_mixup_batches():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 1, 4, 4)), rng.integers(0, 3, 8)
    xm, ym, lam = mixup(x, y, alpha=0.4, num_classes=3, rng=1)
    assert xm.shape == x.shape and ym.shape == (8, 3) and 0 <= lam <= 1
    close(ym.sum(axis=1), np.ones(8), rtol=1e-15, atol=1e-15)
    # every mixed sample is lam * itself + (1 - lam) * one partner, consistently for x and y
    onehot = smooth_labels(y, 3)
    partners = (xm - lam * x) / (1 - lam)
    for k in range(8):
        j = int(np.argmin(np.abs(partners[k] - x).reshape(8, -1).sum(axis=1)))
        close(ym[k], lam * onehot[k] + (1 - lam) * onehot[j], rtol=1e-12, atol=1e-12)
    again = mixup(x, y, alpha=0.4, num_classes=3, rng=1)
    np.testing.assert_array_equal(again[0], xm)
    with pytest.raises(ValueError, match="needs num_classes"):
        mixup(x, y)
    with pytest.raises(ValueError, match="mixup alpha must be in"):
        mixup(x, y, alpha=0.0, num_classes=3)
