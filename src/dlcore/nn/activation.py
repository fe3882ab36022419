"""Activation layers: each wraps a function of ``dlcore.activations`` with its backward."""

from __future__ import annotations

import numpy as np

from .. import activations as A
from ..checks import check_int
from .module import Module

__all__ = ["ReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax"]


class ReLU(Module):
    r"""``max(0, x)`` element-wise; backward passes ``grad_out`` where ``x > 0``.

    Examples
    --------
    >>> r = ReLU(); r(np.array([-1.0, 2.0]))
    array([0., 2.])
    >>> r.backward(np.array([5.0, 5.0]))
    array([0., 5.])
    """

    def forward(self, x):
        y = A.relu(x)
        self._save(y=y)
        return y

    def backward(self, grad_out):
        (y,) = self._saved("y")
        return np.where(y > 0, grad_out, 0.0)


class Sigmoid(Module):
    r"""Logistic sigmoid; backward uses :math:`\sigma'(x) = \sigma(x)(1 - \sigma(x))`."""

    def forward(self, x):
        y = A.sigmoid(x)
        self._save(y=y)
        return y

    def backward(self, grad_out):
        (y,) = self._saved("y")
        return grad_out * y * (1 - y)


class Tanh(Module):
    r"""Hyperbolic tangent; backward uses :math:`\tanh'(x) = 1 - \tanh^2(x)`."""

    def forward(self, x):
        y = A.tanh(x)
        self._save(y=y)
        return y

    def backward(self, grad_out):
        (y,) = self._saved("y")
        return grad_out * (1 - y * y)


class Softmax(Module):
    r"""Softmax along ``dim``; backward is the Jacobian-vector product
    :math:`y \odot (g - \sum_j g_j y_j)`."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = check_int("dim", dim)

    def forward(self, x):
        y = A.softmax(x, self.dim)
        self._save(y=y)
        return y

    def backward(self, grad_out):
        (y,) = self._saved("y")
        return y * (grad_out - (grad_out * y).sum(axis=self.dim, keepdims=True))

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    r"""Log-softmax along ``dim``; backward is :math:`g - \mathrm{softmax}(x) \sum_j g_j`."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = check_int("dim", dim)

    def forward(self, x):
        y = A.log_softmax(x, self.dim)
        self._save(y=y)
        return y

    def backward(self, grad_out):
        (y,) = self._saved("y")
        return grad_out - np.exp(y) * grad_out.sum(axis=self.dim, keepdims=True)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
