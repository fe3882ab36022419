r"""Classification metrics written from their definitions, with scikit-learn's signatures.

Everything starts from the confusion matrix :math:`M_{ij}` = number of samples of true class
:math:`i` predicted as :math:`j`. For a class :math:`c`: :math:`TP = M_{cc}`,
:math:`FP = \sum_i M_{ic} - TP`, :math:`FN = \sum_j M_{cj} - TP`, and

.. math::
    \text{precision} = \frac{TP}{TP + FP}, \quad \text{recall} = \frac{TP}{TP + FN}, \quad
    F_1 = \frac{2\,TP}{2\,TP + FP + FN}.

**The 0/0 convention.** Precision is 0/0 when nothing is predicted positive, recall when
there is no positive sample, :math:`F_1` when both happen. Such a ratio takes the value
``zero_division`` (default 0.0, scikit-learn's value, without its warning); pass ``np.nan`` to
keep "undefined" visible (averages then skip it, as in scikit-learn). :math:`F_1` uses the
:math:`2TP / (2TP + FP + FN)` form, so it is 0, not undefined, when only precision is 0/0.
"""

from __future__ import annotations

import numpy as np

from ..checks import as_array, check_choice, check_int

__all__ = ["accuracy_score", "confusion_matrix", "precision_score", "recall_score", "f1_score",
           "precision_recall_f1", "roc_curve", "auc", "roc_auc_score", "calibration_bins",
           "expected_calibration_error"]

AVERAGES = ("binary", "micro", "macro", "weighted", None)


def _labels_pair(y_true, y_pred):
    a, b = np.asarray(y_true), np.asarray(y_pred)
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"y_true shape {a.shape} and y_pred shape {b.shape} must be the same "
                         "1-D shape")
    return a, b


def accuracy_score(y_true, y_pred, normalize: bool = True):
    """Fraction (or, with ``normalize=False``, number) of samples with ``y_pred == y_true``.

    Examples
    --------
    >>> accuracy_score([0, 1, 1, 0], [0, 1, 0, 0])
    0.75
    """
    a, b = _labels_pair(y_true, y_pred)
    correct = int((a == b).sum())
    return correct / a.size if normalize else correct


def confusion_matrix(y_true, y_pred, labels=None):
    """Counts ``M[i, j]`` of samples with true label ``labels[i]`` predicted as ``labels[j]``.

    ``labels`` defaults to the sorted union of the labels present, as in scikit-learn.

    Examples
    --------
    >>> confusion_matrix([0, 1, 1, 0, 1], [0, 1, 0, 0, 1])
    array([[2, 0],
           [1, 2]])
    """
    a, b = _labels_pair(y_true, y_pred)
    labels = np.union1d(a, b) if labels is None else np.asarray(labels)
    k = len(labels)
    ia, ib = _positions(labels, a), _positions(labels, b)
    keep = (ia >= 0) & (ib >= 0)  # samples with a label outside ``labels`` are not counted
    return np.bincount(ia[keep] * k + ib[keep], minlength=k * k).reshape(k, k)


def _positions(labels, values):
    """Index of each value in ``labels`` (any order), -1 where absent."""
    order = np.argsort(labels, kind="stable")
    pos = np.minimum(np.searchsorted(labels[order], values), len(labels) - 1)
    return np.where(labels[order][pos] == values, order[pos], -1)


def _zero_division(value):
    """0.0, 1.0 or NaN; scikit-learn's ``"warn"`` means 0.0 (dlcore does not warn)."""
    if isinstance(value, str) and value == "warn":
        return 0.0
    if isinstance(value, (int, float)) and not isinstance(value, bool) and (
            value in (0, 1) or np.isnan(value)):
        return float(value)
    raise ValueError(f"zero_division must be 0.0, 1.0, np.nan or 'warn', got {value!r}")


def _ratio(num, den, zero_division):
    num, den = np.asarray(num, float), np.asarray(den, float)
    safe = np.where(den == 0, 1.0, den)
    return np.where(den == 0, zero_division, num / safe)


def _average(values, support, average):
    if average == "weighted":
        values, support = values[~np.isnan(values)], support[~np.isnan(values)]
        return float(values @ support / support.sum()) if support.sum() else 0.0
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else float("nan")


def precision_recall_f1(y_true, y_pred, *, labels=None, pos_label=1, average="binary",
                        zero_division=0.0):
    """Precision, recall and :math:`F_1` together (see the module notes for the formulas).

    Parameters
    ----------
    y_true, y_pred : array-like, shape (N,)
    labels : array-like or None
        The classes to report; by default the sorted union of those present.
    pos_label : label used with ``average="binary"``
    average : ``"binary"``, ``"micro"``, ``"macro"``, ``"weighted"`` or ``None``
        ``None`` returns one value per label; ``"micro"`` pools the counts; ``"macro"`` is the
        plain mean over labels; ``"weighted"`` weights by each label's number of true samples.
    zero_division : float
        The value of a 0/0 ratio (0.0, 1.0 or ``np.nan``).

    Returns
    -------
    tuple of three floats, or of three arrays when ``average is None``

    Examples
    --------
    >>> precision_recall_f1([0, 1, 1, 1], [0, 1, 0, 0])
    (1.0, 0.333, 0.5)
    """
    check_choice("average", average, AVERAGES)
    zero_division = _zero_division(zero_division)
    a, b = _labels_pair(y_true, y_pred)
    present = np.union1d(a, b)
    if average == "binary":
        if present.size > 2:
            raise ValueError(f"average='binary' needs at most 2 labels, got {present.tolist()}; "
                             "choose average='micro', 'macro', 'weighted' or None")
        if present.size == 2 and pos_label not in present.tolist():
            raise ValueError(f"pos_label={pos_label!r} is not a valid label: it should be one "
                             f"of {present.tolist()}")
        labels = np.array([pos_label])
    elif labels is None:
        labels = present
    labels = np.asarray(labels)
    cm = confusion_matrix(a, b, labels=np.union1d(present, labels))
    pick = np.searchsorted(np.union1d(present, labels), labels)
    tp = np.diag(cm)[pick]
    predicted, actual = cm.sum(axis=0)[pick], cm.sum(axis=1)[pick]
    if average == "micro":
        tp, predicted, actual = tp.sum(), predicted.sum(), actual.sum()
    p = _ratio(tp, predicted, zero_division)
    r = _ratio(tp, actual, zero_division)
    f = _ratio(2 * tp, predicted + actual, zero_division)
    if average in ("binary", "micro"):
        return float(np.ravel(p)[0]), float(np.ravel(r)[0]), float(np.ravel(f)[0])
    if average is None:
        return p, r, f
    return tuple(_average(v, actual.astype(float), average) for v in (p, r, f))


def precision_score(y_true, y_pred, *, labels=None, pos_label=1, average="binary",
                    zero_division=0.0):
    """:math:`TP / (TP + FP)`: of the samples predicted positive, the fraction that are.

    Examples
    --------
    >>> precision_score([0, 0, 1], [1, 1, 1])
    0.333
    >>> precision_score([0, 1], [0, 0])   # nothing predicted positive: 0/0 -> zero_division
    0.0
    """
    return precision_recall_f1(y_true, y_pred, labels=labels, pos_label=pos_label,
                               average=average, zero_division=zero_division)[0]


def recall_score(y_true, y_pred, *, labels=None, pos_label=1, average="binary",
                 zero_division=0.0):
    """:math:`TP / (TP + FN)`: of the positive samples, the fraction found.

    Examples
    --------
    >>> recall_score([1, 1, 1, 0], [1, 0, 0, 1])
    0.333
    """
    return precision_recall_f1(y_true, y_pred, labels=labels, pos_label=pos_label,
                               average=average, zero_division=zero_division)[1]


def f1_score(y_true, y_pred, *, labels=None, pos_label=1, average="binary", zero_division=0.0):
    """:math:`F_1 = 2TP / (2TP + FP + FN)`, the harmonic mean of precision and recall.

    Examples
    --------
    >>> f1_score([1, 1, 0, 0], [1, 0, 1, 0])
    0.5
    """
    return precision_recall_f1(y_true, y_pred, labels=labels, pos_label=pos_label,
                               average=average, zero_division=zero_division)[2]


def _binary_scores(y_true, y_score, pos_label):
    y = np.asarray(y_true)
    s = as_array("y_score", y_score)
    if y.ndim != 1 or s.shape != y.shape:
        raise ValueError(f"y_true shape {y.shape} and y_score shape {s.shape} must be the same "
                         "1-D shape")
    pos = y == pos_label
    if pos.all() or not pos.any():
        raise ValueError("the ROC curve needs both classes in y_true, got only "
                         f"{np.unique(y).tolist()} (pos_label={pos_label})")
    return pos.astype(float), s


def roc_curve(y_true, y_score, *, pos_label=1, drop_intermediate: bool = True):
    r"""False- and true-positive rates as the decision threshold sweeps down the scores.

    Sort the scores in decreasing order; at each distinct score :math:`\tau`, predicting
    positive for :math:`s \ge \tau` gives :math:`TPR = TP/P` and :math:`FPR = FP/N`. The curve
    starts at (0, 0) with threshold :math:`+\infty`, like scikit-learn's; ``drop_intermediate``
    removes points on straight segments, which do not change the area.

    Returns
    -------
    fpr, tpr, thresholds : arrays of the same length

    Examples
    --------
    >>> fpr, tpr, th = roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> fpr, tpr
    (array([0. , 0. , 0.5, 0.5, 1. ]), array([0. , 0.5, 0.5, 1. , 1. ]))
    """
    y, s = _binary_scores(y_true, y_score, pos_label)
    order = np.argsort(-s, kind="mergesort")
    s, y = s[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(s)), y.size - 1]  # last index of each distinct score
    tps = np.cumsum(y)[last]
    fps = 1 + last - tps
    thresholds = s[last]
    if drop_intermediate and fps.size > 2:
        corner = np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True]
        fps, tps, thresholds = fps[corner], tps[corner], thresholds[corner]
    fps, tps = np.r_[0, fps], np.r_[0, tps]
    return fps / fps[-1], tps / tps[-1], np.r_[np.inf, thresholds]


def auc(x, y):
    r"""Area under a curve by the trapezoidal rule, :math:`\sum_k (x_{k+1} - x_k)(y_k + y_{k+1})/2`.

    ``x`` must be monotonic (increasing or decreasing).

    Examples
    --------
    >>> auc([0.0, 0.5, 1.0], [0.0, 1.0, 1.0])
    0.75
    """
    x, y = as_array("x", x), as_array("y", y)
    if x.ndim != 1 or x.shape != y.shape or x.size < 2:
        raise ValueError(f"x shape {x.shape} and y shape {y.shape} must be the same 1-D shape "
                         "with at least 2 points")
    dx = np.diff(x)
    if (dx < 0).any() and (dx > 0).any():
        raise ValueError("x must be monotonic increasing or decreasing")
    area = float(np.sum(dx * (y[1:] + y[:-1]) / 2))
    return -area if (dx <= 0).all() and (dx < 0).any() else area


def roc_auc_score(y_true, y_score, *, pos_label=1):
    r"""Area under the ROC curve.

    It equals the probability that a random positive scores higher than a random negative
    (ties count one half), the Mann-Whitney statistic: a ranking quality, blind to the
    threshold and to calibration.

    Examples
    --------
    >>> roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    fpr, tpr, _ = roc_curve(y_true, y_score, pos_label=pos_label, drop_intermediate=False)
    return auc(fpr, tpr)


def calibration_bins(y_true, y_prob, n_bins: int = 10):
    r"""Per-bin confidence, accuracy and count for a reliability diagram.

    ``y_prob`` of shape ``(N,)`` is the probability of the positive class (label 1): the bins
    compare the mean predicted probability with the observed frequency of 1s, as
    ``sklearn.calibration.calibration_curve``. Of shape ``(N, C)``, it holds class
    probabilities: the bins compare the top-label confidence :math:`\max_c p_c` with the
    accuracy of the arg-max (Guo et al., 2017). Bins split :math:`[0, 1]` into ``n_bins``
    equal intervals :math:`(a, b]`, the first one closed, as scikit-learn does.

    Returns
    -------
    confidence, accuracy, count : arrays of length ``n_bins`` (NaN for empty bins)

    Examples
    --------
    >>> conf, acc, count = calibration_bins([1, 0, 1, 1], [0.9, 0.8, 0.3, 0.6], n_bins=2)
    >>> conf, acc, count
    (array([0.3       , 0.76666667]), array([1.        , 0.66666667]), array([1., 3.]))
    """
    n_bins = check_int("n_bins", n_bins, minimum=1)
    p = as_array("y_prob", y_prob)
    y = np.asarray(y_true)
    if p.ndim == 2:
        conf, hit = p.max(axis=1), (p.argmax(axis=1) == y).astype(float)
    elif p.ndim == 1:
        conf, hit = p, (y == 1).astype(float)
    else:
        raise ValueError(f"y_prob must be (N,) or (N, C), got shape {p.shape}")
    if y.shape != conf.shape:
        raise ValueError(f"y_true shape {y.shape} does not match y_prob shape {p.shape}")
    if conf.size and (conf.min() < 0 or conf.max() > 1):
        raise ValueError(f"y_prob must hold probabilities in [0, 1], got values in "
                         f"[{conf.min():g}, {conf.max():g}]")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    ids = np.searchsorted(edges[1:-1], conf)
    count = np.bincount(ids, minlength=n_bins).astype(float)
    safe = np.where(count == 0, 1.0, count)
    empty = np.where(count == 0, np.nan, 1.0)
    return (np.bincount(ids, conf, n_bins) / safe * empty,
            np.bincount(ids, hit, n_bins) / safe * empty, count)


def expected_calibration_error(y_true, y_prob, n_bins: int = 10):
    r"""Expected calibration error :math:`\sum_b \frac{n_b}{N} |\text{acc}_b - \text{conf}_b|`.

    The gap between how often the model is right and how sure it says it is, averaged over
    confidence bins (see :func:`calibration_bins` for the two input layouts and the bins).

    Examples
    --------
    >>> expected_calibration_error([1, 1, 0, 0], [0.9, 0.9, 0.1, 0.1], n_bins=5)
    0.1
    """
    conf, acc, count = calibration_bins(y_true, y_prob, n_bins)
    used = count > 0
    return float(np.sum(count[used] * np.abs(acc[used] - conf[used])) / count.sum())
