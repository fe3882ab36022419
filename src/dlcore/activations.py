r"""Activation functions and their derivatives, as plain NumPy functions.

These are the stateless forms (``dlcore.functional`` re-exports the names in
``__functional__``, like ``torch.nn.functional``); the layers in ``dlcore.nn`` call them and
use the derivatives in their backward pass. Floating inputs keep their dtype, so float32
behaviour can be studied.

The element-wise functions live in two modules split by idea and are re-exported here:
``dlcore.activations_smooth`` (sigmoid, tanh, the base-2 sigmoid, softplus, SiLU, Mish,
GELU, softsign, log-sigmoid) and ``dlcore.activations_rectifiers`` (ReLU, ReLU6, hardtanh,
hardsigmoid, hardswish, leaky ReLU, PReLU, ELU, SELU, CELU). This module adds softmax and log-softmax with their
Jacobians, and :func:`derivative`, which finds :math:`f'` by name.
"""

from __future__ import annotations

import numpy as np

from . import activations_rectifiers as _rect
from . import activations_smooth as _smooth
from .activations_rectifiers import *  # noqa: F401,F403
from .activations_smooth import *  # noqa: F401,F403
from .checks import as_array, check_int

__functional__ = ["sigmoid", "tanh", "logsigmoid", "softplus", "silu", "mish", "gelu",
                  "softsign", "relu", "relu6", "hardtanh", "hardsigmoid", "hardswish",
                  "leaky_relu", "prelu", "elu", "selu", "celu", "softmax", "log_softmax"]
__all__ = sorted(set(_smooth.__all__) | set(_rect.__all__) | set(__functional__)
                 | {"softmax_backward", "log_softmax_backward", "softmax_jacobian",
                    "derivative", "NAMES"})


def softmax(input, dim: int, _stacklevel: int = 3, dtype=None):
    r"""Softmax along ``dim``: :math:`\mathrm{softmax}(x)_i = e^{x_i - m} / \sum_j e^{x_j - m}`.

    Subtracting :math:`m = \max_j x_j` changes nothing mathematically and keeps every
    exponent :math:`\le 0`, so logits of any finite size are safe. Unlike PyTorch, ``dim`` has
    no default: the implicit choice PyTorch deprecated is not reproduced. ``dtype`` casts the
    input first, as in PyTorch; ``_stacklevel`` is accepted for signature parity and unused.

    Examples
    --------
    >>> softmax(np.array([[1000.0, 1000.0], [0.0, np.log(3.0)]]), dim=1)
    array([[0.5 , 0.5 ],
           [0.25, 0.75]])
    """
    z, dim = _shifted(input, dim, dtype)
    e = np.exp(z, out=z)  # in place: z is a fresh array
    e /= e.sum(axis=dim, keepdims=True)
    return e


def log_softmax(input, dim: int, _stacklevel: int = 3, dtype=None):
    r"""Log of the softmax along ``dim``: :math:`x_i - m - \log \sum_j e^{x_j - m}`.

    Examples
    --------
    >>> log_softmax(np.array([0.0, 1e4]), dim=0)
    array([-10000.,      0.])
    """
    z, dim = _shifted(input, dim, dtype)
    return z - np.log(np.exp(z).sum(axis=dim, keepdims=True))


def _shifted(input, dim, dtype=None):
    x = as_array("input", input, min_ndim=1, dtype=dtype)
    dim = check_int("dim", dim)
    if not -x.ndim <= dim < x.ndim:
        raise ValueError(f"dim must be in [{-x.ndim}, {x.ndim - 1}] for an input of shape "
                         f"{x.shape}, got {dim}")
    return x - x.max(axis=dim, keepdims=True), dim


def softmax_backward(grad_output, output, dim: int):
    r"""Vector-Jacobian product of softmax: :math:`y \odot (g - \sum_j g_j y_j)` along ``dim``.

    This is :math:`J^\top g` for the Jacobian :math:`J = \operatorname{diag}(y) - y y^\top`
    without forming :math:`J`. ``output`` is the softmax ``y`` returned by the forward pass.

    Examples
    --------
    >>> y = softmax(np.array([0.0, 0.0]), dim=0)
    >>> softmax_backward(np.array([1.0, 0.0]), y, dim=0)
    array([ 0.25, -0.25])
    """
    g, y = _grad_and_output(grad_output, output)
    out = g * y
    np.subtract(g, out.sum(axis=dim, keepdims=True), out=out)  # one temporary, reused
    out *= y
    return out


def log_softmax_backward(grad_output, output, dim: int):
    r"""Vector-Jacobian product of log-softmax: :math:`g - e^{y} \sum_j g_j` along ``dim``.

    Examples
    --------
    >>> y = log_softmax(np.array([0.0, 0.0]), dim=0)
    >>> log_softmax_backward(np.array([1.0, 0.0]), y, dim=0)
    array([ 0.5, -0.5])
    """
    g, y = _grad_and_output(grad_output, output)
    return g - np.exp(y) * g.sum(axis=dim, keepdims=True)


def _grad_and_output(grad_output, output):
    y = as_array("output", output)
    g = as_array("grad_output", grad_output, dtype=y.dtype)
    if g.shape != y.shape:
        raise ValueError(f"grad_output shape {g.shape} does not match output shape {y.shape}")
    return g, y


def softmax_jacobian(input):
    r"""Full Jacobian of softmax over the last axis: :math:`J_{ij} = \partial s_i / \partial
    z_j = s_i(\delta_{ij} - s_j)`, i.e. :math:`J = \operatorname{diag}(s) - s s^\top`.

    Shapes: input ``(*, n)``, output ``(*, n, n)``. Each row sums to 0 (adding a constant to
    every logit changes nothing), and the off-diagonal entries :math:`-s_i s_j` are not 0.

    Examples
    --------
    >>> J = softmax_jacobian(np.array([0.0, 0.0]))
    >>> J
    array([[ 0.25, -0.25],
           [-0.25,  0.25]])
    """
    s = softmax(input, dim=-1)
    return s[..., :, None] * (np.eye(s.shape[-1], dtype=s.dtype) - s[..., None, :])


_DERIVATIVES = {
    "sigmoid": sigmoid_grad, "tanh": tanh_grad, "logsigmoid": logsigmoid_grad,  # noqa: F405
    "sigmoid_base2": sigmoid_base2_grad, "softplus": softplus_grad,  # noqa: F405
    "silu": silu_grad, "mish": mish_grad, "gelu": gelu_grad,  # noqa: F405
    "softsign": softsign_grad, "relu": relu_grad, "relu6": relu6_grad,  # noqa: F405
    "hardtanh": hardtanh_grad, "hardsigmoid": hardsigmoid_grad,  # noqa: F405
    "hardswish": hardswish_grad, "leaky_relu": leaky_relu_grad,  # noqa: F405
    "prelu": prelu_grad, "elu": elu_grad, "selu": selu_grad, "celu": celu_grad,  # noqa: F405
}
NAMES = tuple(_DERIVATIVES)  #: every element-wise activation :func:`derivative` knows


def derivative(name: str, x, **kwargs):
    r"""Element-wise derivative :math:`f'(x)` of the activation called ``name``.

    ``kwargs`` are the activation's own parameters (``negative_slope``, ``alpha``, ``beta``,
    ``threshold``, ``approximate``, ``min_val``, ``max_val``, ``weight``, ``k``), with the
    same defaults as the function. At kinks the value is PyTorch's choice (see
    ``dlcore.activations_rectifiers``).

    Examples
    --------
    >>> derivative("tanh", np.array([0.0]))
    array([1.])
    >>> derivative("relu", np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 1.])
    >>> derivative("leaky_relu", np.array([0.0]), negative_slope=0.2)
    array([0.2])
    """
    if name not in _DERIVATIVES:
        raise ValueError(f"activation name must be one of {sorted(_DERIVATIVES)}; got {name!r}")
    return _DERIVATIVES[name](as_array("x", x), **kwargs)
