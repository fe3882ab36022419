"""dlcore.optim.lr_scheduler against torch.optim.lr_scheduler: the learning-rate sequence
(every group, every step), get_last_lr, last_epoch, the closed form, chaining, state_dict."""

import math
import warnings

import numpy as np
import pytest
import torch

from dlcore.nn import Parameter
from dlcore.optim import SGD, Adam
from dlcore.optim import lr_scheduler as ls

tls = torch.optim.lr_scheduler
LRS = (0.1, 0.03)


def _pair(opt_cls=SGD, topt_cls=torch.optim.SGD):
    """A dlcore and a torch optimizer with two parameter groups of different lr."""
    ours = opt_cls([{"params": [Parameter(np.zeros(2))], "lr": LRS[0]},
                    {"params": [Parameter(np.zeros(3))], "lr": LRS[1]}])
    theirs = topt_cls([{"params": [torch.zeros(2, requires_grad=True)], "lr": LRS[0]},
                       {"params": [torch.zeros(3, requires_grad=True)], "lr": LRS[1]}])
    return ours, theirs


def _sequences(ours, theirs, opt_a, opt_b, steps, metrics=None):
    seq_a, seq_b = [ours.get_last_lr()], [theirs.get_last_lr()]
    for i in range(steps):
        opt_a.step()
        opt_b.step()
        if metrics is None:
            ours.step()
            theirs.step()
        else:
            ours.step(metrics[i])
            theirs.step(metrics[i])
        seq_a.append(ours.get_last_lr())
        seq_b.append(theirs.get_last_lr())
        assert [g["lr"] for g in opt_a.param_groups] == seq_a[-1]
    assert getattr(ours, "last_epoch", None) == getattr(theirs, "last_epoch", None)
    return np.array(seq_a, dtype=float), np.array(seq_b, dtype=float)


def _check(make, steps=40, metrics=None):
    opt_a, opt_b = _pair()
    ours, theirs = make(ls, opt_a), make(tls, opt_b)
    a, b = _sequences(ours, theirs, opt_a, opt_b, steps, metrics)
    np.testing.assert_allclose(a, b, rtol=1e-13, atol=0)
    return a


CASES = {
    "step": lambda m, o: m.StepLR(o, step_size=7),
    "step_gamma": lambda m, o: m.StepLR(o, step_size=1, gamma=0.8),
    "step_gamma_above_1": lambda m, o: m.StepLR(o, step_size=3, gamma=1.5),
    "multistep": lambda m, o: m.MultiStepLR(o, milestones=[3, 10, 10, 25], gamma=0.5),
    "multistep_unsorted": lambda m, o: m.MultiStepLR(o, milestones=[20, 4]),
    "exponential": lambda m, o: m.ExponentialLR(o, gamma=0.9),
    "cosine": lambda m, o: m.CosineAnnealingLR(o, T_max=10),
    "cosine_eta_min": lambda m, o: m.CosineAnnealingLR(o, T_max=13, eta_min=0.01),
    "cosine_long": lambda m, o: m.CosineAnnealingLR(o, T_max=3, eta_min=1e-3),
    "linear_default": lambda m, o: m.LinearLR(o),
    "linear_warmup": lambda m, o: m.LinearLR(o, start_factor=0.01, total_iters=12),
    "linear_decay": lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.1,
                                            total_iters=30),
    "lambda": lambda m, o: m.LambdaLR(o, lambda e: 0.95 ** e + 0.1 * (e % 3)),
    "lambda_per_group": lambda m, o: m.LambdaLR(o, [lambda e: 1 / (1 + e),
                                                    lambda e: min(1.0, (e + 1) / 5)]),
    "sequential": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=5),
            m.CosineAnnealingLR(o, T_max=20, eta_min=1e-4)], milestones=[5]),
    "sequential_three": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.2, total_iters=4), m.ExponentialLR(o, gamma=0.9),
            m.StepLR(o, step_size=5, gamma=0.5)], milestones=[4, 15]),
    "chained": lambda m, o: m.ChainedScheduler(
        [m.ExponentialLR(o, gamma=0.95), m.MultiStepLR(o, milestones=[5, 12], gamma=0.3)]),
    "chained_cosine_warmup": lambda m, o: m.ChainedScheduler(
        [m.LinearLR(o, start_factor=0.1, total_iters=6), m.CosineAnnealingLR(o, T_max=30)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_sequence_matches_torch(name):
    _check(CASES[name])


def test_cosine_restarts_as_a_cosine_of_period_2T():
    seq = _check(CASES["cosine"], steps=45)[:, 0]
    expected = [0.5 * 0.1 * (1 + math.cos(math.pi * e / 10)) for e in range(46)]
    np.testing.assert_allclose(seq, expected, rtol=1e-12, atol=1e-15)


def test_schedulers_compose_on_the_same_optimizer_like_torch():
    opt_a, opt_b = _pair()
    exp_a, step_a = ls.ExponentialLR(opt_a, gamma=0.9), ls.StepLR(opt_a, 4, 0.5)
    exp_b, step_b = tls.ExponentialLR(opt_b, gamma=0.9), tls.StepLR(opt_b, 4, 0.5)
    for _ in range(20):
        opt_a.step()
        opt_b.step()
        for s in (exp_a, step_a, exp_b, step_b):
            s.step()
        np.testing.assert_allclose([g["lr"] for g in opt_a.param_groups],
                                   [g["lr"] for g in opt_b.param_groups], rtol=1e-13)


@pytest.mark.parametrize("name", ["step", "multistep", "exponential", "cosine_eta_min",
                                  "linear_warmup"])
def test_closed_form_step_with_epoch_matches_torch(name):
    opt_a, opt_b = _pair()
    ours, theirs = CASES[name](ls, opt_a), CASES[name](tls, opt_b)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for epoch in [3, 17, 4, 30, 11]:
            ours.step(epoch)
            theirs.step(epoch)
            np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-13)
    with pytest.warns(UserWarning, match="deprecated"):
        ours.step(2)


@pytest.mark.parametrize("name", ["step", "cosine", "linear_warmup", "exponential"])
def test_resume_with_last_epoch_matches_torch(name):
    """Build, run 6 steps, then build a new scheduler with last_epoch=5 (as when resuming)."""
    opt_a, opt_b = _pair()
    a, b = CASES[name](ls, opt_a), CASES[name](tls, opt_b)
    for _ in range(6):
        opt_a.step(), opt_b.step(), a.step(), b.step()
    make = {"step": lambda m, o: m.StepLR(o, step_size=7, last_epoch=5),
            "cosine": lambda m, o: m.CosineAnnealingLR(o, T_max=10, last_epoch=5),
            "linear_warmup": lambda m, o: m.LinearLR(o, 0.01, total_iters=12, last_epoch=5),
            "exponential": lambda m, o: m.ExponentialLR(o, gamma=0.9, last_epoch=5)}[name]
    a, b = make(ls, opt_a), make(tls, opt_b)
    x, y = _sequences(a, b, opt_a, opt_b, 15)
    np.testing.assert_allclose(x, y, rtol=1e-13)


def test_resume_without_initial_lr_is_refused():
    with pytest.raises(KeyError, match="initial_lr"):
        ls.StepLR(SGD([Parameter(np.zeros(1))], lr=0.1), step_size=2, last_epoch=3)


PLATEAU = [
    dict(),
    dict(patience=2),
    dict(mode="max", patience=1, factor=0.5),
    dict(patience=0, threshold=0.05, threshold_mode="abs", cooldown=2),
    dict(patience=1, threshold=0.1, threshold_mode="rel", cooldown=1, min_lr=0.005),
    dict(mode="max", threshold_mode="abs", threshold=0.2, patience=2, min_lr=[0.02, 0.001]),
    dict(patience=0, factor=0.9, eps=1e-3),
]


@pytest.mark.parametrize("kw", PLATEAU)
def test_reduce_on_plateau_matches_torch(kw):
    rng = np.random.default_rng(0)
    metrics = np.concatenate([np.linspace(1.0, 0.5, 15), 0.5 + 0.02 * rng.standard_normal(45),
                              np.linspace(0.5, 2.0, 20)])
    _check(lambda m, o: m.ReduceLROnPlateau(o, **kw), steps=len(metrics), metrics=metrics)


def test_reduce_on_plateau_defaults_and_state():
    opt = SGD([Parameter(np.zeros(1))], lr=1.0)
    s = ls.ReduceLROnPlateau(opt)
    ref = tls.ReduceLROnPlateau(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0))
    for attr in ("factor", "patience", "threshold", "threshold_mode", "cooldown", "eps",
                 "mode", "min_lrs", "last_epoch", "best"):
        assert getattr(s, attr) == getattr(ref, attr), attr
    for _ in range(12):
        s.step(1.0)
    assert s.get_last_lr() == [pytest.approx(0.1)]
    other = ls.ReduceLROnPlateau(SGD([Parameter(np.zeros(1))], lr=1.0))
    other.load_state_dict(s.state_dict())
    assert other.best == s.best and other.num_bad_epochs == s.num_bad_epochs


def test_state_dict_round_trip():
    opt_a, opt_b = _pair()[0], _pair()[0]
    a, b = CASES["sequential"](ls, opt_a), CASES["sequential"](ls, opt_b)
    for _ in range(7):
        a.step()
    b.load_state_dict(a.state_dict())
    for g_a, g_b in zip(opt_a.param_groups, opt_b.param_groups):
        g_b["lr"] = g_a["lr"]
    for _ in range(10):
        a.step()
        b.step()
        assert a.get_last_lr() == b.get_last_lr()


def test_works_with_adam_and_drives_its_lr():
    opt_a, opt_b = _pair(Adam, torch.optim.Adam)
    a, b = ls.CosineAnnealingLR(opt_a, T_max=5), tls.CosineAnnealingLR(opt_b, T_max=5)
    x, y = _sequences(a, b, opt_a, opt_b, 8)
    np.testing.assert_allclose(x, y, rtol=1e-13)


BAD = [
    (lambda o: ls.StepLR(o, step_size=0), ValueError, "step_size must be an integer >= 1"),
    (lambda o: ls.CosineAnnealingLR(o, T_max=0), ValueError, "T_max"),
    (lambda o: ls.LinearLR(o, start_factor=0.0), ValueError,
     r"LinearLR start_factor must be in \(0, 1\], got 0"),
    (lambda o: ls.LinearLR(o, end_factor=1.5), ValueError, "LinearLR end_factor"),
    (lambda o: ls.ReduceLROnPlateau(o, factor=1.0), ValueError, "factor"),
    (lambda o: ls.ReduceLROnPlateau(o, mode="lowest"), ValueError, "mode must be one of"),
    (lambda o: ls.ReduceLROnPlateau(o, threshold_mode="pct"), ValueError, "threshold_mode"),
    (lambda o: ls.ReduceLROnPlateau(o, min_lr=[0.1, 0.2, 0.3]), ValueError, "min_lr"),
    (lambda o: ls.SequentialLR(o, [ls.ExponentialLR(o, 0.9)], milestones=[3]), ValueError,
     "milestones"),
    (lambda o: ls.SequentialLR(o, [ls.ReduceLROnPlateau(o), ls.ExponentialLR(o, 0.9)], [3]),
     ValueError, "ReduceLROnPlateau"),
    (lambda o: ls.SequentialLR(o, [], []), ValueError, "at least one"),
    (lambda o: ls.StepLR(object(), step_size=1), TypeError, "dlcore Optimizer"),
]


@pytest.mark.parametrize("make, exc, message", BAD)
def test_bad_arguments(make, exc, message):
    with pytest.raises(exc, match=message):
        make(_pair()[0])
