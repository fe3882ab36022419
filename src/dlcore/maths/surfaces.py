r"""Two-dimensional test functions for optimizers, each with its analytic gradient.

Every surface is vectorised: ``value(x, y)`` and ``gradient(x, y)`` accept arrays that
broadcast together, so the same code draws a contour plot over a grid and evaluates one
point. :func:`trajectory` runs any dlcore optimizer on a surface.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..checks import check_int, check_range
from ..nn.module import Parameter

__all__ = ["Surface", "rosenbrock", "beale", "quadratic", "saddle", "SURFACES", "trajectory"]


@dataclass(frozen=True)
class Surface:
    """A function of two variables with its gradient, its minima and a plotting box.

    Attributes
    ----------
    name : str
    value : callable
        ``value(x, y) -> f``, broadcasting over arrays.
    gradient : callable
        ``gradient(x, y) -> (df/dx, df/dy)``, broadcasting over arrays.
    minima : tuple of (float, float)
        The global minimisers.
    start : (float, float)
        A customary starting point.
    xlim, ylim : (float, float)
        A box that shows the interesting part.
    """

    name: str
    value: Callable
    gradient: Callable
    minima: tuple
    start: tuple
    xlim: tuple
    ylim: tuple

    def __call__(self, x, y):
        return self.value(x, y)

    def grid(self, n: int = 120):
        """``(X, Y, F)`` on an ``n x n`` grid over ``xlim x ylim`` (for contour plots)."""
        X, Y = np.meshgrid(np.linspace(*self.xlim, n), np.linspace(*self.ylim, n))
        return X, Y, self.value(X, Y)


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Surface:
    r"""Rosenbrock's banana valley :math:`f = (a - x)^2 + b (y - x^2)^2`, minimum at
    :math:`(a, a^2)`; its floor is curved and nearly flat along, steep across.

    Examples
    --------
    >>> s = rosenbrock()
    >>> float(s(1.0, 1.0)), [float(v) for v in s.gradient(1.0, 1.0)]
    (0.0, [0.0, 0.0])
    """
    def value(x, y):
        return (a - x) ** 2 + b * (y - x ** 2) ** 2

    def gradient(x, y):
        r = y - x ** 2
        return -2 * (a - x) - 4 * b * x * r, 2 * b * r

    return Surface("Rosenbrock", value, gradient, ((a, a * a),), (-1.5, 2.0), (-2.0, 2.0),
                   (-1.0, 3.0))


def beale() -> Surface:
    r"""Beale's function :math:`f = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 +
    (2.625 - x + xy^3)^2`, minimum 0 at :math:`(3, 0.5)`; flat plateaus and sharp ridges.

    Examples
    --------
    >>> s = beale()
    >>> float(s(3.0, 0.5)), [float(v) for v in s.gradient(3.0, 0.5)]
    (0.0, [0.0, 0.0])
    """
    c = (1.5, 2.25, 2.625)

    def value(x, y):
        return sum((ci - x + x * y ** k) ** 2 for k, ci in enumerate(c, start=1))

    def gradient(x, y):
        gx = gy = 0.0
        for k, ci in enumerate(c, start=1):
            r = ci - x + x * y ** k
            gx = gx + 2 * r * (y ** k - 1)
            gy = gy + 2 * r * k * x * y ** (k - 1)
        return gx, gy

    return Surface("Beale", value, gradient, ((3.0, 0.5),), (1.0, 1.5), (-0.5, 4.5),
                   (-1.5, 2.0))


def quadratic(condition_number: float = 50.0, angle: float = 0.0) -> Surface:
    r"""An ill-conditioned bowl :math:`f = \tfrac12 z^\top H z` with Hessian
    :math:`H = R \operatorname{diag}(1, \kappa) R^\top` (:math:`R` a rotation by ``angle``
    radians), so :math:`\kappa` = ``condition_number`` = :math:`\lambda_{\max}/\lambda_{\min}`.
    Gradient descent needs :math:`\eta < 2/\kappa` and converges at rate
    :math:`(\kappa-1)/(\kappa+1)` per step at best.

    Examples
    --------
    >>> s = quadratic(100.0)
    >>> float(s(0.0, 1.0)), [float(v) for v in s.gradient(1.0, 1.0)]
    (50.0, [1.0, 100.0])
    """
    kappa = check_range("condition_number", condition_number, 1.0, what="quadratic")
    c, s = np.cos(angle), np.sin(angle)
    H = np.array([[c, -s], [s, c]]) @ np.diag([1.0, kappa]) @ np.array([[c, s], [-s, c]])

    def gradient(x, y):
        return H[0, 0] * x + H[0, 1] * y, H[1, 0] * x + H[1, 1] * y

    def value(x, y):
        gx, gy = gradient(x, y)
        return 0.5 * (x * gx + y * gy)

    return Surface(f"quadratic (kappa={kappa:g})", value, gradient, ((0.0, 0.0),), (1.0, 1.0),
                   (-1.5, 1.5), (-1.5, 1.5))


def saddle() -> Surface:
    r""":math:`f = x^2 + \tfrac14 y^4 - \tfrac12 y^2`: a saddle at the origin (Hessian
    eigenvalues 2 and -1) between two minima at :math:`(0, \pm 1)` with value -1/4.
    Started on the line :math:`y = 0`, gradient descent never leaves it.

    Examples
    --------
    >>> s = saddle()
    >>> float(s(0.0, 1.0)), [float(v) for v in s.gradient(0.0, 1.0)]
    (-0.25, [0.0, 0.0])
    """
    def value(x, y):
        return x ** 2 + 0.25 * y ** 4 - 0.5 * y ** 2

    def gradient(x, y):
        return 2 * x, y ** 3 - y

    return Surface("saddle", value, gradient, ((0.0, -1.0), (0.0, 1.0)), (1.0, 1e-3),
                   (-1.5, 1.5), (-1.5, 1.5))


SURFACES = {"rosenbrock": rosenbrock, "beale": beale, "quadratic": quadratic,
            "saddle": saddle}


def trajectory(surface: Surface, start, make_optimizer: Callable, steps: int = 100):
    """Run an optimizer on ``surface`` from ``start`` for ``steps`` steps.

    Parameters
    ----------
    surface : Surface
    start : (float, float)
    make_optimizer : callable
        ``make_optimizer(params) -> Optimizer``, e.g. ``lambda p: Adam(p, lr=0.1)``.
    steps : int

    Returns
    -------
    path : ndarray, shape (steps + 1, 2)
        The point before each step and after the last one.
    losses : ndarray, shape (steps + 1,)
        ``surface.value`` at each point of ``path``.

    Examples
    --------
    >>> from dlcore.optim import SGD
    >>> path, losses = trajectory(quadratic(10.0), (1.0, 1.0), lambda p: SGD(p, lr=0.1), 50)
    >>> path.shape, bool(losses[-1] < 1e-3 * losses[0])
    ((51, 2), True)
    """
    steps = check_int("steps", steps, minimum=0)
    p = Parameter(np.asarray(start, dtype=np.float64).reshape(2))
    opt = make_optimizer([p])
    path = np.empty((steps + 1, 2))
    path[0] = p.data
    p.grad = np.zeros(2)
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is a result too
        for i in range(steps):
            p.grad[:] = surface.gradient(p.data[0], p.data[1])
            opt.step()
            path[i + 1] = p.data
        losses = surface.value(path[:, 0], path[:, 1])
    return path, losses
