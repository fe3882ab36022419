"""Reduced precision (chapter 12): bfloat16 emulated in NumPy, the numbers that describe a
floating-point format, and PyTorch's dynamic loss scaler."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..checks import check_choice, check_int, check_range

__all__ = ["to_bfloat16", "finfo", "DynamicLossScaler"]


def to_bfloat16(x) -> np.ndarray:
    """The nearest bfloat16 values of ``x``, as float32 (like ``tensor.to(torch.bfloat16)``).

    bfloat16 is the top 16 bits of a float32: sign, the same 8 exponent bits, and 7 of the 23
    mantissa bits. Rounding to nearest, ties to even, adds ``0x7FFF`` plus the lowest kept bit
    to the float32 bit pattern and clears the low 16 bits; a carry into the exponent is the
    correct rounding up, and past the largest finite value it gives infinity. NaN stays NaN.

    Examples
    --------
    >>> to_bfloat16(np.array([1.0, 1.00390625, 1.01171875, 3.4e38], dtype=np.float32))
    array([1.      , 1.      , 1.015625,      inf], dtype=float32)
    """
    a = np.asarray(x)
    if a.dtype.kind != "f":
        raise TypeError(f"to_bfloat16 x must be a floating-point array, got dtype {a.dtype}")
    a = np.ascontiguousarray(a, dtype=np.float32)
    bits = a.view(np.uint32).astype(np.uint64)
    lsb = (bits >> 16) & 1
    rounded = ((bits + 0x7FFF + lsb) >> 16 << 16).astype(np.uint32)
    out = rounded.view(np.float32).copy()
    nan = np.isnan(a)
    out[nan] = np.float32(np.nan)
    return out.reshape(a.shape)


def finfo(dtype: str) -> SimpleNamespace:
    """The defining numbers of ``"float16"``, ``"bfloat16"``, ``"float32"`` or ``"float64"``.

    Returns
    -------
    types.SimpleNamespace
        ``max`` (largest finite), ``tiny`` (smallest positive normal), ``smallest_subnormal``,
        ``eps`` (gap between 1 and the next value, :math:`2^{-p}` with ``p`` stored mantissa
        bits), ``mantissa_bits``, ``exponent_bits`` and ``unit_roundoff`` (``eps / 2``, the
        largest relative error of rounding to nearest).

    Examples
    --------
    >>> f = finfo("bfloat16"); f.eps, f.tiny == 2.0 ** -126
    (0.0078125, True)
    """
    check_choice("dtype", dtype, ("float16", "bfloat16", "float32", "float64"))
    man, exp = {"float16": (10, 5), "bfloat16": (7, 8), "float32": (23, 8),
                "float64": (52, 11)}[dtype]
    bias = 2 ** (exp - 1) - 1
    return SimpleNamespace(
        max=(2.0 - 2.0 ** -man) * 2.0 ** bias, tiny=2.0 ** (1 - bias),
        smallest_subnormal=2.0 ** (1 - bias - man), eps=2.0 ** -man, mantissa_bits=man,
        exponent_bits=exp, unit_roundoff=2.0 ** -(man + 1))


class DynamicLossScaler:
    """Dynamic loss scaling, as ``torch.amp.GradScaler("cpu", init_scale, growth_factor,
    backoff_factor, growth_interval)``.

    The loss is multiplied by the scale before backward, so small gradients survive a
    16-bit format; ``unscale_`` divides the gradients by it again and looks for inf/NaN.
    ``step`` skips the optimizer step when any was found. ``update`` then multiplies the scale by
    ``backoff_factor`` after an overflow, or by ``growth_factor`` after ``growth_interval``
    overflow-free steps in a row. The scale is kept in float32, as PyTorch keeps it.

    Examples
    --------
    >>> s = DynamicLossScaler(init_scale=8.0, growth_interval=1)
    >>> s.scale(1.5)
    12.0
    """

    def __init__(self, init_scale: float = 65536.0, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000):
        check_range("init_scale", init_scale, 0, None, low_open=True)
        if not growth_factor > 1.0:
            raise ValueError(f"growth_factor should be > 1, got {growth_factor}")
        if not 0.0 < backoff_factor < 1.0:
            raise ValueError(f"backoff_factor should be in (0, 1), got {backoff_factor}")
        self._scale = np.float32(init_scale)
        self.growth_factor, self.backoff_factor = float(growth_factor), float(backoff_factor)
        self.growth_interval = check_int("growth_interval", growth_interval, minimum=1)
        self._growth_tracker = 0
        self._per_optimizer = {}

    def get_scale(self) -> float:
        """The current scale."""
        return float(self._scale)

    def scale(self, loss):
        """``loss * scale`` (call backward on this)."""
        return loss * float(self._scale)

    def unscale_(self, optimizer) -> None:
        """Divide the gradients of ``optimizer``'s parameters by the scale, in place, and record
        whether any is inf or NaN. At most once per optimizer between two ``update`` calls."""
        state = self._per_optimizer.setdefault(id(optimizer), {})
        if state.get("unscaled"):
            raise RuntimeError("unscale_() has already been called on this optimizer since "
                               "the last update().")
        inv = float(np.float32(1.0 / np.float64(self._scale)))
        found = False
        for group in optimizer.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                with np.errstate(invalid="ignore", over="ignore"):
                    p.grad *= p.grad.dtype.type(inv)
                found = found or not bool(np.all(np.isfinite(p.grad)))
        state.update(unscaled=True, found_inf=found)

    def step(self, optimizer):
        """Unscale if not yet done, then ``optimizer.step()`` unless an inf/NaN was found."""
        state = self._per_optimizer.setdefault(id(optimizer), {})
        if not state.get("unscaled"):
            self.unscale_(optimizer)
        if state["found_inf"]:
            return None
        return optimizer.step()

    def update(self) -> None:
        """Back off after an overflow, grow after ``growth_interval`` clean steps."""
        found = any(s.get("found_inf") for s in self._per_optimizer.values())
        if found:
            self._scale = np.float32(self._scale * np.float32(self.backoff_factor))
            self._growth_tracker = 0
        else:
            self._growth_tracker += 1
            if self._growth_tracker == self.growth_interval:
                grown = np.float32(self._scale * np.float32(self.growth_factor))
                if np.isfinite(grown):
                    self._scale = grown
                self._growth_tracker = 0
        self._per_optimizer = {}
