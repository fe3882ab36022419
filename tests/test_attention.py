"""Scaled dot-product attention, MultiheadAttention and the Transformer encoder, against
PyTorch in float64 (outputs, attention weights, every gradient), numerically, and on bad input."""

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import dlcore.functional as DF
import dlcore.nn as nn
from dlcore.functional.attention import (masked_softmax, scaled_dot_product_attention_backward,
                                         sdpa_backward, sdpa_forward)
from dlcore.gradcheck import numerical_gradient, rel_error
from parity import close as _close, t

TIGHT = dict(rtol=1e-10, atol=1e-12)  # inside the book-wide rtol=1e-7, atol=1e-9


def close(ours, theirs, **tol):
    _close(ours, theirs, **{**TIGHT, **tol})


# -- scaled_dot_product_attention ------------------------------------------------------------
def _sdpa_case(qs, ks, vs, seed=0, **kw):
    rng = np.random.default_rng(seed)
    q, k, v = rng.normal(size=qs), rng.normal(size=ks), rng.normal(size=vs)
    out, ctx = sdpa_forward(q, k, v, **kw)
    g = rng.normal(size=out.shape)
    grads = sdpa_backward(g, ctx)
    tq, tk, tv = t(q, True), t(k, True), t(v, True)
    tkw = dict(kw)
    if tkw.get("attn_mask") is not None:
        tkw["attn_mask"] = torch.tensor(tkw["attn_mask"])
    ref = F.scaled_dot_product_attention(tq, tk, tv, **tkw)
    ref.backward(t(g))
    close(out, ref)
    for ours, theirs in zip(grads, (tq.grad, tk.grad, tv.grad)):
        close(ours, theirs)
    return out, grads


def test_sdpa_parity_without_mask_and_with_float_and_bool_masks():
    _sdpa_case((2, 5, 8), (2, 6, 8), (2, 6, 4))
    float_mask = np.zeros((2, 1, 6))
    float_mask[1, :, 4:] = -np.inf
    _, (dq, dk, dv) = _sdpa_case((2, 5, 8), (2, 6, 8), (2, 6, 4), attn_mask=float_mask)
    assert np.all(dk[1, 4:] == 0) and np.all(dv[1, 4:] == 0)
    bool_mask = np.random.default_rng(3).random((5, 6)) > 0.4
    bool_mask[:, 0] = True
    _sdpa_case((2, 3, 5, 8), (2, 3, 6, 8), (2, 3, 6, 4), attn_mask=bool_mask, scale=0.3)
    _sdpa_case((2, 3, 5, 8), (2, 3, 6, 8), (2, 3, 6, 4),
               attn_mask=np.random.default_rng(4).normal(size=(2, 3, 5, 6)))


@pytest.mark.parametrize("L,S", [(5, 5), (3, 6), (6, 3), (1, 4)])
def test_sdpa_causal_is_top_left_aligned(L, S):
    _sdpa_case((2, L, 8), (2, S, 8), (2, S, 4), is_causal=True)
    rng = np.random.default_rng(1)
    q, k, v = rng.normal(size=(L, 4)), rng.normal(size=(S, 4)), rng.normal(size=(S, 2))
    assert np.allclose(DF.scaled_dot_product_attention(q, k, v, is_causal=True),
                       DF.scaled_dot_product_attention(q, k, v, attn_mask=np.tri(L, S) > 0))


def test_sdpa_fully_masked_row_gives_zeros_like_torch():
    mask = np.ones((3, 5), dtype=bool)
    mask[1] = False
    out, (dq, _, _) = _sdpa_case((2, 3, 4), (2, 5, 4), (2, 5, 4), attn_mask=mask)
    assert np.all(out[:, 1] == 0) and np.all(dq[:, 1] == 0)
    assert np.isnan(masked_softmax(np.zeros((1, 2)), np.zeros((1, 2), bool), empty="nan")).all()


def test_sdpa_gqa_broadcast_and_empty_batch():
    _sdpa_case((2, 4, 5, 8), (2, 2, 6, 8), (2, 2, 6, 4), enable_gqa=True)
    _sdpa_case((1, 4, 3, 8), (2, 1, 6, 8), (2, 1, 6, 4))
    out, grads = _sdpa_case((0, 4, 3, 8), (0, 4, 6, 8), (0, 4, 6, 4))
    assert out.shape == (0, 4, 3, 4) and grads[1].shape == (0, 4, 6, 8)


def test_sdpa_float32_and_gradcheck():
    rng = np.random.default_rng(0)
    q, k, v = (rng.normal(size=s) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 3)))
    out = DF.scaled_dot_product_attention(q.astype(np.float32), k.astype(np.float32),
                                          v.astype(np.float32))
    assert out.dtype == np.float32
    grads = scaled_dot_product_attention_backward(np.ones(out.shape, np.float32),
                                                  *(a.astype(np.float32) for a in (q, k, v)))
    assert all(g.dtype == np.float32 for g in grads)
    g = rng.normal(size=(2, 3, 3))
    mask = np.zeros((3, 5))
    mask[0, 2] = -np.inf
    analytic = scaled_dot_product_attention_backward(g, q, k, v, attn_mask=mask)
    for i, x in enumerate((q, k, v)):
        def f(_, i=i):
            args = [q, k, v]
            return float((DF.scaled_dot_product_attention(*args, attn_mask=mask) * g).sum())
        assert rel_error(analytic[i], numerical_gradient(f, x)) < 1e-8


def test_sdpa_dropout_is_seeded_and_its_backward_uses_the_same_mask():
    rng = np.random.default_rng(0)
    q, k, v = rng.normal(size=(3, 4)), rng.normal(size=(6, 4)), rng.normal(size=(6, 2))
    a = DF.scaled_dot_product_attention(q, k, v, dropout_p=0.5, rng=7)
    b = DF.scaled_dot_product_attention(q, k, v, dropout_p=0.5, rng=7)
    assert np.array_equal(a, b)
    assert not np.allclose(a, DF.scaled_dot_product_attention(q, k, v))
    g = rng.normal(size=a.shape)
    analytic = scaled_dot_product_attention_backward(g, q, k, v, dropout_p=0.5, rng=7)

    def f(_):
        return float((DF.scaled_dot_product_attention(q, k, v, dropout_p=0.5, rng=7) * g).sum())
    assert rel_error(analytic[0], numerical_gradient(f, q)) < 1e-8


def test_sdpa_bad_input_names_arguments_and_shapes():
    q, k, v = np.zeros((2, 3, 4)), np.zeros((2, 5, 4)), np.zeros((2, 5, 3))
    with pytest.raises(ValueError, match=r"attn_mask shape \(4, 5\) does not broadcast"):
        DF.scaled_dot_product_attention(q, k, v, attn_mask=np.zeros((4, 5)))
    with pytest.raises(ValueError, match=r"query shape \(2, 3, 4\) and key shape \(2, 5, 6\)"):
        DF.scaled_dot_product_attention(q, np.zeros((2, 5, 6)), v)
    with pytest.raises(ValueError, match="key shape .* and value shape"):
        DF.scaled_dot_product_attention(q, k, np.zeros((2, 4, 3)))
    with pytest.raises(ValueError, match="dropout_p must be in"):
        DF.scaled_dot_product_attention(q, k, v, dropout_p=1.5)
    with pytest.raises(ValueError, match="not both"):
        DF.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((3, 5), bool),
                                        is_causal=True)


# -- MultiheadAttention ----------------------------------------------------------------------
def _load(ours, ref):
    """Copy dlcore's parameters into the torch module by name (and check the names agree)."""
    theirs = dict(ref.named_parameters())
    mine = dict(ours.named_parameters())
    assert list(mine) == list(theirs)
    with torch.no_grad():
        for name, p in mine.items():
            theirs[name].copy_(torch.from_numpy(p.data))


def _randomise(module, seed):
    rng = np.random.default_rng(seed)
    for p in module.parameters():
        p.data[...] = rng.normal(0, 0.5, p.shape)


def _mha_case(E=8, h=2, L=4, S=6, N=3, seed=0, kdim=None, vdim=None, batch_first=False,
              unbatched=False, self_attn=False, grad_weights=True, torch_kwargs=None, **fwd):
    kw = dict(kdim=kdim, vdim=vdim, batch_first=batch_first, **(torch_kwargs or {}))
    ours = nn.MultiheadAttention(E, h, rng=seed, **kw)
    _randomise(ours, seed + 100)
    ref = torch.nn.MultiheadAttention(E, h, **kw)
    _load(ours, ref)
    rng = np.random.default_rng(seed)
    if self_attn:
        S = L

    def shape(n, width):
        if unbatched:
            return (n, width)
        return (N, n, width) if batch_first else (n, N, width)
    q = rng.normal(size=shape(L, E))
    k = q if self_attn else rng.normal(size=shape(S, kdim or E))
    v = q if self_attn else rng.normal(size=shape(S, vdim or E))
    tq, tk, tv = t(q, True), t(k, True), t(v, True)
    tfwd = {name: (torch.tensor(m) if isinstance(m, np.ndarray) else m) for name, m in fwd.items()}
    out_t, w_t = ref(tq, tk, tv, **tfwd)
    out, w = ours(q, k, v, **fwd)
    close(out, out_t)
    assert (w is None) == (w_t is None)
    g = rng.normal(size=out.shape)
    gw = rng.normal(size=w.shape) if (w is not None and grad_weights) else None
    loss = (out_t * t(g)).sum() + ((w_t * t(gw)).sum() if gw is not None else 0)
    loss.backward()
    grads = ours.backward((g, gw))
    if w is not None:
        close(w, w_t)
    for mine, theirs in zip(grads, (tq.grad, tk.grad, tv.grad)):
        close(mine, theirs)
    for (name, p), (_, r) in zip(ours.named_parameters(), ref.named_parameters()):
        close(p.grad, r.grad)
    return ours, out, w, grads


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)])
def test_mha_parity_layouts_and_weights(batch_first, need_weights, average):
    kpm = np.zeros((3, 6), dtype=bool)
    kpm[2, 4:] = True
    _, out, w, _ = _mha_case(batch_first=batch_first, key_padding_mask=kpm,
                             need_weights=need_weights, average_attn_weights=average)
    if need_weights:
        assert w.shape == ((3, 4, 6) if average else (3, 2, 4, 6))
        assert np.all(w[2, ..., 4:] == 0)


def test_mha_masks_2d_3d_bool_float():
    rng = np.random.default_rng(5)
    float2 = rng.normal(size=(4, 6))
    bool2 = rng.random((4, 6)) > 0.6
    bool2[:, 0] = False
    float3 = rng.normal(size=(6, 4, 6))
    bool3 = rng.random((6, 4, 6)) > 0.6
    bool3[..., 1] = False
    for mask in (float2, bool2, float3, bool3):
        for need in (True, False):
            _mha_case(attn_mask=mask, need_weights=need)
    kpm = np.zeros((3, 6), dtype=bool)
    kpm[1, :2] = True
    _mha_case(attn_mask=bool2, key_padding_mask=kpm)
    _mha_case(attn_mask=float2, key_padding_mask=rng.normal(size=(3, 6)))


def test_mha_3d_mask_head_order_is_n_times_h_plus_i():
    mask = np.zeros((3 * 2, 4, 6), dtype=bool)
    mask[1 * 2 + 1, :, :3] = True  # sample 1, head 1 may not see keys 0-2
    _, _, w, _ = _mha_case(attn_mask=mask, average_attn_weights=False)
    assert np.all(w[1, 1, :, :3] == 0) and np.all(w[1, 0, :, :3] > 0) and np.all(w[0] > 0)


def test_mha_kdim_vdim_bias_kv_zero_attn_no_bias_unbatched():
    ours, *_ = _mha_case(kdim=5, vdim=3)
    assert [n for n, _ in ours.named_parameters()][:3] == ["q_proj_weight", "k_proj_weight",
                                                          "v_proj_weight"]
    kpm = np.zeros((3, 6), dtype=bool)
    kpm[0, -1] = True
    mask = np.random.default_rng(2).random((4, 6)) > 0.7  # bool, like kpm (torch warns otherwise)
    for opts in (dict(add_bias_kv=True), dict(add_zero_attn=True), dict(bias=False),
                 dict(add_bias_kv=True, add_zero_attn=True, bias=False)):
        _mha_case(torch_kwargs=opts, key_padding_mask=kpm, attn_mask=mask)
        _mha_case(torch_kwargs=opts, need_weights=False)
        _mha_case(torch_kwargs=opts, kdim=5, vdim=3, batch_first=True)
    _mha_case(unbatched=True)
    _mha_case(unbatched=True, average_attn_weights=False, attn_mask=np.zeros((2, 4, 6)))
    _mha_case(self_attn=True, L=5)


def test_mha_is_causal_hint_and_fully_masked_rows():
    causal = nn.generate_square_subsequent_mask(5)
    _mha_case(self_attn=True, L=5, attn_mask=causal, is_causal=True, need_weights=False)
    _mha_case(self_attn=True, L=5, attn_mask=causal, is_causal=True)
    with pytest.raises(ValueError, match="needs attn_mask"):
        nn.MultiheadAttention(8, 2)(np.zeros((5, 1, 8)), np.zeros((5, 1, 8)),
                                    np.zeros((5, 1, 8)), is_causal=True)
    kpm = np.zeros((3, 6), dtype=bool)
    kpm[1] = True  # every key of sample 1 masked
    ours = nn.MultiheadAttention(8, 2, batch_first=True, rng=0)
    ref = torch.nn.MultiheadAttention(8, 2, batch_first=True)
    _load(ours, ref)
    x = np.random.default_rng(0).normal(size=(3, 4, 8))
    kv = np.random.default_rng(1).normal(size=(3, 6, 8))
    out, w = ours(x, kv, kv, key_padding_mask=kpm)
    out_t, w_t = ref(t(x), t(kv), t(kv), key_padding_mask=torch.tensor(kpm))
    assert np.isnan(out[1]).all() and np.isnan(w[1]).all() and torch.isnan(out_t[1]).all()
    close(out[[0, 2]], out_t[[0, 2]])
    out, _ = ours(x, kv, kv, key_padding_mask=kpm, need_weights=False)
    out_t, _ = ref(t(x), t(kv), t(kv), key_padding_mask=torch.tensor(kpm), need_weights=False)
    close(out, out_t)
    assert np.allclose(out[1], ours.out_proj.bias.data)


def test_mha_float32_empty_batch_gradcheck():
    m = nn.MultiheadAttention(4, 2, batch_first=True, rng=0, dtype=np.float32)
    x = np.ones((2, 3, 4), np.float32)
    out, w = m(x, x, x)
    assert out.dtype == np.float32 and w.dtype == np.float32
    assert all(g.dtype == np.float32 for g in m.backward(np.ones_like(out)))
    assert m.in_proj_weight.grad.dtype == np.float32
    _mha_case(N=0, batch_first=True, need_weights=False)
    _mha_case(N=0, need_weights=True)

    m = nn.MultiheadAttention(4, 2, batch_first=True, rng=1, add_bias_kv=True)
    _randomise(m, 3)
    rng = np.random.default_rng(2)
    q, k, v = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4)), rng.normal(size=(2, 5, 4))
    g = rng.normal(size=(2, 3, 4))

    def loss(_):
        return float((m(q, k, v)[0] * g).sum())
    m.zero_grad()
    m(q, k, v)
    grads = m.backward(g)
    for x, gx in zip((q, k, v), grads):
        assert rel_error(gx, numerical_gradient(loss, x)) < 1e-8
    for name, p in m.named_parameters():
        assert rel_error(p.grad, numerical_gradient(loss, p.data)) < 1e-8, name


def test_mha_bad_input():
    with pytest.raises(ValueError, match=r"embed_dim \(10\) must be divisible by num_heads \(3\)"):
        nn.MultiheadAttention(10, 3)
    m = nn.MultiheadAttention(8, 2)
    x = np.zeros((4, 3, 8))
    with pytest.raises(ValueError, match=r"2-D attn_mask has shape \(4, 5\), expected \(4, 4\)"):
        m(x, x, x, attn_mask=np.zeros((4, 5)))
    with pytest.raises(ValueError, match=r"3-D attn_mask has shape \(3, 4, 4\), expected \(6, 4, 4\)"):
        m(x, x, x, attn_mask=np.zeros((3, 4, 4)))
    with pytest.raises(ValueError, match=r"key_padding_mask has shape \(4, 3\), expected \(3, 4\)"):
        m(x, x, x, key_padding_mask=np.zeros((4, 3), bool))
    with pytest.raises(ValueError, match=r"query shape \(4, 3, 6\) has 6 features, expected embed_dim=8"):
        m(np.zeros((4, 3, 6)), x, x)
    with pytest.raises(ValueError, match="must all be 3-D"):
        m(x, x[0], x)
    with pytest.raises(ValueError, match="dropout must be in"):
        nn.MultiheadAttention(8, 2, dropout=2.0)


def test_mha_dropout_trains_and_evaluates():
    m = nn.MultiheadAttention(8, 2, dropout=0.5, batch_first=True, rng=0)
    x = np.random.default_rng(0).normal(size=(2, 5, 8))
    _, w_train = m(x, x, x, average_attn_weights=False)
    assert (w_train == 0).any()
    m.eval()
    _, w_eval = m(x, x, x, average_attn_weights=False)
    assert np.allclose(w_eval.sum(-1), 1.0)


# -- Transformer encoder ---------------------------------------------------------------------
@pytest.mark.parametrize("activation,norm_first,batch_first",
                         list(itertools.product(["relu", "gelu"], [False, True], [False, True])))
def test_encoder_layer_parity(activation, norm_first, batch_first):
    kw = dict(dim_feedforward=16, dropout=0.0, activation=activation, norm_first=norm_first,
              batch_first=batch_first)
    ours = nn.TransformerEncoderLayer(8, 2, rng=0, **kw)
    _randomise(ours, 1)
    ref = torch.nn.TransformerEncoderLayer(8, 2, **kw)
    _load(ours, ref)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 5, 8) if batch_first else (5, 3, 8))
    kpm = np.zeros((3, 5), dtype=bool)
    kpm[1, 3:] = True
    causal = nn.generate_square_subsequent_mask(5)
    for masks in (dict(), dict(src_key_padding_mask=kpm), dict(src_mask=causal),
                  dict(src_mask=np.isinf(causal), src_key_padding_mask=kpm, is_causal=True)):
        ours.zero_grad()
        ref.zero_grad()
        xt = t(x, True)
        tm = {k: (torch.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in masks.items()}
        yt = ref(xt, **tm)
        y = ours(x, **masks)
        close(y, yt)
        g = rng.normal(size=y.shape)
        yt.backward(t(g))
        close(ours.backward(g), xt.grad)
        assert len(ours.parameters()) == 12
        for (name, p), (_, r) in zip(ours.named_parameters(), ref.named_parameters()):
            close(p.grad, r.grad)


def test_encoder_stack_parity_bias_false_and_float32():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, norm_first=True, bias=False,
                                       layer_norm_eps=1e-3, rng=0)
    enc = nn.TransformerEncoder(layer, 3, norm=nn.LayerNorm(8, bias=False))
    _randomise(enc, 2)
    ref_layer = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, norm_first=True,
                                                 bias=False, layer_norm_eps=1e-3)
    ref = torch.nn.TransformerEncoder(ref_layer, 3, norm=torch.nn.LayerNorm(8, bias=False),
                                      enable_nested_tensor=False)
    _load(enc, ref)
    x = np.random.default_rng(0).normal(size=(5, 2, 8))
    xt = t(x, True)
    yt = ref(xt, mask=torch.tensor(nn.generate_square_subsequent_mask(5)))
    y = enc(x, mask=nn.generate_square_subsequent_mask(5))
    close(y, yt)
    g = np.random.default_rng(1).normal(size=y.shape)
    yt.backward(t(g))
    close(enc.backward(g), xt.grad)
    for (name, p), (_, r) in zip(enc.named_parameters(), ref.named_parameters()):
        close(p.grad, r.grad)
    close(nn.generate_square_subsequent_mask(4),
          torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64))

    layer32 = nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, rng=0, dtype=np.float32)
    y32 = layer32(np.ones((2, 3, 4), np.float32))
    assert y32.dtype == np.float32
    assert layer32.backward(np.ones_like(y32)).dtype == np.float32


def test_encoder_layer_gradcheck_and_dropout_sites():
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, activation="gelu", rng=0)
    _randomise(layer, 4)
    x = np.random.default_rng(0).normal(size=(3, 2, 4))
    g = np.random.default_rng(1).normal(size=x.shape)

    def loss(_):
        return float((layer(x) * g).sum())
    layer.zero_grad()
    layer(x)
    gx = layer.backward(g)
    assert rel_error(gx, numerical_gradient(loss, x)) < 1e-7
    for name, p in layer.named_parameters():
        assert rel_error(p.grad, numerical_gradient(loss, p.data)) < 1e-7, name
    drop = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.5, rng=0)
    a, b = drop(x), drop(x)
    assert not np.allclose(a, b)
    drop.eval()
    assert np.allclose(drop(x), drop(x))
    with pytest.raises(ValueError, match="activation must be one of"):
        nn.TransformerEncoderLayer(4, 2, activation="tanh")
    with pytest.raises(ValueError, match=r"embed_dim \(6\) must be divisible by num_heads \(4\)"):
        nn.TransformerEncoderLayer(6, 4)


# -- the chapter's explorer ------------------------------------------------------------------
def test_attention_explorer_follows_its_controls():
    from dlcore.book.widgets.attention import attention_explorer

    ex = attention_explorer(rng=0)
    heights = lambda: np.array([b.get_height() for b in ex.artists["bars"]])  # noqa: E731
    assert np.isclose(heights().sum(), 1.0)
    ex.controls["d_k"].value = 1024
    spread = heights().max()
    ex.controls["scaled"].value = False
    assert heights().max() > spread          # no division: the weights collapse
    ex.controls["n_pad"].value = 3
    assert np.all(heights()[-3:] == 0) and np.isclose(heights().sum(), 1.0)
    ex.controls["causal"].value = True
    ex.controls["query"].value = 2
    assert np.all(heights()[3:] == 0)
    matrix = np.asarray(ex.artists["matrix"].get_array())
    assert np.allclose(np.triu(matrix, 1), 0) and np.allclose(matrix.sum(1), 1.0)
    times = []
    for q in range(8):
        ex.controls["query"].value = q
        times.append(ex.last_callback_ms)
    assert np.median(times) < 50, times


def test_sdpa_mask_with_more_batch_dims_than_the_inputs_is_refused_like_torch():
    q, k, v = np.zeros((3, 4, 8)), np.zeros((3, 5, 8)), np.zeros((3, 5, 2))
    mask = np.zeros((2, 3, 4, 5))
    with pytest.raises(RuntimeError):
        F.scaled_dot_product_attention(t(q), t(k), t(v), attn_mask=t(mask))
    for m in (mask, mask > 0):
        with pytest.raises(ValueError, match=r"attn_mask shape \(2, 3, 4, 5\) does not broadcast"):
            DF.scaled_dot_product_attention(q, k, v, attn_mask=m)


def test_blocked_attention_equals_the_full_kernel():
    from dlcore.functional.attention import blocked_attention

    rng = np.random.default_rng(0)
    q, k, v = rng.normal(size=(2, 300, 8)), rng.normal(size=(2, 260, 8)), rng.normal(size=(2, 260, 3))
    for causal in (False, True):
        for block in (1, 64, 128, 1000):
            close(blocked_attention(q, k, v, block, is_causal=causal),
                  DF.scaled_dot_product_attention(q, k, v, is_causal=causal))
    with pytest.raises(ValueError, match="block_size must be an integer >= 1"):
        blocked_attention(q, k, v, 0)


def test_blocked_attention_memory_stays_linear_with_the_causal_mask():
    # the causal mask of a block must be built for that block's rows only: a full (L, S)
    # boolean mask per block would make the peak quadratic again
    import tracemalloc

    from dlcore.functional.attention import blocked_attention

    L, d, block = 2048, 16, 32
    q, k, v = np.random.default_rng(1).normal(size=(3, L, d))
    peaks = {}
    for causal in (False, True):
        tracemalloc.start()
        blocked_attention(q, k, v, block, is_causal=causal)
        peaks[causal] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peaks[False] < 3 * 8 * block * L + 8 * L * d          # a few (block, L) buffers
    assert peaks[True] < 1.5 * peaks[False]                     # and no L x L mask
    assert peaks[True] < L * L / 2                              # a bool (L, L) mask alone is L^2 bytes

def test_transformer_counts_against_torch_modules():
    from dlcore.maths.text import transformer_flops, transformer_param_count

    d, V, T, n = 16, 50, 12, 2
    layers = [torch.nn.TransformerEncoderLayer(d, 2, 4 * d, norm_first=True) for _ in range(n)]
    count = sum(p.numel() for m in layers for p in m.parameters()) + V * d + T * d + 2 * d
    assert transformer_param_count(V, T, d, n) == count
    assert transformer_param_count(V, T, d, n, tied=False) == count + V * d
    f = transformer_flops(V, T, d, n)
    assert f["attention"] == 4 * n * T * d and f["weights"] == 2 * n * 12 * d * d


def test_sinusoidal_encoding_shift_and_gram():
    from dlcore.maths.text import relative_shift_matrix, sinusoidal_encoding

    pe = sinusoidal_encoding(50, 16)
    assert pe.shape == (50, 16)
    close(pe[:47] @ relative_shift_matrix(3, 16).T, pe[3:])
    gram = pe @ pe.T
    for k in range(1, 10):                          # Toeplitz: depends only on p - q
        close(np.diag(gram, k), np.full(50 - k, gram[0, k]))
    with pytest.raises(ValueError, match="even d_model"):
        sinusoidal_encoding(4, 5)
