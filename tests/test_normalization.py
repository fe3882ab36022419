"""Batch, layer and group normalisation and the normal density, against PyTorch in float64."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

import dlcore.functional as DF
import dlcore.nn as nn
from dlcore.gradcheck import check_module_gradients, numerical_gradient
from dlcore.functional.normalization import normalize, normalize_backward
from dlcore.maths.gaussian import normal_pdf, normal_pdf_dmu, normal_pdf_dsigma, normal_pdf_dx
from parity import close as _close, copy_params, t

TIGHT = dict(rtol=1e-10, atol=1e-12)  # far inside the book-wide rtol=1e-7, atol=1e-9


def close(ours, theirs, **tol):
    _close(ours, theirs, **{**TIGHT, **tol})


def _randomise_affine(ours, rng):
    """Give gamma and beta non-trivial values (the defaults 1 and 0 hide mistakes)."""
    for p in ours.parameters():
        p.data[...] = rng.uniform(0.5, 2.0, p.shape) * rng.choice([-1, 1], p.shape)


def _step(ours, ref, x, g):
    """One forward + backward through both; compare output, input and parameter gradients."""
    ours.zero_grad()
    ref.zero_grad()
    xt = t(x, grad=True)
    yt = ref(xt)
    yt.backward(t(g))
    close(ours(x), yt)
    close(ours.backward(g), xt.grad)
    for (name, p), (_, q) in zip(ours.named_parameters(), ref.named_parameters()):
        close(p.grad, q.grad)


def _close_state(ours, ref):
    theirs = ref.state_dict()
    mine = ours.state_dict()
    assert list(mine) == list(theirs)
    for key in theirs:
        close(mine[key], theirs[key], rtol=1e-12, atol=1e-13)


# -- batch norm ------------------------------------------------------------------------------
BN_SHAPES = {"1d-2": (nn.BatchNorm1d, torch.nn.BatchNorm1d, ()),
             "1d-3": (nn.BatchNorm1d, torch.nn.BatchNorm1d, (5,)),
             "2d": (nn.BatchNorm2d, torch.nn.BatchNorm2d, (3, 4))}


@settings(max_examples=40, deadline=None)
@given(kind=st.sampled_from(sorted(BN_SHAPES)), n=st.integers(2, 6), c=st.integers(1, 5),
       momentum=st.sampled_from([0.1, 0.3, 0.0, 1.0, None]), affine=st.booleans(),
       bias=st.booleans(), track=st.booleans(), eps=st.sampled_from([1e-5, 1e-3, 0.5]),
       seed=st.integers(0, 2**16))
def test_batch_norm_matches_torch_in_training_then_eval(kind, n, c, momentum, affine, bias,
                                                        track, eps, seed):
    ours_cls, ref_cls, tail = BN_SHAPES[kind]
    rng = np.random.default_rng(seed)
    ours = ours_cls(c, eps, momentum, affine, track, bias=bias)
    ref = ref_cls(c, eps, momentum, affine, track, bias=bias)
    _randomise_affine(ours, rng)
    copy_params(ours, ref)
    shape = (n, c) + tail
    for _ in range(7):  # training batches with a drifting mean and scale
        x = rng.normal(rng.uniform(-3, 3), rng.uniform(0.2, 4), shape)
        _step(ours, ref, x, rng.standard_normal(shape))
    _close_state(ours, ref)
    ours.eval()
    ref.eval()
    x = rng.normal(1.0, 2.0, (1,) + shape[1:]) if track else rng.standard_normal(shape)
    _step(ours, ref, x, rng.standard_normal(x.shape))
    _close_state(ours, ref)  # eval leaves the running statistics alone


def test_batch_norm_many_steps_cumulative_average_and_counter():
    rng = np.random.default_rng(0)
    ours, ref = nn.BatchNorm2d(3, momentum=None), torch.nn.BatchNorm2d(3, momentum=None)
    means = []
    for _ in range(60):
        x = rng.normal(2.0, 3.0, (4, 3, 2, 2))
        means.append(x.mean(axis=(0, 2, 3)))
        _step(ours, ref, x, rng.standard_normal(x.shape))
    _close_state(ours, ref)
    assert int(ours.num_batches_tracked) == 60
    close(ours.running_mean, np.mean(means, axis=0), rtol=1e-12)  # momentum=None: plain mean
    ours.reset_running_stats()
    close(ours.running_var, 1.0)
    assert int(ours.num_batches_tracked) == 0


def test_batch_norm_eval_uses_running_stats_and_batch_of_one():
    bn = nn.BatchNorm1d(2)
    bn.running_mean[...] = [1.0, -2.0]
    bn.running_var[...] = [4.0, 0.25]
    bn.eval()
    y = bn(np.array([[3.0, -2.0]]))
    close(y, [[2.0 / np.sqrt(4 + 1e-5), 0.0]])
    close(bn.backward(np.array([[1.0, 1.0]])), [[1 / np.sqrt(4 + 1e-5), 1 / np.sqrt(0.25 + 1e-5)]])


def test_batch_norm_functional_matches_torch_and_updates_buffers_in_place():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 3, 4))
    w, b = rng.standard_normal(3), rng.standard_normal(3)
    rm, rv = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    rm_t, rv_t = t(rm), t(rv)
    for training in (True, False):
        ours = DF.batch_norm(x, rm, rv, w, b, training, 0.2, 1e-4)
        theirs = F.batch_norm(t(x), rm_t, rv_t, t(w), t(b), training, 0.2, 1e-4)
        close(ours, theirs)
        close(rm, rm_t)
        close(rv, rv_t)
    close(DF.batch_norm(x, None, None, training=True), F.batch_norm(t(x), None, None, training=True))


def test_batch_norm_state_dict_repr_and_parameter_order_like_torch():
    for kwargs in ({}, {"affine": False}, {"track_running_stats": False}, {"bias": False},
                   {"momentum": None, "eps": 1e-3}):
        for ours, ref in ((nn.BatchNorm1d(4, **kwargs), torch.nn.BatchNorm1d(4, **kwargs)),
                          (nn.BatchNorm2d(4, **kwargs), torch.nn.BatchNorm2d(4, **kwargs))):
            assert repr(ours) == repr(ref)
            assert list(ours.state_dict()) == list(ref.state_dict())
            assert [n for n, _ in ours.named_parameters()] == [n for n, _ in
                                                                ref.named_parameters()]
            _close_state(ours, ref)


def test_batch_norm_loads_a_torch_state_dict():
    rng = np.random.default_rng(2)
    ref = torch.nn.BatchNorm2d(3)
    for _ in range(5):
        ref(t(rng.normal(1, 2, (4, 3, 2, 2))))
    ours = nn.BatchNorm2d(3)
    ours.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    ours.eval()
    ref.eval()
    x = rng.standard_normal((2, 3, 2, 2))
    _step(ours, ref, x, rng.standard_normal(x.shape))


# -- layer norm and group norm ---------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(lead=st.sampled_from([(), (3,), (2, 3)]),
       normalized=st.sampled_from([(1,), (5,), (2, 3), (2, 2, 3)]),
       as_int=st.booleans(), affine=st.booleans(), bias=st.booleans(),
       eps=st.sampled_from([1e-5, 1e-2]), seed=st.integers(0, 2**16))
def test_layer_norm_matches_torch(lead, normalized, as_int, affine, bias, eps, seed):
    rng = np.random.default_rng(seed)
    arg = normalized[0] if as_int and len(normalized) == 1 else normalized
    ours = nn.LayerNorm(arg, eps, affine, bias)
    ref = torch.nn.LayerNorm(arg, eps, affine, bias)
    _randomise_affine(ours, rng)
    copy_params(ours, ref)
    assert repr(ours) == repr(ref)
    shape = lead + normalized
    for mode in ("train", "eval"):
        getattr(ours, mode)()
        getattr(ref, mode)()
        x = rng.normal(rng.uniform(-5, 5), rng.uniform(0.1, 5), shape)
        _step(ours, ref, x, rng.standard_normal(shape))
    w = None if ours.weight is None else ours.weight.data
    b = None if ours.bias is None else ours.bias.data
    close(DF.layer_norm(x, arg, w, b, eps),
          F.layer_norm(t(x), normalized, None if w is None else t(w),
                       None if b is None else t(b), eps))


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 4), per_group=st.integers(1, 3), groups=st.integers(1, 4),
       spatial=st.sampled_from([(), (5,), (2, 3)]), affine=st.booleans(), bias=st.booleans(),
       seed=st.integers(0, 2**16))
def test_group_norm_matches_torch(n, per_group, groups, spatial, affine, bias, seed):
    c = per_group * groups
    shape = (n, c) + spatial
    if n * per_group * int(np.prod(spatial)) == 1:
        return  # torch refuses this shape; checked in test_group_norm_errors
    rng = np.random.default_rng(seed)
    ours = nn.GroupNorm(groups, c, 1e-4, affine, bias=bias)
    ref = torch.nn.GroupNorm(groups, c, 1e-4, affine, bias=bias)
    _randomise_affine(ours, rng)
    copy_params(ours, ref)
    assert repr(ours) == repr(ref)
    assert list(ours.state_dict()) == list(ref.state_dict())
    x = rng.normal(rng.uniform(-5, 5), rng.uniform(0.1, 5), shape)
    _step(ours, ref, x, rng.standard_normal(shape))
    w = None if ours.weight is None else ours.weight.data
    close(DF.group_norm(x, groups, w, None, 1e-4),
          F.group_norm(t(x), groups, None if w is None else t(w), None, 1e-4))


# -- gradients by central differences ----------------------------------------------------------
@pytest.mark.parametrize("make, shape, mode", [
    (lambda: nn.BatchNorm1d(3), (5, 3), "train"),
    (lambda: nn.BatchNorm1d(3, affine=False), (4, 3, 2), "train"),
    (lambda: nn.BatchNorm2d(2), (3, 2, 2, 3), "train"),
    (lambda: nn.BatchNorm2d(2, track_running_stats=False), (3, 2, 2, 2), "eval"),
    (lambda: nn.LayerNorm((2, 3)), (4, 2, 3), "train"),
    (lambda: nn.LayerNorm(4, bias=False), (3, 4), "train"),
    (lambda: nn.GroupNorm(2, 4), (2, 4, 3), "train"),
    (lambda: nn.GroupNorm(1, 3, affine=False), (2, 3, 2, 2), "train"),
])
def test_gradients_pass_numerical_check(make, shape, mode):
    rng = np.random.default_rng(5)
    layer = make()
    _randomise_affine(layer, rng)
    getattr(layer, mode)()
    if mode == "train" and getattr(layer, "momentum", None) is not None:
        layer.momentum = 0.0  # keep the running statistics still while differencing
    report = check_module_gradients(layer, rng.normal(1.0, 2.0, shape), rng=6)
    assert report.passed(1e-7), str(report)


def test_batch_norm_eval_gradient_passes_numerical_check():
    bn = nn.BatchNorm1d(3)
    for _ in range(3):
        bn(np.random.default_rng(0).normal(2, 3, (8, 3)))
    bn.eval()
    report = check_module_gradients(bn, np.random.default_rng(1).standard_normal((4, 3)), rng=2)
    assert report.passed(1e-7), str(report)


def test_normalize_backward_against_numerical_gradient():
    rng = np.random.default_rng(3)
    x, g = rng.standard_normal((3, 5)), rng.standard_normal((3, 5))
    x_hat, _, _, rstd = normalize(x, (1,), 1e-5)
    numeric = numerical_gradient(lambda v: float((normalize(v, (1,), 1e-5)[0] * g).sum()), x)
    close(normalize_backward(g, x_hat, rstd, (1,)), numeric, rtol=1e-6, atol=1e-8)


# -- errors ----------------------------------------------------------------------------------
def test_batch_norm_errors_name_what_is_wrong():
    with pytest.raises(ValueError, match=r"BatchNorm2d\(32\) expects 32 channels.*got 64"):
        nn.BatchNorm2d(32)(np.zeros((1, 64, 4, 4)))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(np.ones((1, 3)))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        nn.BatchNorm1d(3, track_running_stats=False).eval()(np.ones((1, 3)))
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError):
        bn(np.ones((1, 3)))
    assert int(bn.num_batches_tracked) == 0  # a refused batch does not count
    assert bn.eval()(np.ones((1, 3))).shape == (1, 3)
    assert nn.BatchNorm1d(3)(np.ones((1, 3, 2))).shape == (1, 3, 2)  # m = L = 2 is enough
    with pytest.raises(ValueError, match=r"\(N, C\) or \(N, C, L\), got 4-D"):
        nn.BatchNorm1d(3)(np.zeros((2, 3, 4, 4)))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\), got 3-D"):
        nn.BatchNorm2d(3)(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match="momentum must be in"):
        nn.BatchNorm1d(3, momentum=1.5)
    with pytest.raises(ValueError, match="eps must be in"):
        nn.BatchNorm1d(3, eps=-1e-5)
    with pytest.raises(ValueError, match="num_features must be an integer >= 1, got 0"):
        nn.BatchNorm1d(0)
    with pytest.raises(ValueError, match="eps must be in"):
        nn.BatchNorm1d(3, eps=0.0)(np.zeros((2, 3)))  # torch: eps must be positive in training
    with pytest.raises(ValueError, match=r"running_mean has shape \(5,\).*3 channels"):
        DF.batch_norm(np.zeros((2, 3)), np.zeros(5), np.ones(5), training=True)
    with pytest.raises(ValueError, match="running_mean and running_var in evaluation mode"):
        DF.batch_norm(np.zeros((2, 3)), None, None)
    with pytest.raises(RuntimeError, match="before forward"):
        nn.BatchNorm1d(3).backward(np.ones((2, 3)))
    bn = nn.BatchNorm1d(3)
    bn(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"grad_out has shape \(2, 4\).*\(2, 3\)"):
        bn.backward(np.ones((2, 4)))


def test_layer_and_group_norm_errors():
    with pytest.raises(ValueError, match=r"normalized_shape=\(5,\).*\(\*, 5\), got shape \(4, 3\)"):
        nn.LayerNorm(5)(np.zeros((4, 3)))
    with pytest.raises(TypeError, match="normalized_shape"):
        nn.LayerNorm(2.5)
    with pytest.raises(ValueError, match=r"num_channels \(6\) must be divisible by num_groups \(4\)"):
        nn.GroupNorm(4, 6)
    with pytest.raises(ValueError, match=r"GroupNorm\(2, 4\).*\(N, 4, \*\).*with 6 channels"):
        nn.GroupNorm(2, 4)(np.zeros((2, 6)))
    with pytest.raises(ValueError, match="not divisible by num_groups=4"):
        DF.group_norm(np.zeros((2, 6)), 4)
    with pytest.raises(ValueError, match="more than 1 value"):
        nn.GroupNorm(3, 3)(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="eps=0 with a constant slice"):
        nn.LayerNorm(3, eps=0.0)(np.ones((2, 3)))


def test_constant_input_stays_finite():
    for layer, shape in ((nn.BatchNorm2d(2), (3, 2, 2, 2)), (nn.LayerNorm(4), (2, 4)),
                         (nn.GroupNorm(2, 4), (2, 4, 3))):
        y = layer(np.full(shape, 7.0))
        assert np.all(y == 0.0)
        assert np.all(np.isfinite(layer.backward(np.ones(shape))))


# -- the normal density ----------------------------------------------------------------------
def test_normal_pdf_matches_scipy_and_torch():
    from scipy.stats import norm

    rng = np.random.default_rng(4)
    x, mu, sigma = rng.normal(0, 5, 200), rng.normal(0, 2, 200), rng.uniform(0.1, 4, 200)
    close(normal_pdf(x, mu, sigma), norm.pdf(x, mu, sigma), rtol=1e-13, atol=1e-300)
    grid = np.array([-2.0, -0.5, 0.0, 1.0, 3.0])
    for m, s in ((0.0, 1.0), (1.0, 2.0)):
        dist = torch.distributions.Normal(m, s)
        close(normal_pdf(grid, m, s), dist.log_prob(t(grid)).exp(), rtol=1e-13)
    close(normal_pdf(0.0), 1 / np.sqrt(2 * np.pi), rtol=1e-15)


def test_normal_pdf_derivatives_by_central_differences_and_autograd():
    rng = np.random.default_rng(5)
    x, mu, sigma = rng.normal(0, 3, 50), rng.normal(0, 1, 50), rng.uniform(0.5, 3, 50)
    h = 1e-6
    for fn, i in ((normal_pdf_dx, 0), (normal_pdf_dmu, 1), (normal_pdf_dsigma, 2)):
        up, down = [x.copy(), mu.copy(), sigma.copy()], [x.copy(), mu.copy(), sigma.copy()]
        up[i] += h
        down[i] -= h
        numeric = (normal_pdf(*up) - normal_pdf(*down)) / (2 * h)
        close(fn(x, mu, sigma), numeric, rtol=1e-6, atol=1e-10)
    xt, mt, st_ = t(x, True), t(mu, True), t(sigma, True)
    torch.distributions.Normal(mt, st_).log_prob(xt).exp().sum().backward()
    close(normal_pdf_dx(x, mu, sigma), xt.grad, rtol=1e-12)
    close(normal_pdf_dmu(x, mu, sigma), mt.grad, rtol=1e-12)
    close(normal_pdf_dsigma(x, mu, sigma), st_.grad, rtol=1e-12)


def test_normal_pdf_tails_and_bad_sigma():
    big = np.array([1e200, -1e308, 40.0, 1e5])
    for fn in (normal_pdf, normal_pdf_dx, normal_pdf_dmu, normal_pdf_dsigma):
        assert np.all(fn(big, 0.0, 1.0) == 0.0)
    assert normal_pdf(1e308, -1e308, 1.0) == 0.0
    with pytest.raises(ValueError, match="sigma must be > 0, got -1"):
        normal_pdf(0.0, 0.0, -1.0)
    with pytest.raises(ValueError, match="sigma must be > 0"):
        normal_pdf(0.0, 0.0, np.array([1.0, 0.0]))
    with pytest.raises(TypeError, match="x must hold real numbers"):
        normal_pdf("a")


# -- the explorer ----------------------------------------------------------------------------
def test_batch_norm_explorer_follows_its_sliders():
    from dlcore.book.widgets.normalization import batch_norm_explorer, batch_stream

    e = batch_norm_explorer(rng=0)
    first_png = e.image.value
    for name, value in (("batch_size", 50), ("shift", -1.5), ("scale", 2.0), ("gamma", 2.0),
                        ("beta", 0.5), ("momentum", 0.3)):
        e.controls[name].value = value
    assert e.image.value != first_png and e.image.value[:4] == b"\x89PNG"
    z = batch_stream(rng=0)
    x = -1.5 + 2.0 * z[0, :50]
    edges = e.artists["before"].get_data().edges
    counts, _ = np.histogram(x, bins=edges)
    close(e.artists["before"].get_data().values, counts / (50 * np.diff(edges)))
    # Train-mode output: standardised with the batch's own statistics, then gamma and beta.
    y = 2.0 * (x - x.mean()) / np.sqrt(x.var() + 1e-5) + 0.5
    counts, _ = np.histogram(y, bins=edges)
    close(e.artists["after_train"].get_data().values, counts / (50 * np.diff(edges)))
    # Running mean: r <- 0.7 r + 0.3 * batch mean, from r = 0, after every batch.
    r, expected = 0.0, []
    for batch in -1.5 + 2.0 * z[:, :50]:
        r = 0.7 * r + 0.3 * batch.mean()
        expected.append(r)
    close(e.artists["running"].get_ydata(), expected)
    close(e.artists["target"].get_ydata(), [-1.5, -1.5])
    assert "running mean" in e.status.value


@pytest.mark.parametrize("momentum", [0.01, 0.1, 1.0])
def test_explorer_simulation_is_what_the_layer_does(momentum):
    from dlcore.book.widgets.normalization import batch_stream, simulate_batch_norm

    z = batch_stream(steps=25, rng=1)
    out = simulate_batch_norm(z, 7, 1.5, 0.5, 2.0, -1.0, momentum)
    bn = nn.BatchNorm1d(1, momentum=momentum)
    bn.weight.data[...], bn.bias.data[...] = 2.0, -1.0
    means, variances = [], []
    for step, batch in enumerate(1.5 + 0.5 * z[:, :7, None]):
        y = bn(batch)
        if step == 0:
            close(out["train"], y[:, 0])
        means.append(bn.running_mean[0])
        variances.append(bn.running_var[0])
    close(out["running_mean"], means)
    close(out["running_var"], variances)
    close(out["eval"], bn.eval()(out["x"][:, None])[:, 0])


def test_batch_norm_explorer_callback_budget():
    from dlcore.book.widgets.normalization import batch_norm_explorer

    e = batch_norm_explorer(rng=0)
    times = []
    for value in (8, 64, 200, 2, 32, 128):
        e.controls["batch_size"].value = value
        times.append(e.last_callback_ms)
    for value in (0.01, 0.5, 1.0):
        e.controls["momentum"].value = value
        times.append(e.last_callback_ms)
    assert np.median(times) < 50, times
