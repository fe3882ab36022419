r"""Muon (Jordan et al., 2024): momentum whose update matrix is orthogonalised by Newton–Schulz.

For a 2-D weight, Muon replaces the momentum matrix :math:`B = U S V^\top` by (approximately)
:math:`U V^\top`: every singular direction gets a step of the same size, so the rare directions
of a gradient dominated by a few large singular values still move.
"""

from __future__ import annotations

import math

import numpy as np

from ..checks import check_choice, check_int, check_range
from .adam import _lerp_into
from .optimizer import Optimizer

__all__ = ["Muon", "newton_schulz"]

#: The quintic's coefficients (Jordan, 2024), torch's defaults.
NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)


def newton_schulz(g: np.ndarray, ns_coefficients=NS_COEFFICIENTS, ns_steps: int = 5,
                  eps: float = 1e-7) -> np.ndarray:
    r"""Approximate orthogonalisation of a matrix by the quintic Newton–Schulz iteration.

    With :math:`X_0 = G / \max(\lVert G \rVert_F, \epsilon)` (so every singular value is at
    most 1), working on the wide orientation (:math:`X X^\top` the smaller Gram matrix):

    .. math::
        A = X X^\top, \qquad X \leftarrow a X + (b A + c A^2) X

    Each singular value :math:`\sigma` goes through :math:`p(\sigma) = a\sigma + b\sigma^3 +
    c\sigma^5`; torch's coefficients make :math:`p` steep at 0 (slope :math:`a \approx 3.4`),
    so five steps bring a scaled singular value above about 0.01 into roughly [0.7, 1.2], not
    exactly to 1; a smaller one only grows by about :math:`a^5 \approx 490` (chapter 6 shows
    6e-4 ending at 0.29).

    PyTorch runs the iteration in bfloat16 (fast on accelerators); this function computes in
    the input's dtype (float64 for the reference), so it matches torch only to bfloat16's
    precision, about 1e-2 relative.

    Parameters
    ----------
    g : ndarray, shape (m, n)

    Returns
    -------
    ndarray, shape (m, n)

    Examples
    --------
    >>> g = np.diag([10.0, 1.0, 0.01])           # after scaling: 0.995, 0.0995, 0.000995
    >>> np.round(np.diag(newton_schulz(g)), 2)   # a ratio of 1000 becomes one of 1.5
    array([0.7 , 0.71, 0.47])
    """
    g = np.asarray(g)
    if g.ndim != 2:
        raise ValueError(f"newton_schulz needs a 2-D matrix, got shape {g.shape}")
    if len(ns_coefficients) != 3:
        raise ValueError(f"ns_coefficients must be three numbers (a, b, c), "
                         f"got {ns_coefficients!r}")
    a, b, c = ns_coefficients
    tall = g.shape[0] > g.shape[1]
    x = g.T if tall else g
    x = x / max(float(np.linalg.norm(x)), eps)
    for _ in range(ns_steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.T if tall else x


def _adjusted_lr(lr: float, adjust_lr_fn, shape) -> float:
    rows, cols = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        return lr * math.sqrt(max(1.0, rows / cols))
    return lr * 0.2 * math.sqrt(max(rows, cols))     # "match_rms_adamw"


class Muon(Optimizer):
    r"""``torch.optim.Muon``: same arguments, defaults, update and state (2-D parameters only).

    .. math::
        B &\leftarrow \mu B + (1 - \mu) g \quad (\text{an exponential average, as torch's code
             computes it; torch's docstring writes } \mu B + g) \\
        \tilde B &= (1 - \mu) g + \mu B \ \text{(nesterov)} \quad\text{or}\quad B \\
        \theta &\leftarrow \theta (1 - \eta\lambda) - \eta'\,
                \operatorname{NS}(\tilde B)

    :math:`\eta' = \eta \sqrt{\max(1, \text{rows}/\text{cols})}` (``adjust_lr_fn`` None or
    ``"original"``) or :math:`0.2\,\eta \sqrt{\max(\text{rows}, \text{cols})}`
    (``"match_rms_adamw"``, Liu et al., 2025), and NS is :func:`newton_schulz` — in float64
    here, in bfloat16 in torch (see there). The decoupled weight decay uses the unadjusted
    :math:`\eta`. Biases, embeddings and other non-matrix parameters belong to another
    optimizer (e.g. AdamW). State: ``"momentum_buffer"``.

    Examples
    --------
    >>> import numpy as np
    >>> from dlcore.nn import Parameter
    >>> p = Parameter(np.zeros((2, 2))); p.grad = np.diag([100.0, 1.0])
    >>> Muon([p], lr=0.1, weight_decay=0.0).step(); np.round(-np.diag(p.data), 3)  # same size
    array([0.071, 0.071])
    """

    def __init__(self, params, lr: float = 1e-3, weight_decay: float = 0.1,
                 momentum: float = 0.95, nesterov: bool = True,
                 ns_coefficients: tuple = NS_COEFFICIENTS, eps: float = 1e-7,
                 ns_steps: int = 5, adjust_lr_fn=None):
        check_range("lr", lr, 0.0, what="Muon")
        check_range("momentum", momentum, 0.0, what="Muon")
        check_range("weight_decay", weight_decay, 0.0, what="Muon")
        ns_steps = check_int("ns_steps", ns_steps, minimum=0)
        if ns_steps >= 100:
            raise ValueError(f"Muon ns_steps must be < 100, got {ns_steps}")
        if adjust_lr_fn is not None:
            check_choice("Muon adjust_lr_fn", adjust_lr_fn, ("original", "match_rms_adamw"))
        super().__init__(params, dict(lr=lr, weight_decay=weight_decay, momentum=momentum,
                                      nesterov=nesterov, ns_coefficients=ns_coefficients,
                                      eps=eps, ns_steps=ns_steps, adjust_lr_fn=adjust_lr_fn))
        for group in self.param_groups:
            for p in group["params"]:
                if p.data.ndim != 2:
                    raise ValueError(f"Muon only supports 2-D parameters, got a parameter "
                                     f"of shape {p.data.shape}")

    def _update_group(self, group: dict) -> None:
        lr, mu = group["lr"], group["momentum"]
        for p in group["params"]:
            if p.grad is None:
                continue
            g = p.grad
            state = self._state(p)
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = np.zeros_like(p.data)
            buf = state["momentum_buffer"]
            tmp = np.empty_like(p.data)
            _lerp_into(buf, g, 1 - mu, tmp)
            if group["nesterov"]:
                update = g.copy()
                _lerp_into(update, buf, mu, tmp)
            else:
                update = buf
            update = newton_schulz(update, group["ns_coefficients"], group["ns_steps"],
                                   group["eps"])
            p.data *= 1 - lr * group["weight_decay"]
            p.data -= _adjusted_lr(lr, group["adjust_lr_fn"], p.data.shape) * update
