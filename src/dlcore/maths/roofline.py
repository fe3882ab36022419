"""Roofline accounting (chapter 12): arithmetic intensity of common operations, the attainable
FLOP/s of a machine, and a timer that turns a kernel into measured FLOP/s and bytes/s."""

from __future__ import annotations

import time

import numpy as np

from ..checks import check_int

__all__ = ["intensity_matmul", "intensity_elementwise", "intensity_linear", "attainable",
           "measure"]


def intensity_matmul(m: int, k: int, n: int, itemsize: int = 4) -> float:
    r"""FLOPs per byte of an ``(m, k) @ (k, n)`` product that reads both operands and writes the
    result once: :math:`2mkn / (s(mk + kn + mn))` for items of :math:`s` bytes.

    Examples
    --------
    >>> intensity_matmul(1024, 1024, 1024) == 2 * 1024 / 12
    True
    """
    m, k, n = (check_int(a, v, minimum=1) for a, v in (("m", m), ("k", k), ("n", n)))
    itemsize = check_int("itemsize", itemsize, minimum=1)
    return 2.0 * m * k * n / (itemsize * (m * k + k * n + m * n))


def intensity_elementwise(n_operands: int, flops_per_element: float, itemsize: int = 4) -> float:
    """FLOPs per byte of an element-wise kernel that touches ``n_operands`` arrays (inputs and
    output) once each: ``flops_per_element / (itemsize * n_operands)``.

    Examples
    --------
    >>> intensity_elementwise(3, 1) == 1 / 12   # c = a + b in float32
    True
    """
    n_operands = check_int("n_operands", n_operands, minimum=1)
    itemsize = check_int("itemsize", itemsize, minimum=1)
    if not flops_per_element >= 0:
        raise ValueError(f"flops_per_element must be >= 0, got {flops_per_element}")
    return float(flops_per_element) / (itemsize * n_operands)


def intensity_linear(batch: int, in_features: int, out_features: int, itemsize: int = 4) -> float:
    r"""FLOPs per byte of ``Linear(in_features, out_features)`` on a batch (bias ignored):
    :math:`2BIO / (s(BI + IO + BO))`; at batch 1 it is below 2/s, whatever the layer size.

    Examples
    --------
    >>> round(intensity_linear(1, 4096, 4096), 4)
    0.4999
    """
    return intensity_matmul(batch, in_features, out_features, itemsize)


def attainable(peak_flops: float, bandwidth: float, intensity):
    r"""The roofline: :math:`\min(\text{peak}, \text{bandwidth}\times I)` FLOP/s.

    Examples
    --------
    >>> attainable(100.0, 10.0, np.array([1.0, 10.0, 100.0]))
    array([ 10., 100., 100.])
    """
    if not (peak_flops > 0 and bandwidth > 0):
        raise ValueError(f"attainable needs peak_flops > 0 and bandwidth > 0, got "
                         f"{peak_flops} and {bandwidth}")
    i = np.asarray(intensity, dtype=np.float64)
    if np.any(i < 0):
        raise ValueError("attainable intensity must be >= 0")
    out = np.minimum(peak_flops, bandwidth * i)
    return float(out) if out.ndim == 0 else out


def measure(fn, flops: float, nbytes: float, repeats: int = 5) -> dict:
    """Time ``fn()`` ``repeats`` times and return the best time with the FLOP/s and bytes/s it
    implies (the best run is the least disturbed by other work on the machine).

    Examples
    --------
    >>> out = measure(lambda: None, flops=1.0, nbytes=1.0, repeats=2)
    >>> sorted(out)
    ['bytes_per_s', 'flops_per_s', 'seconds']
    """
    repeats = check_int("repeats", repeats, minimum=1)
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    best = max(best, 1e-9)
    return {"seconds": best, "flops_per_s": flops / best, "bytes_per_s": nbytes / best}
