r"""Smooth activation layers: Sigmoid, Tanh, LogSigmoid, Softplus, SiLU, Mish, GELU, Softsign.

Each wraps a function of ``dlcore.activations_smooth`` with a hand-written backward; the
plumbing (input checks, ``inplace``) is shared with ``dlcore.nn.activation``, which
re-exports these layers.
"""

from __future__ import annotations

import numpy as np  # noqa: F401  (used by the doctests)

from .. import activations as A
from ..checks import check_choice
from .activation import _Elementwise, _grad_like, _Inplace
from .module import Module

__all__ = ["Sigmoid", "Tanh", "LogSigmoid", "Softplus", "SiLU", "Mish", "GELU", "Softsign"]


class SiLU(_Inplace):
    r"""SiLU / Swish :math:`x\sigma(x)`.

    Examples
    --------
    >>> SiLU()(np.array([0.0, 2.0]))
    array([0.        , 1.76159416])
    """

    _fn, _grad = staticmethod(A.silu), staticmethod(A.silu_grad)


class Mish(_Inplace):
    r"""Mish :math:`x \tanh(\log(1 + e^x))`.

    Examples
    --------
    >>> Mish()(np.array([1.0]))
    array([0.86509839])
    """

    _fn, _grad = staticmethod(A.mish), staticmethod(A.mish_grad)


class Softplus(_Elementwise):
    r""":math:`\frac1\beta \log(1 + e^{\beta x})`, linear (``x``) where :math:`\beta x >`
    ``threshold``.

    Examples
    --------
    >>> Softplus(beta=2.0)(np.array([0.0, 50.0]))
    array([ 0.34657359, 50.        ])
    """

    _fn, _grad = staticmethod(A.softplus), staticmethod(A.softplus_grad)

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold
        A.softplus(np.zeros(1), beta, threshold)  # validate now

    def _kwargs(self):
        return {"beta": self.beta, "threshold": self.threshold}

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class GELU(_Elementwise):
    r""":math:`x\Phi(x)`, or PyTorch's tanh approximation with ``approximate="tanh"``.

    Examples
    --------
    >>> GELU()(np.array([1.0])), GELU(approximate="tanh")(np.array([1.0]))
    (array([0.84134475]), array([0.84119199]))
    """

    _fn, _grad = staticmethod(A.gelu), staticmethod(A.gelu_grad)

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = check_choice("approximate", approximate, ("none", "tanh"))

    def _kwargs(self):
        return {"approximate": self.approximate}

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softsign(_Elementwise):
    r""":math:`x / (1 + |x|)`; backward :math:`g / (1 + |x|)^2`.

    Examples
    --------
    >>> Softsign()(np.array([-1.0, 3.0]))
    array([-0.5 ,  0.75])
    """

    _fn, _grad = staticmethod(A.softsign), staticmethod(A.softsign_grad)


class LogSigmoid(_Elementwise):
    r""":math:`\log\sigma(x)`; backward :math:`g\,\sigma(-x)`.

    Examples
    --------
    >>> LogSigmoid()(np.array([0.0]))
    array([-0.69314718])
    """

    _fn, _grad = staticmethod(A.logsigmoid), staticmethod(A.logsigmoid_grad)


class Sigmoid(Module):
    r"""Logistic sigmoid; backward uses :math:`\sigma'(x) = \sigma(x)(1 - \sigma(x))` from the
    saved output, as PyTorch does.

    Examples
    --------
    >>> m = Sigmoid(); m(np.array([0.0])); m.backward(np.array([1.0]))
    array([0.5])
    array([0.25])
    """

    def forward(self, x):
        y = A.sigmoid(x)
        self._save(y=y)
        return y

    def backward(self, grad_out):
        (y,) = self._saved("y")
        return _grad_like(grad_out, y) * y * (1 - y)


class Tanh(Module):
    r"""Hyperbolic tangent; backward uses :math:`\tanh'(x) = 1 - \tanh^2(x)` from the saved
    output.

    Examples
    --------
    >>> m = Tanh(); m(np.array([0.0])); m.backward(np.array([2.0]))
    array([0.])
    array([2.])
    """

    def forward(self, x):
        y = A.tanh(x)
        self._save(y=y)
        return y

    def backward(self, grad_out):
        (y,) = self._saved("y")
        return _grad_like(grad_out, y) * (1 - y * y)
