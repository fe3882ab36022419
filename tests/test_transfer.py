"""Chapter 12, transfer learning: dlcore Adam with two parameter groups (a discriminative
learning rate for the backbone and the head) against torch.optim.Adam."""

import numpy as np
import pytest
import torch

from dlcore.nn import CrossEntropyLoss, Linear, ReLU, Sequential
from dlcore.optim import Adam
from parity import close, copy_params, t


def _pair(dtype=np.float64):
    ours = Sequential(Linear(6, 8, rng=0, dtype=dtype), ReLU(), Linear(8, 3, rng=1, dtype=dtype))
    theirs = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    theirs = theirs.to(torch.float64 if dtype == np.float64 else torch.float32)
    copy_params(ours, theirs)
    return ours, theirs


@pytest.mark.parametrize("backbone_lr", [0.0, 1e-4, 1e-2])
def test_adam_two_param_groups_matches_torch_over_ten_steps(backbone_lr):
    ours, theirs = _pair()
    x = np.random.default_rng(2).standard_normal((10, 6))
    y = np.random.default_rng(3).integers(0, 3, 10)
    opt = Adam([{"params": ours[0].parameters(), "lr": backbone_lr},
                {"params": ours[2].parameters()}], lr=1e-2)
    topt = torch.optim.Adam([{"params": theirs[0].parameters(), "lr": backbone_lr},
                             {"params": theirs[2].parameters()}], lr=1e-2)
    start = [p.data.copy() for p in ours[0].parameters()]
    loss = CrossEntropyLoss()
    for _ in range(10):
        ours.zero_grad()
        loss(ours(x), y)
        ours.backward(loss.backward())
        opt.step()
        topt.zero_grad()
        torch.nn.functional.cross_entropy(theirs(t(x)), torch.from_numpy(y)).backward()
        topt.step()
    assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in topt.param_groups]
    for p, q in zip(ours.parameters(), theirs.parameters()):
        close(p.data, q, rtol=1e-10, atol=1e-12)
        st, ts = opt.state[p], topt.state[q]
        assert st["step"] == float(ts["step"]) == 10
        close(st["exp_avg"], ts["exp_avg"], rtol=1e-10, atol=1e-14)
        close(st["exp_avg_sq"], ts["exp_avg_sq"], rtol=1e-10, atol=1e-16)
    moved = [not np.array_equal(a, p.data) for a, p in zip(start, ours[0].parameters())]
    assert moved == [backbone_lr > 0] * 2   # lr 0 leaves the group bit-identical


def test_adam_param_groups_float32_and_bad_groups():
    ours, _ = _pair(np.float32)
    opt = Adam([{"params": ours[0].parameters(), "lr": 1e-3},
                {"params": ours[2].parameters()}], lr=1e-2)
    loss = CrossEntropyLoss()
    x = np.ones((4, 6), dtype=np.float32)
    loss(ours(x), np.array([0, 1, 2, 0]))
    ours.backward(loss.backward())
    opt.step()
    assert all(p.data.dtype == np.float32 for p in ours.parameters())
    assert all(opt.state[p]["exp_avg"].dtype == np.float32 for p in ours.parameters())
    with pytest.raises(ValueError, match="more than one parameter group"):
        Adam([{"params": ours[0].parameters()}, {"params": ours.parameters()}], lr=1e-2)
    with pytest.raises(ValueError, match="lr"):
        Adam([{"params": ours.parameters()}], lr=-1.0)


def test_adabn_puts_only_batchnorm_in_train_mode():
    """AdaBN's statistics pass runs Dropout in eval mode (identity) and restores every mode."""
    from dlcore.maths.transfer import adabn_
    from dlcore.nn import BatchNorm1d, Dropout

    x = np.random.default_rng(0).standard_normal((64, 6))
    lin = Linear(6, 5, rng=0)
    model = Sequential(Dropout(0.5, rng=1), lin, BatchNorm1d(5))
    model.eval()
    adabn_(model, x)
    z = x @ lin.weight.data.T + lin.bias.data   # the Linear's output without dropout
    np.testing.assert_allclose(model[2].running_mean, z.mean(0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(model[2].running_var, z.var(0, ddof=1), rtol=1e-12, atol=1e-12)
    assert [m.training for m in model.modules()] == [False] * 4
    model.train()
    adabn_(model, x)
    assert [m.training for m in model.modules()] == [True] * 4
