r"""Explorers for chapter 5: L1 vs L2 coefficient paths, and an over-fitting explorer with
early stopping.

Everything is precomputed when the explorer is built; a callback only looks results up and
moves artists, so it stays well under the 50 ms budget.
"""

from __future__ import annotations

import numpy as np

from ...maths.early_stopping import EarlyStopping
from ...maths.penalized_regression import lasso, ridge
from ...random import as_generator
from ..plotting import figure
from .explorer import Explorer

__all__ = ["reg02_problem", "coefficient_paths", "coefficient_path_explorer",
           "gd_learning_curves", "overfitting_explorer"]

W_TRUE = np.array([3.0, -2.0, 1.5, 0, 0, 0, 0, 0, 0, 0.5])


def reg02_problem(n_train: int = 50, n_test: int = 1000, rng=0):
    r"""The chapter's shared regression problem: :math:`X \sim \mathcal N(0, I_{10})`,
    :math:`y = X w_{true} + \mathcal N(0, 1)` with
    :math:`w_{true} = [3, -2, 1.5, 0, 0, 0, 0, 0, 0, 0.5]`.

    Returns ``X_train, y_train, X_test, y_test`` (train drawn first from ``rng``)."""
    gen = as_generator(rng)
    X = gen.standard_normal((n_train, 10))
    y = X @ W_TRUE + gen.standard_normal(n_train)
    Xt = gen.standard_normal((n_test, 10))
    return X, y, Xt, Xt @ W_TRUE + gen.standard_normal(n_test)


def _two_panels():
    """Two side-by-side axes with a fixed layout (constrained layout is slow to draw)."""
    fig, axes = figure(ncols=2, width=7.8, height=3.1)
    fig.set_layout_engine("none")
    for ax, left in zip(axes, (0.09, 0.59)):
        ax.set_position([left, 0.17, 0.39, 0.73])
    return fig, axes


def coefficient_paths(X, y, alphas):
    r"""Lasso and ridge coefficients along ``alphas`` on the same scale of objective,
    :math:`\frac{1}{2n}\lVert y - Xw - b\rVert^2 + \alpha\,\Omega(w)` with
    :math:`\Omega = \lVert w\rVert_1` (lasso, warm-started coordinate descent) or
    :math:`\tfrac12\lVert w\rVert_2^2` (ridge, i.e. scikit-learn's ``Ridge(alpha=n*alpha)``).

    Returns two arrays of shape ``(len(alphas), n_features)``."""
    n = len(X)
    l1, l2, w = [], [], None
    for a in alphas:
        fit = lasso(X, y, a, tol=1e-10, max_iter=5000, coef_init=w)
        w = fit.coef
        l1.append(w)
        l2.append(ridge(X, y, n * a).coef)
    return np.array(l1), np.array(l2)


def coefficient_path_explorer(X=None, y=None, alphas=None, rng=0) -> Explorer:
    """Slide :math:`\\alpha`: the lasso path (left) drops coefficients to exactly 0 one by one,
    the ridge path (right) shrinks them all smoothly and none reaches 0.

    ``X, y`` default to :func:`reg02_problem` drawn with ``rng``. ``artists``:
    ``"l1_at"``/``"l2_at"`` (vertical lines at the current alpha) and
    ``"l1_points"``/``"l2_points"`` (the coefficients at that alpha).
    """
    import ipywidgets as widgets

    if X is None or y is None:
        X, y = reg02_problem(rng=rng)[:2]
    alphas = np.logspace(-3, 1, 41) if alphas is None else np.sort(np.asarray(alphas, float))
    l1, l2 = coefficient_paths(X, y, alphas)
    fig, axes = _two_panels()
    artists = {}
    for ax, path, key, title in ((axes[0], l1, "l1", "L1 (lasso)"), (axes[1], l2, "l2",
                                                                         "L2 (ridge)")):
        ax.semilogx(alphas, path, lw=1.2)
        ax.axhline(0, color="0.5", lw=0.6)
        artists[f"{key}_at"] = ax.axvline(alphas[0], color="k", ls="--", lw=1)
        artists[f"{key}_points"] = ax.scatter(np.full(path.shape[1], alphas[0]), path[0],
                                              c=[f"C{i % 10}" for i in range(path.shape[1])],
                                              s=22, zorder=3)
        ax.set(xlabel=r"$\alpha$", title=title, xlim=(alphas[0], alphas[-1]),
               ylim=(min(l1.min(), l2.min()) - 0.3, max(l1.max(), l2.max()) + 0.3))
    axes[0].set_ylabel("coefficient")

    def redraw(alpha):
        i = int(np.argmin(np.abs(np.log(alphas) - np.log(alpha))))
        for key, path in (("l1", l1), ("l2", l2)):
            artists[f"{key}_at"].set_xdata([alphas[i], alphas[i]])
            artists[f"{key}_points"].set_offsets(np.column_stack(
                [np.full(path.shape[1], alphas[i]), path[i]]))
        return (f"alpha = {alphas[i]:.3g}: lasso has {int(np.sum(l1[i] == 0))} of "
                f"{l1.shape[1]} coefficients exactly 0, ridge has {int(np.sum(l2[i] == 0))}")

    options = [(f"{a:.3g}", float(a)) for a in alphas]
    controls = {"alpha": widgets.SelectionSlider(options=options, value=float(alphas[20 if
                len(alphas) > 20 else 0]), description="alpha", continuous_update=False)}
    return Explorer(controls, fig, artists, redraw,
                    title="Coefficient paths: where L1 sets weights to exactly 0")


def _legendre(x, degree):
    return np.polynomial.legendre.legvander(x, degree)


def gd_learning_curves(Phi, y, Phi_val, y_val, alpha, epochs):
    r"""Train and validation MSE of full-batch gradient descent, in closed form.

    GD from :math:`w_0 = 0` with step :math:`\eta = 1/\lambda_{\max}(H)` on
    :math:`\frac{1}{2n}\lVert \Phi w - y\rVert^2 + \frac{\alpha}{2}\lVert w_{1:}\rVert^2`
    (the constant feature is not penalized) follows
    :math:`w_t = w^\ast - Q(1 - \eta\Lambda)^t Q^\top w^\ast` with :math:`H = Q\Lambda Q^\top`,
    so any epoch is one matrix product away. Returns ``train, val`` (shape ``(len(epochs),)``)
    and ``weights`` of shape ``(len(epochs), n_features)``."""
    n, p = Phi.shape
    D = np.eye(p)
    D[0, 0] = 0.0
    H = Phi.T @ Phi / n + alpha * D
    lam, Q = np.linalg.eigh(H)
    lam = np.maximum(lam, 0.0)
    w_star = np.linalg.lstsq(H, Phi.T @ y / n, rcond=None)[0]
    decay = (1.0 - lam / lam[-1])[None, :] ** np.asarray(epochs, float)[:, None]
    W = w_star - (decay * (Q.T @ w_star)) @ Q.T
    train = np.mean((W @ Phi.T - y) ** 2, axis=1)
    val = np.mean((W @ Phi_val.T - y_val) ** 2, axis=1)
    return train, val, W


def overfitting_explorer(rng=0, patience: int = 10) -> Explorer:
    """Polynomial regression of :math:`\\sin(3x)` plus noise, trained by gradient descent:
    choose the capacity (degree), the training-set size and the L2 penalty; see train and
    validation MSE against the epoch and where early stopping (``patience`` checks, on 120
    log-spaced epochs) would stop.

    ``artists``: ``"train_curve"``, ``"val_curve"``, ``"stop"`` (marker at the restored
    best epoch), ``"points"`` (training data), ``"fit_best"`` and ``"fit_final"``.
    """
    import ipywidgets as widgets

    gen = as_generator(rng)
    degrees, sizes, alphas = (1, 3, 5, 9, 15), (10, 20, 40, 80), (0.0, 1e-4, 1e-3, 1e-2, 1e-1)
    x_pool = gen.uniform(-1, 1, max(sizes))
    y_pool = np.sin(3 * x_pool) + 0.3 * gen.standard_normal(len(x_pool))
    x_val = gen.uniform(-1, 1, 200)
    y_val = np.sin(3 * x_val) + 0.3 * gen.standard_normal(200)
    grid = np.linspace(-1, 1, 120)
    epochs = np.unique(np.round(np.logspace(0, 6, 120)).astype(int))
    table = {}
    for d in degrees:
        for n in sizes:
            for a in alphas:
                tr, va, W = gd_learning_curves(_legendre(x_pool[:n], d), y_pool[:n],
                                               _legendre(x_val, d), y_val, a, epochs)
                table[d, n, a] = (tr, va, W @ _legendre(grid, d).T)

    fig, (ax_c, ax_f) = _two_panels()
    (train_curve,) = ax_c.loglog(epochs, epochs * 0 + 1, color="C0", label="train")
    (val_curve,) = ax_c.loglog(epochs, epochs * 0 + 1, color="C3", label="validation")
    (stop,) = ax_c.plot([], [], "kv", ms=8, label="early stop: best epoch")
    ax_c.set(xlabel="epoch", ylabel="MSE", ylim=(1e-3, 3), xlim=(1, epochs[-1]),
             title="learning curves")
    ax_c.legend(loc="lower left", fontsize=8)
    ax_f.plot(grid, np.sin(3 * grid), color="0.6", lw=1, label="sin(3x)")
    points = ax_f.scatter(x_pool, y_pool, s=14, color="k", zorder=3)
    (fit_best,) = ax_f.plot(grid, grid * 0, color="C2", label="at early stop")
    (fit_final,) = ax_f.plot(grid, grid * 0, color="C3", ls="--", label="last epoch")
    ax_f.set(xlabel="x", ylabel="y", ylim=(-2.2, 2.2), xlim=(-1, 1), title="fits",
             xticks=[-1, -0.5, 0, 0.5, 1])
    ax_f.legend(loc="lower right", fontsize=8)

    def redraw(degree, n_train, alpha):
        tr, va, fits = table[degree, n_train, alpha]
        stopper = EarlyStopping(patience=patience, restore_best_weights=False)
        for v in va:
            if stopper.step(v):
                break
        b = stopper.best_epoch
        train_curve.set_ydata(np.clip(tr, 1e-3, 3))
        val_curve.set_ydata(np.clip(va, 1e-3, 3))
        stop.set_data([epochs[b]], [np.clip(va[b], 1e-3, 3)])
        points.set_offsets(np.column_stack([x_pool[:n_train], y_pool[:n_train]]))
        fit_best.set_ydata(np.clip(fits[b], -3, 3))
        fit_final.set_ydata(np.clip(fits[-1], -3, 3))
        where = ("stops at epoch " + str(epochs[stopper.stopped_epoch])
                 if stopper.stopped_epoch is not None else "never stops")
        return (f"early stopping {where}, restores epoch {epochs[b]}: validation MSE "
                f"{va[b]:.3f} (last epoch {va[-1]:.3f}, train {tr[-1]:.3f})")

    controls = {
        "degree": widgets.SelectionSlider(options=list(degrees), value=9, description="degree"),
        "n_train": widgets.SelectionSlider(options=list(sizes), value=20,
                                           description="n train"),
        "alpha": widgets.SelectionSlider(options=list(alphas), value=0.0,
                                         description="L2 alpha"),
    }
    return Explorer(controls, fig, {"train_curve": train_curve, "val_curve": val_curve,
                                    "stop": stop, "points": points, "fit_best": fit_best,
                                    "fit_final": fit_final}, redraw,
                    title="Over-fitting: capacity, data and penalty vs the epoch")
