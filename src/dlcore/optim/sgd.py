"""Stochastic gradient descent with momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

import numpy as np

from ..checks import check_range
from .optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""``torch.optim.SGD``: the same arguments, defaults, update and state.

    For each parameter :math:`\theta` with gradient :math:`g` (negated if ``maximize``):

    .. math::
        g &\leftarrow g + \lambda \theta \quad (\text{weight\_decay } \lambda) \\
        b &\leftarrow \begin{cases} g & \text{first step} \\
              \mu b + (1 - \tau) g & \text{later} \end{cases}
              \quad (\text{momentum } \mu,\ \text{dampening } \tau) \\
        g &\leftarrow g + \mu b \ \text{(Nesterov)} \quad\text{or}\quad g \leftarrow b \\
        \theta &\leftarrow \theta - \eta g

    The momentum buffer :math:`b` is kept in ``state[p]["momentum_buffer"]``.
    ``foreach``, ``differentiable`` and ``fused`` choose between PyTorch kernels that compute
    the same update; they are accepted (and stored in the groups) for compatibility only.

    Examples
    --------
    >>> import numpy as np
    >>> from dlcore.nn import Parameter
    >>> p = Parameter(np.array([1.0])); p.grad = np.array([0.5])
    >>> SGD([p], lr=0.1).step(); p.data
    array([0.95])
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False,
                 foreach=None, differentiable: bool = False, fused=None):
        check_range("lr", lr, 0.0, what="SGD")
        check_range("momentum", momentum, 0.0, what="SGD")
        check_range("weight_decay", weight_decay, 0.0, what="SGD")
        check_range("dampening", dampening, what="SGD")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD nesterov=True requires momentum > 0 and dampening = 0, got "
                             f"momentum={momentum}, dampening={dampening}")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize, foreach=foreach,
                                      differentiable=differentiable, fused=fused))

    def _update_group(self, group: dict) -> None:
        mu, tau, lr = group["momentum"], group["dampening"], group["lr"]
        for p, g in self._gradients(group):
            if mu:
                state = self._state(p)
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = g.copy()
                else:
                    buf *= mu
                    buf += (1 - tau) * g if tau else g
                if group["nesterov"]:
                    nesterov = np.multiply(buf, mu)  # g + mu b
                    nesterov += g
                    g = nesterov
                else:
                    g = buf
            _add_scaled_(p.data, g, -lr)


# Below this many elements the BLAS call costs more than the pass over memory it saves.
_AXPY_MIN_SIZE = 4096


def _add_scaled_(out: np.ndarray, x: np.ndarray, alpha: float) -> None:
    """In place ``out += alpha * x``, as torch's ``out.add_(x, alpha=alpha)``.

    NumPy has no fused multiply-add ufunc, so for large contiguous float64 arrays of one shape
    this calls BLAS ``daxpy``: one pass over memory instead of two (and, like torch's kernel,
    one rounding per element). Other arrays take the two NumPy passes."""
    if (out.size >= _AXPY_MIN_SIZE and out.dtype == x.dtype == np.float64
            and out.shape == x.shape and out.flags.c_contiguous and x.flags.c_contiguous):
        from scipy.linalg.blas import daxpy  # lazy: SciPy is not needed at import time
        daxpy(x.reshape(-1), out.reshape(-1), a=alpha)  # writes into out (no copy is needed)
    elif out.dtype == np.float16 and out.shape == x.shape and out.flags.c_contiguous:
        # torch's CPU kernel for half tensors: alpha rounded to half; whole blocks of 32
        # elements in float32 (one rounding to half), the last n % 32 in half arithmetic
        # (alpha * x rounded to half, then the sum rounded). 32 halves per vector step is the
        # x86 build's width; other builds may block differently.
        flat, xf = out.reshape(-1), x.reshape(-1)
        a16 = np.float16(alpha)
        body = flat.size - flat.size % 32
        flat[:body] = (flat[:body].astype(np.float32)
                       + np.float32(a16) * xf[:body].astype(np.float32)).astype(np.float16)
        flat[body:] = flat[body:] + a16 * xf[body:]
    else:
        out += alpha * x
