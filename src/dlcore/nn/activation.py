r"""Activation layers: each wraps a function of ``dlcore.activations`` with its backward.

Shapes: every element-wise layer maps an input of any shape ``(*)`` to an output of the same
shape, and ``backward(grad_out)`` returns :math:`g \odot f'(x)`, with :math:`f'` from
``dlcore.activations`` (PyTorch's values at the kinks). ``Softmax``/``LogSoftmax`` act along
``dim``; ``PReLU`` learns its slopes. Layers with PyTorch's ``inplace`` option overwrite a
floating-point NumPy input when it is True, as PyTorch does.
"""

from __future__ import annotations

import numpy as np

from .. import activations as A
from .. import activations_rectifiers as R
from ..activations_smooth import _store
from ..checks import as_array, check_choice, check_int, check_range
from .module import Module, Parameter

__all__ = ["ReLU", "ReLU6", "LeakyReLU", "PReLU", "Hardtanh", "Hardsigmoid", "Hardswish",
           "ELU", "SELU", "CELU", "Softmax", "LogSoftmax"]  # extended below with the smooth layers


def _grad_like(grad_out, saved, dtype=None):
    g = as_array("grad_out", grad_out, dtype=saved.dtype if dtype is None else dtype)
    if g.shape != saved.shape:
        raise ValueError(f"grad_out shape {g.shape} does not match the shape of the last "
                         f"forward pass {saved.shape}")
    return g


class _Elementwise(Module):
    """Shared plumbing: ``forward`` keeps what the derivative needs, ``backward`` uses it.

    Sub-classes set ``_fn``/``_grad`` (functions of ``dlcore.activations``) and return their
    keyword arguments from ``_kwargs``; by default the input is kept and backward multiplies
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
        arg = R._exp_linear_arg(x, input_scale)
        y = np.expm1(arg)
        y *= scale * alpha
        positive = np.maximum(x, 0)
        if scale != 1:
            positive *= scale
        y += positive
        return y, {"x": x, "arg": arg}

    def _backward(self, g, x, arg):
        out = R._exp_linear_grad(x, *self._params(), arg=arg)
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
        t = R._hardswish_gate(x)  # kept: the derivative is (t + x 1[-3 < x < 3]) / 6
        y = np.multiply(x, t)
        y /= 6
        return y, {"x": x, "t": t}

    def _backward(self, g, x, t):
        out = R._hardswish_grad(x, t)
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
    (``dlcore.activations.SELU_SCALE``, ``SELU_ALPHA``).

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
    """Softmax and LogSoftmax: one ``dim``."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = check_int("dim", dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_AlongDim):
    r"""Softmax along ``dim``; backward is the Jacobian-vector product
    :math:`y \odot (g - \sum_j g_j y_j)` (``dlcore.activations.softmax_backward``).

    Examples
    --------
    >>> Softmax(dim=0)(np.array([0.0, np.log(3.0)]))
    array([0.25, 0.75])
    """

    def forward(self, x):
        y = A.softmax(x, self.dim)
        self._save(y=y)
        return y

    def backward(self, grad_out):
        (y,) = self._saved("y")
        return A.softmax_backward(_grad_like(grad_out, y), y, self.dim)


class LogSoftmax(_AlongDim):
    r"""Log-softmax along ``dim``; backward is :math:`g - \mathrm{softmax}(x) \sum_j g_j`.

    Examples
    --------
    >>> LogSoftmax(dim=0)(np.array([0.0, 0.0]))
    array([-0.69314718, -0.69314718])
    """

    def forward(self, x):
        y = A.log_softmax(x, self.dim)
        self._save(y=y)
        return y

    def backward(self, grad_out):
        (y,) = self._saved("y")
        return A.log_softmax_backward(_grad_like(grad_out, y), y, self.dim)


# The smooth layers live in their own module (it builds on the classes above); re-exported
# here because ``dlcore.nn`` gathers the layers from this module's ``__all__``.
from .activation_smooth import *  # noqa: E402,F401,F403
from .activation_smooth import __all__ as _smooth_all  # noqa: E402

__all__ += _smooth_all
