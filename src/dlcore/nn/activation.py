r"""Activation layers (the activations of ``torch.nn``): each wraps a function of
:mod:`dlcore.functional.activation` with its backward.

Shapes: every element-wise layer maps an input of any shape ``(*)`` to an output of the same
shape, and ``backward(grad_out)`` returns :math:`g \odot f'(x)`, with :math:`f'` from
:mod:`dlcore.functional.activation` (PyTorch's values at the kinks).
``Softmax``/``LogSoftmax``/``Softmin`` act along ``dim`` and ``GLU`` halves it; ``PReLU``
learns its slopes and ``RReLU`` draws them. Layers with PyTorch's ``inplace`` option
overwrite a floating-point NumPy input when it is True, as PyTorch does. The rectifiers,
softmax and softmin, GLU and the shrinkage layers come first, then the smooth layers
(Sigmoid, Tanh, LogSigmoid, Softplus, SiLU, Mish, GELU, Softsign).
"""

from __future__ import annotations

import math

import numpy as np

from ..checks import as_array, check_choice, check_int, check_range
from ..functional import activation as A
from ..functional.activation import _store
from ..random import as_generator
from .module import Module, Parameter

__all__ = ["ReLU", "ReLU6", "LeakyReLU", "PReLU", "Hardtanh", "Hardsigmoid", "Hardswish",
           "ELU", "SELU", "CELU", "Softmax", "LogSoftmax", "Softmin", "GLU", "Softshrink",
           "Hardshrink", "Tanhshrink", "Threshold", "RReLU",
           "Sigmoid", "Tanh", "LogSigmoid", "Softplus", "SiLU", "Mish", "GELU", "Softsign"]


def _grad_like(grad_out, saved, dtype=None):
    g = as_array("grad_out", grad_out, dtype=saved.dtype if dtype is None else dtype)
    if g.shape != saved.shape:
        raise ValueError(f"grad_out shape {g.shape} does not match the shape of the last "
                         f"forward pass {saved.shape}")
    return g


class _Elementwise(Module):
    """Shared plumbing: ``forward`` keeps what the derivative needs, ``backward`` uses it.

    Sub-classes set ``_fn``/``_grad`` (functions of ``dlcore.functional.activation``) and
    return their keyword arguments from ``_kwargs``; by default the input is kept and backward multiplies
    by ``_grad(x)``. Layers on the benchmark path override ``_forward(x) -> (y, saved)``
    (``saved`` a dict of arrays shaped like ``x``) and ``_backward(g, **saved)`` to keep
    intermediates instead, as PyTorch saves its results, so backward recomputes no
    exponential; they build results in place with ``out=``, because each fresh temporary of a
    large array costs page faults worth about one exp pass. When ``inplace`` is True a kept
    input is copied before the output overwrites it.
    """

    _fn = _grad = None
    inplace = False

    def _kwargs(self) -> dict:
        return {}

    def _forward(self, x):
        return self._fn(x, **self._kwargs()), {"x": x}

    def _backward(self, g, x):
        return g * self._grad(x, **self._kwargs())

    def forward(self, input):
        x = as_array("input", input)
        y, saved = self._forward(x)
        if self.inplace:
            saved = {k: v.copy() if v is x else v for k, v in saved.items()}
            y = _store(input, y, True)
        self._save(dtype=x.dtype, **saved)
        return y

    def backward(self, grad_out):
        saved = dict(self._saved())
        dtype = saved.pop("dtype")
        g = _grad_like(grad_out, next(iter(saved.values())), dtype)
        return self._backward(g, **saved)


def _inplace_repr(inplace: bool, first: bool = False) -> str:
    if not inplace:
        return ""
    return "inplace=True" if first else ", inplace=True"


class _Inplace(_Elementwise):
    """An element-wise layer whose only option is PyTorch's ``inplace``."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = bool(inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace, first=True)


class _ExpLinear(_Elementwise):
    r"""ELU, SELU and CELU: :math:`\lambda\max(x, 0) + \lambda\alpha(e^{a} - 1)` with the
    exponent :math:`a = \min(x, 0)/s` kept for backward (``_params`` gives
    :math:`\alpha, \lambda, 1/s`)."""

    def _forward(self, x):
        alpha, scale, input_scale = self._params()
        arg = A._exp_linear_arg(x, input_scale)
        y = np.expm1(arg)
        y *= scale * alpha
        positive = np.maximum(x, 0)
        if scale != 1:
            positive *= scale
        y += positive
        return y, {"x": x, "arg": arg}

    def _backward(self, g, x, arg):
        out = A._exp_linear_grad(x, *self._params(), arg=arg)
        out *= g
        return out


class _Alpha(_ExpLinear):
    """ELU and CELU: one ``alpha`` and ``inplace``."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self._fn(np.zeros(1), alpha)  # validate alpha now, not at the first forward
        self.alpha = alpha
        self.inplace = bool(inplace)

    def _kwargs(self):
        return {"alpha": self.alpha}

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}{_inplace_repr(self.inplace)}"


class ReLU(_Inplace):
    r"""``max(0, x)`` element-wise; backward passes ``grad_out`` where ``x > 0`` (0 at 0).

    Examples
    --------
    >>> r = ReLU(); r(np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 2.])
    >>> r.backward(np.array([5.0, 5.0, 5.0]))
    array([0., 0., 5.])
    """

    _fn, _grad = staticmethod(A.relu), staticmethod(A.relu_grad)

    def _forward(self, x):
        return A.relu(x), {"positive": x > 0}

    def _backward(self, g, positive):
        return np.multiply(g, positive)  # the 0/1 mask converts inside the loop


class ReLU6(_Inplace):
    r""":math:`\min(\max(0, x), 6)`; gradient 1 on the open interval :math:`(0, 6)`.

    Examples
    --------
    >>> ReLU6()(np.array([-1.0, 7.0]))
    array([0., 6.])
    """

    _fn, _grad = staticmethod(A.relu6), staticmethod(A.relu6_grad)


class _QuietInplace(_Inplace):
    """For the layers whose PyTorch repr does not show ``inplace``."""

    def extra_repr(self) -> str:
        return ""


class Hardsigmoid(_QuietInplace):
    r""":math:`\min(\max(x + 3, 0), 6) / 6`; gradient :math:`1/6` on :math:`(-3, 3)`.

    Examples
    --------
    >>> Hardsigmoid()(np.array([-4.0, 0.0, 4.0]))
    array([0. , 0.5, 1. ])
    """

    _fn, _grad = staticmethod(A.hardsigmoid), staticmethod(A.hardsigmoid_grad)


class Hardswish(_QuietInplace):
    r""":math:`x \min(\max(x + 3, 0), 6) / 6`; gradient 0, :math:`x/3 + 1/2`, 1 on
    :math:`x \le -3`, :math:`(-3, 3)`, :math:`x \ge 3`.

    Examples
    --------
    >>> Hardswish()(np.array([-4.0, 1.5, 4.0]))
    array([-0.   ,  1.125,  4.   ])
    """

    _fn, _grad = staticmethod(A.hardswish), staticmethod(A.hardswish_grad)

    def _forward(self, x):
        t = A._hardswish_gate(x)  # kept: the derivative is (t + x 1[-3 < x < 3]) / 6
        y = np.multiply(x, t)
        y /= 6
        return y, {"x": x, "t": t}

    def _backward(self, g, x, t):
        out = A._hardswish_grad(x, t)
        out *= g
        return out


class LeakyReLU(_Elementwise):
    r""":math:`x` for :math:`x > 0`, ``negative_slope`` :math:`\cdot x` otherwise.

    Examples
    --------
    >>> m = LeakyReLU(0.1); m(np.array([-2.0, 0.0])); m.backward(np.ones(2))
    array([-0.2,  0. ])
    array([0.1, 0.1])
    """

    _fn, _grad = staticmethod(A.leaky_relu), staticmethod(A.leaky_relu_grad)

    def _forward(self, x):
        # piecewise linear through 0: y = f'(x) x exactly, and backward reuses f'(x)
        positive = x > 0
        slope = positive.astype(x.dtype)  # f'(x) = 1[x > 0] + a 1[x <= 0], exact
        y = np.multiply(~positive, self.negative_slope, out=np.empty_like(x))  # y, as scratch
        slope += y
        return np.multiply(x, slope, out=y), {"slope": slope}

    def _backward(self, g, slope):
        return np.multiply(g, slope)

    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False):
        super().__init__()
        check_range("negative_slope", negative_slope, what="LeakyReLU")
        self.negative_slope = negative_slope
        self.inplace = bool(inplace)

    def _kwargs(self):
        return {"negative_slope": self.negative_slope}

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}{_inplace_repr(self.inplace)}"


class Hardtanh(_Elementwise):
    r"""Clamp to ``[min_val, max_val]``; gradient 1 strictly inside, 0 at and beyond the ends.

    Examples
    --------
    >>> m = Hardtanh(); m(np.array([-2.0, 1.0, 0.5])); m.backward(np.ones(3))
    array([-1. ,  1. ,  0.5])
    array([0., 0., 1.])
    """

    _fn, _grad = staticmethod(A.hardtanh), staticmethod(A.hardtanh_grad)

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__()
        A.hardtanh(np.zeros(1), min_val, max_val)  # validate the types now
        self.min_val, self.max_val = min_val, max_val
        if max_val <= min_val:
            raise ValueError(f"Hardtanh max_val ({max_val}) must be greater than min_val "
                             f"({min_val})")
        self.inplace = bool(inplace)

    def _kwargs(self):
        return {"min_val": self.min_val, "max_val": self.max_val}

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}{_inplace_repr(self.inplace)}"


class ELU(_Alpha):
    r""":math:`x` for :math:`x > 0`, :math:`\alpha(e^x - 1)` otherwise.

    Examples
    --------
    >>> ELU(alpha=2.0)(np.array([-1.0, 1.0]))
    array([-1.26424112,  1.        ])
    """

    _fn, _grad = staticmethod(A.elu), staticmethod(A.elu_grad)

    def _params(self):
        return self.alpha, 1.0, 1.0


class CELU(_Alpha):
    r""":math:`x` for :math:`x > 0`, :math:`\alpha(e^{x/\alpha} - 1)` otherwise.

    Examples
    --------
    >>> CELU(alpha=2.0)(np.array([-1.0]))
    array([-0.78693868])
    """

    _fn, _grad = staticmethod(A.celu), staticmethod(A.celu_grad)

    def _params(self):
        return self.alpha, 1.0, 1.0 / self.alpha


class SELU(_ExpLinear, _Inplace):
    r""":math:`\lambda x` for :math:`x > 0`, :math:`\lambda\alpha(e^x - 1)` otherwise
    (``dlcore.functional.activation.SELU_SCALE``, ``SELU_ALPHA``).

    Examples
    --------
    >>> SELU()(np.array([1.0]))
    array([1.05070099])
    """

    _fn, _grad = staticmethod(A.selu), staticmethod(A.selu_grad)

    def _params(self):
        return A.SELU_ALPHA, A.SELU_SCALE, 1.0


class PReLU(Module):
    r"""Leaky ReLU with learnable slopes :math:`a`: :math:`x` for :math:`x > 0`, :math:`a_c x`
    otherwise.

    Parameters
    ----------
    num_parameters : int, default 1
        1 (one slope shared by all channels) or the number of channels ``C`` (dimension 1
        of the input, which is then ``(N, C, *)``).
    init : float, default 0.25
        Initial value of every slope.
    device, dtype
        ``device`` must be None or ``"cpu"``; ``dtype`` defaults to float64.

    Notes
    -----
    ``weight`` has shape ``(num_parameters,)``; backward accumulates
    :math:`\partial L/\partial a_c = \sum g\,x\,\mathbb{1}[x \le 0]` into ``weight.grad``.

    Examples
    --------
    >>> m = PReLU(); m(np.array([-2.0, 1.0]))
    array([-0.5,  1. ])
    >>> m.backward(np.ones(2)), m.weight.grad
    (array([0.25, 1.  ]), array([-2.]))
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None):
        super().__init__()
        check_choice("device", device, (None, "cpu"))
        self.num_parameters = check_int("num_parameters", num_parameters, minimum=1)
        self.init = init
        self.weight = Parameter(np.full(self.num_parameters,
                                        check_range("init", init, what="PReLU"),
                                        dtype=np.float64 if dtype is None else dtype))

    def forward(self, input):
        x = as_array("input", input, dtype=self.weight.data.dtype)
        # piecewise linear through 0: y = (dy/dx) x exactly, and backward reuses dy/dx
        slope = A.prelu_grad(x, self.weight.data)
        self._save(x=x, slope=slope)
        return np.multiply(x, slope)

    def backward(self, grad_out):
        x, slope = self._saved("x", "slope")
        g = _grad_like(grad_out, x)
        contrib = np.minimum(x, 0)  # dy/da_c = x 1[x <= 0]
        contrib *= g
        axes = tuple(i for i in range(x.ndim) if i != 1 or self.num_parameters == 1)
        self.weight.accumulate(contrib.sum(axis=axes).reshape(self.weight.data.shape))
        return np.multiply(g, slope)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class _AlongDim(Module):
    """Softmax, LogSoftmax and Softmin: one ``dim``; ``_fn(x, dim)`` is the function and
    ``_vjp(g, y, dim)`` its backward from the saved output ``y``."""

    _fn = _vjp = None

    def __init__(self, dim: int):
        super().__init__()
        self.dim = check_int("dim", dim)

    def forward(self, x):
        y = self._fn(x, self.dim)
        self._save(y=y)
        return y

    def backward(self, grad_out):
        (y,) = self._saved("y")
        return self._vjp(_grad_like(grad_out, y), y, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_AlongDim):
    r"""Softmax along ``dim``; backward is the Jacobian-vector product
    :math:`y \odot (g - \sum_j g_j y_j)` (``dlcore.functional.activation.softmax_backward``).

    Examples
    --------
    >>> Softmax(dim=0)(np.array([0.0, np.log(3.0)]))
    array([0.25, 0.75])
    """

    _fn, _vjp = staticmethod(A.softmax), staticmethod(A.softmax_backward)


class LogSoftmax(_AlongDim):
    r"""Log-softmax along ``dim``; backward is :math:`g - \mathrm{softmax}(x) \sum_j g_j`.

    Examples
    --------
    >>> LogSoftmax(dim=0)(np.array([0.0, 0.0]))
    array([-0.69314718, -0.69314718])
    """

    _fn, _vjp = staticmethod(A.log_softmax), staticmethod(A.log_softmax_backward)


class Softmin(_AlongDim):
    r"""Softmin :math:`\mathrm{softmax}(-x)` along ``dim``; backward
    :math:`-y \odot (g - \sum_j g_j y_j)`. As for :class:`Softmax`, ``dim`` has no default.

    Examples
    --------
    >>> Softmin(dim=0)(np.array([0.0, np.log(3.0)]))
    array([0.75, 0.25])
    """

    _fn, _vjp = staticmethod(A.softmin), staticmethod(A.softmin_backward)


class GLU(Module):
    r"""Gated linear unit :math:`a \odot \sigma(b)` over the two halves of ``dim``
    (``(*, 2n, *) -> (*, n, *)``); backward from :func:`dlcore.functional.activation.glu_backward`.

    Examples
    --------
    >>> m = GLU(); m(np.array([[2.0, 0.0]])); m.backward(np.array([[1.0]]))
    array([[1.]])
    array([[0.5, 0.5]])
    """

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = check_int("dim", dim)

    def forward(self, x):
        x = as_array("input", x)
        y = A.glu(x, self.dim)
        self._save(x=x)
        return y

    def backward(self, grad_out):
        (x,) = self._saved("x")
        return A.glu_backward(grad_out, x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class _Shrink(_Elementwise):
    """Softshrink and Hardshrink: one width ``lambd``, shown as PyTorch shows it."""

    def __init__(self, lambd: float = 0.5):
        super().__init__()
        self._fn(np.zeros(1), lambd)  # validate lambd now, not at the first forward
        self.lambd = lambd

    def _kwargs(self):
        return {"lambd": self.lambd}

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class Softshrink(_Shrink):
    r"""Soft thresholding: :math:`x \mp \lambda` beyond :math:`\pm\lambda`, 0 between;
    gradient 1 where :math:`|x| > \lambda` (0 at :math:`\pm\lambda`).

    Examples
    --------
    >>> m = Softshrink(); m(np.array([-2.0, 0.5, 1.0])); m.backward(np.ones(3))
    array([-1.5,  0. ,  0.5])
    array([1., 0., 1.])
    """

    _fn, _grad = staticmethod(A.softshrink), staticmethod(A.softshrink_grad)


class Hardshrink(_Shrink):
    r""":math:`x` where :math:`|x| > \lambda`, else 0; gradient :math:`\mathbb{1}[|x| > \lambda]`.

    Examples
    --------
    >>> m = Hardshrink(); m(np.array([-2.0, 0.5])); m.backward(np.ones(2))
    array([-2.,  0.])
    array([1., 0.])
    """

    _fn, _grad = staticmethod(A.hardshrink), staticmethod(A.hardshrink_grad)


class Tanhshrink(_Elementwise):
    r""":math:`x - \tanh x`; backward :math:`g \tanh^2 x`.

    Examples
    --------
    >>> Tanhshrink()(np.array([0.0, 1.0]))
    array([0.        , 0.23840584])
    """

    _fn, _grad = staticmethod(A.tanhshrink), staticmethod(A.tanhshrink_grad)


class Threshold(_Elementwise):
    r""":math:`x` where :math:`x > \text{threshold}`, ``value`` elsewhere; gradient 1 where
    :math:`x > \text{threshold}` (and for NaN), 0 elsewhere.

    Examples
    --------
    >>> m = Threshold(0.5, -3.0); m(np.array([0.0, 2.0])); m.backward(np.ones(2))
    array([-3.,  2.])
    array([0., 1.])
    """

    def __init__(self, threshold: float, value: float, inplace: bool = False):
        super().__init__()
        A.threshold(np.zeros(1), threshold, value)  # validate the types now
        self.threshold, self.value = threshold, value
        self.inplace = bool(inplace)

    def _forward(self, x):
        return A.threshold(x, self.threshold, self.value), {"x": x}

    def _backward(self, g, x):
        return g * A.threshold_grad(x, self.threshold)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}{_inplace_repr(self.inplace)}"


class RReLU(Module):
    r"""Randomized leaky ReLU (Xu et al., 2015, "Empirical evaluation of rectified
    activations in convolutional network"): in training each element with :math:`x \le 0`
    is multiplied by a fresh slope :math:`a \sim U(\text{lower}, \text{upper})`;
    in evaluation by the mean slope :math:`(\text{lower} + \text{upper})/2`. Backward
    multiplies by the same slopes (:func:`dlcore.functional.activation.rrelu_noise`).

    ``rng`` seeds the slopes' generator (``self.generator``); ``forward(input, noise=...)``
    takes the slope array instead, e.g. to reproduce the one PyTorch drew.

    Examples
    --------
    >>> m = RReLU(0.2, 0.4).eval(); m(np.array([-1.0, 2.0])); m.backward(np.ones(2))
    array([-0.3,  2. ])
    array([0.3, 1. ])
    """

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False,
                 rng=None):
        super().__init__()
        self.lower, self.upper = A._rrelu_bounds(lower, upper)
        self.inplace = bool(inplace)
        self.generator = as_generator(rng)

    def forward(self, input, noise=None):
        x = as_array("input", input)
        if noise is None or not self.training:
            noise = A.rrelu_noise(x, self.lower, self.upper, self.training, self.generator)
        else:
            noise = _grad_like(noise, x)
        self._save(noise=noise)
        return _store(input, x * noise, self.inplace)

    def backward(self, grad_out):
        (noise,) = self._saved("noise")
        return _grad_like(grad_out, noise) * noise

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}{_inplace_repr(self.inplace)}"

# ----------------------------------------------------------------------------------------
# Smooth layers
# ----------------------------------------------------------------------------------------

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
        s = A._sigmoid(x)
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
        ell = A._log1p_exp_neg_abs(x)
        th = np.maximum(x, 0, out=A._like(x))  # _like: a 0-d result stays an array
        th += ell
        np.tanh(th, out=th)  # tanh(softplus(x))
        return np.multiply(x, th), {"x": x, "ell": ell, "th": th}

    def _backward(self, g, x, ell, th):
        # tanh(sp) + x sigma(x) (1 - tanh^2 sp), sigma(x) = exp(min(x, 0) - ell)
        s = np.minimum(x, 0, out=A._like(x))
        s -= ell
        np.exp(s, out=s)
        out = np.multiply(th, th, out=A._like(th))
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
        x, z, linear, beta = A._softplus_parts(x, self.beta, self.threshold)
        ell = A._log1p_exp_neg_abs(z)
        y = np.maximum(z, 0)
        y += ell
        if beta != 1:
            y /= beta
        if linear.any():
            y = A._blend(linear, x, y)
        return y, {"z": z, "ell": ell, "linear": linear}

    def _backward(self, g, z, ell, linear):
        out = np.minimum(z, 0, out=A._like(z))  # sigma(z) = exp(min(z, 0) - log(1 + e^{-|z|}))
        out -= ell
        np.exp(out, out=out)
        if linear.any():
            out = A._blend(linear, out.dtype.type(1), out)
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
        cdf = A._ndtr(x)
        return np.multiply(x, cdf), {"x": x, "cdf": cdf}

    @staticmethod
    def _backward_exact(x, cdf):
        with np.errstate(over="ignore"):  # x^2 = inf beyond 1e154 gives exp(-inf) = 0, exactly
            out = np.multiply(x, x, out=A._like(x))  # Phi(x) + x exp(-x^2/2) / sqrt(2 pi)
        out *= -0.5
        np.exp(out, out=out)
        out *= x
        out *= 1 / math.sqrt(2 * math.pi)
        out += cdf
        return out

    @staticmethod
    def _forward_tanh(x):
        # u = c x (1 + k x^2) with c = sqrt(2/pi), k = 0.044715, on x clipped to +-100
        xc = np.clip(x, -A._GELU_CLIP, A._GELU_CLIP)
        slope = np.multiply(xc, xc)
        th = np.multiply(slope, A._SQRT_2_OVER_PI * A._GELU_KAPPA, out=A._like(slope))
        th += A._SQRT_2_OVER_PI
        th *= xc
        np.tanh(th, out=th)
        slope *= 3 * A._SQRT_2_OVER_PI * A._GELU_KAPPA  # du/dx = c (1 + 3 k x^2), kept
        slope += A._SQRT_2_OVER_PI
        y = np.add(th, 1)
        y *= x
        y *= 0.5
        return y, {"xc": xc, "th": th, "slope": slope}

    @staticmethod
    def _backward_tanh(xc, th, slope):
        out = np.multiply(th, th, out=A._like(th))  # (1 + tanh u)/2 + x (1 - tanh^2 u) du/dx / 2
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
        out = np.multiply(y, y, out=A._like(y))
        np.subtract(1, out, out=out)
        out *= _grad_like(grad_out, y)
        return out
