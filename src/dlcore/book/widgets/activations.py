r"""Explorers for the activations chapter: an activation and its derivative with the
region where it passes (almost) no gradient shaded, and the per-layer gradient norms of a deep stack at initialisation.

:func:`probe_depth` is the experiment behind the second explorer (and the chapter's tables):
a ``depth``-layer MLP of ``Linear`` + activation, initialised by a named scheme, one forward
and backward pass of an MSE loss to fixed random targets, and per layer the norm of the
back-propagated signal :math:`\partial L/\partial z_l` (what the backward pass carries), of
the weight gradient :math:`\partial L/\partial W_l = \delta_l h_{l-1}^\top` (which mixes
that signal with the forward one) and the RMS of the forward activations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...functional import activation as A
from ...nn import ELU, GELU, SELU, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, SiLU, Tanh
from ...nn import init
from ...nn.loss import MSELoss
from ...checks import check_choice
from ...random import as_generator
from ..plotting import figure
from ...threads import single_threaded_blas
from .explorer import Explorer

__all__ = ["ACTIVATIONS", "INITS", "LAYERS", "activation_curves", "activation_explorer",
           "DepthProbe", "probe_depth", "depth_explorer"]

# label -> (function name in dlcore.functional.activation, its tunable parameter or None,
#           fixed kwargs)
ACTIVATIONS = {
    "sigmoid": ("sigmoid", None, {}),
    "tanh": ("tanh", None, {}),
    "base-2 sigmoid": ("sigmoid_base2", "k", {}),
    "relu": ("relu", None, {}),
    "leaky_relu": ("leaky_relu", "negative_slope", {}),
    "elu": ("elu", "alpha", {}),
    "selu": ("selu", None, {}),
    "celu": ("celu", "alpha", {}),
    "gelu": ("gelu", None, {}),
    "gelu (tanh approx.)": ("gelu", None, {"approximate": "tanh"}),
    "silu / swish": ("silu", None, {}),
    "mish": ("mish", None, {}),
    "softplus": ("softplus", "beta", {}),
    "hardtanh": ("hardtanh", "max_val", {}),
    "softsign": ("softsign", None, {}),
}

#: scheme name -> ``f(weight, activation, rng)`` filling a Linear weight in place
INITS = {
    "zeros": lambda w, act, g: init.zeros_(w),
    "N(0, 1)": lambda w, act, g: init.normal_(w, 0.0, 1.0, rng=g),
    "N(0, 0.01^2)": lambda w, act, g: init.normal_(w, 0.0, 0.01, rng=g),
    "xavier": lambda w, act, g: init.xavier_normal_(w, rng=g),
    "xavier + gain": lambda w, act, g: init.xavier_normal_(w, gain=init.calculate_gain(act),
                                                            rng=g),
    "kaiming": lambda w, act, g: init.kaiming_normal_(w, nonlinearity="relu", rng=g),
    "lecun": lambda w, act, g: init.lecun_normal_(w, rng=g),
}

LAYERS = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU, "leaky_relu": LeakyReLU,
          "elu": ELU, "selu": SELU, "gelu": GELU, "silu": SiLU}


def activation_curves(label: str, param: float | None = None, x=None):
    r"""``(x, f(x), f'(x))`` for the activation ``label`` of :data:`ACTIVATIONS`.

    ``param`` sets the activation's parameter (for ``hardtanh`` it is ``max_val`` with
    ``min_val = -max_val``); ``None`` keeps the default.

    Examples
    --------
    >>> x, f, d = activation_curves("leaky_relu", 0.1, np.array([-1.0, 2.0]))
    >>> f, d
    (array([-0.1,  2. ]), array([0.1, 1. ]))
    """
    name = ACTIVATIONS[label][0]
    kwargs = _kwargs(label, param)
    x = np.linspace(-6, 6, 401) if x is None else np.asarray(x, dtype=np.float64)
    return x, getattr(A, name)(x, **kwargs), A.derivative(name, x, **kwargs)


def activation_explorer(label: str = "tanh", param: float = 1.0, eps: float = 1e-2) -> Explorer:
    r"""Pick an activation and its parameter; see :math:`f`, :math:`f'` and, shaded, the
    region where :math:`|f'(x)| <` ``eps``: saturated (a small derivative, sigmoid and tanh) or
    inactive (exactly zero, ReLU's left side).

    ``artists``: ``"f"`` and ``"df"`` (the two curves), ``"saturated"`` (a collection of
    full-height rectangles, one per interval where the derivative is below ``eps``).
    """
    import ipywidgets as widgets
    from matplotlib.collections import PolyCollection

    x = np.linspace(-6, 6, 401)
    fig, ax = figure(width=5.6, height=3.0)
    ax.axhline(0, color="0.7", lw=0.8)
    ax.axvline(0, color="0.7", lw=0.8)
    (f_line,) = ax.plot(x, x, color="C0", lw=2, label="f(x)")
    (d_line,) = ax.plot(x, x, color="C3", lw=1.5, ls="--", label="f'(x)")
    ylim = (-3.5, 6.5)
    shade = PolyCollection([], facecolors="0.85", edgecolors="none", zorder=0)
    ax.add_collection(shade)
    ax.set(xlim=(x[0], x[-1]), ylim=ylim, xlabel="x",
           title="f (blue), f' (red, dashed); shaded where |f'| < eps: saturated or inactive")

    def redraw(label, param, eps):
        _, f, d = activation_curves(label, param, x)
        saturated = np.abs(d) < eps
        f_line.set_ydata(f)
        d_line.set_ydata(d)
        shade.set_verts([[(a, ylim[0]), (b, ylim[0]), (b, ylim[1]), (a, ylim[1])]
                         for a, b in _runs(saturated, x)])
        pname = ACTIVATIONS[label][1]
        what = f"{pname} = {param:g}" if pname else "no parameter"
        d0 = A.derivative(ACTIVATIONS[label][0], np.array([0.0]),
                          **_kwargs(label, param))[0]
        return (f"{label} ({what}): f'(0) = {d0:.4g}; |f'| < eps (saturated or inactive) on "
                f"{saturated.mean():.0%} of [-6, 6]")

    controls = {
        "label": widgets.Dropdown(options=list(ACTIVATIONS), value=label,
                                  description="activation"),
        "param": widgets.FloatSlider(value=param, min=0.01, max=3.0, step=0.01,
                                     description="parameter"),
        "eps": widgets.FloatLogSlider(value=eps, base=10, min=-4, max=-0.5, step=0.25,
                                      description="eps"),
    }
    return Explorer(controls, fig, {"saturated": shade, "f": f_line, "df": d_line}, redraw,
                    title="An activation, its derivative, and where it passes (almost) no gradient")


def _runs(mask, x):
    """``[(x_start, x_end), ...]`` for each run of True in ``mask`` (half a grid step wider on
    each side, so that adjacent runs would touch)."""
    half = (x[1] - x[0]) / 2
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    return [(x[a] - half, x[b] + half) for a, b in zip(starts, ends)]


def _kwargs(label, param):
    _, pname, kwargs = ACTIVATIONS[label]
    kwargs = dict(kwargs)
    if pname is not None and param is not None:
        kwargs[pname] = param
        if pname == "max_val":
            kwargs["min_val"] = -param
    return kwargs


@dataclass
class DepthProbe:
    """What :func:`probe_depth` measured, layer by layer (index 0 = the first layer).

    Attributes
    ----------
    grad_norms : ndarray, shape (depth,)
        Frobenius norm of :math:`\\partial L/\\partial W_l` for each ``Linear`` weight.
    delta_norms : ndarray, shape (depth,)
        Frobenius norm (over the batch) of :math:`\\partial L/\\partial z_l`, the gradient
        with respect to the output :math:`z_l` of the ``l``-th ``Linear``.
    rms : ndarray, shape (depth,)
        Root mean square of each activation layer's output (the forward signal).
    activations : list of ndarray, each (batch, width)
        The output of each activation layer.
    model : Sequential
        The network, with the gradients still in its parameters.
    x, target : ndarray, shape (batch, width)
        The input batch and the regression targets of the MSE loss.
    """

    grad_norms: np.ndarray
    delta_norms: np.ndarray
    rms: np.ndarray
    activations: list
    model: Sequential
    x: np.ndarray
    target: np.ndarray


def probe_depth(activation: str = "tanh", scheme: str = "xavier", depth: int = 10,
                width: int = 64, batch: int = 256, rng=0, x=None,
                loss: str = "mse") -> DepthProbe:
    r"""One forward/backward pass through ``depth`` x (``Linear(width, width)`` + activation)
    at initialisation, with biases 0, on ``x`` (default ``batch`` N(0, 1) rows) and a loss
    to fixed N(0, 1) targets :math:`t`.

    ``loss="mse"``: :math:`L = \frac1N \sum (h - t)^2` (``N`` = number of entries), whose
    upstream gradient :math:`2(h - t)/N` depends on the network's output :math:`h`.
    ``loss="linear"``: :math:`L = -\frac2N \sum h\,t`, a fixed random read-out whose upstream
    gradient :math:`-2t/N` is the MSE one without the :math:`h` term, independent of the
    network (same weights, inputs and targets for the same ``rng``).

    Examples
    --------
    >>> p = probe_depth("tanh", "zeros", depth=3, width=4, batch=5)
    >>> p.grad_norms[:2]
    array([0., 0.])
    >>> q = probe_depth("relu", "kaiming", depth=3, width=4, batch=5, loss="linear")
    >>> q.delta_norms.shape
    (3,)
    """
    check_choice("loss", loss, ("mse", "linear"))
    with single_threaded_blas():  # tiny matrices: BLAS threads only cost time here
        return _probe(activation, scheme, depth, width, batch, as_generator(rng), x, loss)


def _probe(activation, scheme, depth, width, batch, gen, x, loss_kind="mse"):
    layers = []
    for _ in range(depth):
        linear = Linear(width, width, rng=gen)
        INITS[scheme](linear.weight, activation, gen)
        init.zeros_(linear.bias)
        layers += [linear, LAYERS[activation]()]
    model = Sequential(*layers)
    x = gen.standard_normal((batch, width)) if x is None else x
    target = gen.standard_normal((x.shape[0], width))
    acts, h = [], x
    for layer in model:
        h = layer(h)
        if not isinstance(layer, Linear):
            acts.append(h)
    if loss_kind == "mse":
        loss = MSELoss()
        loss(h, target)
        grad = loss.backward()
    else:                                      # d/dh of -(2/N) sum(h * t): no h in it
        grad = -2.0 * target / target.size
    deltas = []
    for layer in reversed(list(model)):        # Sequential.backward, one layer at a time
        grad = layer.backward(grad)
        if not isinstance(layer, Linear):      # after an activation: dL/dz of the Linear below
            deltas.append(np.linalg.norm(grad))
    norms = np.array([np.linalg.norm(m.weight.grad) for m in model if isinstance(m, Linear)])
    rms = np.array([np.sqrt(np.mean(a * a)) for a in acts])
    return DepthProbe(norms, np.array(deltas[::-1]), rms, acts, model, x, target)


def depth_explorer(rng=0, width: int = 32, batch: int = 64) -> Explorer:
    r"""Sliders for depth, activation and initialisation: per layer of the stack at
    initialisation, the back-propagated signal :math:`\lVert\partial L/\partial z_l\rVert` and
    the weight gradient :math:`\lVert\partial L/\partial W_l\rVert` (log scale; exact zeros
    drawn at the floor 1e-30).

    The status line leads with the signal at the first and the last layer (a vanishing or
    exploding stack shows there, and in the absolute level), then the weight-gradient ratio
    (which can stay near 1 while both signals shrink) and the forward RMS after the last layer.

    ``artists``: ``"deltas"`` and ``"norms"`` (lines: x = layer index 1..depth, y = the norm).
    """
    import ipywidgets as widgets

    floor = 1e-30
    fig, ax = figure(width=5.6, height=3.0)
    (delta_line,) = ax.plot([], [], "o-", color="C3", ms=4, label="||dL/dz_l||")
    (line,) = ax.plot([], [], "s--", color="C0", ms=3, lw=1, label="||dL/dW_l||")
    ax.set(yscale="log", xlim=(0, 31), ylim=(floor / 3, 1e30), xlabel="layer (1 = input side)",
           ylabel="norm", title="Gradient per layer at initialisation")
    ax.axhline(floor, color="0.6", lw=0.8, ls=":")
    ax.legend(fontsize=8, loc="upper right")

    def redraw(depth, activation, scheme):
        probe = probe_depth(activation, scheme, depth, width, batch, rng)
        norms, deltas = probe.grad_norms, probe.delta_norms
        layers = np.arange(1, depth + 1)
        line.set_data(layers, np.maximum(norms, floor))
        delta_line.set_data(layers, np.maximum(deltas, floor))
        message = (f"{activation} + {scheme}, {depth} layers: ||dL/dz|| layer 1 "
                   f"{deltas[0]:.1e}, layer {depth} {deltas[-1]:.1e}")
        if deltas[-1] > 0:
            message += f" (ratio {deltas[0] / deltas[-1]:.1e})"
        if norms[-1] > 0:
            message += f"; ||dL/dW|| ratio {norms[0] / norms[-1]:.1e}"
        message += f"; forward RMS {probe.rms[-1]:.1e}"
        zeros = int(np.sum(norms == 0))
        return message + (f"; {zeros} layer(s) get exactly 0" if zeros else "")

    controls = {
        "depth": widgets.IntSlider(value=20, min=2, max=30, description="depth",
                                   continuous_update=False),
        "activation": widgets.Dropdown(options=["sigmoid", "tanh", "relu"], value="tanh",
                                       description="activation"),
        "scheme": widgets.Dropdown(options=list(INITS), value="xavier", description="init"),
    }
    return Explorer(controls, fig, {"norms": line, "deltas": delta_line}, redraw,
                    title="Depth and initialisation against the gradient that reaches each layer")
