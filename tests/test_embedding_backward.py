"""dlcore.functional.sparse.embedding_backward against torch.nn.Embedding's dense and sparse
gradients (float64 and float32, padding_idx, scale_grad_by_freq, empty batches, bad input)."""

import numpy as np
import pytest
import torch

from dlcore.functional.sparse import embedding_backward


def torch_grad(ids, g, v, sparse, **kw):
    emb = torch.nn.Embedding(v, g.shape[-1], sparse=sparse, dtype=torch.from_numpy(g).dtype, **kw)
    emb(torch.from_numpy(ids)).backward(torch.from_numpy(g))
    return emb.weight.grad


@pytest.mark.parametrize("pad", [None, 0, 4])
@pytest.mark.parametrize("freq", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dense_and_sparse_match_torch(pad, freq, dtype):
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 7, size=(3, 5))
    g = rng.standard_normal((3, 5, 4)).astype(dtype)
    dense = embedding_backward(ids, g, 7, padding_idx=pad, scale_grad_by_freq=freq)
    assert dense.dtype == dtype
    tol = 1e-14 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(dense, torch_grad(ids, g, 7, False, padding_idx=pad,
                                                 scale_grad_by_freq=freq).numpy(), atol=tol)
    if freq:  # both refuse frequency scaling of a sparse gradient
        with pytest.raises(RuntimeError, match="scale_grad_by_freq"):
            torch_grad(ids, g, 7, True, padding_idx=pad, scale_grad_by_freq=True)
        with pytest.raises(ValueError, match="scale_grad_by_freq"):
            embedding_backward(ids, g, 7, padding_idx=pad, scale_grad_by_freq=True, sparse=True)
        return
    rows, values = embedding_backward(ids, g, 7, padding_idx=pad, sparse=True)
    theirs = torch_grad(ids, g, 7, True, padding_idx=pad).coalesce()
    np.testing.assert_array_equal(rows, theirs.indices()[0].numpy())
    np.testing.assert_allclose(values, theirs.values().numpy(), atol=tol)
    expected = np.unique(ids)
    np.testing.assert_array_equal(rows, expected[expected != pad] if pad is not None else expected)


def test_repeated_id_sums_and_empty_batch():
    g = np.arange(6.0).reshape(3, 2)
    dense = embedding_backward(np.array([2, 2, 1]), g, 4)
    np.testing.assert_array_equal(dense, [[0, 0], [4, 5], [2, 4], [0, 0]])
    empty = embedding_backward(np.zeros((0,), dtype=int), np.zeros((0, 3)), 5)
    np.testing.assert_array_equal(empty, np.zeros((5, 3)))
    rows, values = embedding_backward(np.zeros((0,), dtype=int), np.zeros((0, 3)), 5, sparse=True)
    assert rows.shape == (0,) and values.shape == (0, 3)


@pytest.mark.parametrize("call, match", [
    (lambda: embedding_backward(np.array([0.5]), np.ones((1, 2)), 3), "integers"),
    (lambda: embedding_backward(np.array([0, 1]), np.ones((3, 2)), 3), r"\(3, 2\).*\(2, 'd'\)"),
    (lambda: embedding_backward(np.array([0, 3]), np.ones((2, 2)), 3), r"\[0, 3\).*0 to 3"),
    (lambda: embedding_backward(np.array([0]), np.ones((1, 2)), 3, padding_idx=3), "padding_idx"),
    (lambda: embedding_backward(np.array([0]), np.ones((1, 2)), 0), "num_weights"),
])
def test_bad_input(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
