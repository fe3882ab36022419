r"""Explorers for the dropout chapter: the drop-rate posterior, dropout masks on a digit, and
the Monte Carlo dropout band of a small regression net."""

from __future__ import annotations

import numpy as np

from ...functional.dropout import keep_mask, multiplier
from ...maths.dropout_bayes import mc_predict, posterior
from ...nn import Dropout, Linear, MSELoss, ReLU, Sequential
from ...optim import SGD
from ...random import as_generator
from ..plotting import figure
from ..train import fit
from .explorer import Explorer

__all__ = ["posterior_explorer", "mask_explorer", "regression_data", "fit_mc_regression",
           "mc_band_explorer"]

_THETA = np.linspace(0.0, 1.0, 401)


def posterior_explorer(dropped: int = 4, total: int = 4, ymax: float = 8.0) -> Explorer:
    r"""Sliders for the observed counts and the Beta prior; the prior and posterior densities
    of the drop rate, the posterior mean and its 95% equal-tailed credible interval.

    ``artists``: ``"prior"``, ``"posterior"`` (density lines over ``theta``), ``"mean"``
    (vertical line) and ``"interval"`` (two vertical lines). ``dropped`` above ``total`` is
    clipped to ``total`` (and the status line says so).
    """
    import ipywidgets as widgets

    fig, ax = figure(width=5.2, height=2.8)
    (prior_line,) = ax.plot([], [], "--", color="0.5", label="prior")
    (post_line,) = ax.plot([], [], color="C0", lw=2, label="posterior")
    mean_line = ax.axvline(0.5, color="C3", lw=1.2, label="posterior mean")
    lo_line = ax.axvline(0.0, color="C0", ls=":", label="95% interval")
    hi_line = ax.axvline(1.0, color="C0", ls=":")
    ax.set(xlim=(0, 1), ylim=(0, ymax), xlabel=r"drop rate $\theta$", ylabel="density",
           title="Beta posterior of the drop rate")
    ax.legend(loc="upper left", fontsize=8)

    def redraw(dropped, total, alpha, beta):
        clipped = min(dropped, total)
        post = posterior(clipped, total, prior=(alpha, beta))
        prior_line.set_data(_THETA, np.minimum(posterior(0, 0, (alpha, beta)).pdf(_THETA), 1e3))
        post_line.set_data(_THETA, np.minimum(post.pdf(_THETA), 1e3))
        lo, hi = post.interval(0.95)
        mean_line.set_xdata([post.mean, post.mean])
        lo_line.set_xdata([lo, lo])
        hi_line.set_xdata([hi, hi])
        note = f" (dropped clipped to total = {total})" if clipped != dropped else ""
        return (f"Beta({post.alpha:g}, {post.beta:g}){note}: mean {post.mean:.3f}, "
                f"95% interval [{lo:.3f}, {hi:.3f}], P(theta > 0.5) = {float(post.sf(0.5)):.3f}")

    controls = {
        "dropped": widgets.IntSlider(value=dropped, min=0, max=30, description="dropped"),
        "total": widgets.IntSlider(value=total, min=0, max=30, description="total"),
        "alpha": widgets.FloatSlider(value=1.0, min=0.5, max=10, step=0.5, description="prior a"),
        "beta": widgets.FloatSlider(value=1.0, min=0.5, max=10, step=0.5, description="prior b"),
    }
    return Explorer(controls, fig, {"prior": prior_line, "posterior": post_line,
                                    "mean": mean_line, "interval": [lo_line, hi_line]},
                    redraw, title="Observed drops update a uniform (or Beta) prior")


def mask_explorer(digit_index: int = 0) -> Explorer:
    r"""A digit from the test split under element-wise dropout: the image, the mask, and the
    layer's output, as ``p`` and the mask seed change.

    For one seed the uniform draws are fixed, so raising ``p`` only removes pixels (the masks
    are nested). ``artists``: ``"mask"`` and ``"output"`` (``AxesImage``; the mask is 1 where
    kept), with the output on a colour scale that shows the :math:`1/(1-p)` brightening.
    """
    import ipywidgets as widgets

    from ..data import load_digits

    image = load_digits(scale="unit", images=True).X_test[digit_index, 0]
    fig, axes = figure(ncols=3, width=6.0, height=2.2)
    axes[0].imshow(image, cmap="gray_r", vmin=0, vmax=1)
    mask_im = axes[1].imshow(np.ones_like(image), cmap="gray_r", vmin=0, vmax=1)
    # the largest survivor value on the slider, 1/(1 - 0.9) = 10: no p saturates the scale
    out_im = axes[2].imshow(image, cmap="magma_r", vmin=0, vmax=10)
    for ax, name in zip(axes, ["input digit", "keep mask (black = kept)", "dropout output"]):
        ax.set(title=name, xticks=[], yticks=[])
    fig.colorbar(out_im, ax=axes[2], shrink=0.8)

    def redraw(p, seed, mode):
        keep = keep_mask(image.shape, p, rng=seed)
        out = image * multiplier(keep, p, mode=mode)
        mask_im.set_data(keep.astype(float))
        out_im.set_data(out)
        return (f"kept {keep.sum()} of {keep.size} pixels ({keep.mean():.2f}, expected "
                f"{1 - p:.2f}); input sum {image.sum():.2f}, output sum {out.sum():.2f}")

    controls = {
        "p": widgets.FloatSlider(value=0.5, min=0.0, max=0.9, step=0.05, description="p (drop)"),
        "seed": widgets.IntSlider(value=0, min=0, max=20, description="mask seed"),
        "mode": widgets.Dropdown(options=["inverted", "classic"], value="inverted",
                                 description="mode"),
    }
    return Explorer(controls, fig, {"mask": mask_im, "output": out_im}, redraw,
                    title="Dropout on a digit: raise p and watch pixels vanish")


def regression_data(n: int = 40, noise: float = 0.1, rng=0):
    r"""1-D regression data :math:`y = \sin(3x) + \varepsilon` with inputs only in
    :math:`[-1, -0.2] \cup [0.4, 1]`: two clusters and a gap, shaped ``(n, 1)``.

    Examples
    --------
    >>> x, y = regression_data(n=6, rng=0)
    >>> x.shape, bool(np.all((x <= -0.2) | (x >= 0.4)))
    ((6, 1), True)
    """
    gen = as_generator(rng)
    x = np.concatenate([gen.uniform(-1.0, -0.2, n // 2), gen.uniform(0.4, 1.0, n - n // 2)])
    x = x[:, None]
    return x, np.sin(3 * x) + noise * gen.standard_normal(x.shape)


def fit_mc_regression(p: float = 0.2, hidden: int = 128, epochs: int = 400, rng=0):
    """A ``1-hidden-hidden-1`` ReLU MLP with dropout after each hidden layer, fitted with SGD
    (momentum 0.9) to :func:`regression_data`. Returns ``(model, x, y)``."""
    gen = as_generator(rng)
    x, y = regression_data(rng=gen)
    model = Sequential(Linear(1, hidden, rng=gen), ReLU(), Dropout(p, rng=gen),
                       Linear(hidden, hidden, rng=gen), ReLU(), Dropout(p, rng=gen),
                       Linear(hidden, 1, rng=gen))
    fit(model, MSELoss(), SGD(model.parameters(), lr=0.05, momentum=0.9), x, y, epochs=epochs,
        rng=gen)
    return model, x, y


def mc_band_explorer(model, x_train, y_train, max_samples: int = 300, rng=0,
                     tau: float | None = None) -> Explorer:
    r"""MC dropout on a fitted regression net: the predictive mean and a :math:`\pm 2\sigma`
    band from the first ``samples`` stochastic passes, against the deterministic (eval) net.

    With ``tau=None`` the band is the model part only, :math:`\sigma^2 = \frac1T\sum_t
    \hat y_t^2 - \bar y^2` (the spread of the passes). With a noise precision ``tau`` it is
    the full predictive variance of Gal and Ghahramani, :math:`\sigma^2 = \tau^{-1} +` that
    spread, as in the chapter's table. The legend and the status line say which one is drawn;
    the status line reports :math:`\sigma` at :math:`x = 3` and its mean over :math:`|x| \ge 2`.

    All ``max_samples`` passes are drawn once; a callback only takes running means, so it
    costs a few array operations. ``artists``: ``"mean"`` (line) and ``"band"``
    (``PolyCollection``); the deterministic (eval) prediction is drawn once, dashed.

    Examples
    --------
    >>> from dlcore.book.widgets.dropout import fit_mc_regression
    >>> model, x, y = fit_mc_regression(epochs=5)
    >>> ex = mc_band_explorer(model, x, y, max_samples=20, tau=100.0)
    >>> "sigma at x = 3" in ex.status.value and "1/tau" in ex.status.value
    True
    """
    import ipywidgets as widgets

    if tau is not None and not tau > 0:
        raise ValueError(f"mc_band_explorer tau must be a positive noise precision or None, "
                         f"got {tau}")
    noise_var = 0.0 if tau is None else 1.0 / tau
    grid = np.linspace(-3.0, 3.0, 241)[:, None]
    _, _, outs = mc_predict(model, grid, max_samples, rng=rng, return_samples=True)
    outs = outs[:, :, 0]
    csum, csq = np.cumsum(outs, axis=0), np.cumsum(outs**2, axis=0)
    was_training = model.training
    eval_pred = model.eval()(grid)[:, 0]
    model.train(was_training)
    what = "model part only" if tau is None else "incl. 1/tau"
    fig, ax = figure(width=5.2, height=2.8)
    ax.axvspan(-0.2, 0.4, color="0.92")
    ax.scatter(x_train[:, 0], y_train[:, 0], s=12, color="0.2", zorder=3, label="training data")
    ax.plot(grid[:, 0], eval_pred, "--", color="C2", label="eval (no dropout)")
    band = ax.fill_between(grid[:, 0], eval_pred, eval_pred, color="C0", alpha=0.25,
                           label=rf"MC mean $\pm 2\sigma$ ({what})")
    (mean_line,) = ax.plot(grid[:, 0], eval_pred, color="C0", lw=2, label="MC mean")
    ax.set(xlim=(-3, 3), ylim=(-3, 3), xlabel="x", ylabel="y",
           title="MC dropout: uncertainty grows away from the data")
    ax.legend(loc="lower left", fontsize=7, ncol=2)
    xs = grid[:, 0]
    far = np.abs(xs) >= 2
    at3 = int(np.argmin(np.abs(xs - 3.0)))

    def redraw(samples):
        mean = csum[samples - 1] / samples
        std = np.sqrt(np.maximum(csq[samples - 1] / samples - mean**2, 0.0) + noise_var)
        mean_line.set_ydata(mean)
        top, bottom = mean + 2 * std, mean - 2 * std
        band.set_verts([np.column_stack([np.r_[xs, xs[::-1]], np.r_[top, bottom[::-1]]])])
        return (f"{samples} passes, sigma ({what}): sigma at x = 3 {std[at3]:.3f}; "
                f"mean sigma {std[~far].mean():.3f} on (-2, 2), {std[far].mean():.3f} "
                f"for |x| >= 2")

    controls = {"samples": widgets.IntSlider(value=min(100, max_samples), min=2,
                                             max=max_samples, description="samples T")}
    return Explorer(controls, fig, {"mean": mean_line, "band": band}, redraw,
                    title="Monte Carlo dropout band")
