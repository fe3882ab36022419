"""Tokenising, vocabularies, the masked mean and byte-pair encoding (dlcore.maths.text)."""

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import dlcore.nn as nn
from dlcore.maths.text import (END_OF_WORD, Vocab, bpe_decode, bpe_encode, learn_bpe,
                               masked_mean, tokenize)

WORDS = st.lists(st.text(alphabet="abcd", min_size=1, max_size=7), min_size=1, max_size=30)


def test_tokenize_lowercases_and_keeps_letter_runs():
    assert tokenize("Don't PANIC: 42 towels\nper_hitchhiker") == \
        ["don", "t", "panic", "towels", "per", "hitchhiker"]
    assert tokenize("ab12cd", pattern="[a-z0-9]+") == ["ab12cd"]
    with pytest.raises(TypeError, match="text must be a str"):
        tokenize(b"bytes")


def test_vocab_orders_specials_then_frequency_then_alphabet():
    v = Vocab(Counter({"b": 3, "a": 3, "c": 1, "d": 2}), min_freq=2)
    assert v.itos == ["<pad>", "<unk>", "a", "b", "d"]
    assert v.stoi["<pad>"] == 0 and v.unk_index == 1
    assert v.encode(["d", "c", "zzz"]) == [4, 1, 1]
    assert v.decode(v.encode(["a", "b"])) == ["a", "b"]
    assert "c" not in v and "a" in v and len(v) == 5


def test_vocab_refuses_bad_arguments():
    with pytest.raises(ValueError, match="min_freq must be an integer >= 1, got 0"):
        Vocab(Counter("ab"), min_freq=0)
    with pytest.raises(ValueError, match="unknown token '<unk>'"):
        Vocab(Counter("ab"), specials=("<pad>",))


def test_masked_mean_ignores_padding_and_is_zero_on_an_empty_mask():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 5, 2))
    mask = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]], dtype=bool)
    out = masked_mean(x, mask)
    np.testing.assert_allclose(out[0], x[0, :2].mean(0), rtol=1e-14)
    np.testing.assert_allclose(out[1], x[1].mean(0), rtol=1e-14)
    np.testing.assert_array_equal(out[2], [0.0, 0.0])
    longer = np.concatenate([x, rng.standard_normal((3, 4, 2))], axis=1)   # junk padding
    np.testing.assert_allclose(masked_mean(longer, np.pad(mask, ((0, 0), (0, 4)))), out,
                               rtol=1e-14)
    assert masked_mean(x.astype(np.float32), mask).dtype == np.float32
    with pytest.raises(ValueError, match=r"x \(3, 5, 2\), mask \(3, 4\)"):
        masked_mean(x, mask[:, :4])


def test_masked_mean_of_embeddings_equals_a_mean_embedding_bag():
    ids = np.array([[4, 2, 2, 0, 0], [1, 0, 0, 0, 0]])
    emb = nn.Embedding(5, 3, padding_idx=0, rng=1)
    bag = nn.EmbeddingBag(5, 3, padding_idx=0, _weight=emb.weight.data)
    np.testing.assert_allclose(masked_mean(emb(ids), ids != 0), bag(ids), rtol=1e-14)


def test_learn_bpe_on_the_papers_dictionary():
    # Sennrich et al. (2016), Figure 1's dictionary; with ties broken by sorting, 'er' is
    # learned before 'er</w>' (the paper lists r</w> first: a tie, broken the other way)
    merges, counts = learn_bpe({"low": 5, "lowest": 2, "newer": 6, "wider": 3}, 4,
                               return_counts=True)
    assert merges == [("e", "r"), ("er", END_OF_WORD), ("l", "o"), ("lo", "w")]
    assert counts == [9, 9, 7, 7]
    assert bpe_encode(["newer", "wider", "lowest"], merges) == \
        ["n", "e", "w", "er</w>", "w", "i", "d", "er</w>", "low", "e", "s", "t", "</w>"]


def naive_bpe(words, num_merges):
    """Recount every pair from scratch after each merge (Algorithm 1 as printed)."""
    seg = Counter({tuple(w) + (END_OF_WORD,): c for w, c in Counter(words).items()})
    merges = []
    for _ in range(num_merges):
        pairs = Counter()
        for sym, c in seg.items():
            for p in zip(sym, sym[1:]):
                pairs[p] += c
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append((best, pairs[best]))
        new = Counter()
        for sym, c in seg.items():
            out, i = [], 0
            while i < len(sym):
                if sym[i:i + 2] == best:
                    out.append(best[0] + best[1])
                    i += 2
                else:
                    out.append(sym[i])
                    i += 1
            new[tuple(out)] += c
        seg = new
    return merges


@settings(max_examples=40, deadline=None, derandomize=True)
@given(words=WORDS, n=st.integers(0, 25))
def test_incremental_counts_equal_a_full_recount(words, n):
    merges, counts = learn_bpe(words, n, return_counts=True)
    assert list(zip(merges, counts)) == naive_bpe(words, n)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(words=WORDS, test=WORDS, n=st.integers(0, 25))
def test_encoding_is_lossless_and_uses_only_known_symbols(words, test, n):
    merges = learn_bpe(words, n)
    symbols = bpe_encode(test, merges)
    assert bpe_decode(symbols) == " ".join(test)
    known = set("abcd") | {END_OF_WORD} | {a + b for a, b in merges}
    assert set(symbols) <= known
    assert len(symbols) <= sum(len(w) + 1 for w in test)


def test_learning_stops_when_every_word_is_one_symbol():
    merges = learn_bpe(["ab", "ab", "c"], 50)
    assert merges == [("a", "b"), ("ab", END_OF_WORD), ("c", END_OF_WORD)]
    assert bpe_encode(["ab", "c"], merges) == ["ab</w>", "c</w>"]


def test_training_words_encode_with_the_merged_symbols():
    words = "the cat sat on the mat the end".split()
    merges = learn_bpe(words, 30)
    assert bpe_encode(["the"], merges) == ["the</w>"]     # frequent words become one symbol


def test_bpe_refuses_bad_words():
    with pytest.raises(ValueError, match="non-empty strings"):
        learn_bpe(["ok", ""], 3)
    with pytest.raises(ValueError, match="without '</w>'"):
        bpe_encode(["a</w>"], [])
    with pytest.raises(ValueError, match="num_merges must be an integer >= 0"):
        learn_bpe(["a"], -1)
