r"""Text and sequence maths for the attention chapter: tokenising, vocabularies and byte-pair
encoding (BPE, Sennrich et al. 2016), the masked mean over padded positions, sinusoidal
positional encoding, the closed-form rotation that relates two of its positions, and the
parameter and FLOP counts of a decoder-only Transformer.

.. math::
    PE(p, 2i) = \sin(p\,\omega_i), \quad PE(p, 2i+1) = \cos(p\,\omega_i), \quad
    \omega_i = 10000^{-2i/d}.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

from ..checks import check_int

__all__ = ["sinusoidal_encoding", "relative_shift_matrix", "transformer_param_count",
           "transformer_flops", "tokenize", "by_frequency", "Vocab", "masked_mean", "END_OF_WORD",
           "learn_bpe", "bpe_encode", "bpe_decode"]


def _frequencies(d_model: int) -> np.ndarray:
    return 10000.0 ** (-np.arange(0, d_model, 2) / d_model)


def sinusoidal_encoding(max_len: int, d_model: int) -> np.ndarray:
    r"""The ``(max_len, d_model)`` table of Vaswani et al. (2017), positions ``0..max_len-1``.

    ``d_model`` must be even: each frequency :math:`\omega_i` fills a (sin, cos) pair.

    Examples
    --------
    >>> pe = sinusoidal_encoding(3, 4)
    >>> pe[0]
    array([0., 1., 0., 1.])
    >>> bool(np.allclose(pe[:, 0::2] ** 2 + pe[:, 1::2] ** 2, 1.0))
    True
    """
    max_len = check_int("max_len", max_len, minimum=0)
    d_model = check_int("d_model", d_model, minimum=2)
    if d_model % 2:
        raise ValueError(f"sinusoidal_encoding needs an even d_model, got {d_model}")
    angles = np.arange(max_len)[:, None] * _frequencies(d_model)[None, :]
    pe = np.empty((max_len, d_model))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles)
    return pe


def relative_shift_matrix(k: int, d_model: int) -> np.ndarray:
    r"""The block-diagonal :math:`M_k` with :math:`PE(p + k) = M_k\, PE(p)` for every ``p``.

    Block :math:`i` rotates the pair :math:`(\sin p\omega_i, \cos p\omega_i)` by
    :math:`k\omega_i`: :math:`\begin{pmatrix}\cos k\omega_i & \sin k\omega_i\\
    -\sin k\omega_i & \cos k\omega_i\end{pmatrix}` (angle-sum formulas). It does not depend on
    ``p``, which is why a linear map of the encoding can express "k positions back".

    Examples
    --------
    >>> pe = sinusoidal_encoding(10, 6)
    >>> bool(np.allclose(pe[:7] @ relative_shift_matrix(3, 6).T, pe[3:]))
    True
    """
    k = check_int("k", k)
    d_model = check_int("d_model", d_model, minimum=2)
    if d_model % 2:
        raise ValueError(f"relative_shift_matrix needs an even d_model, got {d_model}")
    m = np.zeros((d_model, d_model))
    for i, w in enumerate(_frequencies(d_model)):
        c, s = np.cos(k * w), np.sin(k * w)
        m[2 * i:2 * i + 2, 2 * i:2 * i + 2] = [[c, s], [-s, c]]
    return m


def transformer_param_count(vocab_size: int, context: int, d_model: int, n_layer: int,
                            d_ff=None, tied: bool = True, learned_positions: bool = True) -> int:
    r"""Parameters of a GPT-2-style decoder: embeddings, ``n_layer`` Pre-LN blocks, final LN.

    One block holds :math:`4d^2 + 4d` in attention (:math:`W_q, W_k, W_v, W_o` and biases),
    :math:`2 d\,d_{ff} + d_{ff} + d` in the feed-forward block and :math:`4d` in two
    LayerNorms; with :math:`d_{ff} = 4d` that is :math:`12d^2 + 13d`. Add :math:`Vd` for the
    token table (shared with the output layer when ``tied``), :math:`Td` for learned positions
    and :math:`2d` for the final LayerNorm.

    Examples
    --------
    >>> transformer_param_count(50257, 1024, 768, 12)   # GPT-2 small
    124439808
    """
    d, ff = d_model, 4 * d_model if d_ff is None else d_ff
    block = 4 * d * d + 4 * d + 2 * d * ff + ff + d + 4 * d
    total = n_layer * block + vocab_size * d + 2 * d
    if learned_positions:
        total += context * d
    if not tied:
        total += vocab_size * d
    return int(total)


def transformer_flops(vocab_size: int, context: int, d_model: int, n_layer: int,
                      d_ff=None) -> dict:
    r"""Forward FLOPs per token of that decoder at sequence length ``context`` (matmuls only,
    2 FLOPs per multiply-add, the full :math:`T \times T` score matrix as a naive kernel
    computes it).

    Returns ``weights`` (:math:`2 \cdot n_{layer}(4d^2 + 2 d\,d_{ff})`), ``attention``
    (:math:`4\,n_{layer} T d`: :math:`QK^\top` and :math:`PV`), ``output``
    (:math:`2Vd`, the logits) and ``total``.

    Examples
    --------
    >>> f = transformer_flops(50257, 1024, 768, 12)
    >>> f["total"] == 2 * 12 * 12 * 768 ** 2 + 2 * 50257 * 768 + 4 * 12 * 1024 * 768
    True
    """
    d, ff = d_model, 4 * d_model if d_ff is None else d_ff
    weights = 2 * n_layer * (4 * d * d + 2 * d * ff)
    attention = 4 * n_layer * context * d
    output = 2 * vocab_size * d
    return {"weights": int(weights), "attention": int(attention), "output": int(output),
            "total": int(weights + attention + output)}


def tokenize(text: str, pattern: str = "[a-z]+") -> list:
    r"""The matches of ``pattern`` in ``text`` lower-cased, in order (``re.findall``).

    Examples
    --------
    >>> tokenize("Return the Decimal's exponent, as an int.")
    ['return', 'the', 'decimal', 's', 'exponent', 'as', 'an', 'int']
    """
    if not isinstance(text, str):
        raise TypeError(f"tokenize text must be a str, got {type(text).__name__}")
    return re.findall(pattern, text.lower())


def by_frequency(counter, min_freq: int = 1) -> list:
    """The tokens of ``counter`` counted at least ``min_freq`` times, most frequent first, ties
    in alphabetical order: the numbering of :class:`Vocab` and of word2vec's vocabulary.

    Examples
    --------
    >>> by_frequency(Counter("b a b c b a".split()), min_freq=2)
    ['b', 'a']
    """
    return sorted((t for t, c in counter.items() if c >= min_freq),
                  key=lambda t: (-counter[t], t))


class Vocab:
    r"""A token <-> id table: the ``specials`` first, then every token counted at least
    ``min_freq`` times, most frequent first (ties in alphabetical order).

    Parameters
    ----------
    counter : Mapping[str, int]
        Token counts (a ``collections.Counter``), from the training split only.
    min_freq : int, default 1
    specials : tuple of str, default ("<pad>", "<unk>")
        ``<pad>`` gets id 0 and ``<unk>`` id 1 with the default; a token outside the table is
        encoded as ``<unk>`` (``unk_index``), so ``specials`` must contain it.

    Examples
    --------
    >>> v = Vocab(Counter("a b a c a b".split()), min_freq=2)
    >>> v.itos, len(v)
    (['<pad>', '<unk>', 'a', 'b'], 4)
    >>> v.encode(["b", "a", "c"]), v.decode([3, 2, 1])
    ([3, 2, 1], ['b', 'a', '<unk>'])
    """

    def __init__(self, counter, min_freq: int = 1, specials=("<pad>", "<unk>"), unk="<unk>"):
        from ..checks import check_int
        min_freq = check_int("min_freq", min_freq, minimum=1)
        specials = tuple(specials)
        if unk not in specials:
            raise ValueError(f"Vocab specials must contain the unknown token {unk!r}, "
                             f"got {specials}")
        kept = [t for t in by_frequency(counter, min_freq) if t not in specials]
        self.itos = list(specials) + kept
        self.stoi = {t: i for i, t in enumerate(self.itos)}
        self.unk_index = self.stoi[unk]

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token) -> bool:
        return token in self.stoi

    def encode(self, tokens) -> list:
        """Ids of ``tokens``, ``unk_index`` for a token outside the table."""
        return [self.stoi.get(t, self.unk_index) for t in tokens]

    def decode(self, ids) -> list:
        """Tokens of ``ids``."""
        return [self.itos[int(i)] for i in ids]


def masked_mean(x, mask, axis: int = -2):
    r"""Mean of ``x`` over ``axis`` counting only the positions where ``mask`` is True.

    ``x`` has shape ``(..., L, d)`` and ``mask`` ``(..., L)`` (bool) for the default
    ``axis=-2``: :math:`\bar x = \sum_t m_t x_t / \sum_t m_t`, and zero where no position is
    kept (PyTorch's ``EmbeddingBag`` returns zero for an empty bag too). Padding to any length
    leaves it unchanged, unlike ``x.mean(axis)``, which divides by the padded length.

    Examples
    --------
    >>> x = np.array([[[1.0], [3.0], [0.0], [0.0]]])
    >>> masked_mean(x, np.array([[True, True, False, False]])), x.mean(axis=-2)
    (array([[2.]]), array([[1.]]))
    """
    x = np.asarray(x)
    mask = np.asarray(mask, dtype=bool)
    if x.ndim < 2 or mask.shape != x.shape[:-1]:
        raise ValueError(f"masked_mean mask must have x's shape without its last axis: x "
                         f"{x.shape}, mask {mask.shape}")
    m = np.expand_dims(mask, -1).astype(x.dtype if x.dtype.kind == "f" else np.float64)
    total = (x * m).sum(axis=axis)
    count = m.sum(axis=axis)
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0)


#: The end-of-word symbol appended to every word before BPE (Sennrich et al. 2016's ``</w>``).
END_OF_WORD = "</w>"


def _word_counts(words) -> Counter:
    counts = Counter(words) if not hasattr(words, "items") else Counter(dict(words))
    for w in counts:
        if not isinstance(w, str) or not w or END_OF_WORD in w:
            raise ValueError(f"BPE words must be non-empty strings without {END_OF_WORD!r}, "
                             f"got {w!r}")
    return counts


def _pairs(symbols):
    return zip(symbols, symbols[1:])


def _merge(symbols: tuple, pair: tuple) -> tuple:
    """Replace every non-overlapping occurrence of ``pair`` (left to right) by its join."""
    out, i, a, b = [], 0, pair[0], pair[1]
    while i < len(symbols):
        if i + 1 < len(symbols) and symbols[i] == a and symbols[i + 1] == b:
            out.append(a + b)
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return tuple(out)


def learn_bpe(words, num_merges: int, return_counts: bool = False):
    r"""Learn byte-pair-encoding merges from ``words`` (Sennrich et al. 2016, Algorithm 1).

    Every word starts as its characters followed by :data:`END_OF_WORD`; each step merges the
    most frequent adjacent pair of symbols, counted over the words weighted by their counts,
    into one new symbol. Ties go to the pair that sorts first. Learning stops early when no
    pair is left.

    Parameters
    ----------
    words : iterable of str, or Mapping[str, int]
        The training words (repeated as often as they occur) or their counts.
    num_merges : int
    return_counts : bool, default False
        Also return the count of each merged pair when it was merged.

    Returns
    -------
    merges : list of (str, str)
        In the order learned, which is the order :func:`bpe_encode` applies them.
    counts : list of int
        Only with ``return_counts``.

    Examples
    --------
    The paper's toy vocabulary: 'es', then 'est', then 'est</w>' are learned first.

    >>> learn_bpe({"low": 5, "lower": 2, "newest": 6, "widest": 3}, 4, return_counts=True)
    ([('e', 's'), ('es', 't'), ('est', '</w>'), ('l', 'o')], [9, 9, 9, 7])
    """
    from ..checks import check_int
    num_merges = check_int("num_merges", num_merges, minimum=0)
    counts = _word_counts(words)
    vocab = [(tuple(w) + (END_OF_WORD,), c) for w, c in sorted(counts.items())]
    symbols = [v[0] for v in vocab]
    freq = [v[1] for v in vocab]
    pair_counts: Counter = Counter()
    where: dict = {}                         # pair -> set of word indices that contain it
    for i, sym in enumerate(symbols):
        for p in _pairs(sym):
            pair_counts[p] += freq[i]
            where.setdefault(p, set()).add(i)
    merges, merged_counts = [], []
    for _ in range(num_merges):
        live = [p for p, c in pair_counts.items() if c > 0]
        if not live:
            break
        best = min(live, key=lambda p: (-pair_counts[p], p))
        merges.append(best)
        merged_counts.append(int(pair_counts[best]))
        for i in sorted(where.pop(best, ())):
            old = symbols[i]
            new = _merge(old, best)
            for p in _pairs(old):
                pair_counts[p] -= freq[i]
            for p in _pairs(new):
                pair_counts[p] += freq[i]
                where.setdefault(p, set()).add(i)
            symbols[i] = new
        pair_counts.pop(best, None)
    return (merges, merged_counts) if return_counts else merges


def bpe_encode(words, merges) -> list:
    r"""Split each word into BPE symbols by applying ``merges`` in the order they were learned.

    A word starts as its characters and :data:`END_OF_WORD`; the adjacent pair with the
    earliest merge is merged (everywhere in the word) until no learned pair is left. Returns
    the symbols of all words in order; a word's last symbol ends in :data:`END_OF_WORD`.

    Examples
    --------
    >>> merges = learn_bpe({"low": 5, "lower": 2, "newest": 6, "widest": 3}, 10)
    >>> bpe_encode(["lowest", "newer"], merges)
    ['low', 'est</w>', 'n', 'ew', 'e', 'r', '</w>']
    """
    rank = {tuple(p): r for r, p in enumerate(merges)}
    cache: dict = {}
    out: list = []
    for w in words:
        if w not in cache:
            _word_counts([w])
            sym = tuple(w) + (END_OF_WORD,)
            while len(sym) > 1:
                ranked = [(rank[p], p) for p in _pairs(sym) if p in rank]
                if not ranked:
                    break
                sym = _merge(sym, min(ranked)[1])
            cache[w] = list(sym)
        out.extend(cache[w])
    return out


def bpe_decode(symbols) -> str:
    r"""The words that :func:`bpe_encode` split, joined by single spaces.

    Examples
    --------
    >>> bpe_decode(['low', 'est</w>', 'n', 'ew', 'e', 'r', '</w>'])
    'lowest newer'
    """
    return "".join(symbols).replace(END_OF_WORD, " ").rstrip(" ")
