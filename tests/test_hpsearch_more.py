"""dlcore.maths.hpsearch.expected_best_of against brute-force enumeration of every subset."""

import itertools

import numpy as np
import pytest

from dlcore.maths import hpsearch


@pytest.mark.parametrize("k", [1, 2, 3, 5, 7])
def test_expected_best_of_equals_enumeration(k):
    v = np.random.default_rng(k).uniform(size=7)
    v[3] = v[5]                                          # a tie must not matter
    brute = np.mean([min(c) for c in itertools.combinations(v, k)])
    assert abs(hpsearch.expected_best_of(v, k) - brute) < 1e-12


def test_expected_best_of_edges_and_errors():
    v = np.array([0.4, 0.1, 0.3])
    assert hpsearch.expected_best_of(v, 1) == pytest.approx(v.mean(), abs=1e-15)
    assert hpsearch.expected_best_of(v, 3) == 0.1
    assert hpsearch.expected_best_of([0.2], 1) == 0.2
    with pytest.raises(ValueError, match="k must be at most len"):
        hpsearch.expected_best_of(v, 4)
    with pytest.raises(ValueError, match="k must be"):
        hpsearch.expected_best_of(v, 0)
    with pytest.raises(ValueError, match="1-D and non-empty"):
        hpsearch.expected_best_of(np.ones((2, 2)), 1)
    with pytest.raises(ValueError, match="1-D and non-empty"):
        hpsearch.expected_best_of([], 1)
