"""The sigmoid's tails: no overflow, and values within a few ulps of the exact ones.

The literal 1/(1 + exp(-x)) overflows below -ln(max float) and returns exactly 0 there,
although the true value is representable down to about -745 (float64) or -104 (float32);
and it returns exactly 1 as soon as 1 + exp(-x) rounds to 1. These tests fail on it.
"""

from decimal import Decimal, localcontext

import numpy as np
import pytest

from dlcore.functional import activation as A


def exact_sigmoid(x: float) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 60
        return 1 / (1 + (-Decimal(float(x))).exp())


def ulp_error(value, x, dtype):
    """|value - exact| in units of the spacing of dtype at the exact value (or the smallest
    subnormal, below the normal range)."""
    exact = exact_sigmoid(x)
    nearest = dtype(float(exact))
    spacing = np.spacing(nearest) if nearest != 0 else np.finfo(dtype).smallest_subnormal
    spacing = max(float(spacing), float(np.finfo(dtype).smallest_subnormal))
    return float(abs(Decimal(float(value)) - exact) / Decimal(spacing))


@pytest.mark.parametrize("dtype,lo", [(np.float32, -110.0), (np.float64, -750.0)])
def test_sigmoid_within_three_ulps_everywhere_including_the_tails(dtype, lo):
    xs = np.concatenate([np.linspace(lo, 45.0, 1501), np.linspace(-6, 6, 121)]).astype(dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = A.sigmoid(xs)
    assert s.dtype == dtype
    worst = max(ulp_error(v, x, dtype) for v, x in zip(s, xs))
    assert worst <= 3.0, worst


def test_sigmoid_tail_values_that_the_literal_formula_loses():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s90 = A.sigmoid(np.array([-90.0], dtype=np.float32))[0]
        s720 = A.sigmoid(np.array([-720.0]))[0]
        s17 = A.sigmoid(np.array([17.0], dtype=np.float32))[0]
        s37 = A.sigmoid(np.array([37.0]))[0]
    assert s90 > 0 and ulp_error(s90, -90.0, np.float32) <= 1
    assert s720 > 0 and ulp_error(s720, -720.0, np.float64) <= 1
    assert s17 == np.float32(1) - np.finfo(np.float32).epsneg       # 0.99999994, not 1.0
    assert s37 == 1 - np.finfo(np.float64).epsneg
    # exactly 0 / 1 only where the exact value rounds to 0 / 1
    assert A.sigmoid(np.array([-104.0], dtype=np.float32))[0] == 0
    assert A.sigmoid(np.array([-746.0]))[0] == 0
    assert A.sigmoid(np.array([18.0], dtype=np.float32))[0] == 1
    assert A.sigmoid(np.array([38.0]))[0] == 1
    # the literal formula, for comparison, loses all of these
    with np.errstate(over="ignore"):
        literal = 1 / (1 + np.exp(-np.array([-90.0], dtype=np.float32)))
    assert literal[0] == 0


def test_sigmoid_special_values_and_shapes():
    x = np.array([-np.inf, np.inf, np.nan, -0.0, 0.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = A.sigmoid(x)
    assert s[0] == 0 and s[1] == 1 and np.isnan(s[2]) and s[3] == 0.5 and s[4] == 0.5
    assert A.sigmoid(np.float64(2.0)).shape == ()
    assert A.sigmoid(np.zeros((0, 3))).shape == (0, 3)
    np.testing.assert_allclose(A.sigmoid(x[3:]) + A.sigmoid(-x[3:]), 1.0, rtol=0, atol=0)


def test_functions_built_on_the_sigmoid_do_not_overflow():
    x = np.array([-1e4, -720.0, -90.0, 0.0, 90.0, 1e4])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        for fn in (A.silu, A.logsigmoid_grad, A.softplus_grad):
            assert np.all(np.isfinite(fn(x)))
        assert np.all(np.isfinite(A.sigmoid_base2(x, 1.44)))
    assert A.silu(np.array([-720.0]))[0] < 0      # -720 * sigma(-720): tiny but not 0
