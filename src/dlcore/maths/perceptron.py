r"""Rosenblatt's perceptron, logic gates, and the smallest step networks for XOR.

A perceptron is one threshold unit: :math:`\hat y = H(w \cdot x + b)` with the step
:math:`H(z) = 1` for :math:`z > 0` and :math:`0` otherwise. Its learning rule
(Rosenblatt 1958) changes the weights only on a mistake:

.. math::
    w \leftarrow w + \eta\,(y - \hat y)\,x, \qquad b \leftarrow b + \eta\,(y - \hat y).

On linearly separable data the rule stops making mistakes after finitely many updates; on
XOR it never does, because no line separates XOR's classes. Two layers of step units do
compute XOR: three units in a layered net, two when the inputs also feed the output unit
(a skip connection).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..checks import as_array, check_int, check_range, check_shape
from ..random import as_generator

__all__ = ["step", "truth_table", "Perceptron", "PerceptronUpdate", "check_binary_labels", "gate_table",
           "gate_name", "GATE_NAMES", "StepNetwork", "xor_step_network"]

GATE_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)

#: Names of the 16 Boolean functions of two inputs ``(a, b)``, keyed by the outputs on
#: ``(0,0), (0,1), (1,0), (1,1)`` (the order of :func:`dlcore.book.data.truth_table`).
GATE_NAMES = {
    (0, 0, 0, 0): "FALSE", (0, 0, 0, 1): "AND", (0, 0, 1, 0): "A AND NOT B",
    (0, 0, 1, 1): "A", (0, 1, 0, 0): "NOT A AND B", (0, 1, 0, 1): "B",
    (0, 1, 1, 0): "XOR", (0, 1, 1, 1): "OR", (1, 0, 0, 0): "NOR", (1, 0, 0, 1): "XNOR",
    (1, 0, 1, 0): "NOT B", (1, 0, 1, 1): "A OR NOT B", (1, 1, 0, 0): "NOT A",
    (1, 1, 0, 1): "NOT A OR B", (1, 1, 1, 0): "NAND", (1, 1, 1, 1): "TRUE",
}


def step(input, values=0.0):
    r"""Heaviside step :math:`H(z) = 1` for :math:`z > 0`, ``0`` for :math:`z < 0`, and
    ``values`` at :math:`z = 0`, as ``torch.heaviside(input, values)``.

    The perceptron's convention (output 1 only when the sum is *positive*) is the default
    ``values=0``. The dtype of ``input`` is kept (float64 for integer input).

    Examples
    --------
    >>> step(np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 1.])
    >>> step(np.array([-1.0, 0.0, 2.0]), values=1.0)
    array([0., 1., 1.])
    """
    z = as_array("input", input)
    v = as_array("values", values, dtype=z.dtype)
    try:  # PyTorch's kernel: z == 0 ? values : (z > 0), so NaN gives 0 as in torch
        return np.where(z == 0, v, (z > 0).astype(z.dtype))
    except ValueError:
        raise ValueError(f"values of shape {v.shape} cannot be broadcast to the input shape "
                         f"{z.shape}") from None


def check_binary_labels(name: str, y, n: int | None = None) -> np.ndarray:
    """Return ``y`` as an int64 vector after checking every entry is 0 or 1 (and, if ``n`` is
    given, that there are ``n`` of them).

    Examples
    --------
    >>> check_binary_labels("y", [0, 1, 1.0])
    array([0, 1, 1])
    >>> check_binary_labels("y", [0, 2])
    Traceback (most recent call last):
    ...
    ValueError: y must hold labels in {0, 1}, got 2 at index 1
    """
    arr = as_array(name, y)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a vector of labels, got shape {arr.shape}")
    bad = np.flatnonzero((arr != 0) & (arr != 1))
    if bad.size:
        raise ValueError(f"{name} must hold labels in {{0, 1}}, got {arr[bad[0]]:g} "
                         f"at index {bad[0]}")
    if n is not None and arr.size != n:
        raise ValueError(f"{name} has {arr.size} labels but X has {n} samples")
    return arr.astype(np.int64)


@dataclass(frozen=True)
class PerceptronUpdate:
    """One visit of the learning rule to one sample (the weights are those *after* it)."""

    epoch: int
    index: int
    target: int
    prediction: int
    weight: np.ndarray
    bias: float

    @property
    def mistake(self) -> bool:
        return self.target != self.prediction


class Perceptron:
    r"""A single threshold unit trained with Rosenblatt's rule.

    Parameters
    ----------
    in_features : int or None
        Number of inputs :math:`n`; ``None`` takes it from the first ``X`` given to ``fit``
        (or from ``weight``).
    lr : float, default 1.0
        Learning rate :math:`\eta > 0`.
    weight : array of shape (in_features,), optional
        Initial weights (zeros by default).
    bias : float, default 0.0
        Initial bias.

    Notes
    -----
    ``decision_function(X)`` is :math:`z = X w + b`, shape ``(N,)``; ``predict(X)`` is
    :math:`H(z)` as int64 labels 0/1. ``fit`` visits the samples in order (or in a fresh
    ``rng`` permutation per epoch with ``shuffle=True``) and applies
    :math:`w \leftarrow w + \eta (y - \hat y) x`, :math:`b \leftarrow b + \eta (y - \hat y)`
    after each prediction, so a correct prediction changes nothing.

    Examples
    --------
    >>> from dlcore.book.data import truth_table
    >>> X, y = truth_table("AND")
    >>> p = Perceptron(2)
    >>> p.fit(X, y, epochs=20)
    [1, 3, 3, 2, 1, 0]
    >>> p.weight, p.bias, p.predict(X)
    (array([2., 1.]), -2.0, array([0, 0, 0, 1]))
    """

    def __init__(self, in_features: int | None = None, lr: float = 1.0, weight=None,
                 bias: float = 0.0):
        self.lr = check_range("lr", lr, 0.0, low_open=True, what="Perceptron")
        self.in_features = None
        self.weight = None
        if in_features is not None:
            self.in_features = check_int("in_features", in_features, minimum=1)
            self.weight = np.zeros(self.in_features)
        if weight is not None:
            weight = as_array("weight", weight, dtype=np.float64, min_ndim=1).copy()
            expected = (weight.size,) if self.in_features is None else (self.in_features,)
            check_shape("weight", weight, expected, layer="Perceptron")
            self.in_features, self.weight = weight.size, weight
        self.bias = check_range("bias", bias)
        self.mistakes: list[int] = []

    def _inputs(self, X, fitting: bool = False) -> np.ndarray:
        X = as_array("X", X, dtype=np.float64)
        if self.in_features is None:
            if not fitting:
                raise ValueError("Perceptron has no weights yet: call fit first, or give "
                                 "in_features or weight")
            check_shape("X", X, (None, None), layer="Perceptron")
            self.in_features, self.weight = X.shape[1], np.zeros(X.shape[1])
        check_shape("X", X, (None, self.in_features), layer=f"Perceptron({self.in_features})")
        return X

    def decision_function(self, X) -> np.ndarray:
        """The weighted sums :math:`z = X w + b`, shape ``(N,)``."""
        return self._inputs(X) @ self.weight + self.bias

    def predict(self, X) -> np.ndarray:
        """Step outputs :math:`H(z)` as int64 labels, shape ``(N,)``."""
        return step(self.decision_function(X)).astype(np.int64)

    def signed_distance(self, X) -> np.ndarray:
        r"""Signed Euclidean distance of each row of ``X`` from the boundary
        :math:`w \cdot x + b = 0`: :math:`z / \lVert w \rVert` (positive on the class-1 side)."""
        z = self.decision_function(X)
        norm = np.linalg.norm(self.weight)
        if norm == 0:
            raise ValueError("signed_distance needs a non-zero weight vector; the boundary of "
                             "w = 0 is not a line")
        return z / norm

    def updates(self, X, y, epochs: int = 1, shuffle: bool = False, rng=None):
        """Apply the learning rule sample by sample, yielding a :class:`PerceptronUpdate`
        after each visit (training continues while the generator is consumed)."""
        X = self._inputs(X, fitting=True)
        y = check_binary_labels("y", y, len(X))
        epochs = check_int("epochs", epochs, minimum=1)
        gen = as_generator(rng) if shuffle else None
        for epoch in range(epochs):
            order = gen.permutation(len(X)) if shuffle else range(len(X))
            for i in order:
                pred = int(X[i] @ self.weight + self.bias > 0)
                delta = self.lr * (y[i] - pred)
                if delta:
                    self.weight = self.weight + delta * X[i]
                    self.bias = float(self.bias + delta)
                yield PerceptronUpdate(epoch, int(i), int(y[i]), pred, self.weight, self.bias)

    def fit(self, X, y, epochs: int = 100, shuffle: bool = False, rng=None,
            stop_when_perfect: bool = True) -> list[int]:
        """Run the learning rule for up to ``epochs`` passes over ``(X, y)``.

        Returns the number of mistakes in each epoch (also kept in ``self.mistakes``). With
        ``stop_when_perfect`` training ends after the first epoch without a mistake.
        """
        epochs = check_int("epochs", epochs, minimum=1)
        self.mistakes = []
        n = len(as_array("X", X, min_ndim=1))
        run = self.updates(X, y, epochs, shuffle, rng)
        for epoch in range(epochs):
            count = sum(u.mistake for _, u in zip(range(n), run))
            self.mistakes.append(count)
            if stop_when_perfect and count == 0:
                break
        return self.mistakes

    def __repr__(self) -> str:
        weight = None if self.weight is None else np.array2string(self.weight, precision=4)
        return (f"Perceptron(in_features={self.in_features}, lr={self.lr:g}, "
                f"weight={weight}, bias={self.bias:g})")


def gate_table(weight, bias, values=0.0):
    """Weighted sums and step outputs of one two-input threshold unit on the four inputs
    ``(0,0), (0,1), (1,0), (1,1)``.

    Returns
    -------
    z : ndarray of shape (4,)
        :math:`w_1 x_1 + w_2 x_2 + b`.
    out : ndarray of shape (4,), int64
        :math:`H(z)`.

    Examples
    --------
    >>> z, out = gate_table([1, 1], -1.5)
    >>> z, out, gate_name(out)
    (array([-1.5, -0.5, -0.5,  0.5]), array([0, 0, 0, 1]), 'AND')
    """
    w = as_array("weight", weight, dtype=np.float64)
    check_shape("weight", w, (2,), layer="gate_table")
    z = GATE_INPUTS @ w + check_range("bias", bias)
    return z, step(z, values).astype(np.int64)


def gate_name(outputs) -> str:
    """Name of the two-input Boolean function with these four outputs (see ``GATE_NAMES``).

    Examples
    --------
    >>> gate_name([1, 1, 1, 0])
    'NAND'
    """
    key = tuple(int(v) for v in check_binary_labels("outputs", outputs, 4))
    return GATE_NAMES[key]


class StepNetwork:
    r"""A two-layer network of step units with explicit weights, optionally with a skip
    connection from the inputs to the output unit.

    .. math::
        h = H(W_1 x + b_1), \qquad \hat y = H(w_2 \cdot h + s \cdot x + b_2)

    Parameters
    ----------
    W1 : array (hidden, in)
    b1 : array (hidden,)
    w2 : array (hidden,)
    b2 : float
    skip : array (in,), optional
        Weights :math:`s` from the inputs straight to the output unit.

    Examples
    --------
    >>> net = xor_step_network()
    >>> net(np.array([[0, 0], [0, 1], [1, 0], [1, 1]]))
    array([0, 1, 1, 0])
    >>> net.units, xor_step_network(skip=True).units
    (3, 2)
    """

    def __init__(self, W1, b1, w2, b2: float, skip=None):
        self.W1 = as_array("W1", W1, dtype=np.float64, min_ndim=2)
        hidden, n_in = self.W1.shape
        self.b1 = as_array("b1", b1, dtype=np.float64)
        check_shape("b1", self.b1, (hidden,), layer="StepNetwork")
        self.w2 = as_array("w2", w2, dtype=np.float64)
        check_shape("w2", self.w2, (hidden,), layer="StepNetwork")
        self.b2 = check_range("b2", b2)
        self.skip = None if skip is None else as_array("skip", skip, dtype=np.float64)
        if self.skip is not None:
            check_shape("skip", self.skip, (n_in,), layer="StepNetwork")

    @property
    def units(self) -> int:
        """Number of threshold units (hidden plus the output unit)."""
        return len(self.b1) + 1

    def trace(self, X) -> dict:
        """Every intermediate for inputs ``X`` of shape ``(N, in)``: hidden sums ``z1``,
        hidden outputs ``h``, output sum ``z2`` and output ``y``."""
        X = as_array("X", X, dtype=np.float64)
        check_shape("X", X, (None, self.W1.shape[1]), layer="StepNetwork")
        z1 = X @ self.W1.T + self.b1
        h = step(z1)
        z2 = h @ self.w2 + self.b2 + (0.0 if self.skip is None else X @ self.skip)
        return {"z1": z1, "h": h, "z2": z2, "y": step(z2).astype(np.int64)}

    def __call__(self, X) -> np.ndarray:
        return self.trace(X)["y"]

    def __repr__(self) -> str:
        skip = "" if self.skip is None else f", skip={self.skip.tolist()}"
        return (f"StepNetwork(W1={self.W1.tolist()}, b1={self.b1.tolist()}, "
                f"w2={self.w2.tolist()}, b2={self.b2:g}{skip})")


def xor_step_network(skip: bool = False) -> StepNetwork:
    r"""The smallest step networks computing XOR, with hand-set weights.

    Without a skip connection (three units): the hidden units compute OR and NAND, the output
    unit their AND, :math:`\mathrm{XOR} = \mathrm{OR} \wedge \mathrm{NAND}`. With a skip
    connection (two units): one hidden unit computes AND and the output unit
    :math:`H(x_1 + x_2 - 2\,\mathrm{AND}(x_1, x_2) - 0.5)`.
    """
    if skip:
        return StepNetwork(W1=[[1.0, 1.0]], b1=[-1.5], w2=[-2.0], b2=-0.5, skip=[1.0, 1.0])
    return StepNetwork(W1=[[1.0, 1.0], [-1.0, -1.0]], b1=[-0.5, 1.5], w2=[1.0, 1.0], b2=-1.5)
