r"""Many copies of one small MLP trained at once: one per seed and learning rate.

A learning-rate sweep over several seeds trains dozens of identical-shape networks. Trained
one by one through :func:`dlcore.book.train.fit`, each pays Python's per-layer overhead; here
the copies are stacked along a leading axis and trained by one batched matmul per layer.
The arithmetic is that of ``fit`` with full-batch :class:`~dlcore.optim.SGD` (no momentum,
no weight decay) and :class:`~dlcore.nn.BCEWithLogitsLoss`: the loss logged for an epoch is
the loss before that epoch's step, so the curves equal ``fit(...).train_loss`` to rounding
(``tests/test_activations.py`` checks it to ``rtol=1e-10``). The summation order and the
one-exp tanh and sigmoid below differ from ``fit``'s in the last bits, and at learning rates where
training is chaotic (loss spikes) such differences grow over the epochs, as they would
between two BLAS builds.
"""

from __future__ import annotations

import numpy as np

from ..nn import Linear, Sequential

__all__ = ["stacked_sgd_bce"]


def _bce_logits(z, y):
    """Mean BCE-with-logits per stacked model: ``z`` (B, 1, N), ``y`` (1, 1, N) -> (B,)."""
    per = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    return per.mean(axis=(1, 2))


def _sigmoid(z):
    e = np.exp(-np.abs(z))
    r = e / (1 + e)                      # sigma(-|z|), never overflows
    return np.where(z >= 0, 1 - r, r)


def _tanh(z):
    # 2 / (1 + e) - 1 with e = exp(-2|z|), then the sign of z: one exp and in-place passes,
    # several times cheaper than np.tanh on these arrays. Its absolute error is a few ulps of
    # 1 (near 0 the relative error is larger), which is all the training loop needs.
    e = np.abs(z)
    e *= -2.0
    np.exp(e, out=e)
    e += 1.0
    np.divide(2.0, e, out=e)
    e -= 1.0
    return np.copysign(e, z, out=e)


def _hidden_sigmoid(z):
    # sigma(z) = (1 + tanh(z / 2)) / 2, through the same one-exp kernel (absolute error a few
    # ulps of 1; the output units use the exact _sigmoid)
    a = _tanh(0.5 * z)
    a += 1.0
    a *= 0.5
    return a


#: hidden activation -> (f, f' written in terms of the output a = f(z))
_HIDDEN = {"tanh": (_tanh, lambda a: 1 - a * a),
           "sigmoid": (_hidden_sigmoid, lambda a: a * (1 - a))}


def stacked_sgd_bce(models, activation: str, lrs, X, y, epochs: int,
                    shift: float = 0.0) -> np.ndarray:
    r"""Train ``models[i]`` by full-batch SGD at rate ``lrs[i]``, all at once; return the curves.

    Parameters
    ----------
    models : sequence of Sequential
        Each ``Linear, act, Linear, act, ..., Linear`` with the same shapes; only their
        ``Linear`` weights and biases are read (as initial values) and they are not modified.
    activation : {"tanh", "sigmoid"}
        The hidden activation :math:`f`.
    shift : float
        The hidden units compute :math:`f(z) + c` with ``c = shift`` (same derivative as
        :math:`f`, outputs moved by ``c``): ``("sigmoid", -0.5)`` is the centred sigmoid.
    lrs : sequence of float, one per model
    X : ndarray, shape (N, d)
    y : ndarray, shape (N, 1), targets in [0, 1]
    epochs : int

    Returns
    -------
    ndarray, shape (len(models), epochs)
        The mean BCE-with-logits loss of each model before each epoch's step.

    Examples
    --------
    >>> from dlcore import nn
    >>> nets = [nn.Sequential(nn.Linear(2, 3, rng=s), nn.Tanh(), nn.Linear(3, 1, rng=s))
    ...         for s in (0, 1)]
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0]]); y = np.array([[1.0], [0.0]])
    >>> stacked_sgd_bce(nets, "tanh", [0.5, 0.5], X, y, epochs=4).shape
    (2, 4)
    """
    if activation not in _HIDDEN:
        raise ValueError(f"stacked_sgd_bce activation must be one of {sorted(_HIDDEN)}, "
                         f"got {activation!r}")
    f, df = _HIDDEN[activation]
    linears = [[m for m in model if isinstance(m, Linear)] for model in models]
    if not all(isinstance(m, Sequential) for m in models) or len(lrs) != len(models):
        raise ValueError(f"stacked_sgd_bce needs one Sequential per learning rate, got "
                         f"{len(models)} models and {len(lrs)} rates")
    # Layout: features x samples, so each layer is one batched (out, in) @ (in, N) product,
    # about twice as fast in NumPy as (N, in) @ (in, out) for these small matrices.
    W = [np.stack([ls[k].weight.data for ls in linears]) for k in range(len(linears[0]))]
    b = [np.stack([ls[k].bias.data for ls in linears])[:, :, None] for k in range(len(W))]
    lr = np.asarray(lrs, dtype=np.float64)[:, None, None]
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    XT, yT = np.ascontiguousarray(X.T), y.reshape(1, 1, -1)
    curves = np.empty((len(models), epochs))
    for epoch in range(epochs):
        hs, acts = [XT], []
        for k in range(len(W)):
            z = W[k] @ hs[-1]
            z += b[k]
            if k < len(W) - 1:
                a = f(z)
                acts.append(a)
                hs.append(a + shift if shift else a)
        curves[:, epoch] = _bce_logits(z, yT)
        dz = (_sigmoid(z) - yT) / y.size
        for k in range(len(W) - 1, -1, -1):
            gW = dz @ np.swapaxes(hs[k], -1, -2)
            gb = dz.sum(axis=2, keepdims=True)
            if k > 0:
                dz = np.swapaxes(W[k], 1, 2) @ dz
                dz *= df(acts[k - 1])
            W[k] = W[k] - lr * gW
            b[k] = b[k] - lr * gb
    return curves
