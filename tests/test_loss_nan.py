"""Every two-input loss x every reduction x a NaN in the input or the target, against PyTorch:
the value is NaN exactly where PyTorch's is (and equal elsewhere), the input gradient is NaN
exactly where PyTorch's is, and where PyTorch refuses the NaN (BCE's target range check) dlcore
refuses it too. A loss added to ``dlcore.nn`` without an entry here fails
``test_every_loss_is_swept``."""

import warnings

import numpy as np
import pytest
import torch

import dlcore.nn as nn

RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 3))
P = 1 / (1 + np.exp(-X))
BITS = (RNG.random((4, 3)) > 0.5).astype(float)
INDEX = np.array([0, 2, 1, 0])
SIGNS = np.where(RNG.random((4, 3)) < 0.5, -1.0, 1.0)
PROBS = np.exp(X) / np.exp(X).sum(1, keepdims=True)
CASES = {
    "MSELoss": (X, RNG.standard_normal((4, 3))), "L1Loss": (X, RNG.standard_normal((4, 3))),
    "HuberLoss": (X, RNG.standard_normal((4, 3))),
    "SmoothL1Loss": (X, RNG.standard_normal((4, 3))), "BCELoss": (P, BITS),
    "BCEWithLogitsLoss": (X, BITS), "MultiLabelSoftMarginLoss": (X, BITS),
    "CrossEntropyLoss": (X, INDEX), "NLLLoss": (np.log(PROBS), INDEX),
    "KLDivLoss": (np.log(PROBS), PROBS), "MultiMarginLoss": (X, INDEX),
    "SoftMarginLoss": (X, SIGNS), "HingeEmbeddingLoss": (np.abs(X), SIGNS),
    "PoissonNLLLoss": (X, np.abs(np.round(X * 2))),
    "MultiLabelMarginLoss": (X, np.array([[0, -1, 0], [1, 2, -1], [2, -1, 1], [0, 1, 2]])),
}
THREE_INPUTS = {"CosineEmbeddingLoss", "MarginRankingLoss", "TripletMarginLoss",
                "GaussianNLLLoss"}  # their NaN cases: tests/test_losses_margin_likelihood.py


def test_every_loss_is_swept():
    losses = {n for n in nn.__all__ if n.endswith("Loss")}
    assert losses - set(CASES) - THREE_INPUTS == set()


@pytest.mark.parametrize("where", ["input", "target"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_nan_follows_torch(name, reduction, where):
    x, target = (a.copy() for a in CASES[name])
    if where == "target":
        if target.dtype.kind != "f":
            pytest.skip("class-index target")
        target[0, 0] = np.nan
    else:
        x[0, 0] = np.nan
    ours = getattr(nn, name)(reduction=reduction)
    theirs = getattr(torch.nn, name)(reduction=reduction)
    xt = torch.tensor(x, requires_grad=True)
    try:
        with warnings.catch_warnings():  # KLDivLoss's 'mean' deprecation notice
            warnings.simplefilter("ignore", UserWarning)
            lt = theirs(xt, torch.tensor(target))
    except RuntimeError:
        with pytest.raises(ValueError):
            ours(x, target)
        return
    lo = np.asarray(ours(x, target), dtype=float)
    ref = lt.detach().numpy()
    np.testing.assert_array_equal(np.isnan(lo), np.isnan(ref))
    np.testing.assert_allclose(lo[~np.isnan(lo)], ref[~np.isnan(ref)], rtol=1e-12)
    g = np.ones(lo.shape) if lo.ndim else 1.0
    lt.backward(torch.tensor(g) if lo.ndim else None)
    np.testing.assert_array_equal(np.isnan(ours.backward(g)), np.isnan(xt.grad.numpy()))
