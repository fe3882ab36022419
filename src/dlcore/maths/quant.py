"""Post-training quantisation (chapter 12): scales and zero points, and rounding to integer
grids per tensor or per channel, bit for bit as ``torch.fake_quantize_per_*_affine``."""

from __future__ import annotations

import numpy as np

from ..checks import as_array, check_int

__all__ = ["symmetric_qparams", "affine_qparams", "quantize_per_tensor", "quantize_per_channel",
           "dequantize"]


def _bits(bits):
    return check_int("bits", bits, minimum=2)


def symmetric_qparams(w, bits: int = 8, axis=None):
    r"""Scale(s) of symmetric quantisation, :math:`s = \max|w| / (2^{b-1}-1)`, zero point 0.

    Parameters
    ----------
    w : array_like
    bits : int
        Integer width (>= 2): the grid is :math:`[-2^{b-1}, 2^{b-1}-1]`.
    axis : int or None
        ``None``: one scale for the tensor; an int: one scale per index along ``axis`` (per
        output row of a weight with ``axis=0``).

    Returns
    -------
    (scale, zero_point, quant_min, quant_max)
        ``scale`` float32 (scalar or shape ``(w.shape[axis],)``), ``zero_point`` int32 zeros of the
        same shape.

    Examples
    --------
    >>> symmetric_qparams(np.array([[1.0, -2.54], [0.5, 0.25]]), axis=0)[0]
    array([0.02      , 0.00393701], dtype=float32)
    """
    b = _bits(bits)
    a = as_array("w", w, dtype=np.float64)
    qmax = 2 ** (b - 1) - 1
    if axis is None:
        amax = np.abs(a).max() if a.size else 0.0
    else:
        axis = check_int("axis", axis)
        if not -a.ndim <= axis < a.ndim:
            raise ValueError(f"axis {axis} is out of range for w of shape {a.shape}")
        amax = np.abs(np.moveaxis(a, axis, 0)).reshape(a.shape[axis], -1).max(axis=1)
    scale = np.where(np.asarray(amax) > 0, np.asarray(amax) / qmax, 1.0).astype(np.float32)
    return scale, np.zeros(np.shape(scale), np.int32), -qmax - 1, qmax


def affine_qparams(x, bits: int = 8):
    r"""Scale and zero point of asymmetric (affine) quantisation to ``[0, 2^b - 1]`` for the range
    of ``x`` widened to include 0: :math:`s = (\max - \min)/(2^b - 1)`,
    :math:`z = -\mathrm{round}(\min/s)`, so that 0 is represented exactly.

    Examples
    --------
    >>> s, z, lo, hi = affine_qparams(np.array([-1.0, 3.0])); float(s), int(z), lo, hi
    (0.01568627543747425, 64, 0, 255)
    """
    b = _bits(bits)
    a = as_array("x", x, dtype=np.float64)
    qmax = 2 ** b - 1
    lo, hi = min(float(a.min(initial=0.0)), 0.0), max(float(a.max(initial=0.0)), 0.0)
    scale = np.float32((hi - lo) / qmax if hi > lo else 1.0)
    zp = int(np.clip(-np.rint(lo / np.float64(scale)), 0, qmax))
    return scale, np.int32(zp), 0, qmax


def _quantize(x, scale, zero_point, quant_min, quant_max):
    # torch's kernel: clamp(zero_point + nearbyint(x * (1.0f / scale)), qmin, qmax), in float32
    inv = np.float32(1.0) / np.asarray(scale, dtype=np.float32)
    q = np.rint(x.astype(np.float32) * inv).astype(np.int64) + np.asarray(zero_point, np.int64)
    return np.clip(q, quant_min, quant_max)


def _check_range(quant_min, quant_max):
    quant_min, quant_max = check_int("quant_min", quant_min), check_int("quant_max", quant_max)
    if quant_min > quant_max:
        raise ValueError(f"quant_min must be <= quant_max, got {quant_min} > {quant_max}")
    return quant_min, quant_max


def quantize_per_tensor(x, scale, zero_point, quant_min: int, quant_max: int) -> np.ndarray:
    r"""Integers :math:`q = \mathrm{clamp}(\mathrm{round}(x/s) + z, q_{min}, q_{max})`, rounding half
    to even, with one ``scale`` and ``zero_point`` for the whole tensor.

    ``dequantize(q, scale, zero_point)`` equals ``torch.fake_quantize_per_tensor_affine(x, scale,
    zero_point, quant_min, quant_max)`` bit for bit (both compute ``x * (1/s)`` in float32).

    Examples
    --------
    >>> quantize_per_tensor(np.array([0.25, 0.75, 9.0]), 0.5, 0, -128, 127)
    array([  0,   2,  18])
    """
    quant_min, quant_max = _check_range(quant_min, quant_max)
    if np.ndim(scale) != 0 or not float(scale) > 0:
        raise ValueError(f"quantize_per_tensor scale must be a number > 0, got {scale!r}")
    return _quantize(as_array("x", x), scale, zero_point, quant_min, quant_max)


def quantize_per_channel(x, scales, zero_points, axis: int, quant_min: int,
                         quant_max: int) -> np.ndarray:
    """As :func:`quantize_per_tensor` with one scale and zero point per index along ``axis``
    (``torch.fake_quantize_per_channel_affine``).

    Examples
    --------
    >>> quantize_per_channel(np.array([[1.0, 2.0], [1.0, 2.0]]), np.array([1.0, 0.5]),
    ...                      np.array([0, 0]), 0, -128, 127)
    array([[1, 2],
           [2, 4]])
    """
    quant_min, quant_max = _check_range(quant_min, quant_max)
    a = as_array("x", x)
    axis = check_int("axis", axis)
    if not -a.ndim <= axis < a.ndim:
        raise ValueError(f"axis {axis} is out of range for x of shape {a.shape}")
    s, z = np.asarray(scales), np.asarray(zero_points)
    if s.shape != (a.shape[axis],) or z.shape != s.shape:
        raise ValueError(f"quantize_per_channel scales {s.shape} and zero_points {z.shape} must "
                         f"both have shape ({a.shape[axis]},) for axis {axis} of {a.shape}")
    if np.any(s <= 0):
        raise ValueError("quantize_per_channel scales must all be > 0")
    shape = [1] * a.ndim
    shape[axis] = -1
    return _quantize(a, s.reshape(shape), z.reshape(shape), quant_min, quant_max)


def dequantize(q, scale, zero_point, axis=None) -> np.ndarray:
    r"""Back to float32: :math:`\hat x = (q - z)\,s`, per tensor or per channel along ``axis``.

    Examples
    --------
    >>> dequantize(np.array([0, 2, 18]), 0.5, 0)
    array([0., 1., 9.], dtype=float32)
    """
    q = np.asarray(q, dtype=np.int64)
    s, z = np.asarray(scale, dtype=np.float32), np.asarray(zero_point, dtype=np.int64)
    if axis is not None:
        shape = [1] * q.ndim
        shape[check_int("axis", axis)] = -1
        s, z = s.reshape(shape), z.reshape(shape)
    return ((q - z).astype(np.float32) * s).astype(np.float32)
