r"""Rectifiers: ReLU and the functions built around its kink, with derivatives.

ReLU, ReLU6 and hardtanh (clamps), hardsigmoid and hardswish (piecewise-linear stand-ins for
the sigmoid and SiLU), leaky ReLU and PReLU (a slope for :math:`x \le 0`), and the
exponential family ELU, SELU and CELU. Each ``f`` has ``f_grad(input, ...)`` returning
:math:`f'(x)` element-wise, with PyTorch's choice at the kinks:

- ``relu``: 0 at :math:`x = 0`; ``leaky_relu``/``prelu``: the negative slope at 0;
- ``hardtanh``/``relu6``/``hardsigmoid``: 0 at both boundaries (the open interval passes
  the gradient); ``hardswish``: 0 at :math:`x = -3`, 1 at :math:`x = 3`;
- ``elu``/``selu``/``celu``: the left-hand derivative at 0 (:math:`\alpha`, :math:`\lambda\alpha`, 1).

``dlcore.activations`` re-exports everything here.
"""

from __future__ import annotations

import numpy as np

from .activations_smooth import _blend, _store
from .checks import as_array, check_range

__all__ = ["relu", "relu6", "hardtanh", "hardsigmoid", "hardswish", "leaky_relu", "prelu",
           "elu", "selu", "celu", "relu_grad", "relu6_grad", "hardtanh_grad", "hardsigmoid_grad",
           "hardswish_grad", "leaky_relu_grad", "prelu_grad",
           "prelu_backward", "elu_grad", "selu_grad", "celu_grad",
           "SELU_ALPHA", "SELU_SCALE"]

SELU_ALPHA = 1.6732632423543772848170429916717  # Klambauer et al. (2017), as in PyTorch
SELU_SCALE = 1.0507009873554804934193349852946


def relu(input, inplace: bool = False):
    r"""Rectified linear unit :math:`\max(0, x)`.

    Examples
    --------
    >>> relu(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 3.])
    """
    x = as_array("input", input)
    return _store(input, np.maximum(x, x.dtype.type(0)), inplace)


def relu_grad(input):
    r""":math:`\mathbb{1}[x > 0]`: PyTorch's convention takes 0 at :math:`x = 0`.

    Examples
    --------
    >>> relu_grad(np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 1.])
    """
    x = as_array("input", input)
    return (x > 0).astype(x.dtype)


def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
    r"""Clamp to :math:`[\text{min\_val}, \text{max\_val}]`, as ``torch.nn.functional.hardtanh``.

    Examples
    --------
    >>> hardtanh(np.array([-3.0, 0.5, 3.0]))
    array([-1. ,  0.5,  1. ])
    """
    x, lo, hi = _hardtanh_args(input, min_val, max_val)
    return _store(input, np.clip(x, lo, hi), inplace)


def hardtanh_grad(input, min_val: float = -1.0, max_val: float = 1.0):
    r""":math:`\mathbb{1}[\text{min\_val} < x < \text{max\_val}]`: 0 *at* both boundaries,
    as in PyTorch.

    Examples
    --------
    >>> hardtanh_grad(np.array([-1.0, 0.0, 1.0]))
    array([0., 1., 0.])
    """
    x, lo, hi = _hardtanh_args(input, min_val, max_val)
    return ((x > lo) & (x < hi)).astype(x.dtype)


def _hardtanh_args(input, min_val, max_val):
    lo = check_range("min_val", min_val, what="hardtanh")
    hi = check_range("max_val", max_val, what="hardtanh")
    if lo > hi:
        raise ValueError(f"hardtanh min_val cannot be greater than max_val, got "
                         f"min_val={lo:g} > max_val={hi:g}")
    return as_array("input", input), lo, hi


def relu6(input, inplace: bool = False):
    r""":math:`\min(\max(0, x), 6)` = ``hardtanh(input, 0, 6)``.

    Examples
    --------
    >>> relu6(np.array([-1.0, 3.0, 9.0]))
    array([0., 3., 6.])
    """
    return hardtanh(input, 0.0, 6.0, inplace)


def relu6_grad(input):
    r""":math:`\mathbb{1}[0 < x < 6]`.

    Examples
    --------
    >>> relu6_grad(np.array([0.0, 3.0, 6.0]))
    array([0., 1., 0.])
    """
    return hardtanh_grad(input, 0.0, 6.0)


def hardsigmoid(input, inplace: bool = False):
    r""":math:`\min(\max(x + 3, 0), 6) / 6`, a piecewise-linear sigmoid.

    Examples
    --------
    >>> hardsigmoid(np.array([-4.0, 0.0, 1.5, 4.0]))
    array([0.  , 0.5 , 0.75, 1.  ])
    """
    x = as_array("input", input)
    return _store(input, np.clip(x + 3, 0, 6) / 6, inplace)


def hardsigmoid_grad(input):
    r""":math:`1/6` on the open interval :math:`(-3, 3)`, 0 elsewhere (so 0 at :math:`\pm 3`,
    as PyTorch; its kernel uses the float32 constant 1/6, a relative difference of 3e-8).

    Examples
    --------
    >>> hardsigmoid_grad(np.array([-3.0, 0.0, 3.0]))
    array([0.        , 0.16666667, 0.        ])
    """
    x = as_array("input", input)
    return ((x > -3) & (x < 3)).astype(x.dtype) / 6


def hardswish(input, inplace: bool = False):
    r""":math:`x \cdot \min(\max(x + 3, 0), 6) / 6`, a piecewise-quadratic SiLU (MobileNetV3).

    Examples
    --------
    >>> hardswish(np.array([-4.0, 0.0, 1.5, 4.0]))
    array([-0.   ,  0.   ,  1.125,  4.   ])
    """
    x = as_array("input", input)
    out = _hardswish_gate(x)
    out *= x
    out /= 6
    return _store(input, out, inplace)


def hardswish_grad(input):
    r""":math:`0` for :math:`x \le -3`, :math:`x/3 + 1/2` on :math:`(-3, 3)`, 1 for
    :math:`x \ge 3`: PyTorch's values at the two kinks.

    Examples
    --------
    >>> hardswish_grad(np.array([-3.0, 0.0, 3.0]))
    array([0. , 0.5, 1. ])
    """
    x = as_array("input", input)
    return _hardswish_grad(x, _hardswish_gate(x))


def _hardswish_gate(x):
    r""":math:`t = \min(\max(x + 3, 0), 6)`, six times the hard sigmoid, built in place."""
    t = np.add(x, 3, out=np.empty_like(x))
    return np.clip(t, 0, 6, out=t)


def _hardswish_grad(x, t):
    r""":math:`(t + x\,\mathbb{1}[-3 < x < 3]) / 6` from the gate ``t``: the product rule
    :math:`t/6 + x\,t'/6` with :math:`t' = \mathbb{1}[-3 < x < 3]`, which gives 0 at
    :math:`x \le -3` (:math:`t = 0`), :math:`(2x + 3)/6 = x/3 + 1/2` inside and 1 at
    :math:`x \ge 3` (:math:`t = 6`), without selecting a branch per element."""
    inside = x > -3
    inside &= x < 3
    out = np.multiply(x, inside, out=np.empty_like(t))
    out += t
    out /= 6
    return out


def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False):
    r"""Leaky ReLU :math:`x` for :math:`x > 0`, :math:`\text{negative\_slope}\cdot x` otherwise.

    Examples
    --------
    >>> leaky_relu(np.array([-2.0, 3.0]), 0.1)
    array([-0.2,  3. ])
    """
    x = as_array("input", input)
    slope = x.dtype.type(check_range("negative_slope", negative_slope, what="leaky_relu"))
    return _store(input, np.maximum(x, 0) + slope * np.minimum(x, 0), inplace)


def leaky_relu_grad(input, negative_slope: float = 0.01):
    r"""1 for :math:`x > 0`, ``negative_slope`` for :math:`x \le 0` (so at 0 too, as PyTorch).

    Examples
    --------
    >>> leaky_relu_grad(np.array([-1.0, 0.0, 2.0]))
    array([0.01, 0.01, 1.  ])
    """
    x = as_array("input", input)
    slope = check_range("negative_slope", negative_slope, what="leaky_relu")
    return _blend(x > 0, x.dtype.type(1), x.dtype.type(slope))


def prelu(input, weight):
    r"""Parametric ReLU :math:`x` for :math:`x > 0`, :math:`a_c x` otherwise, as
    ``torch.nn.functional.prelu``.

    Parameters
    ----------
    input : array, shape (N, C, *) or any shape when ``weight`` has one element
    weight : array, shape (1,) or (C,)
        One slope shared by all channels, or one per channel (dimension 1 of ``input``).

    Examples
    --------
    >>> prelu(np.array([[-2.0, -2.0], [1.0, 1.0]]), np.array([0.1, 0.5]))
    array([[-0.2, -1. ],
           [ 1. ,  1. ]])
    """
    x, w = _prelu_args(input, weight)
    return np.maximum(x, 0) + w * np.minimum(x, 0)


def prelu_grad(input, weight):
    r""":math:`\partial y/\partial x`: 1 for :math:`x > 0`, :math:`a_c` for :math:`x \le 0`.

    Examples
    --------
    >>> prelu_grad(np.array([[-1.0, 2.0], [0.0, -3.0]]), np.array([0.1, 0.2]))
    array([[0.1, 1. ],
           [0.1, 0.2]])
    """
    x, w = _prelu_args(input, weight)
    return _blend(x > 0, x.dtype.type(1), w)


def prelu_backward(grad_output, input, weight):
    r"""Gradients of PReLU: ``(grad_input, grad_weight)``.

    :math:`\partial L/\partial x = g\,(\mathbb{1}[x>0] + a_c \mathbb{1}[x \le 0])` and
    :math:`\partial L/\partial a_c = \sum g\,x\,\mathbb{1}[x \le 0]` over every position of
    channel :math:`c` (over everything when ``weight`` has one element).

    Examples
    --------
    >>> gx, gw = prelu_backward(np.ones(3), np.array([-2.0, 0.0, 1.0]), np.array([0.25]))
    >>> gx, gw
    (array([0.25, 0.25, 1.  ]), array([-2.]))
    """
    x, w = _prelu_args(input, weight)
    g = as_array("grad_output", grad_output, dtype=x.dtype)
    if g.shape != x.shape:
        raise ValueError(f"prelu grad_output shape {g.shape} does not match input shape "
                         f"{x.shape}")
    grad_input = g * _blend(x > 0, x.dtype.type(1), w)
    contrib = np.minimum(x, 0) * g
    n = np.size(weight)
    if n == 1:
        grad_weight = contrib.sum().reshape(np.shape(weight))
    else:
        axes = tuple(i for i in range(x.ndim) if i != 1)
        grad_weight = contrib.sum(axis=axes).reshape(np.shape(weight))
    return grad_input, grad_weight


def _prelu_args(input, weight):
    x = as_array("input", input)
    w = as_array("weight", weight, dtype=x.dtype)
    if w.ndim > 1:
        raise ValueError(f"prelu weight must be 0-d or 1-d, got shape {w.shape}")
    channels = x.shape[1] if x.ndim > 1 else 1
    if w.size != 1 and w.size != channels:
        raise ValueError(f"prelu weight has {w.size} parameters but input of shape {x.shape} "
                         f"has {channels} channel(s) (dimension 1); use 1 or {channels}")
    if w.size == 1:
        return x, w.reshape(())
    return x, w.reshape((channels,) + (1,) * (x.ndim - 2))


def _exp_linear(x, alpha, scale, input_scale):
    r""":math:`\lambda x` for :math:`x > 0`, :math:`\lambda\alpha(e^{x/s}-1)` otherwise, written
    as :math:`\lambda\max(x, 0) + \lambda\alpha(e^{\min(x, 0)/s} - 1)` (one term is 0): the
    exponential only ever sees :math:`\min(x, 0)`, and no branch is selected by a mask."""
    out = _exp_linear_arg(x, input_scale)
    np.expm1(out, out=out)
    out *= scale * alpha
    positive = np.maximum(x, 0)
    if scale != 1:
        positive *= scale
    out += positive
    return out


def _exp_linear_arg(x, input_scale):
    r"""The exponent :math:`\min(x, 0)/s` (``input_scale`` is :math:`1/s`), never positive."""
    neg = np.minimum(x, 0, out=np.empty_like(x))
    if input_scale != 1:
        neg *= input_scale
    return neg


def _exp_linear_grad(x, alpha, scale, input_scale, arg=None):
    r""":math:`c\,e^{\min(x, 0)/s} + (\lambda - c)\,\mathbb{1}[x > 0]` with
    :math:`c = \lambda\alpha/s`: for :math:`x > 0` the exponential is 1 and the sum is
    :math:`\lambda` (to an ulp), for :math:`x \le 0` the step is 0; no mask selects a branch.
    ``arg`` is :func:`_exp_linear_arg`, when the caller kept it from the forward pass."""
    out = np.exp(_exp_linear_arg(x, input_scale) if arg is None else arg)
    c = scale * alpha * input_scale
    out *= c
    if c != scale:  # ELU with alpha = 1 and CELU need no step
        step = (x > 0).astype(out.dtype)
        step *= scale - c
        out += step
    return out


def elu(input, alpha: float = 1.0, inplace: bool = False):
    r"""ELU :math:`x` for :math:`x > 0`, :math:`\alpha(e^x - 1)` otherwise; infimum
    :math:`-\alpha`.

    Examples
    --------
    >>> elu(np.array([-800.0, -1.0, 2.0]))
    array([-1.        , -0.63212056,  2.        ])
    """
    x = as_array("input", input)
    return _store(input, _exp_linear(x, check_range("alpha", alpha, what="elu"), 1.0, 1.0), inplace)


def elu_grad(input, alpha: float = 1.0):
    r"""1 for :math:`x > 0`, :math:`\alpha e^{x}` for :math:`x \le 0` (:math:`\alpha` at 0).

    Examples
    --------
    >>> elu_grad(np.array([-1.0, 0.0, 2.0]), alpha=2.0)
    array([0.73575888, 2.        , 1.        ])
    """
    return _exp_linear_grad(as_array("input", input), check_range("alpha", alpha, what="elu"), 1.0, 1.0)


def selu(input, inplace: bool = False):
    r"""SELU :math:`\lambda x` for :math:`x > 0`, :math:`\lambda\alpha(e^x - 1)` otherwise,
    with :math:`\alpha \approx 1.6733`, :math:`\lambda \approx 1.0507` (``SELU_ALPHA``,
    ``SELU_SCALE``). The scale multiplies *both* branches; infimum :math:`-\lambda\alpha`.

    Examples
    --------
    >>> selu(np.array([-800.0, 1.0]))
    array([-1.75809934,  1.05070099])
    """
    x = as_array("input", input)
    return _store(input, _exp_linear(x, SELU_ALPHA, SELU_SCALE, 1.0), inplace)


def selu_grad(input):
    r""":math:`\lambda` for :math:`x > 0`, :math:`\lambda\alpha e^{x}` for :math:`x \le 0`.

    Examples
    --------
    >>> selu_grad(np.array([-1.0, 0.0, 2.0]))
    array([0.6467686 , 1.75809934, 1.05070099])
    """
    return _exp_linear_grad(as_array("input", input), SELU_ALPHA, SELU_SCALE, 1.0)


def celu(input, alpha: float = 1.0, inplace: bool = False):
    r"""CELU :math:`x` for :math:`x > 0`, :math:`\alpha(e^{x/\alpha} - 1)` otherwise
    (continuously differentiable at 0 for every :math:`\alpha \ne 0`).

    Examples
    --------
    >>> celu(np.array([-1.0, 1.0]), alpha=2.0)
    array([-0.78693868,  1.        ])
    """
    x = as_array("input", input)
    a = _celu_alpha(alpha)
    return _store(input, _exp_linear(x, a, 1.0, 1.0 / a), inplace)


def celu_grad(input, alpha: float = 1.0):
    r"""1 for :math:`x > 0`, :math:`e^{x/\alpha}` for :math:`x \le 0`.

    Examples
    --------
    >>> celu_grad(np.array([-1.0, 0.0, 2.0]), alpha=2.0)
    array([0.60653066, 1.        , 1.        ])
    """
    a = _celu_alpha(alpha)
    return _exp_linear_grad(as_array("input", input), a, 1.0, 1.0 / a)


def _celu_alpha(alpha):
    a = check_range("alpha", alpha, what="celu")
    if a == 0:
        raise ValueError("celu alpha cannot be 0, got 0")
    return a
