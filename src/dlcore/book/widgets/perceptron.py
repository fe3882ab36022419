r"""Explorers for chapter 1: the perceptron rule stepping through its updates, and a small
MLP's decision boundary as its width, learning rate and training time change."""

from __future__ import annotations

import numpy as np

from ...functional.activation import softmax
from ...maths.mlp import TwoLayerMLP
from ...maths.perceptron import Perceptron
from ...nn import CrossEntropyLoss
from ...optim import SGD
from ...random import as_generator
from ..data import make_moons, make_xor_blobs
from ..plotting import figure
from ..train import fit
from .explorer import Explorer

__all__ = ["separable_points", "boundary_segment", "perceptron_rule_explorer",
           "boundary_data", "mlp_boundary_explorer"]

LIMIT = 3.0  # both explorers draw the square [-LIMIT, LIMIT]^2


def separable_points(n: int = 30, margin: float = 0.3, rng=0):
    """``n`` points in :math:`[-2.5, 2.5]^2` labelled by the side of a fixed line
    :math:`x_2 = 0.5 x_1 + 0.3`, keeping only points farther than ``margin`` from it."""
    gen = as_generator(rng)
    X = np.empty((0, 2))
    while len(X) < n:
        cand = gen.uniform(-2.5, 2.5, (2 * n, 2))
        dist = (cand[:, 1] - 0.5 * cand[:, 0] - 0.3) / np.hypot(0.5, 1.0)
        X = np.vstack([X, cand[np.abs(dist) > margin]])
    X = X[:n]
    return X, (X[:, 1] - 0.5 * X[:, 0] - 0.3 > 0).astype(np.int64)


def boundary_segment(weight, bias, limit: float = LIMIT):
    r"""End points of the line :math:`w_1 x_1 + w_2 x_2 + b = 0` across the square
    :math:`[-\text{limit}, \text{limit}]^2`, solved for the coordinate with the larger
    weight (so steep lines stay accurate); empty lists when :math:`w = 0`.

    Examples
    --------
    >>> boundary_segment([1.0, 1.0], 0.0, limit=1.0)
    ([-1.0, 1.0], [1.0, -1.0])
    """
    w1, w2 = float(weight[0]), float(weight[1])
    if w1 == 0 and w2 == 0:
        return [], []
    ends = [-limit, limit]
    if abs(w2) >= abs(w1):
        return ends, [-(w1 * e + bias) / w2 for e in ends]
    return [-(w2 * e + bias) / w1 for e in ends], ends


_DATASETS = {
    "separable": lambda rng: separable_points(30, rng=rng),
    "XOR blobs": lambda rng: make_xor_blobs(40, std=0.35, rng=rng),
}


def perceptron_rule_explorer(epochs: int = 8, start: int = 30, rng=0) -> Explorer:
    """Step through Rosenblatt's rule one sample at a time on 2-D data.

    Controls: ``data`` (``"separable"`` or ``"XOR blobs"``), ``lr`` and ``update`` (how many
    samples the rule has visited; ``start`` at first, by default one epoch of the separable
    data). Left: the data, the decision line after that many visits, the sample just
    visited (ringed) and the currently misclassified points (crosses). Right: mistakes per
    epoch so far.

    ``artists``: ``"points"`` (scatter), ``"line"``, ``"current"``, ``"wrong"``,
    ``"mistakes"`` (the per-epoch curve).
    """
    import ipywidgets as widgets

    cache = {}

    def trajectory(data, lr):
        if (data, lr) not in cache:
            X, y = _DATASETS[data](rng)
            p = Perceptron(2, lr=lr)
            cache[data, lr] = (X, y, list(p.updates(X, y, epochs=epochs)))
        return cache[data, lr]

    fig, (ax, ax_m) = figure(ncols=2, width=7.2, height=3.1)
    points = ax.scatter([], [], c=[], cmap="coolwarm", vmin=0, vmax=1, s=22,
                        edgecolors="k", linewidths=0.4)
    (line,) = ax.plot([], [], color="k", lw=2)
    (current,) = ax.plot([], [], "o", ms=13, mfc="none", mec="C2", mew=2)
    (wrong,) = ax.plot([], [], "x", color="k", ms=7)
    ax.set(xlim=(-LIMIT, LIMIT), ylim=(-LIMIT, LIMIT), xlabel="$x_1$", ylabel="$x_2$",
           aspect="equal", title="decision line $w \\cdot x + b = 0$")
    (mistakes,) = ax_m.plot([], [], "o-", color="C3")
    n_max = max(len(_DATASETS[d](rng)[1]) for d in _DATASETS)
    ax_m.set(xlim=(0.5, epochs + 0.5), ylim=(-0.5, 0.6 * n_max), xlabel="epoch",
             ylabel="mistakes", title="mistakes per epoch")

    def redraw(data, lr, update):
        X, y, steps = trajectory(data, lr)
        points.set_offsets(X)
        points.set_array(y.astype(float))
        if update == 0:
            w, b, u = np.zeros(2), 0.0, None
        else:
            u = steps[min(update, len(steps)) - 1]
            w, b = u.weight, u.bias
        line.set_data(*boundary_segment(w, b))
        pred = (X @ w + b > 0).astype(np.int64)
        wrong.set_data(X[pred != y, 0], X[pred != y, 1])
        done = steps[:update]
        counts = np.bincount([s.epoch for s in done if s.mistake],
                             minlength=done[-1].epoch + 1 if done else 0)
        mistakes.set_data(np.arange(1, len(counts) + 1), counts)
        if u is None:
            current.set_data([], [])
            return "w = [0, 0], b = 0: nothing visited yet"
        current.set_data([X[u.index, 0]], [X[u.index, 1]])
        verdict = "mistake: update" if u.mistake else "correct: no change"
        return (f"epoch {u.epoch + 1}, sample {u.index}: target {u.target}, predicted "
                f"{u.prediction} ({verdict}); w = [{w[0]:+.2f}, {w[1]:+.2f}], b = {b:+.2f}; "
                f"{int((pred != y).sum())} points misclassified now")

    n_steps = epochs * n_max
    controls = {
        "data": widgets.Dropdown(options=list(_DATASETS), value="separable",
                                 description="data"),
        "lr": widgets.SelectionSlider(options=[0.1, 0.5, 1.0, 2.0], value=1.0,
                                      description="lr"),
        "update": widgets.IntSlider(value=start, min=0, max=n_steps, step=1,
                                    description="update"),
    }
    artists = {"points": points, "line": line, "current": current, "wrong": wrong,
               "mistakes": mistakes}
    return Explorer(controls, fig, artists, redraw,
                    title="The perceptron rule, one sample at a time")


_BOUNDARY_DATA = {
    "moons": lambda rng: make_moons(200, noise=0.15, rng=rng),
    "XOR blobs": lambda rng: make_xor_blobs(200, std=0.35, rng=rng),
}


def boundary_data(name: str, rng=0):
    """The data set ``name`` (``"moons"`` or ``"XOR blobs"``, 200 points each) that
    :func:`mlp_boundary_explorer` trains on with the same ``rng``: ``(X, y)``.

    Examples
    --------
    >>> X, y = boundary_data("moons", rng=0)
    >>> X.shape, int(y.sum())
    ((200, 2), 100)
    """
    if name not in _BOUNDARY_DATA:
        raise ValueError(f"boundary_data name must be one of {list(_BOUNDARY_DATA)}, "
                         f"got {name!r}")
    return _BOUNDARY_DATA[name](rng)


def mlp_boundary_explorer(max_epochs: int = 200, every: int = 20, grid: int = 50,
                          rng=0) -> Explorer:
    r"""The decision boundary of a ``TwoLayerMLP(2, width, 2)`` (ReLU, full-batch SGD with
    momentum 0.9, cross-entropy) on two-moons or XOR blobs.

    Controls: ``data``, ``width``, ``lr`` and ``epochs`` (all with
    ``continuous_update=False``). Each (data, width, lr) is trained once for
    ``max_epochs`` epochs, keeping the predicted :math:`P(y=1 \mid x)` on a ``grid`` x
    ``grid`` mesh every ``every`` epochs; moving ``epochs`` only looks the snapshot up.

    ``artists``: ``"surface"`` (the image of :math:`P(y=1 \mid x)`), ``"points"`` (the
    data), ``"loss"`` (training loss per epoch up to ``epochs``).

    ``trained``: every setting trained so far, ``{(data, width, lr): (X, y, snapshots,
    losses, accuracy)}``, with the training loss of every epoch and the training accuracy
    after ``max_epochs`` epochs (what the status line reports).
    """
    import ipywidgets as widgets

    ticks = np.linspace(-LIMIT, LIMIT, grid)
    mesh = np.stack(np.meshgrid(ticks, ticks), axis=-1).reshape(-1, 2)
    cache = {}

    def train(data, width, lr):
        key = (data, width, lr)
        if key not in cache:
            X, y = boundary_data(data, rng)
            net = TwoLayerMLP(2, width, 2, rng=rng)
            opt, loss_fn = SGD(net.parameters(), lr=lr, momentum=0.9), CrossEntropyLoss()
            snaps, losses = [softmax(net(mesh), dim=1)[:, 1].reshape(grid, grid)], []
            for _ in range(max_epochs // every):
                losses += fit(net, loss_fn, opt, X, y, epochs=every, shuffle=False).train_loss
                snaps.append(softmax(net(mesh), dim=1)[:, 1].reshape(grid, grid))
            accuracy = float(((net(X)[:, 1] > net(X)[:, 0]) == y).mean())
            cache[key] = (X, y, snaps, np.array(losses), accuracy)
        return cache[key]

    fig, (ax, ax_l) = figure(ncols=2, width=7.2, height=3.1)
    from matplotlib import colormaps

    # ten probability bands (0-0.1, ..., 0.9-1): the 0.5 boundary reads as a band edge, and
    # flat colours keep the PNG small and quick to encode
    bands = colormaps["coolwarm"].resampled(10)
    surface = ax.imshow(np.zeros((grid, grid)), origin="lower", cmap=bands, vmin=0, vmax=1,
                        alpha=0.55, interpolation="bilinear",
                        extent=(-LIMIT, LIMIT, -LIMIT, LIMIT))
    points = ax.scatter([], [], c=[], cmap="coolwarm", vmin=0, vmax=1, s=9, linewidths=0)
    ax.set(xlim=(-LIMIT, LIMIT), ylim=(-LIMIT, LIMIT), xlabel="$x_1$", ylabel="$x_2$",
           title="$P(y = 1 \\mid x)$")
    (loss_line,) = ax_l.plot([], [], color="C0")
    ax_l.set(xlim=(0, max_epochs), ylim=(0, 0.8), xlabel="epoch",
             ylabel="training loss", title="cross-entropy")

    def redraw(data, width, lr, epochs):
        X, y, snaps, losses, accuracy = train(data, width, lr)
        surface.set_data(snaps[epochs // every])
        points.set_offsets(X)
        points.set_array(y.astype(float))
        loss_line.set_data(np.arange(1, epochs + 1), losses[:epochs])
        now = f"{losses[epochs - 1]:.3f}" if epochs else "-"
        return (f"{data}, width {width}, lr {lr}: training loss after {epochs} epochs "
                f"{now}; accuracy after {max_epochs} epochs {accuracy:.1%}")

    def slider(cls, **kw):
        return cls(continuous_update=False, **kw)

    controls = {
        "data": widgets.Dropdown(options=list(_BOUNDARY_DATA), value="moons",
                                 description="data"),
        "width": slider(widgets.SelectionSlider, options=[1, 2, 4, 8, 16, 32], value=8,
                        description="width"),
        "lr": slider(widgets.SelectionSlider, options=[0.01, 0.03, 0.1, 0.3], value=0.1,
                     description="lr"),
        "epochs": slider(widgets.IntSlider, value=max_epochs, min=0, max=max_epochs,
                         step=every, description="epochs"),
    }
    explorer = Explorer(controls, fig, {"surface": surface, "points": points, "loss": loss_line},
                        redraw, title="A small MLP's decision boundary")
    explorer.trained = cache
    return explorer
