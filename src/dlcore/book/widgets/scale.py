"""Chapter 12's explorers: the roofline with this machine's measured points, and stale-gradient
descent on a quadratic as the staleness and the learning rate change."""

from __future__ import annotations

import numpy as np

from ...maths.roofline import attainable
from ...parallel import delay_stability_limit, stale_gradient_descent
from ..plotting import figure
from .explorer import Explorer

__all__ = ["roofline_explorer", "stale_sgd_explorer"]


def roofline_explorer(points: dict, peak_flops: float, bandwidth: float) -> Explorer:
    """Arithmetic intensity -> attainable FLOP/s, with measured operations as points.

    Parameters
    ----------
    points : dict
        ``{name: (intensity, measured_flops_per_s)}`` of this machine's measurements.
    peak_flops, bandwidth : float
        The roofline's initial peak (FLOP/s) and memory bandwidth (bytes/s).

    ``artists``: ``"roof"`` (the line min(peak, bandwidth·I)), ``"ridge"`` (a marker at the
    ridge point I = peak/bandwidth) and ``"probe"`` (the attainable FLOP/s at the intensity of
    the slider); ``explorer.points`` is the scatter of the measurements. The sliders scale the peak and the
    bandwidth by powers of ten (to imagine a GPU) and move the probe intensity.
    """
    import ipywidgets as widgets

    fig, ax = figure(width=5.2, height=3.2)
    grid = np.logspace(-2, 3, 200)
    (roof,) = ax.plot([], [], "k-", lw=1.5, label="roofline")
    (ridge,) = ax.plot([], [], "ko", ms=5)
    names = list(points)
    xs = np.array([points[n][0] for n in names], dtype=float)
    ys = np.array([points[n][1] for n in names], dtype=float)
    scat = ax.scatter(xs, ys, c=[f"C{i % 10}" for i in range(len(names))], zorder=3)
    for n, x, y in zip(names, xs, ys):
        ax.annotate(n, (x, y), fontsize=6, xytext=(3, 3), textcoords="offset points")
    (probe,) = ax.plot([], [], "r*", ms=10)
    ax.set(xscale="log", yscale="log", xlabel="arithmetic intensity (FLOP/byte)",
           ylabel="FLOP/s", xlim=(grid[0], grid[-1]),
           ylim=(max(ys.min(), 1.0) / 30, peak_flops * 3e3))
    controls = {
        "log_peak_gain": widgets.FloatSlider(value=0.0, min=0.0, max=3.0, step=0.25,
                                             description="log10 peak x", continuous_update=False),
        "log_bw_gain": widgets.FloatSlider(value=0.0, min=0.0, max=3.0, step=0.25,
                                           description="log10 bw x", continuous_update=False),
        "log_intensity": widgets.FloatSlider(value=0.0, min=-2.0, max=3.0, step=0.1,
                                             description="log10 I", continuous_update=False),
    }

    def redraw(log_peak_gain, log_bw_gain, log_intensity):
        peak, bw = peak_flops * 10 ** log_peak_gain, bandwidth * 10 ** log_bw_gain
        roof.set_data(grid, attainable(peak, bw, grid))
        ridge.set_data([peak / bw], [peak])
        i = 10 ** log_intensity
        probe.set_data([i], [attainable(peak, bw, i)])
        bound = "memory-bound" if i < peak / bw else "compute-bound"
        return (f"ridge at {peak / bw:.3g} FLOP/byte; at I = {i:.3g} the kernel is {bound}, "
                f"at most {attainable(peak, bw, i):.3g} FLOP/s")

    # the measured points never move: drawn once with the background, not re-blitted
    explorer = Explorer(controls, fig, {"roof": roof, "ridge": ridge, "probe": probe}, redraw,
                        title="Roofline")
    explorer.points = scat
    return explorer


def stale_sgd_explorer(curvature: float = 1.0, steps: int = 60) -> Explorer:
    r"""Gradient descent with a gradient ``tau`` steps old on :math:`f(w) = \lambda w^2/2`.

    ``artists``: ``"path"`` (:math:`|w_t|` against t, log scale) and ``"limit"`` (a marker
    at the critical :math:`\eta\lambda` of this tau on the stability panel, whose line shows
    the limit against tau) and
    ``"here"`` (the current :math:`\eta\lambda`).
    """
    import ipywidgets as widgets

    fig, (ax, ax2) = figure(ncols=2, width=6.4, height=2.7)
    (path,) = ax.plot([], [], "C0-", lw=1.3)
    ax.set(yscale="log", xlabel="step t", ylabel="|w_t|", xlim=(0, steps), ylim=(1e-6, 1e6),
           title="stale gradient descent")
    taus = np.arange(0, 17)
    limits = [delay_stability_limit(int(t)) for t in taus]  # once: the callback looks them up
    ax2.plot(taus, limits, "k.-", lw=1)
    ax2.set(xlabel="staleness tau", ylabel="critical eta*lambda", yscale="log",
            title="stability limit 2 sin(pi/(2(2tau+1)))")
    (limit,) = ax2.plot([], [], "C3o", ms=7)
    (here,) = ax2.plot([], [], "C0x", ms=9)
    controls = {
        "tau": widgets.IntSlider(value=2, min=0, max=16, description="tau"),
        "lr": widgets.FloatLogSlider(value=0.3, base=10, min=-2, max=0.3, step=0.05,
                                     description="eta"),
    }

    def redraw(tau, lr):
        w = stale_gradient_descent(lambda v: curvature * v, [1.0], lr, tau, steps)[:, 0]
        shown = np.clip(np.nan_to_num(np.abs(w), nan=1e6, posinf=1e6), 1e-7, 1e6)
        path.set_data(np.arange(steps + 1), shown)
        crit = limits[tau]
        limit.set_data([tau], [crit])
        here.set_data([tau], [lr * curvature])
        verdict = "converges" if lr * curvature < crit else "diverges"
        return f"eta*lambda = {lr * curvature:.3g}, limit {crit:.3g} for tau = {tau}: {verdict}"

    return Explorer(controls, fig, {"path": path, "limit": limit, "here": here}, redraw,
                    title="Stale gradients")
