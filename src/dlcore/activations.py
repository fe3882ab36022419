r"""Activation functions and their derivatives, as plain NumPy functions.

These are the stateless forms (``dlcore.functional`` re-exports them, like
``torch.nn.functional``); the layers in ``dlcore.nn`` call them and use the derivatives in
their backward pass. Floating inputs keep their dtype, so float32 behaviour can be studied.
"""

from __future__ import annotations

import numpy as np

from .checks import as_array, check_int

__all__ = ["sigmoid", "tanh", "relu", "softmax", "log_softmax", "derivative"]
__functional__ = ["sigmoid", "tanh", "relu", "softmax", "log_softmax"]


def sigmoid(input):
    r"""Logistic sigmoid :math:`\sigma(x) = 1 / (1 + e^{-x})`, computed without overflow.

    For :math:`x \ge 0` it evaluates :math:`1/(1+e^{-x})`; for :math:`x < 0` the equal form
    :math:`e^{x}/(1+e^{x})`, so no exponential of a large positive number is ever taken.

    Examples
    --------
    >>> sigmoid(np.array([-800.0, 0.0, 800.0]))
    array([0. , 0.5, 1. ])
    """
    x = as_array("input", input)
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def tanh(input):
    r"""Hyperbolic tangent :math:`\tanh x = (e^{x} - e^{-x}) / (e^{x} + e^{-x})`.

    Examples
    --------
    >>> tanh(np.array([0.0, 1e4]))
    array([0., 1.])
    """
    return np.tanh(as_array("input", input))


def relu(input):
    r"""Rectified linear unit :math:`\max(0, x)`.

    Examples
    --------
    >>> relu(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 3.])
    """
    x = as_array("input", input)
    return np.maximum(x, x.dtype.type(0))


def softmax(input, dim: int):
    r"""Softmax along ``dim``: :math:`\mathrm{softmax}(x)_i = e^{x_i - m} / \sum_j e^{x_j - m}`.

    Subtracting :math:`m = \max_j x_j` changes nothing mathematically and keeps every
    exponent :math:`\le 0`, so logits of any finite size are safe. Unlike PyTorch, ``dim`` has
    no default: the implicit choice PyTorch deprecated is not reproduced.

    Examples
    --------
    >>> softmax(np.array([[1000.0, 1000.0], [0.0, np.log(3.0)]]), dim=1)
    array([[0.5 , 0.5 ],
           [0.25, 0.75]])
    """
    z = _shifted(input, dim)
    e = np.exp(z)
    return e / e.sum(axis=dim, keepdims=True)


def log_softmax(input, dim: int):
    r"""Log of the softmax along ``dim``: :math:`x_i - m - \log \sum_j e^{x_j - m}`.

    Examples
    --------
    >>> log_softmax(np.array([0.0, 1e4]), dim=0)
    array([-10000.,      0.])
    """
    z = _shifted(input, dim)
    return z - np.log(np.exp(z).sum(axis=dim, keepdims=True))


def _shifted(input, dim):
    x = as_array("input", input, min_ndim=1)
    dim = check_int("dim", dim)
    if not -x.ndim <= dim < x.ndim:
        raise ValueError(f"dim must be in [{-x.ndim}, {x.ndim - 1}] for an input of shape "
                         f"{x.shape}, got {dim}")
    return x - x.max(axis=dim, keepdims=True)


def _sigmoid_derivative(x):
    s = sigmoid(x)
    return s * (1 - s)


def _tanh_derivative(x):
    return 1 - np.tanh(x) ** 2


def _relu_derivative(x):
    # PyTorch's convention: the gradient at exactly 0 is 0.
    return (x > 0).astype(x.dtype)


_DERIVATIVES = {
    "sigmoid": _sigmoid_derivative,
    "tanh": _tanh_derivative,
    "relu": _relu_derivative,
}


def derivative(name: str, x, **kwargs):
    r"""Element-wise derivative :math:`f'(x)` of the activation called ``name``.

    Examples
    --------
    >>> derivative("tanh", np.array([0.0]))
    array([1.])
    >>> derivative("relu", np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 1.])
    """
    if name not in _DERIVATIVES:
        raise ValueError(f"activation name must be one of {sorted(_DERIVATIVES)}; got {name!r}")
    return _DERIVATIVES[name](as_array("x", x), **kwargs)
