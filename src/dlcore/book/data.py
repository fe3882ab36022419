"""Small datasets that need no download: truth tables, generated 2-D sets, and the 8x8
handwritten digits that ship inside scikit-learn."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..checks import check_choice, check_int, check_range
from ..random import as_generator

__all__ = ["truth_table", "make_moons", "make_spirals", "make_xor_blobs", "Split",
           "load_digits"]

_GATES = {
    "AND": lambda a, b: a & b,
    "OR": lambda a, b: a | b,
    "NAND": lambda a, b: 1 - (a & b),
    "NOR": lambda a, b: 1 - (a | b),
    "XOR": lambda a, b: a ^ b,
}


def truth_table(gate: str):
    """Inputs and labels of a two-input logic gate.

    Returns
    -------
    X : ndarray of shape (4, 2), float64
        The inputs in the order (0,0), (0,1), (1,0), (1,1).
    y : ndarray of shape (4,), int64

    Examples
    --------
    >>> X, y = truth_table("XOR"); y
    array([0, 1, 1, 0])
    """
    check_choice("gate", gate, tuple(_GATES))
    a = np.array([0, 0, 1, 1])
    b = np.array([0, 1, 0, 1])
    return np.stack([a, b], axis=1).astype(np.float64), _GATES[gate](a, b).astype(np.int64)


def make_moons(n_samples: int = 200, noise: float = 0.1, rng=None):
    """Two interleaving half circles with Gaussian noise (labels 0 and 1, balanced).

    Returns ``X`` of shape ``(n_samples, 2)`` and integer ``y`` of shape ``(n_samples,)``.
    """
    n = check_int("n_samples", n_samples, minimum=2)
    check_range("noise", noise, 0.0)
    gen = as_generator(rng)
    n0 = n // 2
    t0 = np.linspace(0, np.pi, n0)
    t1 = np.linspace(0, np.pi, n - n0)
    X = np.concatenate([np.stack([np.cos(t0), np.sin(t0)], 1),
                        np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], 1)])
    y = np.concatenate([np.zeros(n0, np.int64), np.ones(n - n0, np.int64)])
    X += noise * gen.standard_normal(X.shape)
    order = gen.permutation(n)
    return X[order], y[order]


def make_spirals(n_samples: int = 300, n_classes: int = 3, noise: float = 0.2, rng=None):
    """``n_classes`` interleaved spiral arms in the plane, each of ``n_samples // n_classes``
    points; radius grows from 0 to 1 along an arm."""
    k = check_int("n_classes", n_classes, minimum=2)
    per = check_int("n_samples", n_samples, minimum=k) // k
    check_range("noise", noise, 0.0)
    gen = as_generator(rng)
    r = np.tile(np.linspace(0.0, 1.0, per), k)
    cls = np.repeat(np.arange(k), per)
    theta = cls * 2 * np.pi / k + 4.0 * r + noise * gen.standard_normal(per * k)
    X = np.stack([r * np.sin(theta), r * np.cos(theta)], 1)
    order = gen.permutation(per * k)
    return X[order], cls[order].astype(np.int64)


def make_xor_blobs(n_samples: int = 200, std: float = 0.25, rng=None):
    """Gaussian blobs at the four corners (±1, ±1); label 1 where the signs differ (XOR)."""
    n = check_int("n_samples", n_samples, minimum=4)
    check_range("std", std, 0.0)
    gen = as_generator(rng)
    corners = gen.integers(0, 4, n)
    signs = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]], dtype=np.float64)
    X = signs[corners] + std * gen.standard_normal((n, 2))
    y = (signs[corners, 0] != signs[corners, 1]).astype(np.int64)
    return X, y


@dataclass
class Split:
    """Train, validation and test arrays of one dataset."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray

    def __repr__(self) -> str:
        return (f"Split(train={len(self.y_train)}, val={len(self.y_val)}, "
                f"test={len(self.y_test)}, features={self.X_train.shape[1:]})")


def load_digits(val_fraction: float = 0.15, test_fraction: float = 0.15, rng=0,
                scale: str = "standardize", images: bool = False) -> Split:
    """scikit-learn's 1797 8x8 digit images, split reproducibly into train/validation/test.

    Parameters
    ----------
    val_fraction, test_fraction : float
        Shares of the data, stratified by class so every split has all ten digits.
    rng : Generator, int or None
        Controls the split (default seed 0: the same split everywhere in the book).
    scale : {"standardize", "unit", "none"}
        ``"standardize"``: zero mean and unit variance per pixel, with statistics from the
        training split only (constant pixels are left at 0); ``"unit"``: divide by 16 into
        [0, 1]; ``"none"``: raw counts 0..16.
    images : bool
        Return inputs as ``(N, 1, 8, 8)`` (NCHW) instead of ``(N, 64)``.
    """
    check_range("val_fraction", val_fraction, 0.0, 1.0, high_open=True)
    check_range("test_fraction", test_fraction, 0.0, 1.0, high_open=True)
    if val_fraction + test_fraction >= 1:
        raise ValueError("val_fraction + test_fraction must be < 1, got "
                         f"{val_fraction + test_fraction:g}")
    check_choice("scale", scale, ("standardize", "unit", "none"))
    from sklearn.datasets import load_digits as _sk_load_digits  # lazy: sklearn is optional

    bunch = _sk_load_digits()
    X, y = bunch.data.astype(np.float64), bunch.target.astype(np.int64)
    gen = as_generator(rng)
    parts = {"train": [], "val": [], "test": []}
    for c in np.unique(y):
        idx = gen.permutation(np.flatnonzero(y == c))
        n_val, n_test = round(val_fraction * len(idx)), round(test_fraction * len(idx))
        parts["val"].append(idx[:n_val])
        parts["test"].append(idx[n_val:n_val + n_test])
        parts["train"].append(idx[n_val + n_test:])
    idx = {k: gen.permutation(np.concatenate(v)) for k, v in parts.items()}
    if scale == "standardize":
        mu = X[idx["train"]].mean(0)
        sd = X[idx["train"]].std(0)
        X = (X - mu) / np.where(sd > 0, sd, 1.0)
    elif scale == "unit":
        X = X / 16.0
    if images:
        X = X.reshape(-1, 1, 8, 8)
    return Split(X[idx["train"]], y[idx["train"]], X[idx["val"]], y[idx["val"]],
                 X[idx["test"]], y[idx["test"]])
