"""Memory accounting for training (chapter 12): bytes per parameter under each precision
regime and ZeRO sharding, and the bytes dlcore layers keep for their backward pass."""

from __future__ import annotations

import numpy as np

from ..checks import check_choice, check_int

__all__ = ["training_bytes", "cache_bytes"]

# optimiser state in float32 bytes per parameter
_STATE = {"sgd": 0, "sgd_momentum": 4, "adam": 8}


def training_bytes(n_params: int, optimizer: str = "adam", precision: str = "fp32",
                   zero_stage: int = 0, n_devices: int = 1) -> dict:
    r"""Bytes per device for the parameters, gradients and optimiser state of a model
    (activations excluded).

    ``"fp32"``: 4-byte parameters and gradients plus the optimiser state (Adam's two moments:
    8 bytes). ``"mixed"``: 2-byte parameters and gradients for compute, plus :math:`K` bytes
    of float32 state: the master copy (4) and the optimiser's state (Adam: 8), the ZeRO paper's
    :math:`2 + 2 + K` with :math:`K = 12` (Rajbhandari et al., 2020). ``"autocast"``: what
    ``torch.autocast`` keeps, float32 parameters and float32 gradients plus the optimiser state
    (4 + 4 + 8 with Adam); the 16-bit copies of the weights it makes for each product live only
    for one step and belong with the activations. ZeRO stage 1 divides
    the optimiser state (here: everything in ``"state"``, the master copy included) over
    ``n_devices``; stage 2 also the gradients; stage 3 also the parameters.

    Returns
    -------
    dict
        ``params``, ``grads``, ``state`` and ``total``, in bytes per device.

    Examples
    --------
    >>> training_bytes(1, "adam", "fp32")["total"], training_bytes(1, "adam", "mixed")["total"]
    (16.0, 16.0)
    >>> training_bytes(1, "adam", "autocast")
    {'params': 4.0, 'grads': 4.0, 'state': 8.0, 'total': 16.0}
    >>> training_bytes(8, "adam", "mixed", zero_stage=3, n_devices=8)["total"]
    16.0
    """
    n = check_int("n_params", n_params, minimum=0)
    check_choice("optimizer", optimizer, tuple(_STATE))
    check_choice("precision", precision, ("fp32", "mixed", "autocast"))
    zero_stage = check_int("zero_stage", zero_stage, minimum=0)
    if zero_stage > 3:
        raise ValueError(f"zero_stage must be 0, 1, 2 or 3, got {zero_stage}")
    d = check_int("n_devices", n_devices, minimum=1)
    if precision in ("fp32", "autocast"):
        p, g, s = 4, 4, _STATE[optimizer]
    else:
        p, g, s = 2, 2, 4 + _STATE[optimizer]
    parts = {"params": float(n * p) / (d if zero_stage >= 3 else 1),
             "grads": float(n * g) / (d if zero_stage >= 2 else 1),
             "state": float(n * s) / (d if zero_stage >= 1 else 1)}
    parts["total"] = parts["params"] + parts["grads"] + parts["state"]
    return parts


def cache_bytes(module) -> int:
    """Bytes of the arrays that ``module`` and its descendants keep from ``forward`` for
    ``backward`` (each distinct memory block counted once, views included in their base).

    Examples
    --------
    >>> from dlcore.nn import Linear
    >>> layer = Linear(3, 2, rng=0); _ = layer(np.ones((4, 3)))
    >>> cache_bytes(layer)
    96
    """
    seen, total = set(), 0
    for m in module.modules():
        cache = m.__dict__.get("_cache") or {}
        for value in cache.values():
            for arr in (value if isinstance(value, (tuple, list)) else (value,)):
                if not isinstance(arr, np.ndarray):
                    continue
                base = arr
                while base.base is not None and isinstance(base.base, np.ndarray):
                    base = base.base
                if id(base) not in seen:
                    seen.add(id(base))
                    total += base.nbytes
    return int(total)
