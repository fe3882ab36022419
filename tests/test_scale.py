"""Chapter 12's dlcore pieces against their PyTorch counterparts: bfloat16, the loss scaler,
int8 quantisation, LoRA, activation checkpointing, and the NumPy maths of search, memory,
rooflines and stale gradients."""

import math

import numpy as np
import pytest
import torch

from dlcore.gradcheck import check_module_gradients
from dlcore.maths import hpsearch, memory, precision, quant, roofline, transfer
from dlcore.nn import BatchNorm1d, Checkpoint, Dropout, Linear, LoRALinear, ReLU, Sequential, Tanh
from dlcore.optim import SGD
from dlcore.parallel import delay_stability_limit, simulate_ring, stale_gradient_descent
from parity import close, copy_params, t


# -- bfloat16 and formats ---------------------------------------------------------------------
def test_to_bfloat16_is_bit_identical_to_torch():
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2 ** 32, 10 ** 6, dtype=np.uint64).astype(np.uint32)
    x = bits.view(np.float32)
    ties = (np.arange(1, 200, dtype=np.uint32) << 16 | 0x8000).view(np.float32)  # exact ties
    special = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 1e-45, -1e-45, 1e-40, 3.4e38,
                        3.3895e38, 1.0], dtype=np.float32)
    x = np.concatenate([x, ties, special])
    ours = precision.to_bfloat16(x)
    theirs = torch.from_numpy(x).to(torch.bfloat16).to(torch.float32).numpy()
    nan = np.isnan(theirs)
    assert np.array_equal(np.isnan(ours), nan)
    assert np.array_equal(ours[~nan].view(np.uint32), theirs[~nan].view(np.uint32))


def test_to_bfloat16_rejects_integers():
    with pytest.raises(TypeError, match="to_bfloat16 x must be a floating-point array"):
        precision.to_bfloat16(np.arange(3))


@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo_matches_numpy(name):
    ours, theirs = precision.finfo(name), np.finfo(name)
    assert ours.max == float(theirs.max) and ours.tiny == float(theirs.tiny)
    assert ours.eps == float(theirs.eps)
    assert ours.smallest_subnormal == float(theirs.smallest_subnormal)


def test_finfo_bfloat16_matches_torch():
    ours, theirs = precision.finfo("bfloat16"), torch.finfo(torch.bfloat16)
    assert (ours.max, ours.tiny, ours.eps) == (theirs.max, theirs.tiny, theirs.eps)
    with pytest.raises(ValueError, match="dtype"):
        precision.finfo("float8")


# -- loss scaler ------------------------------------------------------------------------------
def test_dynamic_loss_scaler_matches_grad_scaler():
    kw = dict(init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5, growth_interval=3)
    ours, theirs = precision.DynamicLossScaler(**kw), torch.amp.GradScaler("cpu", **kw)
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal(4)
    p = __import__("dlcore").nn.Parameter(w0.copy())
    q = torch.tensor(w0.copy(), requires_grad=True)
    opt_a, opt_b = SGD([p], lr=0.1), torch.optim.SGD([q], lr=0.1)
    for step in range(12):
        g = rng.standard_normal(4)
        if step in (2, 5, 6):
            g[1] = np.inf
        before_a, before_b = p.data.copy(), q.detach().clone()
        theirs.scale(torch.ones(()))  # GradScaler creates its scale lazily, in scale()
        p.grad = g * ours.get_scale()
        q.grad = torch.tensor(g) * theirs.get_scale()
        ours.step(opt_a)
        theirs.step(opt_b)
        ours.update()
        theirs.update()
        assert ours.get_scale() == theirs.get_scale(), step
        close(p.data, q, rtol=1e-15, atol=0)
        if step in (2, 5, 6):
            assert np.array_equal(p.data, before_a) and torch.equal(q.detach(), before_b)


def test_dynamic_loss_scaler_rejects_bad_arguments():
    with pytest.raises(ValueError, match="growth_factor"):
        precision.DynamicLossScaler(growth_factor=1.0)
    with pytest.raises(ValueError, match="backoff_factor"):
        precision.DynamicLossScaler(backoff_factor=1.5)
    with pytest.raises(ValueError, match="growth_interval"):
        precision.DynamicLossScaler(growth_interval=0)


# -- quantisation -----------------------------------------------------------------------------
@pytest.mark.parametrize("bits", [8, 4, 2])
def test_quantize_per_tensor_matches_fake_quantize(bits):
    torch.manual_seed(0)
    w = torch.nn.Linear(64, 32).weight.detach().float()
    w[3] *= 50
    scale, zp, lo, hi = quant.symmetric_qparams(w.numpy(), bits=bits)
    q = quant.quantize_per_tensor(w.numpy(), scale, zp, lo, hi)
    ours = quant.dequantize(q, scale, zp)
    theirs = torch.fake_quantize_per_tensor_affine(w, float(scale), int(zp), lo, hi).numpy()
    assert ours.dtype == np.float32 and np.array_equal(ours, theirs)
    assert np.all(np.abs(ours - w.numpy()) <= scale / 2 * (1 + 1e-6))


@pytest.mark.parametrize("bits", [8, 4])
def test_quantize_per_channel_matches_fake_quantize(bits):
    torch.manual_seed(0)
    w = torch.nn.Linear(64, 32).weight.detach().float()
    scale, zp, lo, hi = quant.symmetric_qparams(w.numpy(), bits=bits, axis=0)
    q = quant.quantize_per_channel(w.numpy(), scale, zp, 0, lo, hi)
    ours = quant.dequantize(q, scale, zp, axis=0)
    theirs = torch.fake_quantize_per_channel_affine(
        w, torch.from_numpy(scale), torch.from_numpy(zp), 0, lo, hi).numpy()
    assert np.array_equal(ours, theirs)


def test_affine_quantisation_matches_fake_quantize_on_activations():
    x = np.random.default_rng(1).uniform(-0.3, 2.0, (256, 64)).astype(np.float32)
    scale, zp, lo, hi = quant.affine_qparams(x)
    ours = quant.dequantize(quant.quantize_per_tensor(x, scale, zp, lo, hi), scale, zp)
    theirs = torch.fake_quantize_per_tensor_affine(torch.from_numpy(x), float(scale), int(zp),
                                                   lo, hi).numpy()
    assert np.array_equal(ours, theirs)
    assert quant.dequantize(quant.quantize_per_tensor(np.zeros(1), scale, zp, lo, hi),
                            scale, zp)[0] == 0.0  # zero is exact


def test_quantisation_rejects_bad_input():
    with pytest.raises(ValueError, match="quant_min must be <= quant_max"):
        quant.quantize_per_tensor(np.ones(2), 0.1, 0, 5, 1)
    with pytest.raises(ValueError, match="scale must be a number > 0"):
        quant.quantize_per_tensor(np.ones(2), 0.0, 0, -128, 127)
    with pytest.raises(ValueError, match="must both have shape"):
        quant.quantize_per_channel(np.ones((3, 2)), np.ones(2), np.zeros(2), 0, -128, 127)
    with pytest.raises(ValueError, match="bits"):
        quant.symmetric_qparams(np.ones(3), bits=1)


# -- LoRA -------------------------------------------------------------------------------------
class TorchLoRA(torch.nn.Module):
    def __init__(self, base, a, b, scaling):
        super().__init__()
        self.base, self.scaling = base, scaling
        self.A, self.B = torch.nn.Parameter(a), torch.nn.Parameter(b)

    def forward(self, x):
        return self.base(x) + self.scaling * (x @ self.A.T) @ self.B.T


@pytest.mark.parametrize("r,alpha", [(1, 1.0), (4, 4.0), (2, 8.0)])
def test_lora_linear_matches_torch(r, alpha):
    ours = LoRALinear(Linear(6, 5, rng=0), r=r, alpha=alpha, rng=1)
    ours.lora_B.data[...] = np.random.default_rng(2).standard_normal((5, r))  # B != 0
    base = torch.nn.Linear(6, 5)
    copy_params(ours.base, base)
    theirs = TorchLoRA(base, t(ours.lora_A.data), t(ours.lora_B.data), alpha / r)
    x = np.random.default_rng(3).standard_normal((7, 6))
    g = np.random.default_rng(4).standard_normal((7, 5))
    xt = t(x, grad=True)
    y = theirs(xt)
    y.backward(t(g))
    close(ours(x), y, rtol=1e-12)
    close(ours.backward(g), xt.grad, rtol=1e-12)
    close(ours.lora_A.grad, theirs.A.grad, rtol=1e-12)
    close(ours.lora_B.grad, theirs.B.grad, rtol=1e-12)
    close(ours.base.weight.grad, base.weight.grad, rtol=1e-12)
    assert check_module_gradients(ours, x, rng=5).passed(1e-7)
    merged = ours.merge()
    close(merged(x), ours(x), rtol=1e-12, atol=1e-12)


def test_lora_starts_equal_to_base_and_checks_arguments():
    layer = LoRALinear(Linear(4, 3, rng=0), r=2, alpha=2, rng=0)
    x = np.ones((2, 4))
    assert np.array_equal(layer(x), layer.base(x))
    assert np.all(np.abs(layer.lora_A.data) <= 0.5)
    with pytest.raises(TypeError, match="base must be a dlcore Linear"):
        LoRALinear(Tanh(), r=1, alpha=1)
    with pytest.raises(ValueError, match="r"):
        LoRALinear(Linear(4, 3), r=0, alpha=1)
    f32 = LoRALinear(Linear(4, 3, dtype=np.float32), r=1, alpha=1)
    assert f32(x.astype(np.float32)).dtype == np.float32


# -- activation checkpointing -----------------------------------------------------------------
def _blocks(n, width=8, seed=0):
    return [Sequential(Linear(width, width, rng=seed + i), Tanh()) for i in range(n)]


@pytest.mark.parametrize("segments", [1, 2, 4])
def test_checkpoint_gradients_equal_plain_and_torch(segments):
    x = np.random.default_rng(1).standard_normal((5, 8))
    g = np.random.default_rng(2).standard_normal((5, 8))
    plain = Sequential(*_blocks(4))
    ckpt_blocks = _blocks(4)
    per = 4 // segments
    ckpt = Sequential(*[Checkpoint(Sequential(*ckpt_blocks[i:i + per]))
                        for i in range(0, 4, per)])
    y1, y2 = plain(x), ckpt(x)
    assert np.array_equal(y1, y2)
    gx1, gx2 = plain.backward(g), ckpt.backward(g)
    assert np.array_equal(gx1, gx2)
    for p, q in zip(plain.parameters(), ckpt.parameters()):
        assert np.array_equal(p.grad, q.grad)
    torch_plain = torch.nn.Sequential(*[torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.Tanh())
                                        for _ in range(4)])
    copy_params(plain, torch_plain)
    xt = t(x, grad=True)
    h = xt
    for i in range(0, 4, per):
        seg = torch_plain[i:i + per]
        h = torch.utils.checkpoint.checkpoint(seg, h, use_reentrant=False)
    h.backward(t(g))
    close(gx2, xt.grad)
    for p, q in zip(ckpt.parameters(), torch_plain.parameters()):
        close(p.grad, q.grad)


def test_checkpoint_keeps_only_its_input_and_replays_dropout():
    x = np.random.default_rng(1).standard_normal((16, 8))
    net = Checkpoint(Sequential(Linear(8, 8, rng=0), Tanh(), Dropout(0.5, rng=3),
                                Linear(8, 8, rng=1)))
    ref = Sequential(Linear(8, 8, rng=0), Tanh(), Dropout(0.5, rng=3), Linear(8, 8, rng=1))
    y, y_ref = net(x), ref(x)
    assert np.array_equal(y, y_ref)
    assert memory.cache_bytes(net) == x.nbytes  # only the input survives the forward
    g = np.ones_like(y)
    assert np.array_equal(net.backward(g), ref.backward(g))
    with pytest.raises(TypeError, match="Checkpoint module must be a dlcore Module"):
        Checkpoint(lambda v: v)


# -- hyper-parameter search -------------------------------------------------------------------
def test_sample_log_uniform_fills_decades_equally():
    x = hpsearch.sample_log_uniform(1e-5, 1.0, 10 ** 4, rng=0)
    counts = np.histogram(np.log10(x), bins=np.arange(-5, 1))[0]
    assert np.all(np.abs(counts - 2000) < 3 * math.sqrt(10 ** 4 * 0.2 * 0.8))
    with pytest.raises(ValueError, match="low must be a finite number > 0"):
        hpsearch.sample_log_uniform(0.0, 1.0, 3)
    with pytest.raises(ValueError, match="low < high"):
        hpsearch.sample_log_uniform(1.0, 0.5, 3)


def test_main_effects_on_constructed_tables():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(24), 0.1 * rng.standard_normal(6)
    f = hpsearch.main_effects(np.add.outer(a, b))
    expected = np.var(a) / (np.var(a) + np.var(b))  # SS_rows = 6*24 var(a), SS_cols = 24*6 var(b)
    assert f["interaction"] < 1e-12 and abs(f["rows"] - expected) < 1e-12
    inter = hpsearch.main_effects(np.outer([1.0, -1.0], [1.0, -1.0]))
    assert abs(inter["interaction"] - 1.0) < 1e-12
    with pytest.raises(ValueError, match="constant"):
        hpsearch.main_effects(np.ones((2, 2)))


def test_successive_halving_budgets_and_hyperband():
    curves = np.random.default_rng(0).uniform(size=(27, 4))
    out = hpsearch.successive_halving(curves, [1, 3, 9, 27], eta=3)
    assert [len(s) for s in out["survivors"]] == [27, 9, 3, 1]
    assert out["cost_restart"] == 27 * 1 + 9 * 3 + 3 * 9 + 1 * 27
    assert out["cost_resume"] == 27 * 1 + 9 * 2 + 3 * 6 + 1 * 18
    assert set(out["survivors"][1]) == set(np.argsort(curves[:, 0])[:9])
    brackets = hpsearch.hyperband_brackets(27, 3)
    assert [b["rungs"] for b in brackets][0] == [(27, 1.0), (9, 3.0), (3, 9.0), (1, 27.0)]
    assert [b["rungs"][0][0] for b in brackets] == [27, 12, 6, 4]
    assert brackets[1]["rungs"] == [(12, 3.0), (4, 9.0), (1, 27.0)]
    assert [b["budget"] for b in brackets] == [108.0, 12 * 3 + 4 * 9 + 27, 6 * 9 + 2 * 27, 4 * 27]
    with pytest.raises(ValueError, match="budgets must increase"):
        hpsearch.successive_halving(curves, [1, 3, 3, 27])


# -- memory, roofline, transfer ---------------------------------------------------------------
def test_training_bytes_and_zero():
    assert memory.training_bytes(10, "adam", "fp32") == dict(params=40, grads=40, state=80,
                                                              total=160)
    mixed = memory.training_bytes(10, "adam", "mixed")
    assert (mixed["params"], mixed["grads"], mixed["state"]) == (20, 20, 120)
    z = [memory.training_bytes(8, "adam", "mixed", s, 8)["total"] for s in range(4)]
    assert z == [16 * 8, 2 * 8 + 2 * 8 + 12, 2 * 8 + 2 + 12, 16]
    with pytest.raises(ValueError, match="precision"):
        memory.training_bytes(1, precision="fp8")


def test_training_bytes_autocast_matches_torch():
    # under torch.autocast the parameters, their gradients and Adam's moments stay float32
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(),
                              torch.nn.Linear(16, 3)).float()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = torch.nn.functional.cross_entropy(net(torch.randn(5, 8, dtype=torch.float32)),
                                                    torch.zeros(5).long())
    loss.backward()
    opt.step()
    n = sum(p.numel() for p in net.parameters())
    nbytes = {"params": sum(p.numel() * p.element_size() for p in net.parameters()),
              "grads": sum(p.grad.numel() * p.grad.element_size() for p in net.parameters()),
              "state": sum(v.numel() * v.element_size() for st in opt.state.values()
                           for k, v in st.items() if k != "step")}
    model = memory.training_bytes(n, "adam", "autocast")
    assert {k: model[k] for k in nbytes} == nbytes
    assert model["total"] == memory.training_bytes(n, "adam", "mixed")["total"]
    assert memory.training_bytes(n, "adam", "mixed")["grads"] == nbytes["grads"] / 2


def test_cache_bytes_counts_views_once():
    net = Sequential(Linear(4, 4, rng=0), ReLU())
    net(np.ones((3, 4)))
    assert memory.cache_bytes(net) >= 3 * 4 * 8


def test_roofline_formulas():
    assert roofline.intensity_matmul(512, 512, 512) == pytest.approx(2 * 512 ** 3 / (12 * 512 ** 2))
    assert roofline.intensity_elementwise(3, 1) == pytest.approx(1 / 12)
    b, i, o = 16, 4096, 4096
    assert roofline.intensity_linear(b, i, o) == pytest.approx(2 * b * i * o / (4 * (b * i + i * o + b * o)))
    assert roofline.attainable(10.0, 2.0, 1.0) == 2.0
    with pytest.raises(ValueError, match="m"):
        roofline.intensity_matmul(0, 2, 2)


def test_participation_ratio_on_known_spectrum():
    lam = np.array([4.0, 1.0, 1.0, 0.0])
    assert transfer.participation_ratio_of_eigenvalues(lam) == pytest.approx(36 / 18)
    rng = np.random.default_rng(0)
    z = rng.standard_normal((200000, 4)) * np.sqrt(lam)
    assert transfer.participation_ratio(z) == pytest.approx(2.0, rel=0.02)


def test_adabn_matches_torch_cumulative_statistics():
    x = np.random.default_rng(0).standard_normal((50, 3)) * 2 + 1
    ours = Sequential(Linear(3, 4, rng=0), BatchNorm1d(4))
    ours(np.random.default_rng(1).standard_normal((20, 3)))
    ours.eval()
    transfer.adabn_(ours, x)
    assert not ours.training and ours[1].momentum == 0.1
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4, momentum=None))
    copy_params(ours, theirs)
    theirs.train()
    theirs(t(x))
    close(ours[1].running_mean, theirs[1].running_mean)
    close(ours[1].running_var, theirs[1].running_var)


# -- stale gradients and the ring (NumPy) ----------------------------------------------------
@pytest.mark.parametrize("tau", [0, 1, 2, 4, 8, 16])
def test_delay_stability_limit_closed_form(tau):
    assert abs(delay_stability_limit(tau) - 2 * math.sin(math.pi / (2 * (2 * tau + 1)))) < 1e-9


def test_stale_gradient_descent_threshold():
    lam = 3.0
    for tau in (1, 4):
        crit = delay_stability_limit(tau) / lam
        below = stale_gradient_descent(lambda w: lam * w, [1.0], 0.97 * crit, tau, 3000)
        above = stale_gradient_descent(lambda w: lam * w, [1.0], 1.03 * crit, tau, 3000)
        assert abs(below[-1, 0]) < 1e-3 and not abs(above[-1, 0]) < 1.0
    with pytest.raises(ValueError, match="tau"):
        stale_gradient_descent(lambda w: w, [1.0], 0.1, -1, 3)
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        stale_gradient_descent(lambda w: w, [1.0], 0.0, 1, 3)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 8])
def test_simulate_ring_sums_and_bytes(n):
    rng = np.random.default_rng(n)
    arrays = [rng.standard_normal(1000) for _ in range(n)]
    sums, sent = simulate_ring(arrays)
    for s in sums:
        np.testing.assert_allclose(s, np.sum(arrays, axis=0), rtol=1e-12, atol=1e-12)
    assert np.all(sent == (2 * (n - 1) * 8000) // n) or 1000 % n
    assert abs(sent.mean() - 2 * (n - 1) / n * 8000) <= 16 * (n - 1)
    with pytest.raises(ValueError, match="share one shape"):
        simulate_ring([np.ones(3), np.ones(4)])


# -- widgets (headless) -----------------------------------------------------------------------
def test_roofline_explorer_follows_its_sliders():
    from dlcore.book.widgets.scale import roofline_explorer

    e = roofline_explorer({"matmul": (80.0, 5e10), "add": (1 / 12, 1e9)}, 6e10, 1.2e10)
    x, y = e.artists["roof"].get_data()
    np.testing.assert_allclose(y, np.minimum(6e10, 1.2e10 * x))
    e.controls["log_bw_gain"].value = 1.0
    e.controls["log_intensity"].value = -1.0
    assert e.artists["probe"].get_data()[1][0] == pytest.approx(1.2e10)
    assert e.artists["ridge"].get_data()[0][0] == pytest.approx(6e10 / 1.2e11)
    assert "memory-bound" in e.status.value
    times = []
    for v in np.linspace(-2, 3, 6):
        e.controls["log_intensity"].value = float(v)
        times.append(e.last_callback_ms)
    assert np.median(times) < 50, times


def test_stale_sgd_explorer_marks_divergence():
    from dlcore.book.widgets.scale import stale_sgd_explorer

    e = stale_sgd_explorer()
    e.controls["tau"].value = 4
    e.controls["lr"].value = 0.5  # limit for tau = 4 is 2 sin(pi/18) = 0.347
    assert "diverges" in e.status.value and e.artists["path"].get_ydata()[-1] > 1
    e.controls["lr"].value = 0.2
    assert "converges" in e.status.value and e.artists["path"].get_ydata()[-1] < 1e-2
    assert e.artists["limit"].get_ydata()[0] == pytest.approx(2 * math.sin(math.pi / 18))
    times = []
    for tau in (0, 3, 6, 9, 12, 16):
        e.controls["tau"].value = tau
        times.append(e.last_callback_ms)
    assert np.median(times) < 50, times


@pytest.mark.parametrize("shape", [(10,), (33,), (10, 64), (4099,)])
def test_sgd_on_float16_parameters_is_bit_identical_to_torch(shape):
    rng = np.random.default_rng(0)
    w = rng.standard_normal(shape).astype(np.float16)
    p, q = __import__("dlcore").nn.Parameter(w.copy()), torch.tensor(w.copy())
    ours, theirs = SGD([p], lr=0.0123), torch.optim.SGD([q], lr=0.0123)
    for _ in range(30):
        g = (rng.standard_normal(shape) * rng.uniform(0.1, 10)).astype(np.float16)
        p.grad, q.grad = g.copy(), torch.tensor(g)
        ours.step()
        theirs.step()
    assert p.data.dtype == np.float16 and np.array_equal(p.data, q.numpy())
