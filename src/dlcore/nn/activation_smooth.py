r"""Smooth activation layers: Sigmoid, Tanh, LogSigmoid, Softplus, SiLU, Mish, GELU, Softsign.

Each wraps a function of ``dlcore.activations_smooth`` with a hand-written backward; the
plumbing (input checks, ``inplace``) is shared with ``dlcore.nn.activation``, which
re-exports these layers.
"""

from __future__ import annotations

import math

import numpy as np

from .. import activations as A
from .. import activations_smooth as S
from ..checks import check_choice
from .activation import _Elementwise, _grad_like, _Inplace
from .module import Module

__all__ = ["Sigmoid", "Tanh", "LogSigmoid", "Softplus", "SiLU", "Mish", "GELU", "Softsign"]


class SiLU(_Inplace):
    r"""SiLU / Swish :math:`x\sigma(x)`; backward uses the saved output :math:`y` and
    :math:`\sigma(x)`: :math:`\sigma(1 + x(1 - \sigma)) = \sigma + y(1 - \sigma)`.

    Examples
    --------
    >>> SiLU()(np.array([0.0, 2.0]))
    array([0.        , 1.76159416])
    """

    _fn, _grad = staticmethod(A.silu), staticmethod(A.silu_grad)

    def _forward(self, x):
        s = S._sigmoid(x)
        y = np.multiply(x, s)
        return y, {"y": y, "s": s}

    def _backward(self, g, y, s):
        out = np.subtract(1, s)  # sigma (1 + x (1 - sigma)) = sigma + y (1 - sigma)
        out *= y
        out += s
        out *= g
        return out


class Mish(_Inplace):
    r"""Mish :math:`x \tanh(\log(1 + e^x))`.

    Examples
    --------
    >>> Mish()(np.array([1.0]))
    array([0.86509839])
    """

    _fn, _grad = staticmethod(A.mish), staticmethod(A.mish_grad)

    def _forward(self, x):
        ell = S._log1p_exp_neg_abs(x)
        th = np.maximum(x, 0, out=S._like(x))  # _like: a 0-d result stays an array
        th += ell
        np.tanh(th, out=th)  # tanh(softplus(x))
        return np.multiply(x, th), {"x": x, "ell": ell, "th": th}

    def _backward(self, g, x, ell, th):
        # tanh(sp) + x sigma(x) (1 - tanh^2 sp), sigma(x) = exp(min(x, 0) - ell)
        s = np.minimum(x, 0, out=S._like(x))
        s -= ell
        np.exp(s, out=s)
        out = np.multiply(th, th, out=S._like(th))
        np.subtract(1, out, out=out)
        out *= s
        out *= x
        out += th
        out *= g
        return out


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

    def _forward(self, x):
        x, z, linear, beta = S._softplus_parts(x, self.beta, self.threshold)
        ell = S._log1p_exp_neg_abs(z)
        y = np.maximum(z, 0)
        y += ell
        if beta != 1:
            y /= beta
        if linear.any():
            y = S._blend(linear, x, y)
        return y, {"z": z, "ell": ell, "linear": linear}

    def _backward(self, g, z, ell, linear):
        out = np.minimum(z, 0, out=S._like(z))  # sigma(z) = exp(min(z, 0) - log(1 + e^{-|z|}))
        out -= ell
        np.exp(out, out=out)
        if linear.any():
            out = S._blend(linear, out.dtype.type(1), out)
        out *= g
        return out

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

    def _forward(self, x):
        return self._forward_tanh(x) if self.approximate == "tanh" else self._forward_exact(x)

    def _backward(self, g, **saved):
        out = self._backward_tanh(**saved) if "slope" in saved else self._backward_exact(**saved)
        out *= g
        return out

    @staticmethod
    def _forward_exact(x):
        cdf = S._ndtr(x)
        return np.multiply(x, cdf), {"x": x, "cdf": cdf}

    @staticmethod
    def _backward_exact(x, cdf):
        with np.errstate(over="ignore"):  # x^2 = inf beyond 1e154 gives exp(-inf) = 0, exactly
            out = np.multiply(x, x, out=S._like(x))  # Phi(x) + x exp(-x^2/2) / sqrt(2 pi)
        out *= -0.5
        np.exp(out, out=out)
        out *= x
        out *= 1 / math.sqrt(2 * math.pi)
        out += cdf
        return out

    @staticmethod
    def _forward_tanh(x):
        # u = c x (1 + k x^2) with c = sqrt(2/pi), k = 0.044715, on x clipped to +-100
        xc = np.clip(x, -S._GELU_CLIP, S._GELU_CLIP)
        slope = np.multiply(xc, xc)
        th = np.multiply(slope, S._SQRT_2_OVER_PI * S._GELU_KAPPA, out=S._like(slope))
        th += S._SQRT_2_OVER_PI
        th *= xc
        np.tanh(th, out=th)
        slope *= 3 * S._SQRT_2_OVER_PI * S._GELU_KAPPA  # du/dx = c (1 + 3 k x^2), kept
        slope += S._SQRT_2_OVER_PI
        y = np.add(th, 1)
        y *= x
        y *= 0.5
        return y, {"xc": xc, "th": th, "slope": slope}

    @staticmethod
    def _backward_tanh(xc, th, slope):
        out = np.multiply(th, th, out=S._like(th))  # (1 + tanh u)/2 + x (1 - tanh^2 u) du/dx / 2
        np.subtract(1, out, out=out)
        out *= slope
        out *= xc
        out += th
        out += 1
        out *= 0.5
        return out

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
        out = np.subtract(1, y)
        out *= y
        out *= _grad_like(grad_out, y)
        return out


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
        out = np.multiply(y, y, out=S._like(y))
        np.subtract(1, out, out=out)
        out *= _grad_like(grad_out, y)
        return out
