"""NAdam, RAdam, Adamax, Adadelta, Rprop, LBFGS and Muon against torch.optim (float64):
trajectories for every option, state after many steps, state_dict round trips, bad input."""

import itertools

import numpy as np
import pytest
import torch

from dlcore.nn import Parameter
from dlcore.optim import LBFGS, Adadelta, Adamax, Muon, NAdam, RAdam, Rprop
from dlcore.optim.muon import newton_schulz
from parity import close, t
from test_optim import _run_parity, _subset

BETAS = [(0.9, 0.999), (0.5, 0.9), (0.0, 0.99)]

NADAM = [dict(lr=lr, betas=b, eps=e, weight_decay=wd, momentum_decay=md,
              decoupled_weight_decay=dc, maximize=mx)
         for lr, b, e, wd, md, dc, mx in itertools.product(
             [2e-3, 0.02], BETAS, [1e-8, 0.1], [0.0, 0.05], [4e-3, 0.1], [False, True],
             [False, True])]
RADAM = [dict(lr=lr, betas=b, eps=e, weight_decay=wd, decoupled_weight_decay=dc, maximize=mx)
         for lr, b, e, wd, dc, mx in itertools.product(
             [1e-3, 0.02], BETAS, [1e-8, 0.1], [0.0, 0.05], [False, True], [False, True])]
ADAMAX = [dict(lr=lr, betas=b, eps=e, weight_decay=wd, maximize=mx)
          for lr, b, e, wd, mx in itertools.product(
              [2e-3, 0.02], BETAS, [1e-8, 0.1], [0.0, 0.05], [False, True])]
ADADELTA = [dict(lr=lr, rho=r, eps=e, weight_decay=wd, maximize=mx)
            for lr, r, e, wd, mx in itertools.product(
                [1.0, 0.3], [0.9, 0.5, 0.0], [1e-6, 1e-2], [0.0, 0.05], [False, True])]
RPROP = [dict(lr=lr, etas=e, step_sizes=s, maximize=mx)
         for lr, e, s, mx in itertools.product(
             [1e-2, 0.1], [(0.5, 1.2), (0.3, 2.0)], [(1e-6, 50), (1e-3, 0.05)],
             [False, True])]


def test_nadam_matches_torch_for_every_option():
    _run_parity(NAdam, torch.optim.NAdam, _subset(NADAM, 16),
                ("exp_avg", "exp_avg_sq"))


def test_nadam_mu_product_matches_torch():
    p, q = Parameter(np.ones(2)), t(np.ones(2), grad=True)
    a, b = NAdam([p], momentum_decay=0.05), torch.optim.NAdam([q], momentum_decay=0.05)
    for _ in range(50):
        p.grad, q.grad = np.cos(p.data), torch.cos(q.detach())
        a.step()
        b.step()
    assert a.state[p]["mu_product"] == pytest.approx(float(b.state[q]["mu_product"]),
                                                     rel=1e-14)


def test_radam_matches_torch_for_every_option():
    _run_parity(RAdam, torch.optim.RAdam, _subset(RADAM, 16), ("exp_avg", "exp_avg_sq"))


def test_radam_switches_on_the_adaptive_step_at_step_6():
    """With beta2 = 0.999 the SMA length rho_t exceeds 5 from step 6: before that RAdam is
    momentum SGD (the step does not depend on the gradient's scale only through m)."""
    steps = []
    for scale in (1.0, 100.0):
        p = Parameter(np.zeros(1))
        opt = RAdam([p], lr=0.1)
        path = []
        for _ in range(7):
            p.grad = np.array([scale])
            opt.step()
            path.append(p.data[0])
        steps.append(np.diff([0.0] + path))
    np.testing.assert_allclose(steps[1][:5], 100 * steps[0][:5])      # proportional to g
    assert abs(steps[1][5] / steps[0][5]) < 1.01                       # scale-free


def test_adamax_matches_torch_for_every_option():
    _run_parity(Adamax, torch.optim.Adamax, _subset(ADAMAX, 16), ("exp_avg", "exp_inf"))


def test_adadelta_matches_torch_for_every_option():
    _run_parity(Adadelta, torch.optim.Adadelta, _subset(ADADELTA, 16),
                ("square_avg", "acc_delta"))


def test_rprop_matches_torch_for_every_option():
    _run_parity(Rprop, torch.optim.Rprop, RPROP, ("prev", "step_size"))


@pytest.mark.parametrize("cls", [NAdam, RAdam, Adamax, Adadelta, Rprop, LBFGS, Muon])
def test_defaults_are_torchs(cls):
    shape = (2, 2)
    ours = cls([Parameter(np.ones(shape))]).defaults
    theirs = getattr(torch.optim, cls.__name__)([torch.ones(shape, requires_grad=True)]).defaults
    shared = set(ours) & set(theirs)
    assert {"lr"} <= shared and len(shared) >= 3
    norm = lambda d: {k: (tuple(v) if isinstance(v, (list, tuple)) else v)  # noqa: E731
                      for k, v in d.items() if k in shared}
    assert norm(ours) == norm(theirs)


BAD = [
    (NAdam, dict(momentum_decay=-1.0), "NAdam momentum_decay"),
    (NAdam, dict(betas=(1.0, 0.9)), r"NAdam betas\[0\]"),
    (RAdam, dict(lr=-1.0), "RAdam lr"),
    (RAdam, dict(eps=-1.0), "RAdam eps"),
    (Adamax, dict(betas=(0.9, 1.0)), r"Adamax betas\[1\]"),
    (Adamax, dict(weight_decay=-1.0), "Adamax weight_decay"),
    (Adadelta, dict(rho=1.5), "Adadelta rho"),
    (Adadelta, dict(lr=-1.0), "Adadelta lr"),
    (Rprop, dict(etas=(1.5, 1.2)), "Rprop etas"),
    (Rprop, dict(lr=-1.0), "Rprop lr"),
    (Muon, dict(momentum=-0.1), "Muon momentum"),
    (Muon, dict(adjust_lr_fn="fancy"), "adjust_lr_fn"),
    (LBFGS, dict(lr=-1.0), "LBFGS lr"),
]


@pytest.mark.parametrize("cls, kwargs, message", BAD)
def test_bad_hyperparameters_refused_like_torch(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls([Parameter(np.ones((1, 1)))], **kwargs)
    with pytest.raises(ValueError):
        getattr(torch.optim, cls.__name__)([torch.ones((1, 1), requires_grad=True)], **kwargs)


def test_lbfgs_refuses_groups_and_needs_a_closure():
    with pytest.raises(ValueError, match="parameter groups"):
        LBFGS([{"params": [Parameter(np.ones(1))]}, {"params": [Parameter(np.ones(1))]}])
    with pytest.raises(ValueError, match="closure"):
        LBFGS([Parameter(np.ones(1))]).step(None)
    with pytest.raises(ValueError, match="line_search_fn"):
        LBFGS([Parameter(np.ones(1))], line_search_fn="armijo")


def _rosenbrock_terms(x):
    """Sum over consecutive pairs of 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2, and its gradient."""
    a, b = x[:-1], x[1:]
    f = np.sum(100 * (b - a ** 2) ** 2 + (1 - a) ** 2)
    g = np.zeros_like(x)
    g[:-1] += -400 * a * (b - a ** 2) - 2 * (1 - a)
    g[1:] += 200 * (b - a ** 2)
    return f, g


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("kw", [dict(), dict(history_size=3, max_iter=7),
                                dict(lr=0.1, max_iter=30, max_eval=40),
                                dict(tolerance_change=1e-14, tolerance_grad=1e-12)])
def test_lbfgs_matches_torch(line_search_fn, kw):
    """Several steps (the history carries over) on a 6-D Rosenbrock split into two
    parameters; every evaluation counted the same, path equal after each step."""
    rng = np.random.default_rng(0)
    x0 = rng.uniform(-1.5, 1.5, 6)
    ours = [Parameter(x0[:4].reshape(2, 2).copy()), Parameter(x0[4:].copy())]
    theirs = [t(x0[:4].reshape(2, 2), grad=True), t(x0[4:], grad=True)]
    opt_a = LBFGS(ours, line_search_fn=line_search_fn, **kw)
    opt_b = torch.optim.LBFGS(theirs, line_search_fn=line_search_fn, **kw)
    lr = kw.get("lr", 1)

    def closure_a():
        f, g = _rosenbrock_terms(np.concatenate([p.data.ravel() for p in ours]))
        ours[0].grad, ours[1].grad = g[:4].reshape(2, 2), g[4:]
        return f

    def closure_b():
        opt_b.zero_grad()
        x = torch.cat([q.reshape(-1) for q in theirs])
        f = torch.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)
        f.backward()
        return f

    for _ in range(4 if lr == 1 else 3):
        la, lb = opt_a.step(closure_a), opt_b.step(closure_b)
        assert la == pytest.approx(lb.item(), rel=1e-7)
        for p, q in zip(ours, theirs):
            close(p.data, q, rtol=1e-7, atol=1e-9)
        sa, sb = opt_a.state[ours[0]], opt_b.state[theirs[0]]
        assert sa["func_evals"] == sb["func_evals"] and sa["n_iter"] == sb["n_iter"]
        assert len(sa["old_dirs"]) == len(sb["old_dirs"])


def _torch_newton_schulz_f64(g, coeffs=(3.4445, -4.7750, 2.0315), steps=5, eps=1e-7):
    """torch's Newton–Schulz iteration written with torch ops in float64 (no bfloat16)."""
    a, b, c = coeffs
    x = g.T if g.shape[0] > g.shape[1] else g
    x = x / x.norm().clamp(min=eps)
    for _ in range(steps):
        gram = x @ x.T
        x = torch.addmm(x, torch.addmm(gram, gram, gram, beta=b, alpha=c), x, beta=a)
    return x.T if g.shape[0] > g.shape[1] else x


@pytest.mark.parametrize("shape", [(3, 5), (6, 2), (4, 4)])
def test_newton_schulz_matches_torch_in_float64_and_bfloat16(shape):
    g = np.random.default_rng(1).standard_normal(shape)
    ours = newton_schulz(g)
    close(ours, _torch_newton_schulz_f64(torch.from_numpy(g)), rtol=1e-12, atol=1e-13)
    from torch.optim._muon import _zeropower_via_newtonschulz
    bf16 = _zeropower_via_newtonschulz(torch.from_numpy(g), (3.4445, -4.7750, 2.0315), 5, 1e-7)
    np.testing.assert_allclose(ours, bf16.double().numpy(), atol=0.06)


@pytest.mark.parametrize("kw", [dict(), dict(nesterov=False, momentum=0.5),
                                dict(adjust_lr_fn="match_rms_adamw", weight_decay=0.0),
                                dict(adjust_lr_fn="original", lr=0.02, ns_steps=3)])
def test_muon_matches_torch_up_to_bfloat16(kw):
    """torch's Muon with its bfloat16 Newton–Schulz replaced by the float64 one agrees to
    1e-10 over 30 steps; the real torch.optim.Muon (bfloat16) stays within 2 % of the path."""
    import torch.optim._muon as muon_mod
    rng = np.random.default_rng(3)
    shapes = [(4, 6), (8, 3)]
    init = [rng.standard_normal(s) for s in shapes]
    targets = [rng.standard_normal(s) for s in shapes]

    def run_torch():
        ps = [t(a, grad=True) for a in init]
        opt = torch.optim.Muon(ps, **kw)
        for _ in range(30):
            for q, y in zip(ps, targets):
                q.grad = torch.from_numpy(np.tanh(q.detach().numpy() - y))
            opt.step()
        return [q.detach().numpy() for q in ps], opt

    ours = [Parameter(a.copy()) for a in init]
    opt = Muon(ours, **kw)
    for _ in range(30):
        for p, y in zip(ours, targets):
            p.grad = np.tanh(p.data - y)
        opt.step()
    real, _ = run_torch()
    original = muon_mod._zeropower_via_newtonschulz
    muon_mod._zeropower_via_newtonschulz = lambda g, c, n, e: _torch_newton_schulz_f64(g, c, n, e)
    try:
        exact, topt = run_torch()
    finally:
        muon_mod._zeropower_via_newtonschulz = original
    for p, e, r in zip(ours, exact, real):
        close(p.data, e, rtol=1e-10, atol=1e-12)
        assert np.max(np.abs(p.data - r)) < 0.02 * np.max(np.abs(r)) + 1e-3
    for p, q in zip(ours, topt.param_groups[0]["params"]):
        close(opt.state[p]["momentum_buffer"], topt.state[q]["momentum_buffer"], rtol=1e-10,
              atol=1e-12)


def test_muon_refuses_non_matrices():
    with pytest.raises(ValueError, match="2-D parameters"):
        Muon([Parameter(np.ones(3))])


def test_muon_equalises_singular_values():
    """The update's singular values lie in a narrow band whatever the gradient's spectrum."""
    rng = np.random.default_rng(0)
    u, _ = np.linalg.qr(rng.standard_normal((6, 4)))
    v, _ = np.linalg.qr(rng.standard_normal((5, 4)))
    g = u @ np.diag([100.0, 10.0, 1.0, 0.1]) @ v.T          # 6 x 5, singular values 1e2..1e-1
    s = np.linalg.svd(newton_schulz(g), compute_uv=False)
    assert s[:4].max() / s[:4].min() < 3.0        # a ratio of 1000 squeezed below 3
