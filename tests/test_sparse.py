"""Embedding: lookup, scatter-add backward, padding_idx, max_norm, scale_grad_by_freq,
from_pretrained, against torch.nn.Embedding in float64 (and float32)."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import dlcore.nn as nn
from parity import close, t


def torch_twin(ours, **kw):
    theirs = torch.nn.Embedding(ours.num_embeddings, ours.embedding_dim, **kw)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.weight.data))
    return theirs


@settings(max_examples=25, deadline=None, derandomize=True)
@given(v=st.integers(1, 9), d=st.integers(1, 5), shape=st.sampled_from([(), (4,), (3, 5), (2, 0)]),
       pad=st.sampled_from([None, 0, -1]), freq=st.booleans(), seed=st.integers(0, 99))
def test_embedding_matches_torch(v, d, shape, pad, freq, seed):
    rng = np.random.default_rng(seed)
    ours = nn.Embedding(v, d, padding_idx=pad, scale_grad_by_freq=freq, rng=rng)
    theirs = torch_twin(ours, padding_idx=pad, scale_grad_by_freq=freq)
    idx = rng.integers(0, v, size=shape)
    y = ours(idx)
    yt = theirs(torch.from_numpy(idx))
    close(y, yt)
    g = rng.standard_normal(y.shape)
    assert ours.backward(g) is None
    yt.backward(t(g))
    close(ours.weight.grad, theirs.weight.grad)


def test_padding_row_is_zero_at_init_and_gets_no_gradient():
    emb = nn.Embedding(6, 4, padding_idx=2, rng=0)
    assert np.all(emb.weight.data[2] == 0) and np.all(emb.weight.data[[0, 1, 3]] != 0)
    emb.weight.data[2] = 5.0  # a padding row set by hand keeps its value and gets no gradient
    y = emb(np.array([2, 2, 1]))
    assert np.all(y[0] == 5.0)
    emb.backward(np.ones_like(y))
    assert np.all(emb.weight.grad[2] == 0) and np.all(emb.weight.grad[1] == 1)


def test_backward_accumulates_across_calls():
    emb = nn.Embedding(3, 2, rng=0)
    for _ in range(2):
        y = emb(np.array([0, 0]))
        emb.backward(np.ones_like(y))
    np.testing.assert_array_equal(emb.weight.grad, [[4, 4], [0, 0], [0, 0]])


@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.5])
def test_max_norm_renormalises_in_place_like_torch(norm_type):
    rng = np.random.default_rng(1)
    ours = nn.Embedding(7, 5, max_norm=1.5, norm_type=norm_type, rng=rng)
    ours.weight.data *= 2.0
    theirs = torch_twin(ours, max_norm=1.5, norm_type=norm_type)
    idx = np.array([[0, 3, 3], [5, 0, 1]])
    y = ours(idx)
    yt = theirs(torch.from_numpy(idx))
    close(y, yt)
    close(ours.weight.data, theirs.weight)  # rows 2, 4, 6 untouched, the others rescaled
    assert np.all(np.linalg.norm(y, ord=norm_type, axis=-1) <= 1.5 + 1e-9)
    g = rng.standard_normal(y.shape)
    ours.backward(g)
    yt.backward(t(g))
    close(ours.weight.grad, theirs.weight.grad)


@pytest.mark.parametrize("freeze", [True, False])
def test_from_pretrained(freeze):
    w = np.arange(12.0).reshape(4, 3)
    ours = nn.Embedding.from_pretrained(w, freeze=freeze, padding_idx=1)
    theirs = torch.nn.Embedding.from_pretrained(t(w), freeze=freeze, padding_idx=1)
    idx = np.array([1, 3, 3])
    y, yt = ours(idx), theirs(torch.from_numpy(idx))
    close(y, yt)  # the padding row is not zeroed by from_pretrained
    ours.backward(np.ones_like(y))
    if freeze:
        assert ours.weight.grad is None and not theirs.weight.requires_grad
    else:
        yt.sum().backward()
        close(ours.weight.grad, theirs.weight.grad)
    w[0, 0] = -1.0
    assert ours.weight.data[0, 0] == 0.0  # a copy


def test_float32_in_float32_out():
    emb = nn.Embedding(4, 3, rng=0, dtype=np.float32)
    y = emb(np.array([1, 2]))
    emb.backward(np.ones_like(y))
    assert y.dtype == np.float32 and emb.weight.grad.dtype == np.float32


def test_init_is_standard_normal_from_rng():
    a = nn.Embedding(400, 50, rng=3).weight.data
    np.testing.assert_array_equal(a, np.random.default_rng(3).standard_normal((400, 50)))
    assert abs(a.mean()) < 5 / np.sqrt(a.size) and abs(a.std() - 1) < 5 / np.sqrt(2 * a.size)


def test_repr_like_torch():
    kw = dict(padding_idx=0, max_norm=2.0, norm_type=1.0, scale_grad_by_freq=True)
    ours, theirs = nn.Embedding(5, 3, **kw, rng=0), torch.nn.Embedding(5, 3, **kw)
    assert repr(ours) == repr(theirs)
    assert repr(nn.Embedding(5, 3, rng=0)) == repr(torch.nn.Embedding(5, 3))


@pytest.mark.parametrize("call, match", [
    (lambda: nn.Embedding(5, 3, padding_idx=5), r"padding_idx .*\[-5, 5\), got 5"),
    (lambda: nn.Embedding(5, 3, sparse=True), "sparse=True"),
    (lambda: nn.Embedding(0, 3), "num_embeddings"),
    (lambda: nn.Embedding(5, 3, max_norm=-1.0), "max_norm"),
    (lambda: nn.Embedding(5, 3, _weight=np.zeros((5, 2))), r"\(5, 2\).*\(5, 3\)"),
    (lambda: nn.Embedding(5, 3, rng=0)(np.array([0, 5])), r"index 5 .*num_embeddings=5"),
    (lambda: nn.Embedding(5, 3, rng=0)(np.array([-1])), "index -1"),
    (lambda: nn.Embedding.from_pretrained(np.zeros(3)), r"2-dimensional.*\(3,\)"),
])
def test_bad_input_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_float_indices_rejected():
    with pytest.raises(TypeError, match="integer indices"):
        nn.Embedding(5, 3, rng=0)(np.array([0.0, 1.0]))


def test_bad_grad_shape_named():
    emb = nn.Embedding(5, 3, rng=0)
    emb(np.array([0, 1]))
    with pytest.raises(ValueError, match=r"\(2, 4\).*\(2, 3\)"):
        emb.backward(np.ones((2, 4)))
