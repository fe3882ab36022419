r"""Smooth activations: the sigmoid family and the gates built from it, with derivatives.

The sigmoid :math:`\sigma`, tanh, the hardware-friendly base-2 sigmoid, log-sigmoid,
softplus (the integral of :math:`\sigma`), SiLU/Swish :math:`x\sigma(x)`, Mish, GELU
:math:`x\Phi(x)` and softsign. Each ``f`` has ``f_grad(input, ...)`` returning
:math:`f'(x)` element-wise. ``dlcore.activations`` re-exports everything here.

Finite input never gives NaN, inf or an overflow warning: no exponential of a large positive
number is taken, except in the sigmoid, where :math:`e^{-x} = \infty` is exact in the
formula :math:`1/(1 + e^{-x})` (the overflow is silenced there, see :func:`sigmoid`).
"""

from __future__ import annotations

import math

import numpy as np

from .checks import as_array, check_choice, check_range

__all__ = ["sigmoid", "tanh", "logsigmoid", "sigmoid_base2", "softplus", "silu", "mish",
           "gelu", "softsign", "sigmoid_grad", "tanh_grad", "logsigmoid_grad",
           "sigmoid_base2_grad", "softplus_grad", "silu_grad", "mish_grad", "gelu_grad",
           "softsign_grad"]

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
    r""":math:`\sigma_b(z) = 1/(1 + b^{-z})` for ``exp`` = :math:`b^{(\cdot)}`, in four passes.

    For very negative ``z`` the power overflows to ``inf`` and ``1/inf`` gives the correct 0
    (the true value is below the smallest float), so that overflow is silenced, not avoided.
    """
    t = np.negative(z, out=_like(z))
    with np.errstate(over="ignore"):
        exp(t, out=t)
    t += 1
    return np.reciprocal(t, out=t)


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
    r"""Logistic sigmoid :math:`\sigma(x) = 1 / (1 + e^{-x})`, evaluated as written.

    The formula is accurate to a few ulps everywhere (no subtraction cancels). Below
    :math:`x \approx -709` the exponential overflows to ``inf`` and :math:`1/\infty = 0` is
    the correctly rounded result, so that overflow warning is silenced rather than avoided
    with the two-sided :math:`e^{\min(x, 0)} / (1 + e^{-|x|})`, which costs three more passes.
    Shapes: any; the output has the input's shape and floating dtype.

    Examples
    --------
    >>> sigmoid(np.array([-800.0, 0.0, 800.0]))
    array([0. , 0.5, 1. ])
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
