r"""Word2vec's skip-gram with negative sampling (SGNS, Mikolov et al. 2013), and the count-based
quantities it is compared with: co-occurrence counts, pointwise mutual information (PMI) and
its positive part (PPMI), and nearest-neighbour and analogy queries on a table of vectors.

The model is two :math:`V \times d` tables and nothing else: input (centre) vectors
:math:`v_w` = ``W_in[w]`` and output (context) vectors :math:`u_w` = ``W_out[w]``. For a centre
word :math:`c`, an observed context word :math:`o` and :math:`K` noise words
:math:`n_1, \dots, n_K` drawn from the unigram distribution raised to the power 0.75, the loss
of the pair is

.. math::
    \ell = -\log\sigma(u_o^\top v_c) - \sum_{k=1}^K \log\sigma(-u_{n_k}^\top v_c).

Levy and Goldberg (2014) showed that its optimum, for large enough :math:`d`, has
:math:`u_o^\top v_c = \mathrm{PMI}(c, o) - \log K`: SGNS factorises a shifted PMI matrix.

Pipeline: :func:`vocabulary` (drop rare words, ids by decreasing count), :func:`subsample`
(drop frequent words at random), :func:`skipgram_pairs` (centre/context pairs in a window),
:class:`NegativeSampler`, :func:`sgns_loss_and_grads` (loss and hand-written gradients),
:func:`train_sgns` (mini-batch SGD with a linearly decaying rate). Comparisons:
:func:`cooccurrence`, :func:`pmi`, :func:`ppmi`, :func:`svd_vectors` (the count-based
baseline), :func:`nearest`, :func:`analogy`, and :func:`gendered_roles_corpus`, a generated
corpus in which analogies hold by construction.
"""

from __future__ import annotations

import math
import numbers
from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..checks import as_array, check_choice, check_int, check_range
from ..functional.activation import logsigmoid, sigmoid
from ..functional.distance import cosine_similarity
from ..random import as_generator
from .text import by_frequency

__all__ = ["vocabulary", "subsample", "skipgram_pairs", "NegativeSampler",
           "sgns_loss_and_grads", "train_sgns", "SGNSResult", "cooccurrence", "pmi", "ppmi",
           "svd_vectors", "gendered_roles_corpus", "nearest", "analogy"]


def _ids(name, ids, vocab_size=None, ndim=None):
    """``ids`` as an int64 array, checked to be integers in ``[0, vocab_size)``."""
    arr = np.asarray(ids)
    if arr.dtype.kind not in "iu" and not (arr.size == 0 and arr.dtype.kind == "f"):
        raise TypeError(f"{name} must hold integer token ids, got dtype {arr.dtype}")
    arr = arr.astype(np.int64, copy=False)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {arr.shape}")
    if vocab_size is not None and arr.size and (arr.min() < 0 or arr.max() >= vocab_size):
        raise ValueError(f"{name} must be token ids in [0, {vocab_size}), got values in "
                         f"[{arr.min()}, {arr.max()}]")
    return arr


def _counts(counts):
    c = as_array("counts", counts, min_ndim=1)
    if c.ndim != 1 or c.size == 0:
        raise ValueError(f"counts must be a non-empty 1-D array, got shape {c.shape}")
    if np.any(c < 0) or not np.all(np.isfinite(c)) or c.sum() <= 0:
        raise ValueError("counts must be finite, non-negative and not all zero")
    return c.astype(np.float64)


def vocabulary(tokens, min_count: int = 5):
    """Keep the words that occur at least ``min_count`` times, numbered by decreasing count
    (ties in alphabetical order), and encode the corpus with them, dropping the others (as
    word2vec does: a rare word is removed from the text, not replaced by ``<unk>``).

    Returns
    -------
    words : list of str, length V
    counts : ndarray of int64, shape (V,)
        Occurrences of each kept word in ``tokens``.
    ids : ndarray of int64, shape (n_kept,)
        The corpus as ids, rare words removed.

    Examples
    --------
    >>> words, counts, ids = vocabulary("b a b c b a".split(), min_count=2)
    >>> words, counts.tolist(), ids.tolist()
    (['b', 'a'], [3, 2], [0, 1, 0, 0, 1])
    """
    min_count = check_int("min_count", min_count, minimum=1)
    freq = Counter(tokens)
    words = by_frequency(freq, min_count)
    index = {w: i for i, w in enumerate(words)}
    ids = np.array([index[w] for w in tokens if w in index], dtype=np.int64)
    return words, np.array([freq[w] for w in words], dtype=np.int64), ids


def subsample(ids, counts, t: float = 1e-3, rng=None):
    r"""Drop each occurrence of word :math:`w` with probability
    :math:`1 - \sqrt{t / f_w}` (0 when :math:`f_w \le t`), :math:`f_w` = ``counts[w] /
    counts.sum()``: the formula of Mikolov et al. (2013). Frequent words ("the", "is") carry
    little information per occurrence; dropping most of them speeds training up and lets the
    window reach further. (The C tool keeps a word with probability
    :math:`(\sqrt{f_w/t} + 1)\,t/f_w`, a little more often.)

    Returns the kept ids, in order. ``t <= 0`` keeps everything.

    Examples
    --------
    >>> kept = subsample(np.array([0, 0, 0, 1]), np.array([3, 1]), t=0.5, rng=0)
    >>> bool(np.all(kept[kept != 0] == 1)), int((kept == 1).sum())
    (True, 1)
    """
    ids = _ids("ids", ids, ndim=1)
    c = _counts(counts)
    ids = _ids("ids", ids, vocab_size=c.size)
    t = check_range("t", t, 0.0, what="subsample")
    if t == 0:
        return ids.copy()
    keep = np.minimum(1.0, np.sqrt(t / np.maximum(c / c.sum(), 1e-300)))
    u = as_generator(rng).random(ids.size)
    return ids[u < keep[ids]]


def skipgram_pairs(ids, window: int = 2):
    r"""Every (centre, context) pair at distance :math:`1 \dots` ``window`` in the id stream,
    both directions: :math:`2\sum_{o=1}^{w} (n - o)` pairs for a stream of length :math:`n`.

    The window is fixed. The C tool instead draws the effective window for each centre
    uniformly from :math:`1 \dots w`, which weights close contexts more.

    Returns
    -------
    centre, context : ndarray of int64, shape (n_pairs,)
        Grouped by distance (all pairs at distance 1 first); training shuffles them.

    Examples
    --------
    >>> c, o = skipgram_pairs(np.array([7, 8, 9]), window=1)
    >>> c.tolist(), o.tolist()
    ([7, 8, 8, 9], [8, 9, 7, 8])
    """
    ids = _ids("ids", ids, ndim=1)
    window = check_int("window", window, minimum=1)
    centre, context = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for o in range(1, min(window, max(ids.size - 1, 0)) + 1):
        centre += [ids[:-o], ids[o:]]          # the word o places to the right, then to the left
        context += [ids[o:], ids[:-o]]
    return np.concatenate(centre), np.concatenate(context)


class NegativeSampler:
    r"""Draws noise words from :math:`P_n(w) \propto \mathrm{count}(w)^{\text{power}}`.

    With ``power = 0.75`` (Mikolov et al. 2013) rare words are drawn more often than their
    frequency, frequent ones less. The C tool fills a table of :math:`10^8` ids in these
    proportions and indexes it at random; here Walker's alias method draws from :math:`P_n`
    exactly at the same cost: draw a column :math:`i` uniformly, keep it with probability
    ``keep[i]``, else return ``alias[i]``. The tables are built so that
    :math:`P_n(w) = (\text{keep}_w + \sum_{i:\,\text{alias}_i = w} (1 - \text{keep}_i)) / V`.

    Parameters
    ----------
    counts : array_like, shape (V,)
    power : float, default 0.75
    rng : numpy.random.Generator, int or None

    Attributes
    ----------
    probs : ndarray, shape (V,)
        :math:`P_n`.
    keep, alias : ndarray, shape (V,)
        The alias tables.

    Examples
    --------
    >>> s = NegativeSampler([8, 1], power=0.5, rng=0)
    >>> np.round(s.probs, 4).tolist(), s.sample((2, 3)).shape
    ([0.7388, 0.2612], (2, 3))
    >>> bool(np.allclose(s.implied_probs(), s.probs))
    True
    """

    def __init__(self, counts, power: float = 0.75, rng=None):
        c = _counts(counts)
        self.power = check_range("power", power, 0.0, what="NegativeSampler")
        w = np.where(c > 0, c ** self.power, 0.0)
        self.probs = w / w.sum()
        self.keep, self.alias = self._alias_tables(self.probs)
        self.rng = as_generator(rng)

    @staticmethod
    def _alias_tables(probs):
        # Vose's construction: pair each under-full column with an over-full donor.
        n = probs.size
        q = probs * n
        keep, alias = np.ones(n), np.arange(n)
        small = [i for i in range(n) if q[i] < 1.0]
        large = [i for i in range(n) if q[i] >= 1.0]
        while small and large:
            s, g = small.pop(), large.pop()
            keep[s], alias[s] = q[s], g
            q[g] -= 1.0 - q[s]
            (small if q[g] < 1.0 else large).append(g)
        return keep, alias          # leftovers (rounding) keep probability 1

    def implied_probs(self):
        """The distribution the alias tables sample from (equal to ``probs`` up to rounding)."""
        n = self.probs.size
        return (self.keep + np.bincount(self.alias, weights=1.0 - self.keep, minlength=n)) / n

    def sample(self, shape):
        """Noise ids of the given shape (int64)."""
        i = self.rng.integers(0, self.probs.size, size=shape)
        return np.where(self.rng.random(shape) < self.keep[i], i, self.alias[i])


def _scatter(rows, coef, vectors, vocab_size):
    r""":math:`G[w] = \sum_{(i, j):\ \text{rows}_{ij} = w} \text{coef}_{ij}\, \text{vectors}_i`,
    the scatter-add of a batch's gradient into a (V, d) table.

    Written as the product of the sparse :math:`V \times B` matrix holding ``coef[i, j]`` at
    ``(rows[i, j], i)`` with ``vectors`` (B, d): one pass in compiled code over the B(K+1)
    entries, several times faster than ``np.add.at`` or a ``bincount`` over B(K+1)d numbers.
    Repeated ids in one column are summed, as they must be.
    """
    from scipy.sparse import csc_matrix

    B, J = rows.shape
    M = csc_matrix((coef.reshape(-1), rows.reshape(-1), np.arange(0, B * J + 1, J)),
                   shape=(vocab_size, B))
    return np.asarray(M @ vectors)


def sgns_loss_and_grads(W_in, W_out, centre, context, negatives, reduction: str = "mean"):
    r"""The SGNS loss of a batch of pairs and its gradients with respect to both tables.

    For pair :math:`i` with centre :math:`c`, context :math:`o`, noise words :math:`n_k` and
    :math:`s_o = u_o^\top v_c`, :math:`s_k = u_{n_k}^\top v_c`:

    .. math::
        \ell_i = -\log\sigma(s_o) - \textstyle\sum_k \log\sigma(-s_k),

        \frac{\partial \ell_i}{\partial v_c} = (\sigma(s_o) - 1)\,u_o
            + \textstyle\sum_k \sigma(s_k)\,u_{n_k}, \qquad
        \frac{\partial \ell_i}{\partial u_o} = (\sigma(s_o) - 1)\,v_c, \qquad
        \frac{\partial \ell_i}{\partial u_{n_k}} = \sigma(s_k)\,v_c .

    A word that appears several times in the batch (as centre, context or noise) receives the
    sum of its contributions, scattered into its row (a product with a sparse matrix, see
    ``_scatter``).

    Parameters
    ----------
    W_in, W_out : ndarray, shape (V, d)
        Input (centre) and output (context) vectors.
    centre, context : array_like of int, shape (B,)
    negatives : array_like of int, shape (B, K)
    reduction : {'mean', 'sum'}
        Mean or sum of :math:`\ell_i` over the batch (the gradients follow). The mean of an
        empty batch is NaN, as in PyTorch, with zero gradients.

    Returns
    -------
    loss : float
    grad_W_in, grad_W_out : ndarray, shape (V, d), dtype of the tables

    Examples
    --------
    >>> W_in, W_out = np.ones((3, 2)), np.zeros((3, 2))
    >>> loss, g_in, g_out = sgns_loss_and_grads(W_in, W_out, [0], [1], [[2, 2]])
    >>> round(float(loss / np.log(2)), 6), g_in.tolist(), g_out.tolist()
    (3.0, [[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [-0.5, -0.5], [1.0, 1.0]])
    """
    W_in = as_array("W_in", W_in)
    W_out = as_array("W_out", W_out)
    if W_in.ndim != 2 or W_in.shape != W_out.shape:
        raise ValueError(f"W_in and W_out must be (V, d) tables of the same shape, got "
                         f"{W_in.shape} and {W_out.shape}")
    if W_in.dtype != W_out.dtype:
        raise TypeError(f"W_in and W_out must have the same dtype, got {W_in.dtype} and "
                        f"{W_out.dtype}")
    V = W_in.shape[0]
    c = _ids("centre", centre, V, ndim=1)
    o = _ids("context", context, V, ndim=1)
    n = _ids("negatives", negatives, V, ndim=2)
    if not c.shape[0] == o.shape[0] == n.shape[0]:
        raise ValueError(f"centre shape {c.shape}, context shape {o.shape} and negatives "
                         f"shape {n.shape} must have the same batch size")
    reduction = check_choice("reduction", reduction, ("mean", "sum"))
    B = c.shape[0]
    v = W_in[c]                                                   # (B, d)
    targets = np.concatenate([o[:, None], n], axis=1)             # (B, 1 + K)
    u = W_out[targets]                                            # (B, 1 + K, d)
    s = np.einsum("bkd,bd->bk", u, v)                             # scores
    sign = np.ones_like(s)
    sign[:, 0] = -1.0                                             # the positive's label flips it
    losses = -logsigmoid(-sign * s).sum(axis=1)                   # -log sig(s_o) - sum log sig(-s_k)
    scale = 1.0 / B if reduction == "mean" and B else 1.0
    coef = sigmoid(s)
    coef[:, 0] -= 1.0                                             # d loss / d score
    coef = (coef * scale).astype(W_in.dtype, copy=False)
    grad_v = np.einsum("bk,bkd->bd", coef, u)                     # d loss / d v_c, per pair
    grad_in = _scatter(c[:, None], np.ones((B, 1), W_in.dtype), grad_v, V)
    grad_out = _scatter(targets, coef, v, V)                      # coef_ij v_c into row t_ij
    if reduction == "mean":
        loss = float(losses.mean()) if B else math.nan
    else:
        loss = float(losses.sum())
    return loss, grad_in, grad_out


@dataclass
class SGNSResult:
    """What :func:`train_sgns` returns.

    Attributes
    ----------
    W_in, W_out : ndarray, shape (V, d)
        The trained input and output vectors (``W_in`` are "the word vectors").
    initial_loss : float
        Mean pair loss of the first batch before any update (:math:`(K+1)\\log 2` when
        ``W_out`` starts at zero).
    epoch_loss : ndarray, shape (epochs,)
        Mean pair loss over each epoch, each batch measured just before its update.
    pairs_per_epoch : ndarray of int, shape (epochs,)
    """

    W_in: np.ndarray
    W_out: np.ndarray
    initial_loss: float
    epoch_loss: np.ndarray
    pairs_per_epoch: np.ndarray


def train_sgns(ids, counts, dim: int = 50, window: int = 2, negative: int = 5,
               t: float = 1e-3, epochs: int = 5, lr: float = 0.025, batch_size: int = 1024,
               power: float = 0.75, rng=None, dtype=np.float64) -> SGNSResult:
    r"""Train SGNS on an id stream with mini-batch SGD, as the C tool does it but vectorised.

    Initialisation as in the C tool: ``W_in`` uniform in :math:`[-0.5/d, 0.5/d)`, ``W_out``
    zero, so every score starts at 0 and the first loss is exactly :math:`(K + 1)\log 2`.
    Each epoch subsamples the stream afresh (:func:`subsample`), forms the pairs
    (:func:`skipgram_pairs`), shuffles them, and takes one SGD step per batch on the *summed*
    pair losses (each pair contributes the step the C tool would take for it alone), with a
    learning rate that decays linearly from ``lr`` to ``lr * 1e-4`` over the whole run.

    Parameters
    ----------
    ids : array_like of int, shape (n,)
        The corpus, as ids into ``counts``.
    counts : array_like, shape (V,)
        Word counts (for subsampling and the noise distribution).
    dim, window, negative, t, epochs, lr, batch_size, power
        Vector size, window, noise words per pair, subsampling threshold, passes, initial
        learning rate, pairs per step, exponent of the noise distribution.
    rng : numpy.random.Generator, int or None
        Drives the initialisation, subsampling, shuffling and noise.
    dtype : numpy float dtype, default float64

    Returns
    -------
    SGNSResult

    Examples
    --------
    >>> ids = np.tile([0, 1, 2, 3], 50)
    >>> r = train_sgns(ids, np.bincount(ids), dim=4, t=0, epochs=2, rng=0)
    >>> r.W_in.shape, bool(np.isclose(r.initial_loss, 6 * np.log(2))), bool(r.epoch_loss[-1] < r.initial_loss)
    ((4, 4), True, True)
    """
    c = _counts(counts)
    V = c.size
    ids = _ids("ids", ids, V, ndim=1)
    dim = check_int("dim", dim, minimum=1)
    negative = check_int("negative", negative, minimum=0)
    epochs = check_int("epochs", epochs, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    lr = check_range("lr", lr, 0.0, low_open=True, what="train_sgns")
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"train_sgns dtype must be a floating dtype, got {dtype}")
    gen = as_generator(rng)
    sampler = NegativeSampler(c, power=power, rng=gen)
    W_in = ((gen.random((V, dim)) - 0.5) / dim).astype(dtype)
    W_out = np.zeros((V, dim), dtype)

    streams = []                 # subsample every epoch first, to know the run's length
    for _ in range(epochs):
        streams.append(skipgram_pairs(subsample(ids, c, t, rng=gen), window))
    total = sum(len(p[0]) for p in streams)
    done, initial, epoch_loss = 0, math.nan, []
    for centre, context in streams:
        order = gen.permutation(len(centre))
        centre, context = centre[order], context[order]
        loss_sum = 0.0
        for start in range(0, len(centre), batch_size):
            cb, ob = centre[start:start + batch_size], context[start:start + batch_size]
            nb = sampler.sample((len(cb), negative))
            loss, g_in, g_out = sgns_loss_and_grads(W_in, W_out, cb, ob, nb, reduction="sum")
            if done == 0:
                initial = loss / len(cb)
            rate = lr * max(1.0 - done / total, 1e-4)
            W_in -= dtype.type(rate) * g_in
            W_out -= dtype.type(rate) * g_out
            loss_sum += loss
            done += len(cb)
        epoch_loss.append(loss_sum / max(len(centre), 1))
    return SGNSResult(W_in, W_out, initial, np.array(epoch_loss),
                      np.array([len(p[0]) for p in streams]))


def cooccurrence(ids, vocab_size: int, window: int = 2):
    r"""The :math:`V \times V` matrix of window co-occurrence counts,
    :math:`X_{wc}` = number of pairs of :func:`skipgram_pairs` with centre :math:`w` and
    context :math:`c` (symmetric, since the window looks both ways).

    Examples
    --------
    >>> cooccurrence(np.array([0, 1, 0]), 2, window=1).tolist()
    [[0.0, 2.0], [2.0, 0.0]]
    """
    vocab_size = check_int("vocab_size", vocab_size, minimum=1)
    ids = _ids("ids", ids, vocab_size, ndim=1)
    c, o = skipgram_pairs(ids, window)
    X = np.bincount(c * vocab_size + o, minlength=vocab_size * vocab_size)
    return X.reshape(vocab_size, vocab_size).astype(np.float64)


def pmi(cooc, alpha: float = 1.0, context_probs=None):
    r"""Pointwise mutual information of a co-occurrence matrix,

    .. math:: \mathrm{PMI}(w, c) = \log \frac{P(w, c)}{P(w)\, P_\alpha(c)}
              = \log \frac{X_{wc}}{X_{w\cdot}\, P_\alpha(c)}, \qquad
              P_\alpha(c) = \frac{X_{\cdot c}^\alpha}{\sum_{c'} X_{\cdot c'}^\alpha},

    where ``alpha < 1`` smooths the context distribution as SGNS's noise distribution does
    (Levy, Goldberg & Dagan 2015), and ``context_probs``, if given, replaces
    :math:`P_\alpha(c)` altogether (for example by the noise distribution itself). ``-inf``
    where :math:`X_{wc} = 0`.

    For SGNS with :math:`K` noise words drawn from :math:`P_n`, Levy and Goldberg (2014) show
    that the loss summed over the training pairs is minimised, score by score, at
    :math:`u_c^\top v_w = \log \frac{X_{wc}}{X_{w\cdot} P_n(c)} - \log K`, that is
    ``pmi(X, context_probs=P_n) - log K`` with :math:`X` counted over the pairs it trains on.

    Examples
    --------
    >>> np.round(pmi(np.array([[2.0, 0.0], [0.0, 2.0]])), 4).tolist()
    [[0.6931, -inf], [-inf, 0.6931]]
    """
    X = as_array("cooc", cooc)
    if X.ndim != 2 or np.any(X < 0) or not X.sum() > 0:
        raise ValueError(f"cooc must be a 2-D matrix of non-negative counts, not all zero, got "
                         f"shape {X.shape}")
    rows = X.sum(axis=1, keepdims=True)
    if context_probs is None:
        alpha = check_range("alpha", alpha, 0.0, low_open=True, what="pmi")
        cols = X.sum(axis=0) ** alpha
        p_c = cols / cols.sum()
    else:
        p_c = as_array("context_probs", context_probs)
        if p_c.shape != (X.shape[1],) or np.any(p_c < 0):
            raise ValueError(f"context_probs must be {X.shape[1]} non-negative probabilities, "
                             f"got shape {p_c.shape}")
    out = np.full(X.shape, -np.inf)
    nz = X > 0
    r, c = np.nonzero(nz)
    with np.errstate(divide="ignore"):          # a context of probability 0 that occurs: +inf
        out[nz] = np.log(X[nz]) - np.log(rows[r, 0]) - np.log(p_c[c])
    return out


def ppmi(cooc, alpha: float = 1.0):
    r"""Positive PMI, :math:`\max(\mathrm{PMI}, 0)` (0 where the pair never occurs): the
    classic sparse count-based word representation (one row per word).

    Examples
    --------
    >>> ppmi(np.array([[2.0, 0.0], [1.0, 1.0]])).round(4).tolist()
    [[0.2877, 0.0], [0.0, 0.6931]]
    """
    return np.maximum(pmi(cooc, alpha), 0.0)


def svd_vectors(M, dim: int, eig_weight: float = 0.5):
    r"""Word vectors from a truncated SVD :math:`M \approx U_d \Sigma_d V_d^\top`:
    :math:`E = U_d \Sigma_d^{p}` with :math:`p` = ``eig_weight`` (0.5, the symmetric split of
    Levy, Goldberg & Dagan 2015, or 1 for the textbook :math:`U\Sigma`). No gradient, no
    network: the count-based baseline SGNS is compared with.

    Computed with ``scipy.sparse.linalg.svds`` on ``M`` as a sparse matrix (a PPMI matrix is
    mostly zeros), from a fixed start vector, so the result is deterministic. Columns are in
    decreasing order of singular value; each column's sign is fixed so that its largest entry
    is positive.

    Examples
    --------
    >>> M = np.diag([3.0, 2.0, 1.0])
    >>> svd_vectors(M, 2, eig_weight=1.0).round(6).tolist()
    [[3.0, 0.0], [0.0, 2.0], [0.0, 0.0]]
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.linalg import svds

    M = as_array("M", M)
    if M.ndim != 2:
        raise ValueError(f"M must be a 2-D matrix, got shape {M.shape}")
    dim = check_int("dim", dim, minimum=1)
    if dim >= min(M.shape):
        raise ValueError(f"svd_vectors dim must be below min(M.shape) = {min(M.shape)}, "
                         f"got {dim}")
    p = check_range("eig_weight", eig_weight, 0.0, what="svd_vectors")
    v0 = np.full(min(M.shape), 1.0 / math.sqrt(min(M.shape)))
    U, S, _ = svds(csr_matrix(M), k=dim, v0=v0)
    order = np.argsort(-S, kind="stable")
    U, S = U[:, order], S[order]
    big = np.argmax(np.abs(U), axis=0)
    U = U * np.sign(U[big, np.arange(dim)])
    return U * S ** p


def gendered_roles_corpus(n_sentences: int = 8000, rng=0):
    """A generated corpus in which analogies hold by construction (ATT-05's positive control).

    Eight role words come in a male and a female form (king/queen, actor/actress, ...). Each
    five-word sentence is ``filler, x, word, y, filler`` where ``{x, y}`` are the role's own
    context word and the gender's own context word ("he" or "she"), in random order, and the
    fillers are drawn from twelve function words. Nothing else distinguishes the words, so in
    PMI space the female-minus-male offset is the same for every role.

    Returns
    -------
    tokens : list of str, length 5 * n_sentences
    pairs : list of (male, female) str tuples, the 8 analogy pairs

    Examples
    --------
    >>> tokens, pairs = gendered_roles_corpus(2, rng=0)
    >>> len(tokens), pairs[0]
    (10, ('king', 'queen'))
    """
    n_sentences = check_int("n_sentences", n_sentences, minimum=0)
    gen = as_generator(rng)
    pairs = [("king", "queen"), ("prince", "princess"), ("actor", "actress"),
             ("waiter", "waitress"), ("uncle", "aunt"), ("father", "mother"),
             ("brother", "sister"), ("husband", "wife")]
    role_context = ["reign", "heir", "stage", "restaurant", "nephew", "child", "sibling",
                    "wedding"]
    gender_context = ["he", "she"]
    filler = "the a of and to in was is for with on at".split()
    role = gen.integers(0, len(pairs), n_sentences)
    gender = gen.integers(0, 2, n_sentences)
    swap = gen.random(n_sentences) < 0.5
    fill = gen.integers(0, len(filler), (n_sentences, 2))
    tokens = []
    for r, g, sw, (f1, f2) in zip(role, gender, swap, fill):
        x, y = role_context[r], gender_context[g]
        if sw:
            x, y = y, x
        tokens += [filler[f1], x, pairs[r][g], y, filler[f2]]
    return tokens, pairs


_METRICS = ("cosine", "dot", "euclidean")


def _query(name, q, V):
    if isinstance(q, bool) or not isinstance(q, numbers.Integral):
        raise TypeError(f"{name} must be an integer word id, got {q!r}")
    if not 0 <= q < V:
        raise ValueError(f"{name} must be a word id in [0, {V}), got {q}")
    return int(q)


def nearest(E, word: int, k: int | None = 10, metric: str = "cosine"):
    r"""The ``k`` words closest to ``word`` (itself excluded), best first.

    ``metric``: ``'cosine'`` (largest :func:`~dlcore.functional.cosine_similarity`),
    ``'dot'`` (largest :math:`e_w^\top e_x`, which favours long vectors) or ``'euclidean'``
    (smallest :math:`\lVert e_w - e_x \rVert`). Ties go to the smaller id. ``k=None`` returns
    the whole ranking (V - 1 ids).

    Examples
    --------
    >>> E = np.array([[1.0, 0.0], [10.0, 1.0], [0.9, 0.1], [0.0, 1.0]])
    >>> nearest(E, 0, 2).tolist(), nearest(E, 0, 2, "dot").tolist(), nearest(E, 0, 2, "euclidean").tolist()
    ([1, 2], [1, 2], [2, 3])
    """
    E = as_array("E", E)
    if E.ndim != 2:
        raise ValueError(f"E must be a (V, d) table, got shape {E.shape}")
    V = E.shape[0]
    word = _query("word", word, V)
    k = V - 1 if k is None else check_int("k", k, minimum=0)
    if k > V - 1:
        raise ValueError(f"k must be at most V - 1 = {V - 1}, got {k}")
    metric = check_choice("metric", metric, _METRICS)
    if metric == "cosine":
        score = cosine_similarity(E[word], E, dim=-1)
    elif metric == "dot":
        score = E @ E[word]
    else:
        score = -np.sqrt(((E - E[word]) ** 2).sum(axis=1))
    score[word] = -np.inf
    return np.argsort(-score, kind="stable")[:k]


def analogy(E, a, b, c, exclude: bool = True, eps: float = 1e-8):
    r"""Answer :math:`a : b :: c : ?` by 3CosAdd (Mikolov et al. 2013; Levy & Goldberg 2014):
    the word :math:`x` maximising :math:`\cos(e_x,\ \hat e_b - \hat e_a + \hat e_c)`, with
    :math:`\hat e = e / \max(\lVert e \rVert, \epsilon)`. On unit vectors this is
    :math:`\arg\max_x \cos(x, b) - \cos(x, a) + \cos(x, c)`.

    With ``exclude=True`` (how the benchmarks are scored) the three query words cannot be the
    answer; without it, the nearest vector is very often :math:`c` or :math:`b` itself.

    Parameters
    ----------
    E : ndarray, shape (V, d)
    a, b, c : int or array_like of int, shape (n,)
    exclude : bool

    Returns
    -------
    int or ndarray of int64, shape (n,)

    Examples
    --------
    >>> E = np.array([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    >>> int(analogy(E, 0, 1, 2)), int(analogy(E, 0, 1, 2, exclude=False))
    (3, 3)
    """
    E = as_array("E", E)
    if E.ndim != 2:
        raise ValueError(f"E must be a (V, d) table, got shape {E.shape}")
    V = E.shape[0]
    scalar = np.ndim(a) == 0 and np.ndim(b) == 0 and np.ndim(c) == 0
    a, b, c = (_ids(n, np.atleast_1d(x), V, ndim=1) for n, x in (("a", a), ("b", b), ("c", c)))
    if not a.shape == b.shape == c.shape:
        raise ValueError(f"a, b and c must have the same shape, got {a.shape}, {b.shape} and "
                         f"{c.shape}")
    eps = check_range("eps", eps, 0.0, what="analogy")
    unit = E / np.maximum(np.sqrt((E * E).sum(axis=1, keepdims=True)), eps)
    target = unit[b] - unit[a] + unit[c]                                   # (n, d)
    score = target @ unit.T                                                # (n, V)
    if exclude:
        rows = np.arange(a.size)
        for q in (a, b, c):
            score[rows, q] = -np.inf
    out = np.argmax(score, axis=1)
    return int(out[0]) if scalar else out
