r"""Explorers for the recurrent-networks chapter.

- :func:`gradient_through_time_explorer`: :math:`\|\partial h_T/\partial h_t\|_F` against
  :math:`t` for an RNN, an LSTM and a GRU whose recurrent matrices are a scale times random
  orthogonal matrices, computed by dlcore's cell backward passes.
- :func:`lstm_gate_explorer`: an LSTM cell whose input, forget and output gates and cell
  candidate are set by hand; the cell state :math:`c_t` carries or forgets.
"""

from __future__ import annotations

import numpy as np

from ...nn.rnn import GRUCell, LSTMCell, RNNCell
from ...random import as_generator
from ..plotting import figure
from .explorer import Explorer

__all__ = ["jacobian_norms", "gradient_through_time_explorer", "gate_values_to_cell",
           "lstm_gate_explorer"]

_CELLS = {"RNN": (RNNCell, 1), "LSTM": (LSTMCell, 4), "GRU": (GRUCell, 3)}


def _orthogonal(n, gen):
    q, r = np.linalg.qr(gen.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def _setup(kind, scale, nonlinearity, T, hidden, rng):
    """The cell and the inputs :func:`jacobian_norms` uses (the same draws from ``rng``)."""
    gen = as_generator(rng)
    cls, G = _CELLS[kind]
    kw = {"nonlinearity": nonlinearity} if kind == "RNN" else {}
    cell = cls(1, hidden, rng=gen, **kw)
    cell.weight_hh.data[...] = scale * np.concatenate([_orthogonal(hidden, gen)
                                                       for _ in range(G)])
    x = gen.standard_normal((T, 1, 1))
    return cell, x


def jacobian_norms(kind: str = "RNN", scale: float = 1.0, nonlinearity: str = "tanh",
                   T: int = 50, hidden: int = 16, rng=0, cell_state: bool = False) -> np.ndarray:
    r"""Frobenius norms :math:`\|\partial h_T/\partial h_t\|_F` for :math:`t = 0 \ldots T`.

    The cell (``kind`` in RNN, LSTM, GRU; hidden size ``hidden``, input size 1) has every
    block of ``weight_hh`` set to ``scale`` times a random orthogonal matrix and reads
    :math:`N(0, 1)` inputs, all from ``rng``. The Jacobian comes out of the cell's backward
    pass: the batch holds ``hidden`` copies of the sequence and the gradient fed in at
    :math:`h_T` is the identity, so row :math:`k` of the gradient reaching :math:`h_t` is
    :math:`e_k^\top \partial h_T/\partial h_t`. For the LSTM the default measures the hidden
    state only: :math:`\partial h_T/\partial h_t` counts every path from :math:`h_t` to
    :math:`h_T` (those through :math:`c_{t+1}, \ldots, c_T` included) but not the memory
    carried in :math:`c_t` itself. ``cell_state=True`` (LSTM only) measures the whole state
    instead, :math:`\|\partial (h_T, c_T)/\partial (h_t, c_t)\|_F`, a :math:`2h \times 2h`
    Jacobian whose value at :math:`t = T` is :math:`\sqrt{2h}`.

    Examples
    --------
    >>> norms = jacobian_norms("RNN", scale=0.5, T=10, hidden=4)
    >>> norms.shape, float(norms[-1])            # d h_T / d h_T = I, Frobenius norm sqrt(4)
    ((11,), 2.0)
    >>> float(jacobian_norms("LSTM", T=3, hidden=2, cell_state=True)[-1])   # sqrt(2 * 2)
    2.0
    """
    if cell_state and kind != "LSTM":
        raise ValueError(f"cell_state=True needs kind='LSTM' (only it has a cell state), got kind={kind!r}")
    cell, x = _setup(kind, scale, nonlinearity, T, hidden, rng)
    rows = 2 * hidden if cell_state else hidden
    x = np.repeat(x, rows, axis=1)
    state = None
    for t in range(T):
        state = cell(x[t], state)
    norms = np.empty(T + 1)
    if cell_state:               # rows 0..h-1 seed d h_T, rows h..2h-1 seed d c_T
        gh = np.concatenate([np.eye(hidden), np.zeros((hidden, hidden))])
        gc = np.concatenate([np.zeros((hidden, hidden)), np.eye(hidden)])
    else:
        gh, gc = np.eye(hidden), np.zeros((hidden, hidden))
    norms[T] = np.hypot(np.linalg.norm(gh), np.linalg.norm(gc)) if cell_state else np.linalg.norm(gh)
    for t in range(T - 1, -1, -1):
        if kind == "LSTM":
            _, (gh, gc) = cell.backward(gh, gc)
        else:
            _, gh = cell.backward(gh)
        norms[t] = np.hypot(np.linalg.norm(gh), np.linalg.norm(gc)) if cell_state else np.linalg.norm(gh)
    return norms


def gradient_through_time_explorer(T: int = 50, hidden: int = 16, rng=0) -> Explorer:
    r"""Sliders for the recurrent-weight scale and the nonlinearity of the RNN; the three
    curves :math:`\|\partial h_T/\partial h_t\|_F` (log scale) for RNN, LSTM and GRU.

    ``artists``: ``"RNN"``, ``"LSTM"``, ``"GRU"`` (lines over :math:`t`). Curves are
    computed on first use of a setting and kept, so moving back to a setting is instant.
    """
    import ipywidgets as widgets

    fig, ax = figure(width=5.6, height=3.0)
    lines = {k: ax.semilogy([], [], color=c, lw=2, label=k)[0]
             for k, c in zip(_CELLS, ("C0", "C1", "C2"))}
    ax.set(xlim=(0, T), ylim=(1e-12, 1e8), xlabel="step t",
           ylabel=r"$\|\partial h_T / \partial h_t\|_F$",
           title=f"Gradient reaching step t from step T = {T}")
    ax.axhline(np.sqrt(hidden), color="0.6", lw=0.8, ls=":")
    ax.legend(loc="lower right", fontsize=8)
    steps = np.arange(T + 1)
    memo = {}  # the LSTM and GRU curves do not depend on the RNN's nonlinearity

    def norms_for(kind, scale, nonlinearity):
        key = (kind, scale, nonlinearity if kind == "RNN" else None)
        if key not in memo:
            memo[key] = jacobian_norms(kind, scale, nonlinearity, T, hidden, rng)
        return memo[key]

    def redraw(scale, nonlinearity):
        msg = []
        for kind, line in lines.items():
            norms = norms_for(kind, scale, nonlinearity)
            line.set_data(steps, np.clip(norms, 1e-300, None))
            msg.append(f"{kind}: {norms[0]:.2e}")
        return f"||dh_T/dh_0||_F at scale {scale:g} ({nonlinearity} RNN) -- " + ", ".join(msg)

    controls = {
        "scale": widgets.FloatSlider(value=1.0, min=0.25, max=3.0, step=0.25,
                                     description="W_hh scale", continuous_update=False),
        "nonlinearity": widgets.Dropdown(options=["tanh", "relu"], value="tanh",
                                         description="RNN"),
    }
    return Explorer(controls, fig, lines, redraw,
                    title="Vanishing and exploding gradients through time")


def _logit(p):
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.log(p) - np.log1p(-p)


def gate_values_to_cell(i: float, f: float, g: float, o: float) -> LSTMCell:
    r"""An ``LSTMCell(1, 1)`` whose gates take the given constant values at every step:
    weights zero, ``bias_ih`` = (logit i, logit f, artanh g, logit o), ``bias_hh`` = 0.

    Examples
    --------
    >>> cell = gate_values_to_cell(0.5, 0.9, 0.2, 1.0)
    >>> h, c = cell(np.zeros((1, 1)), (np.zeros((1, 1)), np.ones((1, 1))))
    >>> round(float(c[0, 0]), 12)                  # 0.9 * 1 + 0.5 * 0.2
    1.0
    """
    cell = LSTMCell(1, 1, rng=0)
    for p in cell.parameters():
        p.data[...] = 0.0
    cell.bias_ih.data[:] = [_logit(i), _logit(f), np.arctanh(np.clip(g, -1 + 1e-12, 1 - 1e-12)),
                            _logit(o)]
    return cell


def lstm_gate_explorer(T: int = 30) -> Explorer:
    r"""Sliders for constant gate values (i, f, o), the candidate g and the initial cell state;
    the cell state :math:`c_t` and output :math:`h_t` of a one-unit LSTM cell over T steps,
    next to the closed form :math:`c_t = f^t c_0 + i g (1 - f^t)/(1 - f)`.

    ``artists``: ``"c"``, ``"h"`` (dlcore's cell) and ``"closed_form"`` (the formula).
    """
    import ipywidgets as widgets

    fig, ax = figure(width=5.6, height=3.0)
    (c_line,) = ax.plot([], [], color="C0", lw=2, label=r"cell state $c_t$")
    (h_line,) = ax.plot([], [], color="C1", lw=1.5, label=r"output $h_t = o \tanh c_t$")
    (cf_line,) = ax.plot([], [], "k:", lw=1.2, label="closed form")
    ax.set(xlim=(0, T), ylim=(-6, 6), xlabel="step t", title="One LSTM unit, gates set by hand")
    ax.axhline(0, color="0.8", lw=0.8)
    ax.legend(loc="lower left", fontsize=8)
    steps = np.arange(T + 1)

    def redraw(i, f, g, o, c0):
        cell = gate_values_to_cell(i, f, g, o)
        h, c = np.zeros((1, 1)), np.full((1, 1), c0)
        cs, hs = [c0], [o * np.tanh(c0)]
        x = np.zeros((1, 1))
        for _ in range(T):
            h, c = cell(x, (h, c))
            cs.append(float(c[0, 0]))
            hs.append(float(h[0, 0]))
        cell.clear()
        ft = f ** steps
        closed = ft * c0 + (i * g * steps if f == 1 else i * g * (1 - ft) / (1 - f))
        c_line.set_data(steps, cs)
        h_line.set_data(steps, hs)
        cf_line.set_data(steps, closed)
        half = "never" if f >= 1 else ("at once" if f <= 0 else f"{np.log(0.5) / np.log(f):.1f}")
        return (f"c_T = {cs[-1]:.4f}; memory half-life of c_0: {half} steps; "
                f"fixed point i*g/(1-f) = " + ("none (f = 1)" if f == 1 else
                                               f"{i * g / (1 - f):.3f}"))

    slider = lambda v, lo, hi, name: widgets.FloatSlider(  # noqa: E731
        value=v, min=lo, max=hi, step=0.05, description=name)
    controls = {"i": slider(0.0, 0.0, 1.0, "input i"), "f": slider(1.0, 0.0, 1.0, "forget f"),
                "g": slider(0.5, -1.0, 1.0, "candidate g"), "o": slider(1.0, 0.0, 1.0, "output o"),
                "c0": slider(2.0, -3.0, 3.0, "c_0")}
    return Explorer(controls, fig, {"c": c_line, "h": h_line, "closed_form": cf_line}, redraw,
                    title="Carry or forget: the LSTM cell state")
