"""The generative-models chapter's pieces: VAE, GAN and estimator maths against torch, the RBM
against brute-force enumeration, Upsample / interpolate / Concat against torch, the metrics."""

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

import dlcore.functional as dF
import dlcore.nn as nn
from dlcore.gradcheck import check_module_gradients, numerical_gradient
from dlcore.maths import generative as gen
from dlcore.functional.vision import interpolate_backward, interpolate_indices
from parity import close, t

# ----------------------------------------------------------------------------- VAE pieces


def test_reparameterize_is_rsample_and_its_gradients_are_autograds():
    rng = np.random.default_rng(0)
    mu, logvar = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    torch.manual_seed(3)
    eps = torch.randn(5, 3)
    torch.manual_seed(3)
    mu_t, lv_t = t(mu, grad=True), t(logvar, grad=True)
    z_t = torch.distributions.Normal(mu_t, torch.exp(0.5 * lv_t)).rsample()
    z = gen.reparameterize(mu, logvar, eps.numpy())
    close(z, z_t, rtol=1e-13, atol=1e-14)
    g = rng.standard_normal((5, 3))
    z_t.backward(t(g))
    g_mu, g_lv = gen.reparameterize_backward(g, logvar, eps.numpy())
    close(g_mu, mu_t.grad, rtol=1e-13, atol=1e-14)
    close(g_lv, lv_t.grad, rtol=1e-13, atol=1e-14)


def test_reparameterize_keeps_float32_and_checks_shapes():
    z = gen.reparameterize(np.zeros(3, np.float32), np.zeros(3, np.float32),
                           np.ones(3, np.float32))
    assert z.dtype == np.float32
    with pytest.raises(ValueError, match="mu of shape"):
        gen.reparameterize(np.zeros(3), np.zeros(4), np.zeros(3))


@pytest.mark.parametrize("reduction", ["sum", "mean", "none"])
@pytest.mark.parametrize("prior", ["standard", "general"])
def test_gaussian_kl_matches_torch_value_and_gradients(reduction, prior):
    rng = np.random.default_rng(1)
    mu_q, lv_q = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    if prior == "standard":
        mu_p, lv_p = 0.0, 0.0
        p_t = torch.distributions.Normal(torch.zeros(4, 3), torch.ones(4, 3))
    else:
        mu_p, lv_p = rng.standard_normal((4, 3)), rng.standard_normal(3)
        p_t = torch.distributions.Normal(t(mu_p), torch.exp(0.5 * t(lv_p)).expand(4, 3))
    mu_t, lv_t = t(mu_q, grad=True), t(lv_q, grad=True)
    kl_t = torch.distributions.kl_divergence(
        torch.distributions.Normal(mu_t, torch.exp(0.5 * lv_t)), p_t)
    kl_t = {"sum": kl_t.sum(), "mean": kl_t.mean(), "none": kl_t}[reduction]
    kl = gen.gaussian_kl(mu_q, lv_q, mu_p, lv_p, reduction=reduction)
    close(kl, kl_t, rtol=1e-12, atol=1e-13)
    up = rng.standard_normal((4, 3)) if reduction == "none" else 1.7
    kl_t.backward(t(up) if reduction == "none" else torch.tensor(up))
    g_mu, g_lv = gen.gaussian_kl_backward(mu_q, lv_q, mu_p, lv_p, reduction, grad_output=up)
    close(g_mu, mu_t.grad, rtol=1e-12, atol=1e-13)
    close(g_lv, lv_t.grad, rtol=1e-12, atol=1e-13)


def test_gaussian_kl_numerical_gradient_and_bad_input():
    rng = np.random.default_rng(2)
    mu, lv = rng.standard_normal(5), rng.standard_normal(5)
    g_mu, g_lv = gen.gaussian_kl_backward(mu, lv, 0.3, -0.2)
    close(g_mu, numerical_gradient(lambda m: gen.gaussian_kl(m, lv, 0.3, -0.2), mu.copy()),
          rtol=1e-7, atol=1e-8)
    close(g_lv, numerical_gradient(lambda v: gen.gaussian_kl(mu, v, 0.3, -0.2), lv.copy()),
          rtol=1e-7, atol=1e-8)
    assert gen.gaussian_kl(np.zeros(2, np.float32), np.zeros(2, np.float32)).dtype == np.float32
    with pytest.raises(ValueError, match="reduction"):
        gen.gaussian_kl(mu, lv, reduction="batchmean")
    with pytest.raises(ValueError, match="grad_output must be a scalar"):
        gen.gaussian_kl_backward(mu, lv, grad_output=np.ones(5))


# ----------------------------------------------------------------------------- GAN losses


def test_gan_losses_match_torch_bce_with_logits_and_autograd():
    rng = np.random.default_rng(3)
    real, fake = 3 * rng.standard_normal(7), 3 * rng.standard_normal(9)
    r_t, f_t = t(real, grad=True), t(fake, grad=True)
    ref = (F.binary_cross_entropy_with_logits(r_t, torch.ones(7))
           + F.binary_cross_entropy_with_logits(f_t, torch.zeros(9)))
    ref.backward()
    loss, g_r, g_f = gen.discriminator_loss(real, fake)
    close(loss, ref, rtol=1e-13, atol=1e-14)
    close(g_r, r_t.grad, rtol=1e-13, atol=1e-15)
    close(g_f, f_t.grad, rtol=1e-13, atol=1e-15)
    for kind in ("nonsaturating", "minimax"):
        f_t = t(fake, grad=True)
        ref = (-F.logsigmoid(f_t).mean() if kind == "nonsaturating"
               else torch.log1p(-torch.sigmoid(f_t)).mean())
        ref.backward()
        loss, g = gen.generator_loss(fake, kind=kind)
        close(loss, ref, rtol=1e-12, atol=1e-13)
        close(g, f_t.grad, rtol=1e-12, atol=1e-14)


def test_generator_losses_gradient_is_minus_sigma_or_minus_one_minus_sigma():
    a = np.log(np.array([1e-8, 1e-4, 0.5]) / (1 - np.array([1e-8, 1e-4, 0.5])))
    s = 1 / (1 + np.exp(-a))
    close(gen.generator_loss(a, "minimax")[1] * 3, -s, rtol=1e-12, atol=0)
    close(gen.generator_loss(a, "nonsaturating")[1] * 3, -(1 - s), rtol=1e-12, atol=0)
    assert np.isfinite(gen.generator_loss(np.array([-1e4, 1e4]))[0])
    with pytest.raises(ValueError, match="kind"):
        gen.generator_loss(a, kind="wasserstein")


# ----------------------------------------------------------------------------- estimators


def test_estimators_match_autograd_per_draw():
    rng = np.random.default_rng(4)
    mu, sigma = rng.standard_normal(3), 0.7
    eps = rng.standard_normal((6, 3))
    mu_t = t(mu, grad=True)
    z_t = mu_t + sigma * t(eps)
    (z_t ** 3).sum().backward()
    path = gen.pathwise_grad(lambda z: 3 * z ** 2, mu, sigma, eps)
    close(path.sum(0), mu_t.grad, rtol=1e-12, atol=1e-13)
    # score function: the gradient of log_prob(z) * f(z) with z held fixed
    z = mu + sigma * eps
    f = lambda z: np.sum(np.sin(z), axis=-1)  # noqa: E731
    mu_t = t(mu, grad=True)
    logp = torch.distributions.Normal(mu_t, sigma).log_prob(t(z)).sum(-1)
    (logp * t(f(z) - 0.3)).sum().backward()
    score = gen.score_function_grad(f, mu, sigma, eps, baseline=0.3)
    close(score.sum(0), mu_t.grad, rtol=1e-12, atol=1e-13)


def test_estimators_are_unbiased_for_a_quadratic():
    eps = np.random.default_rng(5).standard_normal((200_000, 1))
    for est in (gen.pathwise_grad(lambda z: 2 * z, 1.0, 1.0, eps),
                gen.score_function_grad(lambda z: z[:, 0] ** 2, 1.0, 1.0, eps),
                gen.score_function_grad(lambda z: z[:, 0] ** 2, 1.0, 1.0, eps, baseline=2.0)):
        se = est.std() / np.sqrt(len(est))
        assert abs(est.mean() - 2.0) < 4 * se
    with pytest.raises(ValueError, match="f returned shape"):
        gen.score_function_grad(lambda z: z, 1.0, 1.0, eps)
    with pytest.raises(ValueError, match="sigma"):
        gen.pathwise_grad(lambda z: z, 1.0, -1.0, eps)


# ----------------------------------------------------------------------------- RBM


def _brute_force(rbm):
    """Every joint state (v, h) with its unnormalised probability, by the energy alone."""
    states = [(np.array(v, float), np.array(h, float))
              for v in itertools.product([0, 1], repeat=rbm.n_visible)
              for h in itertools.product([0, 1], repeat=rbm.n_hidden)]
    energy = np.array([-(v @ rbm.a) - (h @ rbm.b) - v @ rbm.W @ h for v, h in states])
    return states, np.exp(-energy)


def _random_rbm(nv, nh, seed):
    rbm = gen.RBM(nv, nh, rng=seed, weight_std=1.0)
    g = np.random.default_rng(seed + 100)
    rbm.a, rbm.b = g.normal(0, 0.5, nv), g.normal(0, 0.5, nh)
    return rbm


@pytest.mark.parametrize("nv,nh,seed", [(4, 3, 0), (3, 5, 1), (1, 1, 2)])
def test_rbm_matches_brute_force_enumeration(nv, nh, seed):
    rbm = _random_rbm(nv, nh, seed)
    states, w = _brute_force(rbm)
    Z = w.sum()
    assert np.isclose(rbm.log_partition(), np.log(Z), rtol=1e-13)
    vs = gen.binary_states(nv)
    p_v = np.array([sum(wi for (v, _), wi in zip(states, w) if np.array_equal(v, row))
                    for row in vs]) / Z
    close(np.exp(rbm.log_likelihood(vs)), p_v, rtol=1e-12, atol=1e-15)
    close(rbm.free_energy(vs), -np.log(p_v * Z), rtol=1e-12, atol=1e-12)
    v0 = vs[-1]
    joint_h = np.array([wi for (v, _), wi in zip(states, w) if np.array_equal(v, v0)])
    hs = gen.binary_states(nh)
    p_h1 = (joint_h[:, None] * hs).sum(0) / joint_h.sum()
    close(rbm.p_h_given_v(v0[None])[0], p_h1, rtol=1e-12, atol=1e-15)
    joint_v = np.array([wi for (_, h), wi in zip(states, w) if np.array_equal(h, hs[-1])])
    close(rbm.p_v_given_h(hs[-1][None])[0], (joint_v[:, None] * vs).sum(0) / joint_v.sum(),
          rtol=1e-12, atol=1e-15)
    close(rbm.energy(vs[:1].repeat(len(hs), 0), hs),
          [-np.log(wi) for (v, _), wi in zip(states, w) if np.array_equal(v, vs[0])],
          rtol=1e-12, atol=1e-12)


def test_rbm_exact_grad_is_the_numerical_gradient_of_the_log_likelihood():
    rbm = _random_rbm(4, 3, 3)
    data = gen.binary_states(4)[[1, 6, 9, 15, 15]]

    def ll(**change):
        def f(x):
            keep = {k: getattr(rbm, k).copy() for k in change}
            for k in change:
                setattr(rbm, k, x)
            out = rbm.log_likelihood(data).mean()
            for k, val in keep.items():
                setattr(rbm, k, val)
            return out
        return f

    dW, da, db = rbm.exact_grad(data)
    close(dW, numerical_gradient(ll(W=1), rbm.W.copy()), rtol=1e-6, atol=1e-8)
    close(da, numerical_gradient(ll(a=1), rbm.a.copy()), rtol=1e-6, atol=1e-8)
    close(db, numerical_gradient(ll(b=1), rbm.b.copy()), rtol=1e-6, atol=1e-8)


def test_rbm_cd_with_long_chains_approaches_the_exact_gradient():
    rbm = _random_rbm(4, 3, 4)
    data = np.repeat(gen.binary_states(4)[[3, 12]], 4000, axis=0)
    exact = np.concatenate([g.ravel() for g in rbm.exact_grad(data)])
    cd = np.concatenate([g.ravel() for g in rbm.cd_grad(data, k=50, rng=0)])
    cd1 = np.concatenate([g.ravel() for g in rbm.cd_grad(data, k=1, rng=0)])
    assert np.abs(cd - exact).max() < 0.03
    assert np.abs(cd1 - exact).max() > np.abs(cd - exact).max()


def test_rbm_gibbs_step_samples_the_model_and_bad_input_is_refused():
    rbm = _random_rbm(3, 2, 5)
    v = np.zeros((20000, 3))
    g = np.random.default_rng(0)
    for _ in range(30):
        v = rbm.gibbs_step(v, g)
    freq = np.array([np.mean(np.all(v == row, 1)) for row in gen.binary_states(3)])
    assert np.abs(freq - np.exp(rbm.log_likelihood(gen.binary_states(3)))).max() < 0.02
    with pytest.raises(ValueError, match=r"RBM v must have shape \(3,\)"):
        rbm.free_energy(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="n_visible must be <= 20"):
        gen.RBM(21, 2, rng=0).log_partition()
    with pytest.raises(ValueError, match="n_hidden must be an integer >= 1"):
        gen.RBM(2, 0)


# ----------------------------------------------------------------------------- metrics, data


def test_mode_coverage_counts_modes_and_high_quality_samples():
    c = gen.ring_centres()
    x, k = gen.make_ring_gaussians(4000, rng=0)
    n, hq, covered = gen.mode_coverage(x, c, 0.05)
    assert n == 8 and covered == frozenset(range(8)) and hq > 0.98
    one = c[[3]] + 0.01 * np.random.default_rng(1).standard_normal((500, 2))
    mixed = np.concatenate([one, c[[5]].repeat(5, 0), np.zeros((500, 2))])
    n, hq, covered = gen.mode_coverage(mixed, c, 0.05)
    assert (n, covered) == (1, frozenset({3})) and np.isclose(hq, 505 / 1005)
    with pytest.raises(ValueError, match="samples"):
        gen.mode_coverage(np.zeros((3, 3)), c, 0.05)


def test_frechet_distance_is_the_closed_form_for_gaussians():
    g = np.random.default_rng(2)
    x = g.standard_normal((300, 3)) @ g.standard_normal((3, 3))
    y = g.standard_normal((200, 3)) @ g.standard_normal((3, 3)) + 1.0
    mx, my, cx, cy = x.mean(0), y.mean(0), np.cov(x.T), np.cov(y.T)
    w, v = np.linalg.eigh(cx)
    rx = v @ np.diag(np.sqrt(w)) @ v.T
    w2, v2 = np.linalg.eigh(rx @ cy @ rx)
    ref = ((mx - my) ** 2).sum() + np.trace(cx + cy) - 2 * np.sqrt(w2).sum()
    assert np.isclose(gen.frechet_distance(x, y), ref, rtol=1e-9)
    assert gen.frechet_distance(x, x) < 1e-9


def test_active_units_and_bars_and_stripes():
    mu = np.stack([np.linspace(-1, 1, 50), 0.05 * np.linspace(-1, 1, 50), np.zeros(50)], 1)
    assert gen.active_units(mu) == 1 and gen.active_units(mu, threshold=1e-4) == 2
    bs = gen.bars_and_stripes(3).reshape(-1, 3, 3)
    assert len(bs) == 14 and len(np.unique(bs.reshape(14, -1), axis=0)) == 14
    assert all((img == img[0]).all() or (img == img[:, :1]).all() for img in bs)
    assert len(gen.bars_and_stripes(2)) == 6


# ----------------------------------------------------------------------------- Upsample, cat


@settings(max_examples=60, deadline=None)
@given(ndim=st.integers(1, 3), n_in=st.integers(1, 7), use_size=st.booleans(),
       out=st.integers(1, 15), factor=st.sampled_from([0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 1.3, 0.7]),
       recompute=st.sampled_from([None, True]), seed=st.integers(0, 2**16))
def test_interpolate_nearest_matches_torch(ndim, n_in, use_size, out, factor, recompute, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 3) + (n_in,) * ndim)
    kwargs = {"size": out} if use_size else {"scale_factor": factor,
                                             "recompute_scale_factor": recompute}
    if not use_size and int(n_in * factor) < 1:
        with pytest.raises(ValueError, match="output size"):
            dF.interpolate(x, **kwargs)
        return
    xt = t(x, grad=True)
    yt = F.interpolate(xt, mode="nearest", **kwargs)
    y = dF.interpolate(x, **kwargs)
    close(y, yt, rtol=0, atol=0)
    up = nn.Upsample(**kwargs)
    close(up(x), yt, rtol=0, atol=0)
    g = rng.standard_normal(y.shape)
    yt.backward(t(g))
    close(up.backward(g), xt.grad, rtol=1e-13, atol=1e-13)


def test_upsample_gradcheck_float32_empty_batch_and_bad_arguments():
    rng = np.random.default_rng(6)
    report = check_module_gradients(nn.Upsample(scale_factor=(2, 3)),
                                    rng.standard_normal((2, 2, 3, 2)), rng=0)
    assert report.passed(1e-7), report
    y = nn.Upsample(scale_factor=2)(np.ones((1, 1, 2, 2), np.float32))
    assert y.dtype == np.float32
    up = nn.Upsample(size=(4, 5))
    assert up(np.zeros((0, 3, 2, 2))).shape == (0, 3, 4, 5)
    assert up.backward(np.zeros((0, 3, 4, 5))).shape == (0, 3, 2, 2)
    with pytest.raises(ValueError, match="mode"):
        nn.Upsample(scale_factor=2, mode="bilinear")
    with pytest.raises(ValueError, match="exactly one of size and scale_factor"):
        nn.Upsample()
    with pytest.raises(ValueError, match="align_corners"):
        dF.interpolate(np.zeros((1, 1, 2, 2)), scale_factor=2, align_corners=False)
    with pytest.raises(ValueError, match="3-D, 4-D or 5-D"):
        dF.interpolate(np.zeros((2, 2)), scale_factor=2)
    with pytest.raises(ValueError, match="scale_factor must have 2 entries"):
        dF.interpolate(np.zeros((1, 1, 2, 2)), scale_factor=(2, 2, 2))
    with pytest.raises(ValueError, match="grad_out|grad_output"):
        interpolate_backward(np.zeros((1, 1, 3)), (2,), interpolate_indices((2,), size=4))


def test_concat_matches_torch_cat_forward_and_backward():
    rng = np.random.default_rng(7)
    a, b, c = (rng.standard_normal((2, k, 3, 3)) for k in (1, 4, 2))
    ts = [t(v, grad=True) for v in (a, b, c)]
    yt = torch.cat(ts, dim=1)
    join = nn.Concat(dim=1)
    y = join(a, b, c)
    close(y, yt, rtol=0, atol=0)
    g = rng.standard_normal(y.shape)
    yt.backward(t(g))
    grads = join.backward(g)
    assert isinstance(grads, tuple) and len(grads) == 3
    for ours, theirs in zip(grads, ts):
        close(ours, theirs.grad, rtol=0, atol=0)
    close(dF.cat([a, b], dim=-3), torch.cat(ts[:2], dim=-3))
    with pytest.raises(ValueError, match=r"tensors\[1\] has shape \(2, 4, 3, 2\)"):
        dF.cat([a, np.zeros((2, 4, 3, 2))], dim=1)
    with pytest.raises(ValueError, match="dim must be in"):
        dF.cat([a], dim=4)
    with pytest.raises(TypeError, match="list or tuple"):
        dF.cat(a)


def test_exports():
    assert {"Upsample", "Concat"} <= set(nn.__all__)
    assert {"interpolate", "cat"} <= set(dF.__all__)
