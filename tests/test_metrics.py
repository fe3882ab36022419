"""dlcore.maths.metrics against scikit-learn: every average, the 0/0 conventions, ROC and
calibration."""


import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve

from dlcore.maths import metrics

AVERAGES = ["binary", "micro", "macro", "weighted", None]
ZERO_DIVISION = [0.0, 1.0, np.nan]


def _same(ours, theirs):
    np.testing.assert_allclose(np.asarray(ours, float), np.asarray(theirs, float), rtol=1e-12,
                               atol=0, equal_nan=True)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 40), k=st.integers(2, 4), seed=st.integers(0, 2**16),
       average=st.sampled_from(AVERAGES), zero_division=st.sampled_from(ZERO_DIVISION))
def test_precision_recall_f1_match_sklearn(n, k, seed, average, zero_division):
    rng = np.random.default_rng(seed)
    if average == "binary":
        k = 2
    y_true, y_pred = rng.integers(0, k, n), rng.integers(0, k, n)
    for name in ["precision_score", "recall_score", "f1_score"]:
        ours = getattr(metrics, name)(y_true, y_pred, average=average,
                                      zero_division=zero_division)
        theirs = getattr(skm, name)(y_true, y_pred, average=average,
                                    zero_division=zero_division)
        _same(ours, theirs)


@pytest.mark.parametrize("zero_division", ZERO_DIVISION)
def test_always_negative_classifier(zero_division):
    y_true = np.r_[np.zeros(950, int), np.ones(50, int)]
    y_pred = np.zeros(1000, int)
    assert metrics.accuracy_score(y_true, y_pred) == 0.95
    for name in ["precision_score", "recall_score", "f1_score"]:
        ours = getattr(metrics, name)(y_true, y_pred, zero_division=zero_division)
        _same(ours, getattr(skm, name)(y_true, y_pred, zero_division=zero_division))
    # precision is 0/0 (nothing predicted positive); recall and F1 are a true 0
    _same(metrics.precision_score(y_true, y_pred, zero_division=zero_division), zero_division)
    assert metrics.recall_score(y_true, y_pred, zero_division=zero_division) == 0.0
    assert metrics.f1_score(y_true, y_pred, zero_division=zero_division) == 0.0


def test_labels_and_pos_label():
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.choice(["cat", "dog", "eel"], 30), rng.choice(["cat", "dog", "eel"], 30)
    labels = ["eel", "cat"]
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred, labels=labels),
                                  skm.confusion_matrix(y_true, y_pred, labels=labels))
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred),
                                  skm.confusion_matrix(y_true, y_pred))
    for average in ["macro", "micro", None]:
        _same(metrics.f1_score(y_true, y_pred, labels=labels, average=average),
              skm.f1_score(y_true, y_pred, labels=labels, average=average))
    yb, pb = rng.integers(0, 2, 20), rng.integers(0, 2, 20)
    _same(metrics.precision_score(yb, pb, pos_label=0), skm.precision_score(yb, pb, pos_label=0))
    assert metrics.accuracy_score(y_true, y_pred, normalize=False) == skm.accuracy_score(
        y_true, y_pred, normalize=False)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 60), seed=st.integers(0, 2**16), ties=st.booleans(),
       drop=st.booleans())
def test_roc_curve_and_auc_match_sklearn(n, seed, ties, drop):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    y[:2] = [0, 1]
    s = rng.integers(0, 5, n) / 4 if ties else rng.standard_normal(n)
    for ours, theirs in zip(metrics.roc_curve(y, s, drop_intermediate=drop),
                            skm.roc_curve(y, s, drop_intermediate=drop)):
        _same(ours, theirs)
    _same(metrics.roc_auc_score(y, s), skm.roc_auc_score(y, s))
    # the Mann-Whitney reading: P(score of a positive > score of a negative), ties count 1/2
    pos, neg = s[y == 1][:, None], s[y == 0][None, :]
    np.testing.assert_allclose(metrics.roc_auc_score(y, s),
                               np.mean((pos > neg) + 0.5 * (pos == neg)), rtol=1e-12)


def test_auc_of_decreasing_x_and_sklearn():
    x, y = np.array([1.0, 0.6, 0.2, 0.0]), np.array([1.0, 0.9, 0.3, 0.0])
    _same(metrics.auc(x, y), skm.auc(x, y))
    _same(metrics.auc(x[::-1], y[::-1]), skm.auc(x[::-1], y[::-1]))


@pytest.mark.parametrize("n_bins", [1, 5, 10, 15])
def test_calibration_bins_match_sklearn_and_ece(n_bins):
    rng = np.random.default_rng(n_bins)
    p = rng.uniform(0, 1, 500) ** 2
    p[:4] = [0.0, 1.0, 0.2, 0.6]  # values on bin edges
    y = (rng.uniform(0, 1, 500) < np.sqrt(p)).astype(int)
    conf, acc, count = metrics.calibration_bins(y, p, n_bins)
    prob_true, prob_pred = calibration_curve(y, p, n_bins=n_bins)
    used = count > 0
    _same(acc[used], prob_true)
    _same(conf[used], prob_pred)
    assert count.sum() == 500
    # ECE from its definition, bin by bin, with the same (a, b] bins
    edges = np.linspace(0, 1, n_bins + 1)
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (p > lo) & (p <= hi) if lo > 0 else (p >= lo) & (p <= hi)
        if inside.any():
            ece += inside.mean() * abs(y[inside].mean() - p[inside].mean())
    np.testing.assert_allclose(metrics.expected_calibration_error(y, p, n_bins), ece, rtol=1e-12)


def test_top_label_ece():
    probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.45, 0.55]])
    y = np.array([0, 1, 1, 1])
    conf, acc, count = metrics.calibration_bins(y, probs, n_bins=2)
    np.testing.assert_allclose(count, [0, 4])
    expected = abs(np.mean([1, 0, 1, 1]) - np.mean([0.9, 0.8, 0.7, 0.55]))
    assert metrics.expected_calibration_error(y, probs, n_bins=2) == pytest.approx(expected)
    # a perfectly calibrated predictor has ECE 0
    assert metrics.expected_calibration_error([1, 0], [1.0, 0.0]) == 0.0


def test_bad_input_is_explained():
    with pytest.raises(ValueError, match=r"y_true shape \(3,\) and y_pred shape \(2,\)"):
        metrics.accuracy_score([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="average='binary' needs at most 2 labels"):
        metrics.f1_score([0, 1, 2], [0, 1, 2])
    with pytest.raises(ValueError, match="average must be one of"):
        metrics.f1_score([0, 1], [0, 1], average="samples")
    with pytest.raises(ValueError, match=r"needs both classes in y_true, got only \[1\]"):
        metrics.roc_auc_score([1, 1], [0.2, 0.4])
    with pytest.raises(ValueError, match="monotonic"):
        metrics.auc([0, 1, 0.5], [0, 1, 1])
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        metrics.expected_calibration_error([0, 1], [0.5, 1.5])
    with pytest.raises(ValueError, match="pos_label=2 is not a valid label"):
        metrics.precision_score([0, 1], [1, 1], pos_label=2)
    with pytest.raises(ValueError, match="zero_division must be 0.0, 1.0, np.nan or 'warn', got 2"):
        metrics.recall_score([0, 1], [0, 0], zero_division=2)
    assert metrics.precision_score([0, 1], [0, 0], zero_division="warn") == 0.0
    with pytest.raises(ValueError, match="n_bins must be an integer >= 1, got 0"):
        metrics.calibration_bins([0, 1], [0.5, 0.5], n_bins=0)


def test_import_stays_numpy_only():
    import subprocess
    import sys

    code = ("import sys, dlcore.maths.metrics; bad = [m for m in ('sklearn', 'scipy', 'torch', "
            "'matplotlib') if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
