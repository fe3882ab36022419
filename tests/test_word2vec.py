"""dlcore.maths.word2vec: the SGNS loss and its hand-written gradients against torch autograd in
float64 (mean and sum, repeated ids, empty batch), central differences, float32, argument
errors; the noise sampler, subsampling, pairs, co-occurrence, PMI, the SVD baseline,
nearest neighbours (cosine against torch), 3CosAdd analogies and the training loop."""

import itertools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from dlcore.gradcheck import numerical_gradient, rel_error
from dlcore.maths.word2vec import (NegativeSampler, analogy, cooccurrence, gendered_roles_corpus,
                                   nearest, pmi, ppmi, sgns_loss_and_grads, skipgram_pairs,
                                   subsample, svd_vectors, train_sgns, vocabulary)
from parity import close, t

RTOL, ATOL = 1e-12, 1e-13


def _batch(rng, V=7, d=4, B=6, K=3):
    W_in, W_out = rng.standard_normal((V, d)), rng.standard_normal((V, d))
    centre = rng.integers(0, V, B)
    context = rng.integers(0, V, B)
    negatives = rng.integers(0, V, (B, K))
    centre[1] = centre[0]                       # a centre repeated
    negatives[0, 1] = context[0]                # a noise word equal to the positive
    negatives[2, :2] = centre[2]                # the centre drawn as noise, twice
    return W_in, W_out, centre, context, negatives


def _torch_sgns(W_in, W_out, centre, context, negatives, reduction):
    a, b = t(W_in, grad=True), t(W_out, grad=True)
    v = a[torch.from_numpy(centre)]
    u_o = b[torch.from_numpy(context)]
    u_k = b[torch.from_numpy(negatives)]
    s_o = (u_o * v).sum(-1)
    s_k = (u_k * v[:, None, :]).sum(-1)
    losses = -TF.logsigmoid(s_o) - TF.logsigmoid(-s_k).sum(-1)
    loss = losses.mean() if reduction == "mean" else losses.sum()
    loss.backward()
    return loss.item(), a.grad.numpy(), b.grad.numpy()


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sgns_matches_torch_autograd(reduction, seed):
    W_in, W_out, c, o, n = _batch(np.random.default_rng(seed))
    loss, g_in, g_out = sgns_loss_and_grads(W_in, W_out, c, o, n, reduction=reduction)
    loss_t, g_in_t, g_out_t = _torch_sgns(W_in, W_out, c, o, n, reduction)
    assert math.isclose(loss, loss_t, rel_tol=RTOL)
    close(g_in, g_in_t, rtol=RTOL, atol=ATOL)
    close(g_out, g_out_t, rtol=RTOL, atol=ATOL)
    assert g_in.dtype == g_out.dtype == np.float64


def test_sgns_large_scores_are_stable_and_match_torch():
    W_in, W_out, c, o, n = _batch(np.random.default_rng(3))
    W_in *= 40.0                                 # scores of several hundred: saturated sigmoids
    loss, g_in, g_out = sgns_loss_and_grads(W_in, W_out, c, o, n)
    loss_t, g_in_t, g_out_t = _torch_sgns(W_in, W_out, c, o, n, "mean")
    assert np.isfinite(loss) and math.isclose(loss, loss_t, rel_tol=1e-10)
    close(g_in, g_in_t, rtol=1e-10, atol=1e-10)
    close(g_out, g_out_t, rtol=1e-10, atol=1e-10)


def test_sgns_central_differences():
    W_in, W_out, c, o, n = _batch(np.random.default_rng(4))
    _, g_in, g_out = sgns_loss_and_grads(W_in, W_out, c, o, n, reduction="sum")

    def f(_):
        return sgns_loss_and_grads(W_in, W_out, c, o, n, reduction="sum")[0]

    assert rel_error(g_in, numerical_gradient(f, W_in)) < 1e-8
    assert rel_error(g_out, numerical_gradient(f, W_out)) < 1e-8


def test_sgns_untrained_loss_is_k_plus_one_log_two():
    # zero output vectors: every score is 0 and every term is log 2, whatever W_in holds
    rng = np.random.default_rng(5)
    W_in, W_out = rng.standard_normal((9, 3)), np.zeros((9, 3))
    loss, _, _ = sgns_loss_and_grads(W_in, W_out, [1, 2], [3, 4], rng.integers(0, 9, (2, 5)))
    assert math.isclose(loss, 6 * math.log(2), rel_tol=1e-15)


def test_sgns_float32_in_float32_out():
    W_in, W_out, c, o, n = _batch(np.random.default_rng(6))
    loss, g_in, g_out = sgns_loss_and_grads(W_in.astype(np.float32), W_out.astype(np.float32),
                                            c, o, n)
    ref = sgns_loss_and_grads(W_in, W_out, c, o, n)
    assert g_in.dtype == g_out.dtype == np.float32
    np.testing.assert_allclose(g_in, ref[1], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(g_out, ref[2], rtol=1e-4, atol=1e-6)
    assert math.isclose(loss, ref[0], rel_tol=1e-5)


def test_sgns_empty_batch():
    W = np.ones((4, 2))
    empty = np.zeros(0, np.int64)
    loss, g_in, g_out = sgns_loss_and_grads(W, W, empty, empty, np.zeros((0, 5), np.int64))
    assert math.isnan(loss)                      # torch: the mean of nothing is nan
    assert torch.isnan(torch.zeros(0).mean())
    assert not g_in.any() and not g_out.any() and g_in.shape == (4, 2)
    loss, _, _ = sgns_loss_and_grads(W, W, empty, empty, np.zeros((0, 5), np.int64),
                                     reduction="sum")
    assert loss == 0.0


def test_sgns_bad_arguments():
    W = np.ones((4, 2))
    with pytest.raises(ValueError, match="same shape"):
        sgns_loss_and_grads(W, np.ones((4, 3)), [0], [1], [[2]])
    with pytest.raises(TypeError, match="same dtype"):
        sgns_loss_and_grads(W, W.astype(np.float32), [0], [1], [[2]])
    with pytest.raises(ValueError, match=r"context must be token ids in \[0, 4\)"):
        sgns_loss_and_grads(W, W, [0], [4], [[2]])
    with pytest.raises(TypeError, match="centre must hold integer"):
        sgns_loss_and_grads(W, W, [0.5], [1], [[2]])
    with pytest.raises(ValueError, match="negatives must have 2 dimension"):
        sgns_loss_and_grads(W, W, [0], [1], [2])
    with pytest.raises(ValueError, match="same batch size"):
        sgns_loss_and_grads(W, W, [0, 1], [1], [[2]])
    with pytest.raises(ValueError, match="reduction must be one of"):
        sgns_loss_and_grads(W, W, [0], [1], [[2]], reduction="none")


def test_negative_sampler_distribution():
    counts = np.array([1000, 300, 50, 5, 0, 1])
    s = NegativeSampler(counts, rng=0)
    expected = np.where(counts > 0, counts ** 0.75, 0) / (counts[counts > 0] ** 0.75).sum()
    close(s.probs, expected, rtol=1e-15, atol=0)
    close(s.implied_probs(), expected, rtol=1e-12, atol=1e-15)   # the alias tables are exact
    n = 400_000
    freq = np.bincount(s.sample(n), minlength=counts.size) / n
    se = np.sqrt(expected * (1 - expected) / n)
    assert np.all(np.abs(freq - expected) <= 5 * se + 1e-12)      # 5 binomial standard errors
    assert freq[4] == 0                                            # a zero count is never drawn
    assert s.sample((3, 2)).shape == (3, 2)


def test_negative_sampler_bad_counts():
    with pytest.raises(ValueError, match="counts"):
        NegativeSampler([0, 0])
    with pytest.raises(ValueError, match="counts"):
        NegativeSampler([1, -1])
    with pytest.raises(ValueError, match="NegativeSampler power"):
        NegativeSampler([1, 2], power=-1)


def test_subsample_keeps_frequent_words_at_sqrt_t_over_f():
    counts = np.array([900, 90, 10])
    ids = np.repeat(np.arange(3), counts)
    t_ = 0.01
    f = counts / counts.sum()
    keep = np.minimum(1, np.sqrt(t_ / f))
    n_rep = 200
    kept = np.zeros(3)
    rng = np.random.default_rng(0)
    for _ in range(n_rep):
        kept += np.bincount(subsample(ids, counts, t_, rng=rng), minlength=3)
    rate = kept / (n_rep * counts)
    se = np.sqrt(keep * (1 - keep) / (n_rep * counts))
    assert np.all(np.abs(rate - keep) <= 5 * se + 1e-12)
    assert rate[2] == 1.0                        # f = 0.01 = t: always kept
    np.testing.assert_array_equal(subsample(ids, counts, 0.0, rng=0), ids)
    with pytest.raises(ValueError, match="subsample t"):
        subsample(ids, counts, -1.0)


def test_skipgram_pairs_and_cooccurrence():
    ids = np.array([0, 1, 2, 1, 3])
    for w in (1, 2, 3, 7):
        c, o = skipgram_pairs(ids, w)
        n = ids.size
        assert c.size == 2 * sum(n - k for k in range(1, min(w, n - 1) + 1))
        got = sorted(zip(c.tolist(), o.tolist()))
        want = sorted((ids[i], ids[j]) for i in range(n) for j in range(n)
                      if i != j and abs(i - j) <= w)
        assert got == want
    X = cooccurrence(ids, 4, window=2)
    np.testing.assert_array_equal(X, X.T)
    assert X.sum() == skipgram_pairs(ids, 2)[0].size
    assert skipgram_pairs(np.array([5]), 2)[0].size == 0
    with pytest.raises(ValueError, match="window must be an integer >= 1"):
        skipgram_pairs(ids, 0)


def test_vocabulary_drops_rare_words():
    words, counts, ids = vocabulary("c a b a c c d".split(), min_count=2)
    assert words == ["c", "a"] and counts.tolist() == [3, 2]
    assert ids.tolist() == [0, 1, 1, 0, 0]


def test_pmi_and_ppmi():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 5, (6, 6)).astype(float)
    X[0, 0] = 0.0
    P = pmi(X)
    total = X.sum()
    for i, j in itertools.product(range(6), range(6)):
        if X[i, j] > 0:
            ref = math.log(X[i, j] * total / (X[i].sum() * X[:, j].sum()))
            assert math.isclose(P[i, j], ref, rel_tol=1e-12, abs_tol=1e-12)
        else:
            assert P[i, j] == -np.inf
    np.testing.assert_array_equal(ppmi(X), np.maximum(P, 0))
    q = rng.random(6)
    q /= q.sum()
    Pq = pmi(X, context_probs=q)
    nz = X > 0
    ratio = X / X.sum(1, keepdims=True)
    np.testing.assert_allclose(Pq[nz], np.log((ratio / q)[nz]), rtol=1e-12)
    smooth = pmi(X, alpha=0.75)
    cols = X.sum(0) ** 0.75
    np.testing.assert_allclose(smooth[nz], np.log((ratio / (cols / cols.sum()))[nz]), rtol=1e-12)
    with pytest.raises(ValueError, match="cooc"):
        pmi(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="context_probs"):
        pmi(X, context_probs=q[:3])


def test_svd_vectors_match_numpy_svd():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((12, 9))
    U, S, _ = np.linalg.svd(A)
    for p in (0.0, 0.5, 1.0):
        E = svd_vectors(A, 4, eig_weight=p)
        ref = U[:, :4] * S[:4] ** p
        np.testing.assert_allclose(np.abs(E), np.abs(ref), rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(E @ E.T, ref @ ref.T, rtol=1e-9, atol=1e-10)
    with pytest.raises(ValueError, match="dim must be below"):
        svd_vectors(A, 9)


def test_nearest_cosine_matches_torch_and_metrics_differ():
    rng = np.random.default_rng(2)
    E = rng.standard_normal((30, 5)) * rng.uniform(0.1, 5, (30, 1))
    for q in (0, 7):
        ranking = nearest(E, q, None)
        cos_t = TF.cosine_similarity(t(E[q])[None, :], t(E), dim=1).numpy()
        cos_t[q] = -np.inf
        np.testing.assert_array_equal(ranking, np.argsort(-cos_t, kind="stable")[:29])
        dots = E @ E[q]
        dots[q] = -np.inf
        np.testing.assert_array_equal(nearest(E, q, 3, "dot"), np.argsort(-dots)[:3])
        dist = np.linalg.norm(E - E[q], axis=1)
        dist[q] = np.inf
        np.testing.assert_array_equal(nearest(E, q, 3, "euclidean"), np.argsort(dist)[:3])
        unit = E / np.linalg.norm(E, axis=1, keepdims=True)
        np.testing.assert_array_equal(nearest(unit, q, None, "euclidean"), ranking)
        assert q not in ranking
    with pytest.raises(ValueError, match="metric must be one of"):
        nearest(E, 0, 3, "manhattan")
    with pytest.raises(ValueError, match="word must be a word id"):
        nearest(E, 30, 3)
    with pytest.raises(ValueError, match="k must be at most"):
        nearest(E, 0, 30)
    with pytest.raises(TypeError, match="word must be an integer"):
        nearest(E, "king", 3)


def test_analogy_3cosadd_exclusion_and_vectorisation():
    rng = np.random.default_rng(3)
    E = rng.standard_normal((40, 6))
    a, b, c = rng.integers(0, 40, (3, 25))
    unit = E / np.linalg.norm(E, axis=1, keepdims=True)
    got = analogy(E, a, b, c)
    got_all = analogy(E, a, b, c, exclude=False)
    for i in range(25):
        scores = unit @ unit[b[i]] - unit @ unit[a[i]] + unit @ unit[c[i]]
        assert got_all[i] == np.argmax(scores)
        scores[[a[i], b[i], c[i]]] = -np.inf
        assert got[i] == np.argmax(scores)
        assert got[i] not in (a[i], b[i], c[i])
        assert analogy(E, int(a[i]), int(b[i]), int(c[i])) == got[i]
    # a parallel offset is recovered exactly
    base = rng.standard_normal((5, 8))
    g = rng.standard_normal(8)
    table = np.vstack([base, base + 3 * g])
    assert analogy(table, 0, 5, 1) == 6
    with pytest.raises(ValueError, match="same shape"):
        analogy(E, [0, 1], [2], [3])


def test_train_sgns_starts_at_six_log_two_and_learns():
    tokens, pairs = gendered_roles_corpus(1500, rng=0)
    words, counts, ids = vocabulary(tokens, 5)
    r = train_sgns(ids, counts, dim=10, epochs=3, rng=0)
    assert r.W_in.shape == r.W_out.shape == (len(words), 10)
    assert math.isclose(r.initial_loss, 6 * math.log(2), rel_tol=1e-12)
    assert r.epoch_loss[-1] < 0.9 * r.initial_loss
    again = train_sgns(ids, counts, dim=10, epochs=3, rng=0)
    np.testing.assert_array_equal(again.W_in, r.W_in)            # seeded: reproducible
    r32 = train_sgns(ids, counts, dim=10, epochs=1, rng=0, dtype=np.float32)
    assert r32.W_in.dtype == r32.W_out.dtype == np.float32
    with pytest.raises(TypeError, match="floating dtype"):
        train_sgns(ids, counts, dtype=np.int64)
    with pytest.raises(ValueError, match="train_sgns lr"):
        train_sgns(ids, counts, lr=0.0)


def test_gendered_roles_corpus_layout():
    tokens, pairs = gendered_roles_corpus(50, rng=1)
    assert len(tokens) == 250 and len(pairs) == 8
    words = {w for p in pairs for w in p}
    middle = tokens[2::5]
    assert all(w in words for w in middle)
    for i, w in enumerate(middle):
        around = {tokens[5 * i + 1], tokens[5 * i + 3]}
        assert ("he" in around) == (w in {m for m, _ in pairs})
