"""MSELoss, BCEWithLogitsLoss and CrossEntropyLoss against torch: every reduction and option."""

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import dlcore.nn as nn
from parity import close, t

REDUCTIONS = ["mean", "sum", "none"]


def _check(ours, torch_loss, x, target, torch_target, rng):
    xt = t(x, grad=True)
    ref = torch_loss(xt, torch_target)
    value = ours(x, target)
    close(value, ref)
    up = rng.standard_normal(ref.shape) if ours.reduction == "none" else 1.7
    ref.backward(t(up) if ours.reduction == "none" else torch.tensor(up))
    close(ours.backward(up), xt.grad)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse(reduction):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    _check(nn.MSELoss(reduction), torch.nn.MSELoss(reduction=reduction), x, y, t(y), rng)


@pytest.mark.parametrize("reduction, weighted, pos", list(itertools.product(REDUCTIONS, [0, 1], [0, 1])))
def test_bce_with_logits(reduction, weighted, pos):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 3)) * 5
    x[0] = [1e4, -1e4, 0.0]
    y = rng.uniform(0, 1, (6, 3))
    y[1] = [0.0, 1.0, 1.0]
    w = rng.uniform(0.5, 2, (6, 3)) if weighted else None
    pw = rng.uniform(0.5, 3, 3) if pos else None
    ours = nn.BCEWithLogitsLoss(weight=w, reduction=reduction, pos_weight=pw)
    ref = torch.nn.BCEWithLogitsLoss(weight=None if w is None else t(w), reduction=reduction,
                                     pos_weight=None if pw is None else t(pw))
    _check(ours, ref, x, y, t(y), rng)


CE_CASES = list(itertools.product(REDUCTIONS, [False, True], [-100, 1], [0.0, 0.2],
                                  ["index", "prob", "spatial", "unbatched"]))


@pytest.mark.parametrize("reduction, weighted, ignore_index, smoothing, kind", CE_CASES)
def test_cross_entropy(reduction, weighted, ignore_index, smoothing, kind):
    rng = np.random.default_rng(2)
    C = 4
    shape = {"index": (7, C), "prob": (7, C), "spatial": (3, C, 2, 5), "unbatched": (C,)}[kind]
    x = rng.standard_normal(shape) * 3
    if kind == "index":
        x[0] = [1e4, -1e4, 0.0, 5e3]
    if kind == "prob":
        target = rng.dirichlet(np.ones(C), 7)
        torch_target = t(target)
    else:
        target_shape = shape[:1] + shape[2:] if len(shape) > 1 else ()
        target = rng.integers(0, C, target_shape)
        torch_target = torch.tensor(target)
    w = rng.uniform(0.3, 2.0, C) if weighted else None
    ours = nn.CrossEntropyLoss(weight=w, ignore_index=ignore_index, reduction=reduction,
                               label_smoothing=smoothing)
    if kind == "prob" and ignore_index != -100:  # torch refuses this combination too
        with pytest.raises(RuntimeError, match="ignore_index"):
            torch.nn.functional.cross_entropy(t(x), torch_target, ignore_index=ignore_index)
        with pytest.raises(ValueError, match="class-index targets only"):
            ours(x, target)
        return
    ref = torch.nn.CrossEntropyLoss(weight=None if w is None else t(w),
                                    ignore_index=ignore_index, reduction=reduction,
                                    label_smoothing=smoothing)
    _check(ours, ref, x, target, torch_target, rng)


def test_cross_entropy_all_ignored_is_nan_like_torch():
    x = np.zeros((2, 3))
    ours = nn.CrossEntropyLoss(ignore_index=1)(x, np.array([1, 1]))
    theirs = TF.cross_entropy(t(x), torch.tensor([1, 1]), ignore_index=1)
    assert np.isnan(ours) and torch.isnan(theirs)


def test_extreme_logits_stay_finite():
    x = np.array([[1e4, -1e4], [-1e4, 1e4]])
    loss = nn.CrossEntropyLoss()
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert loss(x, np.array([1, 1])) == pytest.approx(1e4)
        assert np.all(np.isfinite(loss.backward()))
        b = nn.BCEWithLogitsLoss()
        assert np.isfinite(b(x, np.ones_like(x))) and np.all(np.isfinite(b.backward()))


def test_bad_targets_are_explained():
    with pytest.raises(ValueError, match=r"class index must be in \[0, 2\].*got 3"):
        nn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match=r"target shape \(3,\) does not match input shape \(2, 3\)"):
        nn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"input shape \(2, 3\) does not match target shape \(3, 2\)"):
        nn.MSELoss()(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\], got 1.5"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
    with pytest.raises(ValueError, match="weight has 2 entries but the input has 3 classes"):
        nn.CrossEntropyLoss(weight=[1.0, 2.0])(np.zeros((2, 3)), np.array([0, 1]))
