r"""Explorer for the normalization chapter: one feature through ``BatchNorm1d``.

Inputs :math:`x \sim \mathcal N(\text{shift}, \text{scale}^2)` arrive in batches; the left
panel is one batch before batch norm, the middle panel the same batch after it in training
mode (batch statistics, then :math:`\gamma, \beta`) and in evaluation mode (running
statistics), the right panel the running mean converging towards the data mean for the chosen
momentum.
"""

from __future__ import annotations

import numpy as np

from ...maths.gaussian import normal_pdf
from ...nn import BatchNorm1d
from ...random import as_generator
from ..plotting import figure
from .explorer import Explorer

__all__ = ["batch_stream", "simulate_batch_norm", "batch_norm_explorer"]

_STEPS = 40
_MAX_BATCH = 256
_EDGES = np.linspace(-8.0, 8.0, 41)


def batch_stream(steps: int = _STEPS, max_batch: int = _MAX_BATCH, rng=0) -> np.ndarray:
    """Standard normal draws of shape ``(steps, max_batch)``; batch ``t`` of size ``n`` with
    shift ``a`` and scale ``s`` is ``a + s * Z[t, :n]``, so the sliders move the same samples.

    Examples
    --------
    >>> batch_stream(steps=3, max_batch=5, rng=0).shape
    (3, 5)
    """
    return as_generator(rng).standard_normal((steps, max_batch))


def simulate_batch_norm(z: np.ndarray, batch_size: int, shift: float, scale: float,
                        gamma: float, beta: float, momentum: float):
    r"""What a ``BatchNorm1d(1)`` does on the batches ``shift + scale * z[t, :batch_size]``.

    The running statistics follow PyTorch's recurrence
    :math:`r_t = (1 - m)\, r_{t-1} + m\, s_t` from :math:`r_0 = 0` (mean) and :math:`1`
    (unbiased variance), evaluated for all batches at once as a linear filter; the training-
    and evaluation-mode outputs of the first batch come from the layer itself (the tests check
    the trajectory against the layer run batch by batch).

    Returns a dict with ``x`` (the first batch, shape ``(batch_size,)``), ``train`` (its
    training-mode output), ``eval`` (its evaluation-mode output after all the batches),
    ``running_mean`` and ``running_var`` (after each batch, shape ``(steps,)``).

    Examples
    --------
    >>> out = simulate_batch_norm(batch_stream(rng=0), 16, 3.0, 2.0, 1.0, 0.0, momentum=1.0)
    >>> round(float(out["train"].mean()), 12), round(float(out["train"].std()), 4)
    (0.0, 1.0)
    >>> bool(out["running_mean"][0] == out["x"].mean())  # momentum 1: the last batch's mean
    True
    """
    from scipy.signal import lfilter

    batches = shift + scale * z[:, :batch_size]

    def running(stat, start):
        return lfilter([momentum], [1.0, momentum - 1.0], stat, zi=[(1.0 - momentum) * start])[0]

    running_mean = running(batches.mean(axis=1), 0.0)
    running_var = running(batches.var(axis=1, ddof=1), 1.0)
    bn = BatchNorm1d(1, momentum=momentum)
    bn.weight.data[...] = gamma
    bn.bias.data[...] = beta
    train_out = bn(batches[0, :, None])[:, 0]
    bn.running_mean[...] = running_mean[-1]
    bn.running_var[...] = running_var[-1]
    eval_out = bn.eval()(batches[0, :, None])[:, 0]
    return {"x": batches[0], "train": train_out, "eval": eval_out,
            "running_mean": running_mean, "running_var": running_var}


def _density(values: np.ndarray) -> np.ndarray:
    counts, _ = np.histogram(values, bins=_EDGES)
    return counts / (len(values) * np.diff(_EDGES))


def batch_norm_explorer(rng=0) -> Explorer:
    """Sliders for the batch (size, shift, scale), :math:`\\gamma`, :math:`\\beta` and momentum.

    ``artists``: ``"before"``, ``"after_train"``, ``"after_eval"`` (``StepPatch`` histograms
    over fixed bins, as densities), ``"input_pdf"`` and ``"output_pdf"`` (the densities of
    :math:`\\mathcal N(\\text{shift}, \\text{scale}^2)` and
    :math:`\\mathcal N(\\beta, \\gamma^2)`), ``"running"`` (running mean after each batch) and
    ``"target"`` (the data mean).
    """
    import ipywidgets as widgets

    z = batch_stream(rng=rng)
    fig, (ax_in, ax_out, ax_run) = figure(ncols=3, width=8.4, height=2.7, dpi=72)
    grid = np.linspace(_EDGES[0], _EDGES[-1], 200)
    zeros = np.zeros(len(_EDGES) - 1)
    before = ax_in.stairs(zeros, _EDGES, fill=True, color="C0", alpha=0.6)
    (input_pdf,) = ax_in.plot(grid, grid * 0, color="C0", lw=1.2)
    after_train = ax_out.stairs(zeros, _EDGES, fill=True, color="C1", alpha=0.5,
                                label="train mode")
    after_eval = ax_out.stairs(zeros, _EDGES, color="C3", lw=1.5, label="eval mode")
    (output_pdf,) = ax_out.plot(grid, grid * 0, color="0.3", lw=1, ls="--",
                                label=r"$\mathcal{N}(\beta, \gamma^2)$")
    steps = np.arange(1, _STEPS + 1)
    (running,) = ax_run.plot(steps, steps * 0.0, color="C2", lw=1.8, label="running_mean")
    (target,) = ax_run.plot([1, _STEPS], [0, 0], color="0.3", ls="--", lw=1, label="data mean")
    for ax, title in ((ax_in, "batch before BN"), (ax_out, "after BN")):
        ax.set(xlim=(_EDGES[0], _EDGES[-1]), ylim=(0, 1.0), xlabel="activation", title=title)
    ax_out.legend(fontsize=7, loc="upper right")
    ax_run.set(xlim=(0, _STEPS + 1), ylim=(-4.5, 4.5), xlabel="training batch",
               title="running mean")
    ax_run.legend(fontsize=7, loc="lower right")

    def redraw(batch_size, shift, scale, gamma, beta, momentum):
        out = simulate_batch_norm(z, batch_size, shift, scale, gamma, beta, momentum)
        before.set_data(_density(out["x"]))
        after_train.set_data(_density(out["train"]))
        after_eval.set_data(_density(out["eval"]))
        input_pdf.set_ydata(normal_pdf(grid, shift, scale))
        output_pdf.set_ydata(normal_pdf(grid, beta, gamma))
        running.set_ydata(out["running_mean"])
        target.set_ydata([shift, shift])
        gap = np.abs(out["train"] - out["eval"]).max()
        return (f"batch mean {out['x'].mean():+.3f}, std {out['x'].std():.3f} | train output "
                f"mean {out['train'].mean():+.3f}, std {out['train'].std():.3f} | running mean "
                f"after {_STEPS} batches {out['running_mean'][-1]:+.3f} | max |train - eval| "
                f"{gap:.3f}")

    def slider(cls, value, lo, hi, step, label):
        return cls(value=value, min=lo, max=hi, step=step, description=label,
                   continuous_update=False)

    controls = {
        "batch_size": slider(widgets.IntSlider, 32, 2, _MAX_BATCH, 1, "batch size"),
        "shift": slider(widgets.FloatSlider, 2.0, -4.0, 4.0, 0.1, "input shift"),
        "scale": slider(widgets.FloatSlider, 1.5, 0.2, 3.0, 0.1, "input scale"),
        "gamma": slider(widgets.FloatSlider, 1.0, 0.2, 3.0, 0.1, "gamma"),
        "beta": slider(widgets.FloatSlider, 0.0, -3.0, 3.0, 0.1, "beta"),
        "momentum": slider(widgets.FloatSlider, 0.1, 0.01, 1.0, 0.01, "momentum"),
    }
    artists = {"before": before, "after_train": after_train, "after_eval": after_eval,
               "input_pdf": input_pdf, "output_pdf": output_pdf, "running": running,
               "target": target}
    return Explorer(controls, fig, artists, redraw,
                    title="One feature through BatchNorm1d: a batch before and after, and "
                          "the running mean")
