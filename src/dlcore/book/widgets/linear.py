r"""Explorer for chapter 0: one ``Linear(1, 1)`` unit, its MSE loss and the gradient that
``backward`` returns, on a loss surface over (weight, bias)."""

from __future__ import annotations

import numpy as np

from ...nn import Linear, MSELoss
from ...random import as_generator
from ..plotting import figure
from .explorer import Explorer

__all__ = ["linear_fit_explorer", "line_data"]


def line_data(n: int = 20, slope: float = 1.5, intercept: float = -0.5, noise: float = 0.3,
              rng=0):
    """Points ``y = slope * x + intercept + noise`` with ``x`` uniform on [-1, 1], shaped
    ``(n, 1)`` as a ``Linear(1, 1)`` expects."""
    gen = as_generator(rng)
    x = gen.uniform(-1, 1, (n, 1))
    return x, slope * x + intercept + noise * gen.standard_normal((n, 1))


def _loss_and_grad(layer, loss_fn, x, y, w, b):
    layer.weight.data[...] = w
    layer.bias.data[...] = b
    layer.zero_grad()
    loss = loss_fn(layer(x), y)
    layer.backward(loss_fn.backward())
    return loss, float(layer.weight.grad[0, 0]), float(layer.bias.grad[0])


def linear_fit_explorer(rng=0) -> Explorer:
    """Sliders for the weight and bias of a ``Linear(1, 1)``: the fitted line on the left, the MSE surface with the current point and the negative gradient on the right.

    ``artists``: ``"line"`` (fitted line), ``"point"`` (current (w, b)), ``"arrow"`` (the
    step :math:`-0.25\\,\\nabla L`, an annotation whose ``xy`` is its head).
    """
    import ipywidgets as widgets

    x, y = line_data(rng=rng)
    layer, loss_fn = Linear(1, 1, rng=rng), MSELoss()
    ws, bs = np.linspace(-1, 4, 60), np.linspace(-3, 2, 60)
    surface = np.array([[np.mean((w * x[:, 0] + b - y[:, 0]) ** 2) for w in ws] for b in bs])

    fig, (ax_fit, ax_loss) = figure(ncols=2, width=8.0, height=3.4)
    ax_fit.scatter(x[:, 0], y[:, 0], s=14, color="0.3")
    grid = np.array([-1.0, 1.0])
    (line,) = ax_fit.plot(grid, grid, color="C0", lw=2)
    ax_fit.set(xlabel="x", ylabel="y", ylim=(-4, 3), title="Linear(1, 1) on the data")
    ax_loss.contour(ws, bs, np.log(surface), levels=15, cmap="viridis", linewidths=0.8)
    (point,) = ax_loss.plot([], [], "o", color="C3")
    arrow = ax_loss.annotate("", xy=(0, 0), xytext=(0, 0),
                             arrowprops=dict(arrowstyle="->", color="C3", lw=1.5))
    ax_loss.set(xlabel="weight w", ylabel="bias b", title="log MSE and the step -0.25 grad")

    def redraw(w, b):
        loss, gw, gb = _loss_and_grad(layer, loss_fn, x, y, w, b)
        line.set_ydata(w * grid + b)
        point.set_data([w], [b])
        arrow.set_position((w, b))
        arrow.xy = (w - 0.25 * gw, b - 0.25 * gb)
        return f"MSE = {loss:.4f}; dL/dw = {gw:+.4f}, dL/db = {gb:+.4f} (from backward)"

    controls = {
        "w": widgets.FloatSlider(value=0.0, min=-1, max=4, step=0.05, description="weight w"),
        "b": widgets.FloatSlider(value=1.0, min=-3, max=2, step=0.05, description="bias b"),
    }
    return Explorer(controls, fig, {"line": line, "point": point, "arrow": arrow}, redraw,
                    title="Move the parameters; the arrow is one gradient step")
