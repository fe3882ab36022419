"""dlcore.maths.vae: the VAE and its negative ELBO against the same network in torch autograd
(float64, fixed eps), by central differences, in float32, at N = 0, and on bad arguments."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlcore.gradcheck import numerical_gradient, rel_error
from dlcore.maths.vae import VAE, NegativeELBO
from parity import close, t

TOL = dict(rtol=1e-10, atol=1e-12)


def torch_vae(vae):
    """The same weights as torch leaves, in VAE.parameters() order."""
    return [t(p.data, grad=True) for p in vae.parameters()]


def torch_forward(params, x, eps):
    w1, b1, wm, bm, wl, bl, w2, b2, w3, b3 = params
    h = torch.relu(F.linear(x, w1, b1))
    mu, logvar = F.linear(h, wm, bm), F.linear(h, wl, bl)
    z = torch.distributions.Normal(mu, torch.exp(0.5 * logvar)).rsample() if eps is None \
        else mu + torch.exp(0.5 * logvar) * eps
    return F.linear(torch.relu(F.linear(z, w2, b2)), w3, b3), mu, logvar


def torch_loss(logits, x, mu, logvar, beta, free_bits):
    n = len(x)
    recon = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / n
    prior = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    kl_d = torch.distributions.kl_divergence(
        torch.distributions.Normal(mu, torch.exp(0.5 * logvar)), prior).mean(0)
    term = torch.clamp(kl_d, min=free_bits) if free_bits else kl_d
    return recon + beta * term.sum(), recon, kl_d


def batch(seed=0, n=6, d_in=10, d_z=3):
    rng = np.random.default_rng(seed)
    x = rng.random((n, d_in))
    return x, rng.standard_normal((n, d_z))


@pytest.mark.parametrize("beta,free_bits", [(1.0, 0.0), (4.0, 0.0), (1.0, 0.008), (0.3, 0.05)])
def test_loss_and_every_gradient_match_torch_autograd(beta, free_bits):
    x, eps = batch()
    vae = VAE(10, 7, 3, rng=1)
    loss = NegativeELBO(beta=beta, free_bits=free_bits)
    logits, mu, logvar = vae(x, eps)
    value = loss(logits, x, mu, logvar)
    vae.backward(loss.backward())
    grad_x = vae.backward(loss.backward())          # a second pass accumulates (checked below)

    params = torch_vae(vae)
    x_t = t(x, grad=True)
    logits_t, mu_t, lv_t = torch_forward(params, x_t, t(eps))
    ref, recon_t, kl_t = torch_loss(logits_t, t(x), mu_t, lv_t, beta, free_bits)
    (2 * ref).backward()
    # the free-bits case must have dimensions on both sides of the floor, or it tests nothing
    if free_bits:
        assert 0 < np.sum(loss.kl_per_dim < free_bits) < 3
    for ours, theirs in [(logits, logits_t), (mu, mu_t), (logvar, lv_t),
                         (value, ref), (loss.recon, recon_t), (loss.kl_per_dim, kl_t)]:
        close(ours, theirs, **TOL)
    close(grad_x, x_t.grad / 2, **TOL)      # the input gradient of one pass
    for (name, p), q in zip(vae.named_parameters(), params):
        close(p.grad, q.grad, **TOL)


def test_rsample_with_the_same_noise_gives_the_same_draw():
    # torch's Normal.rsample draws eps from the global generator: replay it for dlcore
    x, _ = batch()
    vae = VAE(10, 7, 3, rng=2)
    torch.manual_seed(5)
    eps = torch.randn(6, 3)
    torch.manual_seed(5)
    logits_t, _, _ = torch_forward(torch_vae(vae), t(x), None)
    close(vae(x, eps.numpy())[0], logits_t, **TOL)


def test_central_differences_for_input_and_parameters():
    x, eps = batch(seed=3)
    vae = VAE(10, 7, 3, rng=4)
    loss = NegativeELBO(beta=2.0, free_bits=0.1)

    def value(_):
        logits, mu, logvar = vae(x_probe, eps)
        return loss(logits, x, mu, logvar)

    x_probe = x.copy()
    logits, mu, logvar = vae(x_probe, eps)
    loss(logits, x, mu, logvar)
    vae.zero_grad()
    grad_x = vae.backward(loss.backward())
    assert rel_error(grad_x, numerical_gradient(value, x_probe)) < 1e-6
    for name, p in vae.named_parameters():
        assert rel_error(p.grad, numerical_gradient(value, p.data)) < 1e-6, name


def test_backward_with_missing_upstream_gradients_matches_torch():
    # only the KL gradients (g_logits None): the decoder receives nothing
    x, eps = batch(seed=5)
    vae = VAE(10, 7, 3, rng=6)
    loss = NegativeELBO()
    logits, mu, logvar = vae(x, eps)
    loss(logits, x, mu, logvar)
    _, g_mu, g_lv = loss.backward()
    vae.backward((None, g_mu, g_lv))
    params = torch_vae(vae)
    logits_t, mu_t, lv_t = torch_forward(params, t(x), t(eps))
    torch_loss(logits_t, t(x), mu_t, lv_t, 1.0, 0.0)[2].sum().backward()
    for (name, p), q in zip(vae.named_parameters(), params):
        if name.startswith("decoder"):
            assert p.grad is None and q.grad is None
        else:
            close(p.grad, q.grad, **TOL)


def test_float32_in_float32_out_and_grads():
    x, eps = batch()
    vae = VAE(10, 7, 3, rng=1, dtype=np.float32)
    loss = NegativeELBO(free_bits=0.2)
    logits, mu, logvar = vae(x.astype(np.float32), eps.astype(np.float32))
    assert logits.dtype == mu.dtype == logvar.dtype == np.float32
    loss(logits, x.astype(np.float32), mu, logvar)
    grads = loss.backward()
    assert all(g.dtype == np.float32 for g in grads)
    assert vae.backward(grads).dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in vae.parameters())
    ref = VAE(10, 7, 3, rng=1)
    ref_loss = NegativeELBO(free_bits=0.2)
    logits64, mu64, logvar64 = ref(x, eps)
    ref_loss(logits64, x, mu64, logvar64)
    assert abs(ref_loss.recon - loss.recon) < 1e-4 * ref_loss.recon


def test_empty_batch_forward_and_backward_and_the_loss_refuses():
    vae = VAE(10, 7, 3, rng=0)
    logits, mu, logvar = vae(np.zeros((0, 10)), np.zeros((0, 3)))
    assert logits.shape == (0, 10) and mu.shape == logvar.shape == (0, 3)
    assert vae.backward((np.zeros((0, 10)), np.zeros((0, 3)), None)).shape == (0, 10)
    assert np.all(vae.fc_mu.weight.grad == 0)
    with pytest.raises(ValueError, match="empty batch"):
        NegativeELBO()(logits, np.zeros((0, 10)), mu, logvar)


def test_bad_arguments_are_named():
    vae = VAE(10, 7, 3, rng=0)
    with pytest.raises(ValueError, match=r"VAE input has shape \(4, 9\), expected \(N, 10\)"):
        vae(np.zeros((4, 9)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"VAE eps has shape \(4, 2\)"):
        vae(np.zeros((4, 10)), np.zeros((4, 2)))
    with pytest.raises(RuntimeError, match="before forward"):
        VAE(10, 7, 3).backward((None, None, None))
    vae(np.zeros((4, 10)), np.zeros((4, 3)))
    with pytest.raises(TypeError, match="grad_out must be a tuple"):
        vae.backward(np.zeros((4, 10)))
    with pytest.raises(ValueError, match=r"g_mu has shape \(4, 2\), expected \(4, 3\)"):
        vae.backward((None, np.zeros((4, 2)), None))
    with pytest.raises(ValueError, match="latent must be an integer >= 1, got 0"):
        VAE(latent=0)
    with pytest.raises(ValueError, match=r"beta must be in \[0, inf\), got -1"):
        NegativeELBO(beta=-1)
    with pytest.raises(ValueError, match="free_bits must be in"):
        NegativeELBO(free_bits=-0.5)
    with pytest.raises(ValueError, match="logits shape"):
        NegativeELBO()(np.zeros((4, 10)), np.zeros((4, 9)), np.zeros((4, 3)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="same N"):
        NegativeELBO()(np.zeros((4, 10)), np.zeros((4, 10)), np.zeros((3, 3)), np.zeros((3, 3)))


def test_parameters_are_in_torch_order_and_the_repr_names_the_sizes():
    vae = VAE(rng=0)
    names = [n for n, _ in vae.named_parameters()]
    assert names == ["encoder.0.weight", "encoder.0.bias", "fc_mu.weight", "fc_mu.bias",
                     "fc_logvar.weight", "fc_logvar.bias", "decoder.0.weight", "decoder.0.bias",
                     "decoder.2.weight", "decoder.2.bias"]
    assert [p.shape for p in vae.parameters()][::2] == [(128, 64), (16, 128), (16, 128),
                                                        (128, 16), (64, 128)]
    assert "latent=16" in repr(vae) and "free_bits=0.5" in repr(NegativeELBO(free_bits=0.5))
