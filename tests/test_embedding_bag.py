"""EmbeddingBag and functional.embedding_bag against torch: every mode, offsets and 2-D input,
include_last_offset, per_sample_weights, padding_idx, empty bags, max_norm, float32 and float64,
central differences, and the options dlcore refuses."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import dlcore.functional as F
import dlcore.nn as nn
from dlcore.gradcheck import numerical_gradient, rel_error
from parity import close


def torch_twin(ours, dtype=torch.float64):
    theirs = torch.nn.EmbeddingBag(ours.num_embeddings, ours.embedding_dim, mode=ours.mode,
                                   max_norm=ours.max_norm, norm_type=ours.norm_type,
                                   include_last_offset=ours.include_last_offset,
                                   padding_idx=ours.padding_idx, dtype=dtype)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.weight.data))
    return theirs


def random_bags(rng, v, flat, include_last_offset):
    """Ids and offsets (or a 2-D batch): bags of random length, some of them empty."""
    if not flat:
        return rng.integers(0, v, size=(int(rng.integers(0, 4)), int(rng.integers(1, 5)))), None
    lengths = rng.integers(0, 4, size=int(rng.integers(1, 5)))
    ids = rng.integers(0, v, size=int(lengths.sum()))
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    return ids, offsets if include_last_offset else offsets[:-1]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(v=st.integers(1, 7), d=st.integers(1, 4), mode=st.sampled_from(["sum", "mean", "max"]),
       flat=st.booleans(), last=st.booleans(), pad=st.sampled_from([None, 0, -1]),
       weighted=st.booleans(), seed=st.integers(0, 999))
def test_embedding_bag_matches_torch_float64(v, d, mode, flat, last, pad, weighted, seed):
    rng = np.random.default_rng(seed)
    last = last and flat
    ours = nn.EmbeddingBag(v, d, mode=mode, include_last_offset=last, padding_idx=pad, rng=rng)
    theirs = torch_twin(ours)
    ids, offsets = random_bags(rng, v, flat, last)
    psw = rng.standard_normal(ids.shape) if weighted and mode == "sum" else None
    psw_t = None if psw is None else torch.tensor(psw, requires_grad=True)
    y = ours(ids, offsets, psw)
    yt = theirs(torch.from_numpy(ids), None if offsets is None else torch.from_numpy(offsets),
                per_sample_weights=psw_t)
    assert y.shape == tuple(yt.shape) and y.dtype == np.float64
    close(y, yt, rtol=1e-12, atol=1e-14)
    g = rng.standard_normal(y.shape)
    grad_psw = ours.backward(g)
    yt.backward(torch.from_numpy(g))
    close(ours.weight.grad, theirs.weight.grad, rtol=1e-12, atol=1e-14)
    if psw is None:
        assert grad_psw is None
    else:
        close(grad_psw, psw_t.grad, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_float32_in_float32_out_and_grads(mode):
    rng = np.random.default_rng(3)
    ours = nn.EmbeddingBag(9, 5, mode=mode, padding_idx=1, rng=rng, dtype=np.float32)
    theirs = torch_twin(ours, dtype=torch.float32)
    ids, offsets = np.array([1, 4, 4, 2, 8, 1, 0]), np.array([0, 3, 3, 5])
    psw = rng.standard_normal(ids.shape).astype(np.float32) if mode == "sum" else None
    y = ours(ids, offsets, psw)
    yt = theirs(torch.from_numpy(ids), torch.from_numpy(offsets),
                per_sample_weights=None if psw is None else torch.from_numpy(psw))
    assert y.dtype == np.float32
    close(y, yt, rtol=1e-6, atol=1e-6)
    g = rng.standard_normal(y.shape).astype(np.float32)
    grad_psw = ours.backward(g)
    yt.backward(torch.from_numpy(g))
    assert ours.weight.grad.dtype == np.float32
    assert grad_psw is None or grad_psw.dtype == np.float32
    close(ours.weight.grad, theirs.weight.grad, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_gradients_match_central_differences(mode):
    rng = np.random.default_rng(7)
    bag = nn.EmbeddingBag(6, 3, mode=mode, padding_idx=0, rng=rng)
    ids, offsets = np.array([1, 0, 3, 3, 5, 2, 0]), np.array([0, 2, 2, 6])
    psw = rng.standard_normal(ids.shape) if mode == "sum" else None
    g = rng.standard_normal((4, 3))

    def loss(_):
        return float((bag(ids, offsets, psw) * g).sum())

    bag.zero_grad()
    bag(ids, offsets, psw)
    grad_psw = bag.backward(g)
    assert rel_error(bag.weight.grad, numerical_gradient(loss, bag.weight.data)) < 1e-8
    if psw is not None:
        assert rel_error(grad_psw, numerical_gradient(loss, psw)) < 1e-8


def test_mean_bag_is_the_masked_mean_of_a_padded_batch():
    rng = np.random.default_rng(0)
    emb = nn.Embedding(8, 4, padding_idx=0, rng=rng)
    bag = nn.EmbeddingBag(8, 4, padding_idx=0, _weight=emb.weight.data)
    padded = np.array([[3, 5, 0, 0], [7, 0, 0, 0], [1, 2, 6, 4]])
    mask = padded != 0
    masked_mean = (emb(padded) * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
    np.testing.assert_allclose(bag(padded), masked_mean, rtol=1e-14)
    flat, offsets = padded[mask], np.concatenate([[0], np.cumsum(mask.sum(1))[:-1]])
    np.testing.assert_allclose(bag(flat, offsets), masked_mean, rtol=1e-14)


def test_empty_bags_and_empty_batches_give_zeros():
    bag = nn.EmbeddingBag(4, 3, mode="max", rng=0)
    out = bag(np.array([], dtype=int), np.array([0, 0]))
    np.testing.assert_array_equal(out, np.zeros((2, 3)))
    assert bag(np.zeros((0, 5), dtype=int)).shape == (0, 3)
    assert bag(np.array([], dtype=int), np.array([], dtype=int)).shape == (0, 3)
    bag.backward(np.zeros((0, 3)))
    np.testing.assert_array_equal(bag.weight.grad, np.zeros((4, 3)))


def test_max_norm_renormalises_like_torch():
    ours = nn.EmbeddingBag(5, 3, max_norm=1.0, mode="sum", rng=2)
    ours.weight.data *= 3.0
    theirs = torch_twin(ours)
    ids = np.array([[0, 2], [2, 4]])
    close(ours(ids), theirs(torch.from_numpy(ids)), rtol=1e-12, atol=1e-14)
    close(ours.weight.data, theirs.weight, rtol=1e-12, atol=1e-14)   # renormalised in place
    assert np.allclose(np.linalg.norm(ours.weight.data[[0, 2, 4]], axis=1), 1.0, atol=1e-6)


def test_functional_matches_torch_and_the_layer():
    rng = np.random.default_rng(5)
    w = rng.standard_normal((6, 2))
    ids, offsets = np.array([5, 1, 1, 0, 3]), np.array([0, 1, 1, 5])
    for mode in ("sum", "mean", "max"):
        ours = F.embedding_bag(ids, w, offsets, mode=mode, include_last_offset=True,
                               padding_idx=1)
        theirs = torch.nn.functional.embedding_bag(
            torch.from_numpy(ids), torch.from_numpy(w), torch.from_numpy(offsets), mode=mode,
            include_last_offset=True, padding_idx=1)
        close(ours, theirs, rtol=1e-12, atol=1e-14)
        layer = nn.EmbeddingBag(6, 2, mode=mode, include_last_offset=True, padding_idx=1,
                                _weight=w)
        np.testing.assert_array_equal(layer(ids, offsets), ours)


def test_from_pretrained_is_frozen_and_keeps_the_padding_row():
    w = np.arange(6.0).reshape(3, 2)
    bag = nn.EmbeddingBag.from_pretrained(w, mode="sum", padding_idx=0)
    theirs = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(w), mode="sum", padding_idx=0)
    ids = np.array([[0, 1, 2]])
    close(bag(ids), theirs(torch.from_numpy(ids)))
    bag.backward(np.ones((1, 2)))
    assert bag.weight.grad is None or not np.any(bag.weight.grad)
    np.testing.assert_array_equal(bag.weight.data[0], [0.0, 1.0])


def test_repr_matches_torch():
    for kw in [{}, dict(mode="sum", padding_idx=0, include_last_offset=True, max_norm=1.0)]:
        assert repr(nn.EmbeddingBag(5, 3, rng=0, **kw)) == repr(torch.nn.EmbeddingBag(5, 3, **kw))


@pytest.mark.parametrize("call, message", [
    (lambda b: nn.EmbeddingBag(5, 3, scale_grad_by_freq=True), "scale_grad_by_freq"),
    (lambda b: nn.EmbeddingBag(5, 3, sparse=True), "sparse=True"),
    (lambda b: nn.EmbeddingBag(5, 3, mode="median"), "mode .*'median'"),
    (lambda b: nn.EmbeddingBag(5, 3, padding_idx=5), r"padding_idx .*\[-5, 5\), got 5"),
    (lambda b: b(np.array([1, 2])), "offsets is required"),
    (lambda b: b(np.array([[1, 2]]), np.array([0])), "offsets must be None"),
    (lambda b: b(np.array([1, 2]), np.array([1])), r"offsets\[0\] must be 0"),
    (lambda b: b(np.array([1, 2]), np.array([0, 2, 1])), "non-decreasing"),
    (lambda b: b(np.array([1, 2]), np.array([0, 3])), r"offsets\[-1\] must be <= len\(input\) = 2"),
    (lambda b: b(np.array([[[1]]])), r"1-D .* or 2-D .*\(1, 1, 1\)"),
    (lambda b: b(np.array([[1, 5]])), "index 5 is out of range"),
    (lambda b: b(np.array([[1, 2]]), per_sample_weights=np.ones(2)),
     r"per_sample_weights has shape \(2,\), expected the input's shape \(1, 2\)"),
    (lambda b: nn.EmbeddingBag(5, 3, rng=0)(np.array([[1]]), per_sample_weights=np.ones((1, 1))),
     "only supported for mode='sum', got mode='mean'"),
    (lambda b: F.embedding_bag(np.array([[1]]), np.ones((5, 3)), scale_grad_by_freq=True),
     "scale_grad_by_freq"),
    (lambda b: F.embedding_bag(np.array([[1]]), np.ones(5)), r"weight must be 2-D .*\(5,\)"),
])
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call(nn.EmbeddingBag(5, 3, mode="sum", rng=0))


def test_float_ids_are_a_type_error():
    with pytest.raises(TypeError, match="input must hold integer"):
        nn.EmbeddingBag(5, 3, rng=0)(np.array([[0.0, 1.0]]))
    with pytest.raises(TypeError, match="offsets must hold integer"):
        nn.EmbeddingBag(5, 3, rng=0)(np.array([0, 1]), np.array([0.0]))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(mode=st.sampled_from(["sum", "mean", "max"]), pad=st.sampled_from([None, 0]),
       flat=st.booleans(), seed=st.integers(0, 999))
def test_nan_rows_propagate_as_in_torch(mode, pad, flat, seed):
    # A NaN in the table: sum and mean propagate it; torch's max keeps a running maximum that a
    # NaN enters only from the bag's first (non-padding) row. Ties (-inf rows) included.
    rng = np.random.default_rng(seed)
    ours = nn.EmbeddingBag(5, 3, mode=mode, padding_idx=pad, rng=rng)
    w = ours.weight.data
    w[rng.random(w.shape) < 0.3] = np.nan
    w[rng.random(w.shape) < 0.1] = -np.inf
    theirs = torch_twin(ours)
    ids, offsets = random_bags(rng, 5, flat, False)
    y = ours(ids, offsets)
    yt = theirs(torch.from_numpy(ids), None if offsets is None else torch.from_numpy(offsets))
    assert np.array_equal(np.isnan(y), torch.isnan(yt).numpy())
    close(y, yt, rtol=1e-12, atol=1e-14)
    g = rng.standard_normal(y.shape)
    ours.backward(g)
    yt.backward(torch.from_numpy(g))
    close(ours.weight.grad, theirs.weight.grad, rtol=1e-12, atol=1e-14)
