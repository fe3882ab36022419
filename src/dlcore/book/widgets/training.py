r"""Explorers for chapter 8: robust regression losses, and reading a training run.

- :func:`outlier_explorer`: a line fitted to data with outliers under MSE, MAE and Huber.
  The fits are iteratively reweighted least squares whose weights
  :math:`w_i = \rho'(r_i)/r_i` come from each dlcore loss's own ``backward``.
- :func:`training_dashboard`: training and validation curves of a one-hidden-layer MLP on a
  noisy XOR problem, for a grid of learning rates, widths and weight decays. The grid is
  trained once, all configurations of a width at the same time (:func:`train_mlp_grid`), so
  moving a control only swaps curves.
"""

from __future__ import annotations

import numpy as np

from ...checks import check_int
from ...nn import BCEWithLogitsLoss, HuberLoss, L1Loss, Linear, MSELoss
from ...random import as_generator
from ..plotting import figure
from .explorer import Explorer
from .linear import line_data

__all__ = ["robust_line_fit", "outlier_data", "outlier_explorer", "noisy_xor", "train_mlp_grid",
           "training_dashboard"]


# -- robust regression ----------------------------------------------------------------------

def robust_line_fit(x, y, loss, iters: int = 100, floor: float = 1e-9, tol: float = 1e-10):
    r"""Fit :math:`y \approx w x + b` by minimising ``loss`` (a dlcore pointwise loss).

    Iteratively reweighted least squares: at the current residuals :math:`r_i`, solve the
    weighted least-squares problem with :math:`w_i = \rho'(r_i)/r_i`, where :math:`\rho'` is
    read from ``loss.backward()`` (``reduction="sum"``). Residuals are floored at ``floor`` in
    magnitude so that the L1 weight :math:`1/|r_i|` stays finite. For MSE the weights are
    constant and one step is ordinary least squares. Stops after ``iters`` steps or when the
    coefficients move by less than ``tol``.

    Returns
    -------
    (w, b) : floats

    Examples
    --------
    >>> from dlcore.nn import L1Loss, MSELoss
    >>> x = np.arange(5.0); y = np.array([1.0, 2.0, 3.0, 4.0, 31.0])   # one outlier
    >>> [round(v, 3) for v in robust_line_fit(x, y, MSELoss("sum"))]
    [6.2, -4.2]
    >>> [round(v, 3) for v in robust_line_fit(x, y, L1Loss("sum"))]
    [1.0, 1.0]
    """
    x, y = np.ravel(x), np.ravel(y)
    A = np.column_stack([x, np.ones_like(x)])
    coef = np.linalg.lstsq(A, y, rcond=None)[0]
    if loss.reduction != "sum":
        raise ValueError(f"robust_line_fit needs a loss with reduction='sum', got "
                         f"{loss.reduction!r}")
    for _ in range(iters):
        r = A @ coef - y
        r = np.where(r >= 0, 1.0, -1.0) * np.maximum(np.abs(r), floor)
        loss(r, np.zeros_like(r))
        weights = loss.backward() / r
        Aw = A * weights[:, None]
        previous, coef = coef, np.linalg.solve(A.T @ Aw, Aw.T @ y)
        if np.max(np.abs(coef - previous)) < tol * (1 + np.max(np.abs(coef))):
            break
    return float(coef[0]), float(coef[1])


def outlier_data(n: int = 30, n_outliers: int = 3, size: float = 10.0, rng=0):
    """:func:`~dlcore.book.widgets.linear.line_data` points (slope 1.5, intercept -0.5) with the
    ``n_outliers`` right-most points moved up by ``size``. Returns flat ``x, y`` of length n."""
    x, y = line_data(n, rng=rng)
    x, y = x[:, 0], y[:, 0].copy()
    y[np.argsort(x)[n - check_int("n_outliers", n_outliers, minimum=0):]] += size
    return x, y


def _robust_losses(delta):
    return {"MSE": MSELoss("sum"), "MAE": L1Loss("sum"), "Huber": HuberLoss("sum", delta)}


def outlier_explorer(rng=0) -> Explorer:
    """Sliders for the number and size of outliers and Huber's delta.

    Left: the data, the true line and the three fitted lines (``artists["MSE"]``,
    ``["MAE"]``, ``["Huber"]``, plus ``["points"]``). Right: the three losses of a residual
    (``artists["huber_curve"]`` moves with delta).
    """
    import ipywidgets as widgets

    grid = np.array([-1.0, 1.0])
    fig, (ax, ax_loss) = figure(ncols=2, width=8.4, height=3.3)
    points = ax.scatter([], [], s=14, color="0.3", zorder=3)
    ax.plot(grid, 1.5 * grid - 0.5, ":", color="0.4", label="truth")
    lines = {name: ax.plot(grid, grid, color=f"C{i}", lw=2, label=name)[0]
             for i, name in enumerate(["MSE", "MAE", "Huber"])}
    ax.set(xlim=(-1.05, 1.05), ylim=(-4, 22), xlabel="x", ylabel="y",
           title="Fits under each loss")
    ax.legend(loc="upper left", fontsize=8)
    r = np.linspace(-4, 4, 161)
    ax_loss.plot(r, r ** 2 / 2, color="C0", label="½ MSE")
    ax_loss.plot(r, np.abs(r), color="C1", label="MAE")
    (huber_curve,) = ax_loss.plot(r, r, color="C2", lw=2, label="Huber")
    ax_loss.set(xlim=(-4, 4), ylim=(0, 8), xlabel="residual r", ylabel="loss",
                title="Loss of one residual")
    ax_loss.legend(loc="upper center", fontsize=8)

    def redraw(n_outliers, size, delta):
        x, y = outlier_data(n_outliers=n_outliers, size=size, rng=rng)
        points.set_offsets(np.column_stack([x, y]))
        slopes = []
        for name, loss in _robust_losses(delta).items():
            w, b = robust_line_fit(x, y, loss)
            lines[name].set_ydata(w * grid + b)
            slopes.append(f"{name} {w:+.2f}")
        huber_curve.set_ydata(HuberLoss("none", delta)(r, np.zeros_like(r)))
        return "slope (truth +1.50): " + ", ".join(slopes)

    style = dict(continuous_update=False)
    controls = {
        "n_outliers": widgets.IntSlider(value=3, min=0, max=8, description="outliers", **style),
        "size": widgets.FloatSlider(value=10.0, min=0.0, max=20.0, step=0.5,
                                    description="outlier size", **style),
        # up to 10: beyond the largest MSE residual (about 7.6 in the default state) Huber is
        # MSE, which the reader should be able to reach
        "delta": widgets.FloatSlider(value=1.0, min=0.1, max=10.0, step=0.1,
                                     description="Huber δ", **style),
    }
    artists = {"points": points, "huber_curve": huber_curve, **lines}
    return Explorer(controls, fig, artists, redraw,
                    title="Outliers pull on MSE much harder than on MAE or Huber")


# -- a training run -------------------------------------------------------------------------

def noisy_xor(n: int, flip: float = 0.2, rng=None):
    """``x ~ U(-1, 1)^2``, label ``x1 * x2 > 0`` (0/1), each label flipped with probability
    ``flip``. Returns ``X (n, 2)`` and integer ``y (n,)``.

    Examples
    --------
    >>> X, y = noisy_xor(1000, flip=0.0, rng=0)
    >>> X.shape, bool(np.all(y == (X[:, 0] * X[:, 1] > 0)))
    ((1000, 2), True)
    """
    gen = as_generator(rng)
    X = gen.uniform(-1, 1, (check_int("n", n, minimum=1), 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    flipped = gen.random(n) < flip
    return X, np.where(flipped, 1 - y, y)


def _forward(params, X):
    W1, b1, w2, b2 = params
    Z = X @ W1 + b1[:, None, :]
    A = np.maximum(Z, 0.0)
    return Z, A, (A @ w2[:, :, None])[:, :, 0] + b2[:, None]


def _metrics(logits, y, loss):
    """Mean BCE and accuracy of each configuration's logits ``(K, N)`` against labels ``y``."""
    per = loss(logits, np.broadcast_to(np.asarray(y, float), logits.shape)).mean(axis=1)
    return per, ((logits > 0) == (y == 1)).mean(axis=1)


def _initial_parameters(widths, gen):
    """Torch-style initial weights for each width, zero-padded to the largest width.

    A padded unit has zero incoming weights, bias and outgoing weight; its pre-activation is
    0, ReLU's gradient there is 0, so it stays exactly zero under SGD with weight decay and the
    padded network computes what the narrow one does.
    """
    h = max(widths)
    padded = [np.zeros((len(widths), 2, h)), np.zeros((len(widths), h)),
              np.zeros((len(widths), h)), np.zeros(len(widths))]
    for i, width in enumerate(widths):
        first, second = Linear(2, width, rng=gen), Linear(width, 1, rng=gen)
        padded[0][i, :, :width] = first.weight.data.T
        padded[1][i, :width] = first.bias.data
        padded[2][i, :width] = second.weight.data[0]
        padded[3][i] = second.bias.data[0]
    return padded


def train_mlp_grid(X, y, X_val, y_val, widths, lrs, weight_decays, epochs: int,
                   momentum: float = 0.9, rng=0):
    r"""Train a ``Linear(2, width) -> ReLU -> Linear(width, 1)`` classifier for every
    (width, learning rate, weight decay) at once, full batch, with ``BCEWithLogitsLoss``.

    For each width, dlcore ``Linear(2, width)`` and ``Linear(width, 1)`` draw the initial
    weights from ``rng`` (widths in order); every learning rate and weight decay starts from
    those weights and takes the steps of ``dlcore.optim.SGD(lr, momentum,
    weight_decay=wd)``. All configurations are stacked along a leading axis (narrow networks
    zero-padded to the widest, which changes nothing), so one epoch is a handful of batched
    array operations. A configuration whose loss stops being finite (or passes 1e3) is frozen
    and its later records are NaN.

    Returns
    -------
    dict of arrays shaped ``(len(widths), len(lrs), len(weight_decays), epochs)``:
    ``train_loss`` and ``train_acc`` measured on the batch before each step (what
    ``dlcore.book.train.fit`` logs with full batches), ``val_loss`` and ``val_acc`` after it.
    """
    widths = [check_int("width", w, minimum=1) for w in widths]
    init = _initial_parameters(widths, as_generator(rng))
    shape = (len(widths), len(lrs), len(weight_decays))
    lr = np.broadcast_to(np.asarray(lrs, float)[None, :, None], shape).ravel()
    wd = np.broadcast_to(np.asarray(weight_decays, float)[None, None, :], shape).ravel()
    K, per_width = lr.size, lr.size // len(widths)
    params = [np.repeat(p, per_width, axis=0) for p in init]
    buffers = [None] * 4
    loss = BCEWithLogitsLoss(reduction="none")
    alive = np.ones(K, bool)
    out = {k: np.full((K, epochs), np.nan) for k in ("train_loss", "train_acc", "val_loss",
                                                     "val_acc")}
    for epoch in range(epochs):
        with np.errstate(over="ignore", invalid="ignore"):  # diverging runs are frozen below
            Z, A, logits = _forward(params, X)
            per, acc = _metrics(logits, y, loss)
            alive &= np.isfinite(per) & (per < 1e3)
            out["train_loss"][alive, epoch], out["train_acc"][alive, epoch] = per[alive], acc[alive]
            g = loss.backward(np.full(logits.shape, 1.0 / len(y)))
            dZ = (g[:, :, None] * params[2][:, None, :]) * (Z > 0)
            grads = [X.T @ dZ, dZ.sum(axis=1), (g[:, None, :] @ A)[:, 0], g.sum(axis=1)]
            for i, (p, grad) in enumerate(zip(params, grads)):
                col = (K,) + (1,) * (p.ndim - 1)
                grad = grad + wd.reshape(col) * p
                buffers[i] = grad if buffers[i] is None else momentum * buffers[i] + grad
                p -= np.where(alive.reshape(col), lr.reshape(col) * buffers[i], 0.0)
            per, acc = _metrics(_forward(params, X_val)[2], y_val, loss)
        out["val_loss"][alive, epoch], out["val_acc"][alive, epoch] = per[alive], acc[alive]
    return {k: v.reshape(shape + (epochs,)) for k, v in out.items()}


DASHBOARD_GRID = {"lr": (0.003, 0.03, 0.3, 3.0), "width": (2, 8, 24),
                  "weight_decay": (0.0, 0.003, 0.03)}


def training_dashboard(epochs: int = 100, n_train: int = 100, n_val: int = 200, rng=0,
                       grid=None) -> Explorer:
    """Learning rate, hidden width and weight decay of an MLP on :func:`noisy_xor` data
    (20% of the labels flipped): read the training and validation curves.

    Every configuration of ``grid`` (default :data:`DASHBOARD_GRID`) is trained when the
    dashboard is built (:func:`train_mlp_grid`, SGD with momentum 0.9, full batch), so a
    callback only swaps the curves. ``artists``: ``"train_loss"``, ``"val_loss"``,
    ``"train_acc"``, ``"val_acc"`` (lines over the epochs) and ``"best"`` (a vertical line at
    the epoch of lowest validation loss). ``explorer.runs[(lr, width, wd)]`` holds the curves.
    """
    import ipywidgets as widgets

    grid = dict(DASHBOARD_GRID if grid is None else grid)
    gen = as_generator(rng)
    X, y = noisy_xor(n_train, rng=gen)
    X_val, y_val = noisy_xor(n_val, rng=gen)
    curves = train_mlp_grid(X, y, X_val, y_val, grid["width"], grid["lr"],
                            grid["weight_decay"], epochs, rng=gen)
    runs = {(lr, width, wd): {k: v[a, b, c] for k, v in curves.items()}
            for a, width in enumerate(grid["width"]) for b, lr in enumerate(grid["lr"])
            for c, wd in enumerate(grid["weight_decay"])}

    fig, (ax_loss, ax_acc) = figure(ncols=2, width=8.4, height=3.2)
    t = np.arange(1, epochs + 1)
    artists = {}
    for ax, kind, ylim in [(ax_loss, "loss", (0.3, 1.0)), (ax_acc, "acc", (0.4, 1.0))]:
        for split, style in [("train", "-"), ("val", "--")]:
            artists[f"{split}_{kind}"] = ax.plot(t, np.full(epochs, np.nan), style,
                                                 color="C0" if split == "train" else "C1",
                                                 label=split)[0]
        ax.set(xlim=(0, epochs), ylim=ylim, xlabel="epoch",
               ylabel="BCE loss" if kind == "loss" else "accuracy")
        ax.legend(loc="upper right" if kind == "loss" else "lower right", fontsize=8)
    artists["best"] = ax_loss.axvline(0, color="0.5", lw=1, ls=":")
    ax_loss.axhline(np.log(2), color="0.8", lw=0.8)  # the loss of predicting 1/2 everywhere

    def redraw(lr, width, weight_decay):
        run = runs[(lr, width, weight_decay)]
        for name in ("train_loss", "val_loss", "train_acc", "val_acc"):
            artists[name].set_ydata(run[name])
        if np.isnan(run["val_loss"]).all():
            return "diverged at the first step"
        best = int(np.nanargmin(run["val_loss"]))
        artists["best"].set_xdata([best + 1, best + 1])
        last = int(np.flatnonzero(~np.isnan(run["val_loss"]))[-1])
        note = "" if last == epochs - 1 else f"; diverged (loss not finite) after epoch {last + 1}"
        return (f"lowest validation loss {run['val_loss'][best]:.3f} at epoch {best + 1}; "
                f"last epoch: train acc {run['train_acc'][last]:.2f}, "
                f"val acc {run['val_acc'][last]:.2f}{note}")

    def slider(name, label, value):
        return widgets.SelectionSlider(options=list(grid[name]), value=value, description=label,
                                       continuous_update=False)

    controls = {"lr": slider("lr", "learning rate", grid["lr"][2]),
                "width": slider("width", "width", grid["width"][1]),
                "weight_decay": slider("weight_decay", "weight decay", grid["weight_decay"][0])}
    explorer = Explorer(controls, fig, artists, redraw,
                        title="A training run: solid = training, dashed = validation")
    explorer.runs = runs
    return explorer
