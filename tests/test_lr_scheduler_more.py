"""ConstantLR, MultiplicativeLR, PolynomialLR, CosineAnnealingWarmRestarts, CyclicLR and
OneCycleLR against torch.optim.lr_scheduler: rates (every group, every step), momentum or
beta1 where the scheduler cycles it, the closed form, state_dict round trips, bad input."""

import warnings

import numpy as np
import pytest
import torch

from dlcore.nn import Parameter
from dlcore.optim import SGD, Adam
from dlcore.optim import lr_scheduler as ls
from test_lr_scheduler import _check, _pair

tls = torch.optim.lr_scheduler


class Halver:
    """A callable object whose attribute the scheduler's state_dict keeps."""

    def __init__(self):
        self.factor = 0.5

    def __call__(self, epoch):
        return self.factor if epoch % 3 == 0 else 1.0


CASES = {
    "constant": lambda m, o: m.ConstantLR(o),
    "constant_factor": lambda m, o: m.ConstantLR(o, factor=0.1, total_iters=12),
    "constant_zero_iters": lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=0),
    "multiplicative": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.95),
    "multiplicative_per_group": lambda m, o: m.MultiplicativeLR(
        o, [lambda e: 0.9, lambda e: 1.0 + 0.01 * e]),
    "polynomial": lambda m, o: m.PolynomialLR(o),
    "polynomial_power": lambda m, o: m.PolynomialLR(o, total_iters=30, power=2.5),
    "warm_restarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=7),
    "warm_restarts_mult": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2,
                                                                     eta_min=1e-3),
    "cyclic": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=5),
    "cyclic_down": lambda m, o: m.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=[0.1, 0.3],
                                           step_size_up=3, step_size_down=8),
    "cyclic_tri2": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=4, mode="triangular2"),
    "cyclic_exp": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=4, mode="exp_range",
                                          gamma=0.97),
    "cyclic_fn": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=4,
                                         scale_fn=lambda x: 1 / (1 + x), scale_mode="iterations"),
    "cyclic_no_momentum": lambda m, o: m.CyclicLR(o, 0.01, 0.1, cycle_momentum=False),
    "onecycle": lambda m, o: m.OneCycleLR(o, max_lr=0.5, total_steps=40),
    "onecycle_linear": lambda m, o: m.OneCycleLR(o, max_lr=[0.5, 1.0], epochs=4,
                                                 steps_per_epoch=10, anneal_strategy="linear",
                                                 pct_start=0.25, div_factor=10.0,
                                                 final_div_factor=100.0),
    "onecycle_three": lambda m, o: m.OneCycleLR(o, max_lr=0.5, total_steps=40,
                                                three_phase=True, base_momentum=0.8),
}
NEEDS_MOMENTUM = ("cyclic", "onecycle")


def _pair_with_momentum(adam=False):
    if adam:
        return _pair(Adam, torch.optim.Adam)
    ours = SGD([{"params": [Parameter(np.zeros(2))], "lr": 0.1},
                {"params": [Parameter(np.zeros(3))], "lr": 0.03}], momentum=0.9)
    theirs = torch.optim.SGD([{"params": [torch.zeros(2, requires_grad=True)], "lr": 0.1},
                              {"params": [torch.zeros(3, requires_grad=True)], "lr": 0.03}],
                             momentum=0.9)
    return ours, theirs


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("adam", [False, True])
def test_sequence_matches_torch(name, adam):
    make = CASES[name]
    opt_a, opt_b = _pair_with_momentum(adam)
    ours, theirs = make(ls, opt_a), make(tls, opt_b)
    key = "betas" if adam else "momentum"
    for _ in range(40):
        opt_a.step()
        opt_b.step()
        ours.step()
        theirs.step()
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-13)
        for ga, gb in zip(opt_a.param_groups, opt_b.param_groups):
            np.testing.assert_allclose(np.ravel(ga[key]), np.ravel(gb[key]), rtol=1e-13)
    assert ours.last_epoch == theirs.last_epoch


def test_plain_sgd_sequences_through_the_shared_checker():
    for name in ("constant_factor", "polynomial_power", "warm_restarts_mult"):
        _check(lambda m, o: CASES[name](m, o), steps=45)


@pytest.mark.parametrize("epochs", [[0, 3.5, 7, 7.25, 20, 2, 45.9],
                                    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]])
@pytest.mark.parametrize("t_mult", [1, 2, 3])
def test_warm_restarts_fractional_epochs_match_torch(epochs, t_mult):
    opt_a, opt_b = _pair()
    ours = ls.CosineAnnealingWarmRestarts(opt_a, T_0=4, T_mult=t_mult, eta_min=0.001)
    theirs = tls.CosineAnnealingWarmRestarts(opt_b, T_0=4, T_mult=t_mult, eta_min=0.001)
    for e in epochs:
        ours.step(e)
        theirs.step(e)
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-13)
        assert ours.T_i == theirs.T_i and ours.T_cur == pytest.approx(theirs.T_cur)


@pytest.mark.parametrize("name", ["constant_factor", "polynomial_power"])
def test_closed_form_matches_torch(name):
    opt_a, opt_b = _pair()
    ours, theirs = CASES[name](ls, opt_a), CASES[name](tls, opt_b)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for e in (3, 11, 0, 40, 15):
            ours.step(e)
            theirs.step(e)
            np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-13)


def test_onecycle_refuses_a_step_past_the_end_like_torch():
    opt_a, opt_b = _pair_with_momentum()
    ours = ls.OneCycleLR(opt_a, max_lr=0.5, total_steps=5)
    theirs = tls.OneCycleLR(opt_b, max_lr=0.5, total_steps=5)
    for _ in range(5):
        opt_a.step()
        opt_b.step()
        ours.step()
        theirs.step()
    with pytest.raises(ValueError, match="total_steps is 5"):
        ours.step()
    with pytest.raises(ValueError):
        theirs.step()


@pytest.mark.parametrize("name", ["cyclic_down", "onecycle_three", "warm_restarts_mult",
                                  "polynomial_power", "constant_factor"])
def test_state_dict_round_trip_continues_identically(name):
    opt_a, _ = _pair_with_momentum()
    opt_c, _ = _pair_with_momentum()
    first = CASES[name](ls, opt_a)
    for _ in range(7):
        first.step()
    second = CASES[name](ls, opt_c)
    second.load_state_dict(first.state_dict())
    for ga, gc in zip(opt_a.param_groups, opt_c.param_groups):
        gc.update({k: v for k, v in ga.items() if k != "params"})
    for _ in range(10):
        first.step()
        second.step()
        assert first.get_last_lr() == second.get_last_lr()


def test_multiplicative_state_dict_keeps_callable_objects_only():
    opt, _ = _pair()
    fn = Halver()
    s = ls.MultiplicativeLR(opt, [fn, lambda e: 1.0])
    fn.factor = 0.25
    state = s.state_dict()
    assert state["lr_lambdas"] == [{"factor": 0.25}, None]
    fn.factor = 0.9
    s.load_state_dict(state)
    assert fn.factor == 0.25


BAD = [
    (lambda o: ls.ConstantLR(o, factor=1.5), ValueError, "ConstantLR factor"),
    (lambda o: ls.PolynomialLR(o, total_iters=0), ValueError, "total_iters"),
    (lambda o: ls.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "T_0"),
    (lambda o: ls.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0), ValueError, "T_mult"),
    (lambda o: ls.CosineAnnealingWarmRestarts(o, T_0=2.5), TypeError, "T_0"),
    (lambda o: ls.CyclicLR(o, 0.01, 0.1, mode="square"), ValueError, "CyclicLR mode"),
    (lambda o: ls.CyclicLR(o, [0.01], 0.1), ValueError, "base_lr must have one value"),
    (lambda o: ls.OneCycleLR(o, max_lr=0.1), ValueError, "total_steps, or epochs"),
    (lambda o: ls.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=1.5), ValueError,
     "pct_start"),
    (lambda o: ls.OneCycleLR(o, max_lr=0.1, total_steps=10, anneal_strategy="exp"),
     ValueError, "anneal_strategy"),
    (lambda o: ls.MultiplicativeLR(o, 0.5), TypeError, "must be a function"),
]


@pytest.mark.parametrize("make, exc, match", BAD)
def test_bad_arguments(make, exc, match):
    opt, _ = _pair_with_momentum()
    with pytest.raises(exc, match=match):
        make(opt)


def test_cycling_momentum_needs_momentum():
    from dlcore.optim import Adagrad
    opt = Adagrad([Parameter(np.zeros(1))])
    with pytest.raises(ValueError, match="momentum or betas"):
        ls.OneCycleLR(opt, max_lr=0.1, total_steps=10)
    ls.OneCycleLR(opt, max_lr=0.1, total_steps=10, cycle_momentum=False)
