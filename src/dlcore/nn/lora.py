"""Low-rank adaptation of a Linear layer (LoRA; Hu et al., 2022)."""

from __future__ import annotations

import math

import numpy as np

from ..checks import as_array, check_int
from ..random import as_generator
from .linear import Linear
from .module import Module, Parameter

__all__ = ["LoRALinear"]


class LoRALinear(Module):
    r"""A Linear layer plus a trainable low-rank update:
    :math:`y = x W^\top + b + \tfrac{\alpha}{r}\, x A^\top B^\top`.

    Parameters
    ----------
    base : Linear
        The pretrained layer (kept as ``self.base``; freeze it with
        ``base.requires_grad_(False)`` to train only the adapter).
    r : int
        Rank of the update (>= 1).
    alpha : float
        Scale numerator: the update is multiplied by ``alpha / r``.
    rng : numpy.random.Generator, int or None
        Source of ``lora_A``'s initial values.

    Notes
    -----
    Shapes: ``lora_A`` is ``(r, in_features)``, initialised like a Linear weight,
    :math:`U(-1/\sqrt{in}, 1/\sqrt{in})`; ``lora_B`` is ``(out_features, r)``, zeros, so the
    adapted layer starts equal to ``base``. Backward with :math:`G = \partial L/\partial y` and
    :math:`c = \alpha/r`: :math:`\partial L/\partial B = c\,G^\top (xA^\top)`,
    :math:`\partial L/\partial A = c\,(GB)^\top x`,
    :math:`\partial L/\partial x = GW + c\,GBA`. The adapter trains
    :math:`r(\text{in} + \text{out})` numbers instead of :math:`\text{in}\cdot\text{out}`.
    :meth:`merge` folds it into one Linear, so inference costs nothing extra.

    Examples
    --------
    >>> layer = LoRALinear(Linear(4, 3, rng=0), r=2, alpha=2.0, rng=1)
    >>> x = np.ones((5, 4))
    >>> bool(np.array_equal(layer(x), layer.base(x)))   # B = 0 at the start
    True
    >>> layer.lora_A.shape, layer.lora_B.shape, layer.merge()
    ((2, 4), (3, 2), Linear(in_features=4, out_features=3, bias=True))
    """

    def __init__(self, base: Linear, r: int, alpha: float, rng=None):
        super().__init__()
        if not isinstance(base, Linear):
            raise TypeError(f"LoRALinear base must be a dlcore Linear, got {type(base).__name__}")
        self.r = check_int("r", r, minimum=1)
        if not (isinstance(alpha, (int, float, np.floating)) and math.isfinite(alpha)):
            raise ValueError(f"LoRALinear alpha must be a finite number, got {alpha!r}")
        self.alpha = float(alpha)
        self.scaling = self.alpha / self.r
        dtype = base.weight.data.dtype
        bound = 1.0 / math.sqrt(base.in_features)
        gen = as_generator(rng)
        self.base = base
        self.lora_A = Parameter(gen.uniform(-bound, bound, (self.r, base.in_features)).astype(dtype))
        self.lora_B = Parameter(np.zeros((base.out_features, self.r), dtype=dtype))

    def forward(self, x):
        x = as_array("input", x, dtype=self.base.weight.data.dtype, min_ndim=1)
        y = self.base(x)
        xa = x @ self.lora_A.data.T
        self._save(x=x, xa=xa)
        return y + self.scaling * (xa @ self.lora_B.data.T)

    def backward(self, grad_out):
        x, xa = self._saved("x", "xa")
        g = np.asarray(grad_out, dtype=self.base.weight.data.dtype)
        grad_x = self.base.backward(g)
        g2 = g.reshape(-1, g.shape[-1])
        gb = g @ self.lora_B.data                      # (*, r)
        self.lora_B.accumulate(self.scaling * g2.T @ xa.reshape(-1, self.r))
        self.lora_A.accumulate(self.scaling * gb.reshape(-1, self.r).T
                               @ x.reshape(-1, x.shape[-1]))
        return grad_x + self.scaling * (gb @ self.lora_A.data)

    def merge(self) -> Linear:
        """A new Linear with weight :math:`W + (\\alpha/r) BA` and the base's bias."""
        merged = Linear(self.base.in_features, self.base.out_features,
                        bias=self.base.bias is not None, rng=0, dtype=self.base.weight.data.dtype)
        merged.weight.data[...] = self.base.weight.data + self.scaling * (self.lora_B.data
                                                                          @ self.lora_A.data)
        if self.base.bias is not None:
            merged.bias.data[...] = self.base.bias.data
        return merged

    def extra_repr(self) -> str:
        return f"r={self.r}, alpha={self.alpha:g}"
