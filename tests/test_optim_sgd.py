"""SGD against torch.optim.SGD: trajectories over many steps and hyper-parameters."""

import itertools

import numpy as np
import pytest
import torch

from dlcore.nn import Parameter
from dlcore.optim import SGD
from parity import close, t

COMBOS = [dict(momentum=m, dampening=d, weight_decay=wd, nesterov=n, maximize=mx)
          for m, d, wd, n, mx in itertools.product([0.0, 0.9], [0.0, 0.3], [0.0, 0.01],
                                                    [False, True], [False, True])
          if not (n and (m == 0 or d != 0))]


@pytest.mark.parametrize("hp", COMBOS)
def test_sgd_trajectory_matches_torch(hp):
    rng = np.random.default_rng(0)
    shapes = [(3, 4), (4,), (2, 2, 2)]
    init = [rng.standard_normal(s) for s in shapes]
    targets = [rng.standard_normal(s) for s in shapes]
    ours = [Parameter(a) for a in init]
    theirs = [t(a, grad=True) for a in init]
    opt_a, opt_b = SGD(ours, lr=0.05, **hp), torch.optim.SGD(theirs, lr=0.05, **hp)
    for step in range(200):
        for p, q, y in zip(ours, theirs, targets):  # loss: sum (p - y)^2 / 2 - 0.1 cos p
            p.grad = (p.data - y) + 0.1 * np.sin(p.data)
            q.grad = (q.detach() - t(y)) + 0.1 * torch.sin(q.detach())
        opt_a.step()
        opt_b.step()
        for p, q in zip(ours, theirs):
            close(p.data, q, rtol=1e-10, atol=1e-12)
    for p, q in zip(ours, theirs):
        if hp["momentum"]:
            close(opt_a.state[p]["momentum_buffer"], opt_b.state[q]["momentum_buffer"],
                  rtol=1e-10, atol=1e-12)


def test_parameters_without_grad_are_skipped_and_groups_override():
    a, b = Parameter(np.ones(2)), Parameter(np.ones(2))
    opt = SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1)
    a.grad = np.ones(2)
    opt.step()
    np.testing.assert_allclose(a.data, 0.9)
    np.testing.assert_allclose(b.data, 1.0)
    assert opt.param_groups[1]["lr"] == 1.0 and opt.param_groups[0]["lr"] == 0.1


def test_state_dict_round_trip():
    p = Parameter(np.ones(3))
    opt = SGD([p], lr=0.1, momentum=0.9)
    p.grad = np.arange(3.0)
    opt.step()
    saved = opt.state_dict()
    q = Parameter(p.data.copy())
    other = SGD([q], lr=0.5, momentum=0.9)
    other.load_state_dict(saved)
    assert other.param_groups[0]["lr"] == 0.1
    p.grad = q.grad = np.ones(3)
    opt.step()
    other.step()
    np.testing.assert_array_equal(p.data, q.data)


@pytest.mark.parametrize("kwargs, message", [
    (dict(lr=-0.1), r"SGD lr must be in \[0, inf\), got -0.1"),
    (dict(lr=0.1, momentum=-1), "SGD momentum"),
    (dict(lr=0.1, weight_decay=-1e-4), "SGD weight_decay"),
    (dict(lr=0.1, nesterov=True), "nesterov=True requires momentum > 0 and dampening = 0"),
    (dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "dampening = 0"),
])
def test_bad_hyperparameters_refused_like_torch(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SGD([Parameter(np.ones(1))], **kwargs)
    with pytest.raises(ValueError):
        torch.optim.SGD([torch.ones(1, requires_grad=True)], **kwargs)


def test_empty_or_wrong_params():
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match="params\\[0\\] must be a dlcore Parameter"):
        SGD([np.ones(2)], lr=0.1)
