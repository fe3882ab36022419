r"""Weight initialisation, as ``torch.nn.init``: the same formulas, the same fan convention.

Every function fills its ``tensor`` **in place** (a floating NumPy array, or a dlcore
``Parameter``, whose ``.data`` is filled) and returns it. Random draws come from ``rng`` (a
``numpy.random.Generator``, a seed or None), which takes the place of PyTorch's
``generator`` argument; NumPy's global random state is never used.

Fans follow PyTorch: for a weight of shape ``(out, in, *kernel)``,
:math:`\text{fan\_in} = \text{in} \cdot \prod \text{kernel}` and
:math:`\text{fan\_out} = \text{out} \cdot \prod \text{kernel}` (``Linear.weight`` is
``(out_features, in_features)``; ``Conv2d.weight`` is ``(C_out, C_in/groups, kH, kW)``).

=====================  ===============================  =====================================
scheme                 distribution                     scale
=====================  ===============================  =====================================
``xavier_uniform_``    :math:`U(-a, a)`                 :math:`a = g\sqrt{6/(n_{in}+n_{out})}`
``xavier_normal_``     :math:`N(0, s^2)`                :math:`s = g\sqrt{2/(n_{in}+n_{out})}`
``kaiming_uniform_``   :math:`U(-b, b)`                 :math:`b = g\sqrt{3/n_{mode}}`
``kaiming_normal_``    :math:`N(0, s^2)`                :math:`s = g/\sqrt{n_{mode}}`
``lecun_normal_``      :math:`N(0, s^2)`                :math:`s = 1/\sqrt{n_{in}}`
=====================  ===============================  =====================================

:math:`g` is :func:`calculate_gain` of the nonlinearity (Glorot & Bengio 2010; He et al.
2015; LeCun et al. 1998). Also here, as in PyTorch: ``uniform_``, ``normal_``,
``trunc_normal_``, ``constant_``, ``ones_``, ``zeros_``, ``eye_`` and ``orthogonal_``.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from ..checks import check_choice, check_range
from .module import Parameter
from ..random import as_generator

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_",
           "zeros_", "eye_", "orthogonal_", "xavier_uniform_", "xavier_normal_",
           "kaiming_uniform_", "kaiming_normal_", "lecun_normal_",
           "_calculate_fan_in_and_fan_out"]

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d")
NONLINEARITIES = _LINEAR + ("sigmoid", "tanh", "relu", "leaky_relu", "selu")


def calculate_gain(nonlinearity: str, param=None) -> float:
    r"""The recommended gain :math:`g` for ``nonlinearity``, as ``torch.nn.init.calculate_gain``.

    ``linear``/``conv*``/``sigmoid``: 1; ``tanh``: 5/3; ``relu``: :math:`\sqrt2`;
    ``leaky_relu``: :math:`\sqrt{2/(1 + a^2)}` with :math:`a` = ``param`` (default 0.01);
    ``selu``: 3/4.

    Examples
    --------
    >>> calculate_gain("tanh"), calculate_gain("leaky_relu", 0.2)
    (1.6666666666666667, 1.3867504905630728)
    """
    check_choice("nonlinearity", nonlinearity, NONLINEARITIES)
    if nonlinearity in _LINEAR or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 3.0 / 4
    if param is None:
        slope = 0.01
    elif isinstance(param, numbers.Real) and not isinstance(param, bool):
        slope = param
    else:
        raise ValueError(f"leaky_relu negative_slope (param) must be a real number, "
                         f"got {param!r}")
    return math.sqrt(2.0 / (1 + slope ** 2))


def _array(tensor) -> np.ndarray:
    """The ndarray to fill: ``tensor`` itself or a Parameter's ``.data``."""
    arr = tensor.data if isinstance(tensor, Parameter) else tensor
    if not isinstance(arr, np.ndarray) or arr.dtype.kind != "f":
        raise TypeError("tensor must be a floating-point numpy array or a dlcore Parameter, "
                        f"got {type(tensor).__name__} {getattr(arr, 'dtype', '')}".rstrip())
    return arr


def _fill(tensor, values):
    arr = _array(tensor)
    arr[...] = values
    return tensor


def _calculate_fan_in_and_fan_out(tensor) -> tuple[int, int]:
    r"""PyTorch's fans: ``shape[1] * receptive`` and ``shape[0] * receptive``, where
    ``receptive`` is the product of ``shape[2:]``.

    Examples
    --------
    >>> _calculate_fan_in_and_fan_out(np.empty((8, 3, 5, 5)))
    (75, 200)
    """
    shape = _array(tensor).shape
    if len(shape) < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         f"dimensions, got shape {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _fan(tensor, mode: str) -> int:
    mode = check_choice("mode", mode.lower() if isinstance(mode, str) else mode,
                        ("fan_in", "fan_out"))
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a: float = 0.0, b: float = 1.0, rng=None):
    r"""Fill with draws from :math:`U(a, b)`.

    Examples
    --------
    >>> w = uniform_(np.empty(1000), -2.0, 2.0, rng=0)
    >>> bool(w.min() >= -2 and w.max() < 2)
    True
    """
    a, b = check_range("a", a, what="uniform_"), check_range("b", b, what="uniform_")
    if a > b:
        raise ValueError(f"uniform_ needs a <= b, got a={a:g} > b={b:g}")
    return _fill(tensor, as_generator(rng).uniform(a, b, _array(tensor).shape))


def normal_(tensor, mean: float = 0.0, std: float = 1.0, rng=None):
    r"""Fill with draws from :math:`N(\text{mean}, \text{std}^2)`.

    Examples
    --------
    >>> round(float(normal_(np.empty(20000), 1.0, 0.5, rng=0).std()), 2)
    0.5
    """
    std = check_range("std", std, 0, what="normal_")
    arr = _array(tensor)
    return _fill(tensor, as_generator(rng).normal(mean, std, arr.shape))


def trunc_normal_(tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  rng=None):
    r"""Fill with draws from :math:`N(\text{mean}, \text{std}^2)` truncated to :math:`[a, b]`.

    By rejection, as PyTorch does: when :math:`[a, b]` holds more than 30% of the normal's
    mass, draws outside it are redrawn from the normal; otherwise uniform proposals on
    :math:`[a, b]` are accepted with probability :math:`\varphi(x) / \varphi(\text{mode})`.
    Like PyTorch, it warns when ``mean`` is more than 2 ``std`` outside :math:`[a, b]`.

    Examples
    --------
    >>> w = trunc_normal_(np.empty(10000), std=0.02, a=-0.04, b=0.04, rng=0)
    >>> bool(np.abs(w).max() <= 0.04), round(float(w.std() / 0.02), 1)
    (True, 0.9)
    """
    std = check_range("std", std, 0, low_open=True, what="trunc_normal_")
    a, b = check_range("a", a, what="trunc_normal_"), check_range("b", b, what="trunc_normal_")
    if a >= b:
        raise ValueError(f"trunc_normal_ needs a < b, got a={a:g}, b={b:g}")
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=2)
    shape, gen = _array(tensor).shape, as_generator(rng)
    z_a, z_b = (a - mean) / std, (b - mean) / std
    if (math.erf(z_b / math.sqrt(2)) - math.erf(z_a / math.sqrt(2))) / 2 > 0.3:
        out = gen.normal(mean, std, shape)
        outside = (out < a) | (out > b)
        while outside.any():
            out[outside] = gen.normal(mean, std, int(outside.sum()))
            outside = (out < a) | (out > b)
        return _fill(tensor, out)
    peak = max(z_a, min(0.0, z_b)) ** 2  # (mode - mean)^2 / std^2
    out, pending = np.empty(shape), np.ones(shape, dtype=bool)
    while pending.any():
        n = int(pending.sum())
        proposal = gen.uniform(a, b, n)
        accept = gen.random(n) <= np.exp(-0.5 * (((proposal - mean) / std) ** 2 - peak))
        where = np.flatnonzero(pending)[accept]
        out.flat[where] = proposal[accept]
        pending.flat[where] = False
    return _fill(tensor, out)


def constant_(tensor, val: float):
    """Fill with the constant ``val``.

    Examples
    --------
    >>> constant_(np.empty(3), 0.5)
    array([0.5, 0.5, 0.5])
    """
    return _fill(tensor, val)


def ones_(tensor):
    """Fill with 1.

    Examples
    --------
    >>> ones_(np.empty(2))
    array([1., 1.])
    """
    return _fill(tensor, 1.0)


def zeros_(tensor):
    """Fill with 0 (every unit then computes the same thing: see the symmetry argument in the
    activations chapter).

    Examples
    --------
    >>> zeros_(np.empty((1, 2)))
    array([[0., 0.]])
    """
    return _fill(tensor, 0.0)


def eye_(tensor):
    """Fill a 2-D tensor with the identity (ones on the main diagonal of a rectangle too).

    Examples
    --------
    >>> eye_(np.empty((2, 3)))
    array([[1., 0., 0.],
           [0., 1., 0.]])
    """
    arr = _array(tensor)
    if arr.ndim != 2:
        raise ValueError(f"eye_ only supports 2-D tensors, got shape {arr.shape}")
    return _fill(tensor, np.eye(*arr.shape))


def orthogonal_(tensor, gain: float = 1, rng=None):
    r"""Fill with a (semi-)orthogonal matrix times ``gain``, as ``torch.nn.init.orthogonal_``.

    The tensor is viewed as ``(shape[0], prod(shape[1:]))``; a standard-normal matrix of that
    shape (transposed if it is wide) is factored as :math:`QR`, and :math:`Q` times the signs of
    :math:`R`'s diagonal is uniformly distributed over the orthogonal matrices (Mezzadri 2007).

    Examples
    --------
    >>> w = orthogonal_(np.empty((3, 5)), rng=0)
    >>> bool(np.allclose(w @ w.T, np.eye(3)))
    True
    """
    arr = _array(tensor)
    if arr.ndim < 2:
        raise ValueError(f"orthogonal_ only supports tensors with 2 or more dimensions, got "
                         f"shape {arr.shape}")
    if arr.size == 0:
        return tensor
    rows = arr.shape[0]
    flat = as_generator(rng).standard_normal((rows, arr.size // rows))
    wide = flat.shape[0] < flat.shape[1]
    q, r = np.linalg.qr(flat.T if wide else flat)
    q *= np.sign(np.diag(r))
    return _fill(tensor, gain * (q.T if wide else q).reshape(arr.shape))


def xavier_uniform_(tensor, gain: float = 1.0, rng=None):
    r"""Glorot uniform: :math:`U(-a, a)`, :math:`a = \text{gain}\sqrt{6/(n_{in} + n_{out})}`.

    The variance :math:`a^2/3 = 2g^2/(n_{in} + n_{out})` compromises between keeping the
    forward variance (:math:`1/n_{in}`) and the backward variance (:math:`1/n_{out}`).

    Examples
    --------
    >>> w = xavier_uniform_(np.empty((300, 200)), rng=0)
    >>> bool(np.abs(w).max() <= np.sqrt(6 / 500))
    True
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(2.0 / float(fan_in + fan_out)) * math.sqrt(3.0)
    return uniform_(tensor, -bound, bound, rng)


def xavier_normal_(tensor, gain: float = 1.0, rng=None):
    r"""Glorot normal: :math:`N(0, s^2)`, :math:`s = \text{gain}\sqrt{2/(n_{in} + n_{out})}`.

    Examples
    --------
    >>> w = xavier_normal_(np.empty((400, 400)), rng=0)
    >>> round(float(w.std() / np.sqrt(2 / 800)), 2)
    1.0
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), rng)


def _kaiming_std(tensor, a, mode, nonlinearity):
    if 0 in _array(tensor).shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    fan = _fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", rng=None):
    r"""He uniform: :math:`U(-b, b)`, :math:`b = g\sqrt{3/n_{mode}}` with
    :math:`g` = ``calculate_gain(nonlinearity, a)``.

    ``mode="fan_in"`` keeps the variance of the activations through the forward pass,
    ``"fan_out"`` that of the gradients through the backward pass. ``a`` is the negative
    slope of the leaky ReLU that follows (only used with ``"leaky_relu"``, the default, which
    with ``a=0`` is the ReLU gain :math:`\sqrt2`).

    Examples
    --------
    >>> w = kaiming_uniform_(np.empty((64, 100)), nonlinearity="relu", rng=0)
    >>> bool(np.abs(w).max() <= np.sqrt(2) * np.sqrt(3 / 100))
    True
    """
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return uniform_(tensor, -math.sqrt(3.0) * std, math.sqrt(3.0) * std, rng)


def kaiming_normal_(tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", rng=None):
    r"""He normal: :math:`N(0, s^2)`, :math:`s = g/\sqrt{n_{mode}}`.

    Examples
    --------
    >>> w = kaiming_normal_(np.empty((256, 512)), mode="fan_in", nonlinearity="relu", rng=0)
    >>> round(float(w.std() / np.sqrt(2 / 512)), 2)
    1.0
    """
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std, rng)


def lecun_normal_(tensor, rng=None):
    r"""LeCun normal :math:`N(0, 1/n_{in})`, the initialisation SELU networks need.

    Not in ``torch.nn.init``; it equals
    ``kaiming_normal_(tensor, mode="fan_in", nonlinearity="linear")`` (the gain of
    ``"linear"`` is 1), which is how PyTorch users write it.

    Examples
    --------
    >>> w = lecun_normal_(np.empty((300, 400)), rng=0)
    >>> round(float(w.std() * np.sqrt(400)), 2)
    1.0
    """
    return kaiming_normal_(tensor, mode="fan_in", nonlinearity="linear", rng=rng)
