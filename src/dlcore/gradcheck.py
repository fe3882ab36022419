r"""Numerical gradients by central differences, to check hand-written backward passes.

The central difference :math:`(f(x + h e_i) - f(x - h e_i)) / 2h` has error
:math:`O(h^2)`; with float64 and :math:`h = 10^{-6}` a correct analytic gradient agrees to
about :math:`10^{-9}` relative error, a wrong one typically to no better than :math:`10^{-2}`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .random import as_generator

__all__ = ["numerical_gradient", "rel_error", "check_module_gradients", "GradcheckReport"]


def numerical_gradient(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    r"""Central-difference gradient of the scalar function ``f`` at ``x``.

    ``x`` is perturbed in place, one element at a time, and restored, so ``f`` may close over
    ``x`` (or a parameter's ``.data``) instead of taking it as an argument.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``.
    x : numpy.ndarray of float64
        The point; its shape is the gradient's shape.
    eps : float
        Step :math:`h`.

    Examples
    --------
    >>> x = np.array([1.0, -2.0])
    >>> np.round(numerical_gradient(lambda v: float((v ** 3).sum()), x), 6)
    array([ 3., 12.])
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise TypeError("numerical_gradient needs a float64 ndarray to perturb in place, got "
                        f"{type(x).__name__} {getattr(x, 'dtype', '')}")
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("numerical_gradient needs a contiguous array")
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        f_plus = f(x)
        flat[i] = old - eps
        f_minus = f(x)
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def rel_error(a, b, floor: float = 1e-12) -> float:
    r"""Largest difference relative to the largest magnitude:
    :math:`\max_i |a_i - b_i| / \max(\max_i |a_i|, \max_i |b_i|, \text{floor})`.

    Scaling by the largest entry rather than entry by entry keeps gradient entries that are
    nearly zero (where a central difference has only absolute accuracy) from dominating.

    Examples
    --------
    >>> rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 4e-9]))
    2e-09
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error shapes differ: {a.shape} vs {b.shape}")
    if a.size == 0:
        return 0.0
    scale = max(np.max(np.abs(a)), np.max(np.abs(b)), floor)
    return float(np.max(np.abs(a - b)) / scale)


@dataclass
class GradcheckReport:
    """Relative errors of a module's analytic gradients against numerical ones."""

    input: float
    parameters: dict = field(default_factory=dict)

    @property
    def worst(self) -> float:
        return max([self.input, *self.parameters.values()])

    def passed(self, tol: float = 1e-6) -> bool:
        return self.worst < tol

    def __str__(self) -> str:
        parts = [f"input: {self.input:.2e}"] + [f"{k}: {v:.2e}" for k, v in
                                                 self.parameters.items()]
        return "relative errors -- " + ", ".join(parts)


def check_module_gradients(module, x, rng=None, eps: float = 1e-6) -> GradcheckReport:
    r"""Compare ``module.backward`` with central differences, for the input and every parameter.

    The scalar checked is :math:`L = \sum_i g_i\, y_i` with :math:`y =` ``module(x)`` and a
    fixed random :math:`g` (so every output element matters, with a different weight).
    Its gradient with respect to ``x`` is ``module.backward(g)``. Stochastic modules must be
    deterministic across calls for the check to mean anything (e.g. dropout in eval mode).

    Returns
    -------
    GradcheckReport
        ``report.passed(tol)`` is True when every relative error is below ``tol``.

    Examples
    --------
    >>> from dlcore.nn import Linear
    >>> check_module_gradients(Linear(3, 2, rng=0), np.ones((4, 3)), rng=1).passed(1e-7)
    True
    """
    x = np.array(x, dtype=np.float64)
    g = as_generator(rng).standard_normal(np.shape(module(x)))

    def loss(_):
        return float((module(x) * g).sum())

    module.zero_grad()
    module(x)
    analytic_input = module.backward(g)
    report = GradcheckReport(rel_error(analytic_input, numerical_gradient(loss, x, eps)))
    for name, p in module.named_parameters():
        numeric = numerical_gradient(loss, p.data, eps)
        # a backward that never accumulated into p (None or a bare 0) reports a gradient of 0
        analytic = np.zeros_like(p.data) if p.grad is None or np.ndim(p.grad) == 0 and \
            p.data.ndim else p.grad
        report.parameters[name] = rel_error(analytic, numeric)
    return report
