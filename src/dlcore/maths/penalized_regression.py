r"""Penalized linear regression: ridge in closed form, lasso and elastic net by coordinate
descent or by proximal gradient (ISTA), with scikit-learn's objectives and intercept convention.

- ridge (scikit-learn ``Ridge``): :math:`\lVert y - Xw - b\rVert^2 + \alpha\lVert w - w_0\rVert^2`,
- elastic net (``ElasticNet``): :math:`\frac{1}{2n}\lVert y - Xw - b\rVert^2
  + \alpha\rho\lVert w\rVert_1 + \frac{\alpha(1-\rho)}{2}\lVert w\rVert^2`,
- lasso (``Lasso``): the elastic net with :math:`\rho = 1`.

The intercept :math:`b` is never penalized: the columns of :math:`X` and :math:`y` are centred,
the penalized problem is solved without intercept, and :math:`b = \bar y - \bar x^\top w`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..checks import as_array, check_choice, check_int, check_range

__all__ = ["LinearFit", "soft_threshold", "ridge", "elastic_net", "lasso"]


@dataclass
class LinearFit:
    """Result of a penalized linear fit: predictions are ``X @ coef.T + intercept``.

    ``coef`` has shape ``(p,)`` for a 1-D ``y`` and ``(k, p)`` for ``y`` of shape ``(n, k)``
    (scikit-learn's ``coef_`` layout). Iterative solvers also report the number of passes
    ``n_iter``, the final duality gap ``dual_gap`` (in scikit-learn's unnormalized scale) and
    whether it fell below the tolerance (``converged``).
    """

    coef: np.ndarray
    intercept: float | np.ndarray
    n_iter: int | None = None
    dual_gap: float | None = None
    converged: bool = True

    def predict(self, X) -> np.ndarray:
        return as_array("X", X) @ self.coef.T + self.intercept


def _design(X, y):
    X = as_array("X", X, dtype=np.float64)
    y = as_array("y", y, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n_samples, n_features), got {X.shape}")
    if y.ndim not in (1, 2) or len(y) != len(X):
        raise ValueError(f"y must have shape ({len(X)},) or ({len(X)}, n_targets) to match X "
                         f"shape {X.shape}, got {y.shape}")
    return X, y


def _center(X, y, fit_intercept):
    if not fit_intercept:
        return X, y, np.zeros(X.shape[1]), np.zeros(y.shape[1:])
    xm, ym = X.mean(axis=0), y.mean(axis=0)
    return X - xm, y - ym, xm, ym


def soft_threshold(x, threshold):
    r"""The proximal operator of :math:`t\lVert\cdot\rVert_1`:
    :math:`S_t(x) = \mathrm{sign}(x)\max(|x| - t, 0)`.

    Entries with :math:`|x| \le t` become exactly 0: this is where the lasso's zeros come from.

    Examples
    --------
    >>> soft_threshold(np.array([3.0, -0.4, 1.2, 0.05]), 0.5)
    array([2.5, 0. , 0.7, 0. ])
    """
    x = as_array("x", x)
    t = check_range("threshold", threshold, 0.0)
    return np.sign(x) * np.maximum(np.abs(x) - t, 0.0) + 0.0  # + 0.0: no negative zeros


def ridge(X, y, alpha: float = 1.0, fit_intercept: bool = True, prior_mean=None) -> LinearFit:
    r"""Ridge regression in closed form (scikit-learn's ``Ridge`` objective).

    Minimises :math:`\lVert y - Xw - b\rVert^2 + \alpha\lVert w - w_0\rVert^2`, whose
    stationarity condition gives

    .. math:: w = (X_c^\top X_c + \alpha I)^{-1} (X_c^\top y_c + \alpha w_0)

    with centred :math:`X_c, y_c` (or :math:`X, y` when ``fit_intercept=False``); adding
    :math:`\alpha I` lifts every eigenvalue of :math:`X^\top X` by :math:`\alpha`, which
    shrinks the solution most along the directions the data constrain least. With
    ``alpha=0`` it returns the minimum-norm least-squares solution.

    Parameters
    ----------
    X : (n, p) array
    y : (n,) or (n, k) array
    alpha : float >= 0
    fit_intercept : bool
        Fit an unpenalized intercept :math:`b`.
    prior_mean : (p,) array or None
        :math:`w_0`, the point the penalty pulls toward (default 0).

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [2.0]]); y = np.array([1.0, 3.0, 5.0])
    >>> fit = ridge(X, y, alpha=2.0); float(fit.coef[0]), float(fit.intercept)
    (1.0, 2.0)
    """
    X, y = _design(X, y)
    alpha = check_range("alpha", alpha, 0.0, what="ridge")
    Xc, yc, xm, ym = _center(X, y, fit_intercept)
    p = X.shape[1]
    w0 = np.zeros(p) if prior_mean is None else as_array("prior_mean", prior_mean)
    if w0.shape != (p,):
        raise ValueError(f"prior_mean must have shape ({p},) to match X shape {X.shape}, "
                         f"got {w0.shape}")
    rhs = Xc.T @ yc + alpha * (w0 if y.ndim == 1 else w0[:, None])
    if alpha > 0:
        w = np.linalg.solve(Xc.T @ Xc + alpha * np.eye(p), rhs)
    else:
        w = np.linalg.lstsq(Xc, yc, rcond=None)[0]
    coef = w if y.ndim == 1 else w.T
    intercept = ym - xm @ w
    return LinearFit(coef, float(intercept) if y.ndim == 1 else intercept)


def _duality_gap(X, y, w, R, l1, l2):
    """Elastic-net duality gap in scikit-learn's scale ½‖R‖² + l1‖w‖₁ + ½ l2‖w‖²."""
    XtA = X.T @ R - l2 * w
    dual_norm = np.max(np.abs(XtA), initial=0.0)
    R2 = R @ R
    if dual_norm > l1:
        const = l1 / dual_norm
        gap = 0.5 * R2 * (1 + const ** 2)
    else:
        const, gap = 1.0, R2
    return float(gap + l1 * np.abs(w).sum() - const * (R @ y)
                 + 0.5 * l2 * (1 + const ** 2) * (w @ w))


def _cd_pass(X, w, R, col_sq, l1, l2):
    """One cyclic coordinate-descent pass; updates ``w`` and the residual ``R`` in place."""
    for j in range(X.shape[1]):
        if col_sq[j] == 0.0:
            continue
        old = w[j]
        rho = X[:, j] @ R + old * col_sq[j]
        w[j] = np.sign(rho) * max(abs(rho) - l1, 0.0) / (col_sq[j] + l2) + 0.0
        if w[j] != old:
            R -= (w[j] - old) * X[:, j]


def _ista_step(X, w, R, step, l1, l2):
    """One proximal-gradient step on ½‖y - Xw‖² + l1‖w‖₁ + ½ l2‖w‖² (smooth part: the
    squared error; prox: soft-threshold, then divide by 1 + step·l2)."""
    v = w + step * (X.T @ R)
    w[...] = soft_threshold(v, step * l1) / (1.0 + step * l2)
    return w


def elastic_net(X, y, alpha: float = 1.0, l1_ratio: float = 0.5, fit_intercept: bool = True,
                max_iter: int = 1000, tol: float = 1e-4, solver: str = "cd",
                coef_init=None) -> LinearFit:
    r"""Elastic net, with scikit-learn ``ElasticNet``'s objective and intercept convention.

    .. math::
        \min_{w, b}\ \frac{1}{2n}\lVert y - Xw - b\rVert^2 + \alpha\rho\lVert w\rVert_1
        + \frac{\alpha(1-\rho)}{2}\lVert w\rVert_2^2, \qquad \rho = \text{l1\_ratio}.

    ``solver="cd"``: cyclic coordinate descent; each coordinate is set to its exact minimiser
    :math:`w_j = S_{n\alpha\rho}(x_j^\top r_{-j}) / (\lVert x_j\rVert^2 + n\alpha(1-\rho))`.
    ``solver="ista"``: proximal gradient with step :math:`1/\lambda_{\max}(X^\top X)`,
    :math:`w \leftarrow S_{t n\alpha\rho}(w + t X^\top r) / (1 + t n\alpha(1-\rho))`.
    Both produce exact zeros. Iteration stops when the duality gap falls below
    ``tol * ||y_c||^2`` (scikit-learn's criterion) or after ``max_iter`` passes/steps
    (``tol=0`` runs them all); ``converged`` reports which.

    Examples
    --------
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    >>> y = np.array([2.0, 0.1, -2.0, -0.1])
    >>> elastic_net(X, y, alpha=0.2, l1_ratio=1.0, fit_intercept=False).coef
    array([1.6, 0. ])
    """
    X, y = _design(X, y)
    if y.ndim != 1:
        raise ValueError(f"elastic_net fits one target: y must be 1-D, got shape {y.shape}")
    alpha = check_range("alpha", alpha, 0.0, what="elastic_net")
    rho = check_range("l1_ratio", l1_ratio, 0.0, 1.0, what="elastic_net")
    max_iter = check_int("max_iter", max_iter, minimum=1)
    tol = check_range("tol", tol, 0.0, what="elastic_net")
    check_choice("solver", solver, ("cd", "ista"))
    Xc, yc, xm, ym = _center(X, y, fit_intercept)
    n, p = X.shape
    w = np.zeros(p) if coef_init is None else as_array("coef_init", coef_init).copy()
    if w.shape != (p,):
        raise ValueError(f"coef_init must have shape ({p},), got {w.shape}")
    l1, l2 = alpha * rho * n, alpha * (1 - rho) * n
    R = yc - Xc @ w
    if solver == "cd":
        col_sq = np.einsum("ij,ij->j", Xc, Xc)
    else:
        lipschitz = np.linalg.eigvalsh(Xc.T @ Xc)[-1] if p else 0.0
        step = 1.0 / lipschitz if lipschitz > 0 else 0.0
    target = tol * float(yc @ yc)
    gap, it = np.inf, 0
    for it in range(1, max_iter + 1):
        if solver == "cd":
            _cd_pass(Xc, w, R, col_sq, l1, l2)
        else:
            _ista_step(Xc, w, R, step, l1, l2)
            R = yc - Xc @ w
        gap = _duality_gap(Xc, yc, w, R, l1, l2)
        if gap < target:
            break
    return LinearFit(w, float(ym - xm @ w), it, gap, bool(gap < target))


def lasso(X, y, alpha: float = 1.0, fit_intercept: bool = True, max_iter: int = 1000,
          tol: float = 1e-4, solver: str = "cd", coef_init=None) -> LinearFit:
    r"""Lasso, with scikit-learn ``Lasso``'s objective
    :math:`\frac{1}{2n}\lVert y - Xw - b\rVert^2 + \alpha\lVert w\rVert_1` (an unpenalized
    intercept, fitted by centring). It is :func:`elastic_net` with ``l1_ratio=1``.

    To minimise :math:`\tfrac12\lVert y - Xw\rVert^2 + \lambda\lVert w\rVert_1` instead,
    pass ``alpha = lambda / n``. For an orthonormal design the solution is the
    soft-thresholded least-squares solution, :math:`S_\lambda(X^\top y)`.

    Examples
    --------
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    >>> y = np.array([2.0, 0.1, -2.0, -0.1])
    >>> fit = lasso(X, y, alpha=0.1); fit.coef, fit.intercept
    (array([1.8, 0. ]), 0.0)
    """
    return elastic_net(X, y, alpha, 1.0, fit_intercept, max_iter, tol, solver, coef_init)
