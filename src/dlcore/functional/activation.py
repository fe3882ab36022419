r"""Activation functions and their derivatives, as plain NumPy functions (the activations of
``torch.nn.functional``, plus each derivative).

The layers in :mod:`dlcore.nn.activation` call these functions and use the derivatives in
their backward pass. Floating inputs keep their dtype, so float32 behaviour can be studied.
Each element-wise ``f`` has ``f_grad(input, ...)`` returning :math:`f'(x)` element-wise.

The module reads top to bottom in three parts:

1. the smooth functions: the sigmoid :math:`\sigma`, tanh, the hardware-friendly base-2
   sigmoid, log-sigmoid, softplus (the integral of :math:`\sigma`), SiLU/Swish
   :math:`x\sigma(x)`, Mish, GELU :math:`x\Phi(x)` and softsign. Finite input never gives
   NaN, inf or an overflow warning: no exponential of a large positive number is taken,
   the sigmoid included (see :func:`sigmoid`);
2. the rectifiers: ReLU, ReLU6 and hardtanh (clamps), hardsigmoid and hardswish
   (piecewise-linear stand-ins for the sigmoid and SiLU), leaky ReLU and PReLU (a slope for
   :math:`x \le 0`), and the exponential family ELU, SELU and CELU, with PyTorch's choice of
   derivative at the kinks:

   - ``relu``: 0 at :math:`x = 0`; ``leaky_relu``/``prelu``: the negative slope at 0;
   - ``hardtanh``/``relu6``/``hardsigmoid``: 0 at both boundaries (the open interval passes
     the gradient); ``hardswish``: 0 at :math:`x = -3`, 1 at :math:`x = 3`;
   - ``elu``/``selu``/``celu``: the left-hand derivative at 0 (:math:`\alpha`,
     :math:`\lambda\alpha`, 1);
3. the shrinkage functions (soft, hard and tanh shrink), ``threshold`` and the randomized
   leaky ReLU, whose slopes are drawn in training (0 gradient at :math:`\pm\lambda` and at
   the threshold, as in PyTorch);
4. softmax, log-softmax and softmin with their backward passes and Jacobian, the gated
   linear unit, and :func:`derivative`, which finds :math:`f'` by name.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..checks import as_array, check_choice, check_int, check_range
from ..random import as_generator

__all__ = [
    # smooth
    "sigmoid", "tanh", "logsigmoid", "sigmoid_base2", "softplus", "silu", "mish", "gelu",
    "softsign", "sigmoid_grad", "tanh_grad", "logsigmoid_grad", "sigmoid_base2_grad",
    "softplus_grad", "silu_grad", "mish_grad", "gelu_grad", "softsign_grad",
    # rectifiers
    "relu", "relu6", "hardtanh", "hardsigmoid", "hardswish", "leaky_relu", "prelu", "elu",
    "selu", "celu", "relu_grad", "relu6_grad", "hardtanh_grad", "hardsigmoid_grad",
    "hardswish_grad", "leaky_relu_grad", "prelu_grad", "prelu_backward", "elu_grad",
    "selu_grad", "celu_grad", "SELU_ALPHA", "SELU_SCALE",
    # shrinkage, threshold, randomized leaky ReLU
    "softshrink", "hardshrink", "tanhshrink", "threshold", "rrelu", "softshrink_grad",
    "hardshrink_grad", "tanhshrink_grad", "threshold_grad", "rrelu_noise",
    # softmax, softmin, gated linear unit
    "softmax", "log_softmax", "softmin", "softmax_backward", "log_softmax_backward",
    "softmin_backward", "softmax_jacobian", "glu", "glu_backward",
    "derivative", "NAMES",
]


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_KAPPA = 0.044715
_GELU_CLIP = 100.0  # beyond this |x| both tanh(inner) = +-1 and phi(x) = 0 in float64


def _store(input, out, inplace: bool):
    """Return ``out``, or write it into ``input`` and return ``input`` when ``inplace``."""
    if not inplace:
        return out
    if not isinstance(input, np.ndarray) or input.dtype.kind != "f":
        raise TypeError("inplace=True needs a floating-point numpy array as input, got "
                        f"{type(input).__name__} {getattr(input, 'dtype', '')}".rstrip())
    input[...] = out
    return input


def _blend(mask, a, b):
    r"""``np.where(mask, a, b)`` for finite ``a``, ``b``, without branches.

    ``m a + \bar m b`` with ``m``, ``\bar m`` = ``mask``, ``~mask`` as 0/1 floats is exact (one
    term is a signed zero). On masks of random signs ``np.where`` is bound by branch
    mispredictions, several times slower than these four streaming passes.
    """
    dtype = np.result_type(a, b)
    out = mask.astype(dtype)
    out *= a
    other = (~mask).astype(dtype)
    other *= b
    out += other
    return out


def _sigmoid(z, exp=np.exp):
    r""":math:`\sigma_b(z) = 1/(1 + b^{-z})` for ``exp`` = :math:`b^{(\cdot)}`, with no overflow.

    Every exponent is :math:`\le 0`. With :math:`e = b^{-|z|} \in (0, 1]`,
    :math:`r = e/(1 + e) = \sigma_b(-|z|) \in (0, \tfrac12]` is the smaller of
    :math:`\sigma_b(z)` and :math:`1 - \sigma_b(z)`, computed to a few ulps even where it is
    subnormal; then :math:`\sigma_b(z) = r` for :math:`z < 0` and :math:`1 - r` for
    :math:`z \ge 0`. So the result is exactly 0 only where the true value rounds to 0
    (:math:`z \lesssim -745` in float64, :math:`-104` in float32) and exactly 1 only where it
    rounds to 1 (:math:`z \gtrsim 37.4` in float64, :math:`17.3` in float32). The literal
    :math:`1/(1 + e^{-z})` instead overflows at :math:`z < -\ln(\text{max float})`
    (:math:`-709.78`, :math:`-88.72`) and returns 1 as soon as :math:`1 + e^{-z}` rounds to 1.
    The branch is a masked subtraction in place (``where=z >= 0``), one rounding. This costs
    about three times the passes of the literal formula; correct tails are worth it.
    """
    t = np.abs(z, out=_like(z))
    np.negative(t, out=t)
    exp(t, out=t)                 # e = b^{-|z|} in (0, 1]
    denominator = t + 1
    t /= denominator              # r = sigma_b(-|z|)
    np.subtract(1, t, out=t, where=z >= 0)   # sigma(z) = 1 - r for z >= 0
    return t


def _like(z):
    """An empty array shaped like ``z`` (0-d too), for a kernel to compute into with ``out=``.

    A fresh temporary the size of the benchmark input costs page faults worth about one exp
    pass, so the kernels allocate once and then work in place.
    """
    return np.empty_like(z)


def _logistic(z, exp=np.exp):
    r"""Stable :math:`1/(1 + b^{-z})` for ``exp`` = :math:`b^{(\cdot)}`, and its mirror.

    Returns ``(s, r)`` with ``s`` = :math:`\sigma_b(z) = b^{\min(z, 0)} / (1 + b^{-|z|})` and
    ``r`` = :math:`\sigma_b(-z) = 1 - s = b^{-\max(z, 0)} / (1 + b^{-|z|})`: every exponent is
    :math:`\le 0`, so nothing overflows, and :math:`1 - s` is not lost to cancellation.
    """
    denominator = 1.0 + exp(-np.abs(z))
    return exp(np.minimum(z, 0)) / denominator, exp(-np.maximum(z, 0)) / denominator


def _sech2(z):
    r""":math:`\operatorname{sech}^2 z = 1 - \tanh^2 z = 4e/(1+e)^2`, :math:`e = e^{-2|z|}`."""
    half = np.exp(-np.abs(z))
    e = half * half  # not exp(-2|z|): 2|z| could overflow
    return 4.0 * e / (1.0 + e) ** 2


def _softplus1(z):
    r""":math:`\log(1 + e^{z}) = \max(z, 0) + \log(1 + e^{-|z|})`, stable for any finite z."""
    out = np.maximum(z, 0, out=_like(z))
    out += _log1p_exp_neg_abs(z)
    return out


def _log1p_exp_neg_abs(z):
    r""":math:`\ell = \log(1 + e^{-|z|})`, the correction term of softplus, in
    :math:`(0, \log 2]`.

    Layers keep it: :math:`\sigma(z) = e^{\min(z, 0) - \ell}` (since :math:`\log\sigma(z) =
    z - \operatorname{softplus}(z)`) costs two passes and one exponential, with no cancellation.
    """
    t = np.abs(z, out=_like(z))
    np.negative(t, out=t)
    np.exp(t, out=t)
    return np.log1p(t, out=t)


def sigmoid(input):
    r"""Logistic sigmoid :math:`\sigma(x) = 1 / (1 + e^{-x})`, with no overflow anywhere.

    Computed as :math:`r = e^{-|x|}/(1 + e^{-|x|})` and :math:`\sigma(x) = r` for
    :math:`x < 0`, :math:`1 - r` for :math:`x \ge 0` (see ``_sigmoid``): within a few ulps of
    the exact value everywhere, including the subnormal tail, so :math:`\sigma(-90)` in
    float32 and :math:`\sigma(-720)` in float64 are the tiny non-zero numbers they should be.
    PyTorch evaluates the literal formula, which returns 0 below :math:`-\ln(\text{max
    float})` and 1 as soon as :math:`1 + e^{-x}` rounds to 1; elsewhere the two agree to a few
    units in the last place. Shapes: any; the output has the
    input's shape and floating dtype.

    Examples
    --------
    >>> sigmoid(np.array([-800.0, -720.0, 0.0, 800.0]))
    array([0.00000000e+000, 2.03223080e-313, 5.00000000e-001, 1.00000000e+000])
    """
    return _sigmoid(as_array("input", input))


def sigmoid_grad(input):
    r""":math:`\sigma'(x) = \sigma(x)\,(1 - \sigma(x)) = \sigma(x)\,\sigma(-x)`.

    Examples
    --------
    >>> sigmoid_grad(np.array([0.0, 1e4]))
    array([0.25, 0.  ])
    """
    s, r = _logistic(as_array("input", input))
    return s * r


def tanh(input):
    r"""Hyperbolic tangent :math:`\tanh x = (e^{x} - e^{-x}) / (e^{x} + e^{-x})`.

    Examples
    --------
    >>> tanh(np.array([0.0, 1e4]))
    array([0., 1.])
    """
    return np.tanh(as_array("input", input))


def tanh_grad(input):
    r""":math:`\tanh'(x) = 1 - \tanh^2 x = \operatorname{sech}^2 x`, computed as
    :math:`4e/(1+e)^2` with :math:`e = e^{-2|x|}` (no cancellation when :math:`\tanh x \to \pm 1`).

    Examples
    --------
    >>> tanh_grad(np.array([0.0, 800.0]))
    array([1., 0.])
    """
    return _sech2(as_array("input", input))


def logsigmoid(input):
    r""":math:`\log \sigma(x) = -\log(1 + e^{-x})`, as ``torch.nn.functional.logsigmoid``.

    Examples
    --------
    >>> logsigmoid(np.array([-1e4, 0.0]))
    array([-1.00000000e+04, -6.93147181e-01])
    """
    x = as_array("input", input)
    return -_softplus1(-x)


def logsigmoid_grad(input):
    r""":math:`\frac{d}{dx}\log\sigma(x) = 1 - \sigma(x) = \sigma(-x)`.

    Examples
    --------
    >>> logsigmoid_grad(np.array([-1.0, 0.0, 2.0]))
    array([0.73105858, 0.5       , 0.11920292])
    """
    return _sigmoid(-as_array("input", input))


def sigmoid_base2(input, k: float = 1.44):
    r"""The hardware-friendly sigmoid :math:`\sigma_2(x) = 1/(1 + 2^{-kx})`.

    Since :math:`e^{x} = 2^{x/\ln 2}`, :math:`k = 1/\ln 2 \approx 1.4427` gives the exact
    sigmoid; the usual :math:`k = 1.44` is a close approximation (a power of two is a shift in
    fixed-point hardware). Evaluated like :func:`sigmoid`, from :math:`2^{-k|x|}`.

    Examples
    --------
    >>> bool(np.allclose(sigmoid_base2(np.array([-3.0, 0.5]), k=1 / np.log(2)),
    ...                  sigmoid(np.array([-3.0, 0.5]))))
    True
    """
    return _sigmoid(_scaled(input, k), np.exp2)


def sigmoid_base2_grad(input, k: float = 1.44):
    r""":math:`\frac{d}{dx}\,\frac{1}{1 + 2^{-kx}} = \frac{k \ln 2 \; 2^{-kx}}{(1 + 2^{-kx})^2}
    = k \ln 2\; \sigma_2(x)\,(1 - \sigma_2(x))`.

    Examples
    --------
    >>> sigmoid_base2_grad(np.array([0.0]), k=1.44)
    array([0.2495329])
    """
    s, r = _logistic(_scaled(input, k), np.exp2)
    return (k * math.log(2.0)) * s * r


def _scaled(input, k):
    k = check_range("k", k, what="sigmoid_base2")
    with np.errstate(over="ignore"):  # k*x = +-inf is handled exactly by _logistic
        return k * as_array("input", input)


def softplus(input, beta: float = 1.0, threshold: float = 20.0):
    r"""Softplus :math:`\frac{1}{\beta}\log(1 + e^{\beta x})`, linear where
    :math:`\beta x > \text{threshold}`, as ``torch.nn.functional.softplus``.

    Above the threshold PyTorch returns ``x`` itself (the two differ by less than
    :math:`e^{-\text{threshold}}/\beta`); dlcore follows that rule exactly. ``beta`` must be
    non-zero.

    Examples
    --------
    >>> softplus(np.array([-800.0, 0.0, 30.0]))
    array([ 0.        ,  0.69314718, 30.        ])
    """
    x, z, linear, beta = _softplus_parts(input, beta, threshold)
    out = _softplus1(z) / beta
    return _blend(linear, x, out) if linear.any() else out


def softplus_grad(input, beta: float = 1.0, threshold: float = 20.0):
    r""":math:`\sigma(\beta x)`, and exactly 1 where :math:`\beta x > \text{threshold}`.

    Examples
    --------
    >>> softplus_grad(np.array([-1.0, 0.0, 30.0]))
    array([0.26894142, 0.5       , 1.        ])
    """
    x, z, linear, _ = _softplus_parts(input, beta, threshold)
    out = _sigmoid(z)
    return _blend(linear, x.dtype.type(1), out) if linear.any() else out


def _softplus_parts(input, beta, threshold):
    beta = check_range("beta", beta, what="softplus")
    threshold = check_range("threshold", threshold, what="softplus")
    if beta == 0:
        raise ValueError("softplus beta must be non-zero, got 0")
    x = as_array("input", input)
    with np.errstate(over="ignore"):  # beta*x = +-inf is handled exactly below
        z = x if beta == 1 else x * x.dtype.type(beta)
    return x, z, z > threshold, beta


def silu(input, inplace: bool = False):
    r"""SiLU / Swish-1 :math:`x\,\sigma(x)`, as ``torch.nn.functional.silu``.

    Examples
    --------
    >>> silu(np.array([-800.0, 0.0, 2.0]))
    array([-0.        ,  0.        ,  1.76159416])
    """
    x = as_array("input", input)
    return _store(input, x * _sigmoid(x), inplace)


def silu_grad(input):
    r""":math:`\frac{d}{dx}\,x\sigma(x) = \sigma(x)\,(1 + x\,(1 - \sigma(x)))`.

    Examples
    --------
    >>> silu_grad(np.array([-1.0, 0.0, 2.0]))
    array([0.07232949, 0.5       , 1.09078425])
    """
    x = as_array("input", input)
    s, r = _logistic(x)
    return s * (1 + x * r)


def mish(input, inplace: bool = False):
    r"""Mish :math:`x \tanh(\operatorname{softplus}(x))`, as ``torch.nn.functional.mish``.

    Examples
    --------
    >>> mish(np.array([-800.0, 0.0, 800.0]))
    array([ -0.,   0., 800.])
    """
    x = as_array("input", input)
    return _store(input, x * np.tanh(_softplus1(x)), inplace)


def mish_grad(input):
    r""":math:`\tanh(\operatorname{sp}(x)) + x\,\sigma(x)\,\operatorname{sech}^2(\operatorname{sp}(x))`,
    with :math:`\operatorname{sp}(x) = \log(1 + e^x)` and :math:`\operatorname{sp}' = \sigma`.

    Examples
    --------
    >>> mish_grad(np.array([-1.0, 0.0, 2.0]))
    array([0.05921676, 0.6       , 1.06931793])
    """
    x = as_array("input", input)
    sp = _softplus1(x)
    return np.tanh(sp) + x * _sigmoid(x) * _sech2(sp)


def gelu(input, approximate: str = "none"):
    r"""GELU :math:`x\,\Phi(x)`, :math:`\Phi` the standard normal CDF, as
    ``torch.nn.functional.gelu``.

    ``approximate="tanh"`` gives PyTorch's approximation
    :math:`\tfrac12 x \bigl(1 + \tanh\bigl(\sqrt{2/\pi}\,(x + 0.044715\,x^3)\bigr)\bigr)`.
    :math:`\Phi` comes from ``scipy.special.ndtr`` (imported on first use), which is accurate
    in the far left tail where :math:`\tfrac12(1 + \operatorname{erf}(x/\sqrt2))` cancels.

    Examples
    --------
    >>> gelu(np.array([-800.0, 0.0, 1.0]))
    array([-0.        ,  0.        ,  0.84134475])
    >>> gelu(np.array([1.0]), approximate="tanh")
    array([0.84119199])
    """
    x, xc = _gelu_input(input, approximate)
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(_gelu_inner(xc)))
    return x * _ndtr(x)


def gelu_grad(input, approximate: str = "none"):
    r""":math:`\Phi(x) + x\,\varphi(x)` (exact), or for ``approximate="tanh"`` with
    :math:`u = \sqrt{2/\pi}(x + 0.044715x^3)`:
    :math:`\tfrac12(1 + \tanh u) + \tfrac12 x \operatorname{sech}^2 u \,\sqrt{2/\pi}\,(1 + 3 \cdot 0.044715\,x^2)`.

    Examples
    --------
    >>> gelu_grad(np.array([-1.0, 0.0, 2.0]))
    array([-0.08331547,  0.5       ,  1.0852318 ])
    >>> gelu_grad(np.array([-1.0, 0.0, 2.0]), approximate="tanh")
    array([-0.08296408,  0.5       ,  1.08609926])
    """
    x, xc = _gelu_input(input, approximate)
    if approximate == "tanh":
        inner = _gelu_inner(xc)
        slope = _SQRT_2_OVER_PI * (1 + 3 * _GELU_KAPPA * xc * xc)
        return 0.5 * (1 + np.tanh(inner)) + 0.5 * xc * _sech2(inner) * slope
    pdf = np.exp(-0.5 * xc * xc) / math.sqrt(2 * math.pi)
    return _ndtr(x) + xc * pdf


def _gelu_input(input, approximate):
    check_choice("approximate", approximate, ("none", "tanh"))
    x = as_array("input", input)
    return x, np.clip(x, -_GELU_CLIP, _GELU_CLIP)


def _gelu_inner(x):
    return _SQRT_2_OVER_PI * (x + _GELU_KAPPA * x * x * x)


def _ndtr(x):
    from scipy.special import ndtr

    return ndtr(x)


def softsign(input):
    r"""Softsign :math:`x / (1 + |x|)`, as ``torch.nn.functional.softsign``.

    Examples
    --------
    >>> softsign(np.array([-3.0, 0.0, 1e4]))
    array([-0.75      ,  0.        ,  0.99990001])
    """
    x = as_array("input", input)
    return x / (1 + np.abs(x))


def softsign_grad(input):
    r""":math:`1 / (1 + |x|)^2` (squared after the division, so huge :math:`|x|` cannot overflow).

    Examples
    --------
    >>> softsign_grad(np.array([-1.0, 0.0, 2.0]))
    array([0.25      , 1.        , 0.11111111])
    """
    x = as_array("input", input)
    return (1 / (1 + np.abs(x))) ** 2

# ----------------------------------------------------------------------------------------
# Rectifiers
# ----------------------------------------------------------------------------------------

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

# ----------------------------------------------------------------------------------------
# Shrinkage, threshold and the randomized leaky ReLU
# ----------------------------------------------------------------------------------------

def _lambd(lambd, what, x, low=None):
    """Check a shrinkage width and return it in ``x``'s dtype."""
    return x.dtype.type(check_range("lambd", lambd, low, what=what))


def softshrink(input, lambd: float = 0.5):
    r"""Soft thresholding :math:`x - \operatorname{clip}(x, -\lambda, \lambda)`: :math:`x - \lambda`
    above :math:`\lambda`, :math:`x + \lambda` below :math:`-\lambda`, 0 between.

    The proximal operator of :math:`\lambda\lVert\cdot\rVert_1` (the lasso's update). As in
    PyTorch, ``lambd`` must be :math:`\ge 0` and NaN stays NaN.

    Examples
    --------
    >>> softshrink(np.array([-2.0, 0.3, 1.5]))
    array([-1.5,  0. ,  1. ])
    """
    x = as_array("input", input)
    lam = _lambd(lambd, "softshrink", x, low=0)
    return x - np.clip(x, -lam, lam)


def softshrink_grad(input, lambd: float = 0.5):
    r""":math:`\mathbb{1}[|x| > \lambda]`: 0 at :math:`\pm\lambda` and for NaN, as in PyTorch.

    Examples
    --------
    >>> softshrink_grad(np.array([-0.5, 0.0, 0.7]))
    array([0., 0., 1.])
    """
    x = as_array("input", input)
    lam = _lambd(lambd, "softshrink", x)
    return ((x > lam) | (x < -lam)).astype(x.dtype)


def hardshrink(input, lambd: float = 0.5):
    r""":math:`x` where :math:`|x| > \lambda`, 0 on :math:`[-\lambda, \lambda]` (NaN passes).

    Examples
    --------
    >>> hardshrink(np.array([-2.0, 0.5, 0.7]))
    array([-2. ,  0. ,  0.7])
    """
    x = as_array("input", input)
    lam = _lambd(lambd, "hardshrink", x)
    return np.where((x >= -lam) & (x <= lam), x.dtype.type(0), x)


def hardshrink_grad(input, lambd: float = 0.5):
    r""":math:`\mathbb{1}[|x| > \lambda]` (0 at :math:`\pm\lambda` and for NaN).

    Examples
    --------
    >>> hardshrink_grad(np.array([-0.5, 0.7]))
    array([0., 1.])
    """
    return softshrink_grad(input, lambd)


def tanhshrink(input):
    r""":math:`x - \tanh x`; flat near 0 (:math:`x^3/3`), :math:`x \mp 1` far out.

    Examples
    --------
    >>> tanhshrink(np.array([0.0, 1.0]))
    array([0.        , 0.23840584])
    """
    x = as_array("input", input)
    return x - np.tanh(x)


def tanhshrink_grad(input):
    r""":math:`1 - (1 - \tanh^2 x) = \tanh^2 x`.

    Examples
    --------
    >>> tanhshrink_grad(np.array([0.0]))
    array([0.])
    """
    x = as_array("input", input)
    return np.tanh(x) ** 2


def threshold(input, threshold: float, value: float, inplace: bool = False):
    r""":math:`x` where :math:`x > \text{threshold}`, ``value`` elsewhere; NaN passes through,
    as in PyTorch (which tests :math:`x \le \text{threshold}`).

    Examples
    --------
    >>> threshold(np.array([-1.0, 0.5, 2.0]), 0.5, -3.0)
    array([-3., -3.,  2.])
    """
    x = as_array("input", input)
    t, v = _real("threshold", threshold), _real("value", value)
    return _store(input, np.where(x <= t, x.dtype.type(v), x), inplace)


def threshold_grad(input, threshold: float):
    r""":math:`\mathbb{1}[\lnot(x \le \text{threshold})]`: 0 at the threshold, 1 for NaN.

    Examples
    --------
    >>> threshold_grad(np.array([0.5, 1.0, np.nan]), 0.5)
    array([0., 1., 1.])
    """
    x = as_array("input", input)
    return (~(x <= _real("threshold", threshold))).astype(x.dtype)


def _real(name, value):
    """A real number, inf and NaN allowed as PyTorch allows them (``check_range`` refuses NaN)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"threshold {name} must be a real number, got {value!r}")
    return float(value)


def _rrelu_bounds(lower, upper):
    lo = check_range("lower", lower, what="rrelu")
    hi = check_range("upper", upper, what="rrelu")
    if lo > hi:
        raise ValueError(f"rrelu lower must be <= upper, got lower={lo:g} > upper={hi:g}")
    return lo, hi


def rrelu_noise(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
                rng=None):
    r"""The slope array RReLU multiplies by, PyTorch's ``noise`` (:func:`rrelu` uses it).

    Training: a fresh :math:`a \sim U(\text{lower}, \text{upper})` for every element with
    :math:`x \le 0` (so at 0 too) and 1 elsewhere, NaN included, as in PyTorch's kernel
    (Xu et al., 2015). Evaluation: the mean slope :math:`(\text{lower} + \text{upper})/2`
    wherever :math:`x > 0` is false (leaky ReLU; NaN gets that slope). Shape and dtype of
    ``input``; the output is ``input * noise`` and the derivative is ``noise``.

    Examples
    --------
    >>> rrelu_noise(np.array([-1.0, 2.0]), 0.2, 0.4)
    array([0.3, 1. ])
    """
    x = as_array("input", input)
    lo, hi = _rrelu_bounds(lower, upper)
    one = x.dtype.type(1)
    if not training:
        return np.where(x > 0, one, x.dtype.type((lo + hi) / 2))
    draws = as_generator(rng).uniform(lo, hi, size=x.shape).astype(x.dtype)
    return np.where(x <= 0, draws, one)


def rrelu(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False, rng=None):
    r"""Randomized leaky ReLU: :math:`x \cdot \text{noise}` with ``noise`` from
    :func:`rrelu_noise` (random slopes in training, their mean in evaluation).

    ``rng`` (a ``numpy.random.Generator``, seed or None) draws the training slopes; PyTorch
    draws them from its own generator, so only evaluation mode, or ``lower == upper``,
    matches it draw for draw.

    Examples
    --------
    >>> rrelu(np.array([-1.0, 2.0]), 0.25, 0.25, training=True)
    array([-0.25,  2.  ])
    """
    x = as_array("input", input)
    return _store(input, x * rrelu_noise(x, lower, upper, training, rng), inplace)

# ----------------------------------------------------------------------------------------
# Softmax, log-softmax and derivative by name
# ----------------------------------------------------------------------------------------

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


def softmin(input, dim: int, _stacklevel: int = 3, dtype=None):
    r""":math:`\mathrm{softmax}(-x)` along ``dim``: the largest weight on the smallest entry.

    Its backward is :func:`softmax_backward` with the sign flipped (:func:`softmin_backward`).

    Examples
    --------
    >>> softmin(np.array([0.0, np.log(3.0)]), dim=0)
    array([0.75, 0.25])
    """
    x = as_array("input", input, min_ndim=1, dtype=dtype)
    return softmax(-x, dim)


def softmin_backward(grad_output, output, dim: int):
    r"""Vector-Jacobian product of softmin: :math:`-y \odot (g - \sum_j g_j y_j)` along ``dim``.

    Examples
    --------
    >>> softmin_backward(np.array([1.0, 0.0]), np.array([0.5, 0.5]), dim=0)
    array([-0.25,  0.25])
    """
    return -softmax_backward(grad_output, output, dim)


def glu(input, dim: int = -1):
    r"""Gated linear unit :math:`a \odot \sigma(b)`, with :math:`a, b` the two halves of ``input``
    along ``dim`` (Dauphin et al., 2017). Shape: ``(*, 2n, *) -> (*, n, *)``.

    Examples
    --------
    >>> glu(np.array([[2.0, 0.0]]))
    array([[1.]])
    """
    a, b, _ = _glu_halves(input, dim)
    return a * sigmoid(b)


def glu_backward(grad_output, input, dim: int = -1):
    r"""Gradient of :func:`glu` with respect to its input: :math:`g\sigma(b)` for the first half
    and :math:`g\,a\,\sigma(b)(1 - \sigma(b))` for the second, joined along ``dim``.

    Examples
    --------
    >>> glu_backward(np.array([[1.0]]), np.array([[2.0, 0.0]]))
    array([[0.5, 0.5]])
    """
    a, b, dim = _glu_halves(input, dim)
    g = as_array("grad_output", grad_output, dtype=a.dtype)
    if g.shape != a.shape:
        raise ValueError(f"grad_output shape {g.shape} does not match the glu output shape "
                         f"{a.shape}")
    s = sigmoid(b)
    return np.concatenate([g * s, g * a * s * (1 - s)], axis=dim)


def _glu_halves(input, dim):
    x = as_array("input", input)
    dim = check_int("dim", dim)
    if x.ndim == 0:
        raise ValueError("glu does not support scalars: it halves a dimension")
    if not -x.ndim <= dim < x.ndim:
        raise ValueError(f"dim must be in [{-x.ndim}, {x.ndim - 1}] for an input of shape "
                         f"{x.shape}, got {dim}")
    dim %= x.ndim
    if x.shape[dim] % 2:
        raise ValueError(f"glu halves dimension {dim}, which must be even, but it has size "
                         f"{x.shape[dim]}")
    a, b = np.split(x, 2, axis=dim)
    return a, b, dim


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
    "sigmoid": sigmoid_grad, "tanh": tanh_grad, "logsigmoid": logsigmoid_grad,
    "sigmoid_base2": sigmoid_base2_grad, "softplus": softplus_grad,
    "silu": silu_grad, "mish": mish_grad, "gelu": gelu_grad,
    "softsign": softsign_grad, "relu": relu_grad, "relu6": relu6_grad,
    "hardtanh": hardtanh_grad, "hardsigmoid": hardsigmoid_grad,
    "hardswish": hardswish_grad, "leaky_relu": leaky_relu_grad,
    "prelu": prelu_grad, "elu": elu_grad, "selu": selu_grad, "celu": celu_grad,
    "softshrink": softshrink_grad, "hardshrink": hardshrink_grad,
    "tanhshrink": tanhshrink_grad, "threshold": threshold_grad,
}
NAMES = tuple(_DERIVATIVES)  #: every element-wise activation :func:`derivative` knows


def derivative(name: str, x, **kwargs):
    r"""Element-wise derivative :math:`f'(x)` of the activation called ``name``.

    ``kwargs`` are the activation's own parameters (``negative_slope``, ``alpha``, ``beta``,
    ``threshold``, ``approximate``, ``min_val``, ``max_val``, ``weight``, ``k``), with the
    same defaults as the function. At kinks the value is PyTorch's choice (see the
    rectifiers above).

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
