"""The multi-seed helper: spreads, separation tests and bad input."""

import numpy as np
import pytest

from dlcore.book.seeds import Spread, over_seeds


def test_over_seeds_collects_numbers_and_keeps_the_rest():
    runs = over_seeds(lambda s: {"acc": 0.5 + 0.1 * s, "curve": np.arange(s)}, seeds=[1, 2, 3])
    assert list(runs) == ["acc"]
    assert runs["acc"].seeds == (1, 2, 3)
    np.testing.assert_allclose(runs["acc"].values, [0.6, 0.7, 0.8])
    assert runs["acc"].mean == pytest.approx(0.7)
    assert runs["acc"].std == pytest.approx(0.1)
    assert len(runs.raw[2]["curve"]) == 3
    assert "acc" in runs.table()


def test_a_bare_number_is_reported_as_value():
    runs = over_seeds(lambda s: float(s * s), seeds=3)
    assert runs["value"].max == 4.0 and runs["value"].min == 0.0


def test_separation_needs_disjoint_ranges():
    a = Spread(np.array([1.0, 1.2, 1.1]), (0, 1, 2))
    b = Spread(np.array([0.9, 1.05, 0.8]), (0, 1, 2))
    assert not a.above(b) and not b.below(a)        # 1.05 > 1.0: the ranges overlap
    c = Spread(np.array([0.1, 0.2, 0.3]), (0, 1, 2))
    assert a.above(c) and c.below(a)
    assert a.differs(c) and not a.differs(a)


@pytest.mark.parametrize("seeds, exc, match", [
    (0, ValueError, "positive count"),
    ([], ValueError, "must not be empty"),
    ([0.5], TypeError, "integers"),
])
def test_bad_seeds(seeds, exc, match):
    with pytest.raises(exc, match=match):
        over_seeds(lambda s: 1.0, seeds=seeds)


def test_bad_return_type():
    with pytest.raises(TypeError, match="number or a mapping"):
        over_seeds(lambda s: "x", seeds=2)
