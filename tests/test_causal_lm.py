"""CausalLM and KVCache (dlcore.maths.causal_lm) against a torch twin built from
torch.nn.Embedding, TransformerEncoderLayer and LayerNorm, plus central differences."""

import numpy as np
import pytest
import torch

import dlcore.nn as dnn
from dlcore.gradcheck import numerical_gradient, rel_error
from dlcore.maths.causal_lm import (CausalLM, KVCache, decode_step_flops, kv_cache_bytes,
                                    lower_right_causal_mask)
from dlcore.maths.text import transformer_param_count
from parity import close, t

TIGHT = dict(rtol=1e-10, atol=1e-12)


class TorchCausalLM(torch.nn.Module):
    """The same architecture from torch.nn layers, with the same parameter names."""

    def __init__(self, vocab, d, n_layer, n_head, context, tie=False, causal=True):
        super().__init__()
        self.tok_emb = torch.nn.Embedding(vocab, d)
        self.pos_emb = torch.nn.Embedding(context, d)
        self.layers = torch.nn.ModuleList(
            torch.nn.TransformerEncoderLayer(d, n_head, 4 * d, dropout=0.0, activation="gelu",
                                             batch_first=True, norm_first=True)
            for _ in range(n_layer))
        self.ln_f = torch.nn.LayerNorm(d)
        self.tie, self.causal = tie, causal
        if not tie:
            self.head = torch.nn.Linear(d, vocab, bias=False)

    def forward(self, ids, positions=None, key_padding_mask=None):
        L = ids.shape[1]
        h = self.tok_emb(ids) + self.pos_emb(torch.arange(L) if positions is None else positions)
        mask = torch.ones(L, L, dtype=torch.bool).triu(1) if self.causal else None
        for layer in self.layers:
            h = layer(h, src_mask=mask, src_key_padding_mask=key_padding_mask)
        z = self.ln_f(h)
        return z @ self.tok_emb.weight.T if self.tie else self.head(z)


def twins(tie=False, causal=True, vocab=11, d=8, n_layer=2, n_head=2, context=7, seed=0):
    ours = CausalLM(vocab, d, n_layer, n_head, context, tie_weights=tie, causal=causal,
                    rng=seed)
    for p in ours.parameters():            # LayerNorm weights and biases away from 1 and 0
        p.data += np.random.default_rng(seed + 1).normal(0, 0.1, p.shape)
    ref = TorchCausalLM(vocab, d, n_layer, n_head, context, tie=tie, causal=causal)
    theirs = dict(ref.named_parameters())
    assert [n for n, _ in ours.named_parameters()] == list(theirs)
    with torch.no_grad():
        for name, p in ours.named_parameters():
            theirs[name].copy_(torch.from_numpy(p.data))
    return ours, ref


@pytest.mark.parametrize("tie", [False, True])
@pytest.mark.parametrize("causal", [True, False])
def test_logits_and_every_gradient_match_torch(tie, causal):
    ours, ref = twins(tie=tie, causal=causal)
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 11, size=(3, 6))
    targets = rng.integers(0, 11, size=(3, 6))
    logits, cache = ours(ids)
    assert cache is None
    t_logits = ref(torch.from_numpy(ids))
    close(logits, t_logits, **TIGHT)
    loss = dnn.CrossEntropyLoss()
    value = loss(logits.reshape(-1, 11), targets.reshape(-1))
    t_loss = torch.nn.functional.cross_entropy(t_logits.reshape(-1, 11),
                                               torch.from_numpy(targets).reshape(-1))
    assert abs(value - t_loss.item()) < 1e-12
    ours.zero_grad()
    assert ours.backward(loss.backward().reshape(logits.shape)) is None
    t_loss.backward()
    for name, p in ref.named_parameters():
        close(dict(ours.named_parameters())[name].grad, p.grad, **TIGHT)


def test_positions_and_padding_mask_match_torch():
    ours, ref = twins()
    ids = np.array([[0, 0, 3, 1, 4], [2, 7, 1, 8, 2]])
    pad = np.array([[True, True, False, False, False], [False] * 5])
    pos = np.array([[0, 0, 0, 1, 2], [0, 1, 2, 3, 4]])
    logits, _ = ours(ids, positions=pos, key_padding_mask=pad)
    t_logits = ref(torch.from_numpy(ids), torch.from_numpy(pos), torch.from_numpy(pad))
    close(logits[~pad], t_logits[torch.from_numpy(~pad)], **TIGHT)
    g = np.random.default_rng(0).normal(size=logits.shape) * (~pad)[..., None]
    ours.zero_grad()
    ours.backward(g)
    (t_logits * t(g)).sum().backward()
    for name, p in ref.named_parameters():
        close(dict(ours.named_parameters())[name].grad, p.grad, **TIGHT)
    # left padding with shifted positions reproduces the unpadded prompt's logits
    alone, _ = ours(np.array([[3, 1, 4]]))
    close(logits[0, -1], alone[0, -1], **TIGHT)


@pytest.mark.parametrize("tie", [False, True])
def test_gradcheck_tiny_config(tie):
    lm = CausalLM(5, 4, 1, 2, context=4, tie_weights=tie, dim_feedforward=6, rng=1)
    for p in lm.parameters():
        p.data += np.random.default_rng(2).normal(0, 0.1, p.shape)
    ids = np.array([[1, 4, 0], [2, 2, 3]])
    g = np.random.default_rng(4).normal(size=(2, 3, 5))

    def f(_):
        return float((lm(ids)[0] * g).sum())

    lm.zero_grad()
    lm(ids)
    lm.backward(g)
    for name, p in lm.named_parameters():
        assert rel_error(p.grad, numerical_gradient(f, p.data)) < 1e-7, name


@pytest.mark.parametrize("chunks", [[1] * 7, [3, 1, 1, 2], [7], [2, 5]])
def test_cache_equals_full_recompute(chunks):
    lm = CausalLM(11, 8, 2, 2, context=7, rng=5)
    ids = np.random.default_rng(6).integers(0, 11, size=(2, 7))
    full, _ = lm(ids)
    cache, start = lm.new_cache(batch=2), 0
    for size in chunks:
        step, cache = lm(ids[:, start:start + size], cache)
        close(step, full[:, start:start + size], **TIGHT)
        start += size
    assert cache.length == 7


def test_cache_is_not_exact_without_the_causal_mask():
    lm = CausalLM(11, 8, 2, 2, context=7, causal=False, rng=5)
    ids = np.random.default_rng(6).integers(0, 11, size=(1, 7))
    full, _ = lm(ids)
    cache = lm.new_cache()
    lm(ids[:, :6], cache)
    step, _ = lm(ids[:, 6:], cache)
    assert np.abs(step[0, -1] - full[0, -1]).max() > 1e-3


def test_generate_with_and_without_cache():
    lm = CausalLM(11, 8, 2, 2, context=9, rng=7)
    a, la = lm.generate([1, 2], 7, temperature=0.0, use_cache=True, return_logits=True)
    b, lb = lm.generate([1, 2], 7, temperature=0.0, use_cache=False, return_logits=True)
    assert a.tolist() == b.tolist() and a[:2].tolist() == [1, 2] and len(a) == 9
    close(la, lb, **TIGHT)
    assert np.all(a[2:] == np.argmax(la, axis=1))
    s1 = lm.generate([1, 2], 7, temperature=0.8, rng=3)
    s2 = lm.generate([1, 2], 7, temperature=0.8, rng=3, use_cache=False)
    assert s1.tolist() == s2.tolist()
    assert lm.generate([4], 0).tolist() == [4]


def test_sampling_follows_the_tempered_softmax():
    # a model whose logits ignore the input: zero every weight except the output layer's
    # input (via the final LayerNorm's bias), so every step samples from one distribution
    lm = CausalLM(4, 4, 1, 1, context=2, rng=0)
    for p in lm.parameters():
        p.data[...] = 0.0
    lm.ln_f.bias.data[...] = [1.0, 0.0, 0.0, 0.0]
    lm.head.weight.data[:, 0] = [0.0, 1.0, 2.0, -1.0]
    z = np.array([0.0, 1.0, 2.0, -1.0])
    for temp in (0.5, 1.0, 2.0):
        rng = np.random.default_rng(1)
        draws = np.array([lm.generate([0], 1, temperature=temp, rng=rng)[1]
                          for _ in range(4000)])
        p = np.exp(z / temp) / np.exp(z / temp).sum()
        freq = np.bincount(draws, minlength=4) / 4000
        assert np.all(np.abs(freq - p) < 4 * np.sqrt(p * (1 - p) / 4000) + 1e-3), temp


def test_float32_in_float32_out():
    lm = CausalLM(11, 8, 2, 2, context=7, tie_weights=True, rng=0, dtype=np.float32)
    ids = np.array([[1, 2, 3]])
    logits, _ = lm(ids)
    assert logits.dtype == np.float32
    lm.backward(np.ones_like(logits))
    assert all(p.grad.dtype == np.float32 for p in lm.parameters())
    cache = lm.new_cache()
    assert cache.keys[0].dtype == np.float32
    assert lm(ids, cache)[0].dtype == np.float32


def test_empty_batch():
    ours, ref = twins()
    ids = np.zeros((0, 4), dtype=np.int64)
    logits, _ = ours(ids)
    assert logits.shape == (0, 4, 11)
    assert tuple(ref(torch.from_numpy(ids)).shape) == (0, 4, 11)
    ours.zero_grad()
    ours.backward(np.zeros_like(logits))
    assert all(np.all(p.grad == 0) for p in ours.parameters())


def test_lower_right_mask_matches_torch():
    from torch.nn.attention.bias import causal_lower_right
    for L, S in ((1, 5), (3, 5), (4, 4), (0, 2)):
        assert np.array_equal(lower_right_causal_mask(L, S),
                              causal_lower_right(L, S)._materialize().numpy())
    with pytest.raises(ValueError, match="L <= S"):
        lower_right_causal_mask(3, 2)


def test_cache_size_and_parameter_count():
    lm = CausalLM(11, 8, 3, 2, context=7, rng=0)
    cache = lm.new_cache(batch=2)
    assert cache.nbytes == kv_cache_bytes(3, 7, 8, 8, batch=2)
    assert sum(p.data.size for p in lm.parameters()) == transformer_param_count(
        11, 7, 8, 3, tied=False)
    tied = CausalLM(11, 8, 3, 2, context=7, tie_weights=True, rng=0)
    assert sum(p.data.size for p in tied.parameters()) == transformer_param_count(11, 7, 8, 3)
    assert decode_step_flops(11, 8, 3, 5, cached=False) == 5 * decode_step_flops(
        11, 8, 3, 5, cached=True)


def test_bad_arguments():
    with pytest.raises(ValueError, match="divisible by n_head"):
        CausalLM(11, 8, 1, 3, context=4)
    with pytest.raises(ValueError, match="context must be an integer >= 1"):
        CausalLM(11, 8, 1, 2, context=0)
    lm = CausalLM(11, 8, 1, 2, context=4, rng=0)
    with pytest.raises(TypeError, match="integer token ids"):
        lm(np.zeros((1, 2)))
    with pytest.raises(ValueError, match="2-D"):
        lm(np.array([1, 2]))
    with pytest.raises(ValueError, match="beyond the context of 4"):
        lm(np.zeros((1, 5), dtype=int))
    with pytest.raises(ValueError, match="out of range"):
        lm(np.array([[11]]))
    with pytest.raises(ValueError, match="positions must have shape"):
        lm(np.array([[1, 2]]), positions=np.arange(3))
    cache = lm.new_cache()
    lm(np.array([[1, 2, 3]]), cache)
    with pytest.raises(ValueError, match="after 3 cached"):
        lm(np.array([[1, 2]]), cache)
    with pytest.raises(ValueError, match="new_cache"):
        lm(np.array([[1], [2]]), cache)
    with pytest.raises(TypeError, match="KVCache"):
        lm(np.array([[1]]), cache={})
    with pytest.raises(ValueError, match="neither positions"):
        lm(np.array([[1]]), lm.new_cache(), positions=np.arange(1))
    with pytest.raises(RuntimeError, match="inference only"):
        lm.backward(np.zeros((1, 1, 11)))
    with pytest.raises(ValueError, match="temperature"):
        lm.generate([1], 1, temperature=-1.0)
    with pytest.raises(ValueError, match="non-empty 1-D"):
        lm.generate([], 1)
    with pytest.raises(ValueError, match="exceeds the context of 4"):
        lm.generate([1, 2], 3)
    with pytest.raises(ValueError, match="KVCache is full"):
        KVCache(1, 1, 2, 2).update(0, np.zeros((1, 1, 3, 2)), np.zeros((1, 1, 3, 2)))
    with pytest.raises(ValueError, match="shape"):
        KVCache(1, 1, 2, 2).update(0, np.zeros((1, 2, 1, 2)), np.zeros((1, 2, 1, 2)))
