r"""The optimizer playground for chapter 6: a 2-D surface, a start point, four optimizers
with their hyper-parameters, their trajectories on the contour plot and the loss against the
step number."""

from __future__ import annotations

import numpy as np

from ...maths.surfaces import SURFACES, trajectory
from ...optim import SGD, Adam, RMSprop
from ..plotting import figure
from .explorer import Explorer

__all__ = ["optimizer_playground", "playground_runs"]

NAMES = ("GD", "momentum", "RMSprop", "Adam")


def playground_runs(surface, start, steps, sgd_lr, momentum, rmsprop_lr, adam_lr) -> dict:
    """The four runs the playground draws: ``{name: (path, losses)}`` from
    :func:`dlcore.maths.surfaces.trajectory` (GD and heavy-ball momentum share ``sgd_lr``)."""
    makers = {
        "GD": lambda p: SGD(p, lr=sgd_lr),
        "momentum": lambda p: SGD(p, lr=sgd_lr, momentum=momentum),
        "RMSprop": lambda p: RMSprop(p, lr=rmsprop_lr),
        "Adam": lambda p: Adam(p, lr=adam_lr),
    }
    return {name: trajectory(surface, start, make, steps) for name, make in makers.items()}


class _Playground(Explorer):
    """An Explorer that redraws its static background when the surface changes."""

    def refresh(self) -> None:
        if self.values()["surface"] != getattr(self, "_drawn_surface", None):
            self._background = None
            self._drawn_surface = self.values()["surface"]
        super().refresh()


def _finite(a: np.ndarray, bound: float = 1e6) -> np.ndarray:
    """Diverged runs drawn as far-away points instead of inf/NaN."""
    return np.clip(np.nan_to_num(a, nan=bound, posinf=bound, neginf=-bound), -bound, bound)


def optimizer_playground(surface: str = "rosenbrock", steps: int = 100) -> Explorer:
    """Pick a surface and a start point; tune GD, momentum, RMSprop and Adam; see the paths.

    ``artists``: ``"paths"`` (one line per optimizer on the contour plot, in the order
    GD, momentum, RMSprop, Adam), ``"start"`` (the start marker) and ``"losses"`` (one line
    per optimizer of :math:`f - f^*` against the step, log scale). Changing the surface moves
    the start point to that surface's customary start.
    """
    import ipywidgets as widgets

    fig, (ax, ax_loss) = figure(ncols=2, width=7.2, height=3.0)
    paths = [ax.plot([], [], "-", lw=1.3, color=f"C{i}", label=n)[0]
             for i, n in enumerate(NAMES)]
    (start_marker,) = ax.plot([], [], "k*", ms=10)
    losses = [ax_loss.plot([], [], color=f"C{i}", lw=1.3, label=n)[0]
              for i, n in enumerate(NAMES)]
    ax_loss.set(yscale="log", xlabel="step", ylabel="f - f*", title="loss above the minimum")
    ax_loss.legend(fontsize=7, loc="lower left")
    state = {"surface": None, "contour": None, "minimum": 0.0, "markers": None}

    def draw_surface(name):
        s = SURFACES[name]()
        X, Y, F = s.grid(90)
        f_min = float(s.value(*s.minima[0]))
        if state["contour"] is not None:
            state["contour"].remove()
            state["markers"].remove()
        state["contour"] = ax.contour(X, Y, np.log10(F - f_min + 1e-3), levels=12,
                                      cmap="viridis", linewidths=0.7)
        (state["markers"],) = ax.plot(*np.array(s.minima).T, "rx", ms=7)
        ax.set(xlim=s.xlim, ylim=s.ylim, xlabel="x", ylabel="y", title=s.name)
        ax_loss.set(xlim=(0, controls["steps"].max), ylim=(1e-10, 10 * (F.max() - f_min)))
        state.update(surface=s, name=name, minimum=f_min)
        controls["x0"].value, controls["y0"].value = s.start  # re-enters refresh once
        return s

    def redraw(surface, x0, y0, steps, sgd_lr, momentum, rmsprop_lr, adam_lr):
        if surface != state.get("name"):
            s = draw_surface(surface)
            x0, y0 = s.start
        s = state["surface"]
        runs = playground_runs(s, (x0, y0), steps, sgd_lr, momentum, rmsprop_lr, adam_lr)
        start_marker.set_data([x0], [y0])
        for line, loss_line, (path, loss) in zip(paths, losses, runs.values()):
            line.set_data(*_finite(path).T)
            gap = _finite(loss - state["minimum"])
            loss_line.set_data(np.arange(len(loss)), np.maximum(gap, 1e-12))
        return "final f - f*: " + ", ".join(
            f"{n} {float(r[1][-1] - state['minimum']):.2e}" for n, r in runs.items())

    slider = dict(continuous_update=False, style={"description_width": "initial"})
    controls = {
        "surface": widgets.Dropdown(options=list(SURFACES), value=surface,
                                    description="surface"),
        "x0": widgets.FloatSlider(value=0.0, min=-2.0, max=4.5, step=0.05,
                                  description="start x", **slider),
        "y0": widgets.FloatSlider(value=0.0, min=-1.5, max=3.0, step=0.05,
                                  description="start y", **slider),
        "steps": widgets.IntSlider(value=steps, min=10, max=300, step=10,
                                   description="steps", **slider),
        "sgd_lr": widgets.FloatLogSlider(value=1e-3, base=10, min=-5, max=0, step=0.1,
                                         description="GD/momentum lr", **slider),
        "momentum": widgets.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01,
                                        description="momentum", **slider),
        "rmsprop_lr": widgets.FloatLogSlider(value=1e-2, base=10, min=-4, max=0, step=0.1,
                                             description="RMSprop lr", **slider),
        "adam_lr": widgets.FloatLogSlider(value=1e-1, base=10, min=-4, max=0, step=0.1,
                                          description="Adam lr", **slider),
    }
    return _Playground(controls, fig, {"paths": paths, "start": start_marker,
                                       "losses": losses}, redraw,
                       title="Optimizer playground: paths on the surface, loss per step")
