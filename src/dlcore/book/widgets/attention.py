r"""Explorer for the attention chapter: one query's weights over the keys.

Queries and keys are fixed standard-normal draws with ``d_k`` components; the weights are
:math:`\mathrm{softmax}(q_i K^\top / s)` with :math:`s = \sqrt{d_k}` or :math:`s = 1`, after a
padding mask (the last keys are padding) and optionally a causal mask (query :math:`i` sees
keys :math:`j \le i`). Without the division the logits have variance :math:`d_k`, so the
weights collapse onto one key as ``d_k`` grows.
"""

from __future__ import annotations

import math

import numpy as np

from ...functional.attention import masked_softmax
from ...random import as_generator

__all__ = ["attention_weights", "attention_explorer"]

_L = 8
_MAX_DK = 1024


def attention_weights(q, k, scaled: bool = True, n_pad: int = 0, causal: bool = False):
    r"""Weight matrix ``(L, S)`` of queries ``q`` over keys ``k`` with the explorer's masks.

    Examples
    --------
    >>> q = k = np.eye(2)
    >>> attention_weights(q, k, scaled=False, n_pad=1)
    array([[1., 0.],
           [1., 0.]])
    """
    L, S = q.shape[0], k.shape[0]
    keep = np.ones((L, S), dtype=bool)
    if n_pad:
        keep[:, S - n_pad:] = False
    if causal:
        keep &= np.tri(L, S, dtype=bool)
    scores = q @ k.T / (math.sqrt(q.shape[1]) if scaled else 1.0)
    return masked_softmax(scores, keep)


def attention_explorer(rng=0):
    """Controls: query index, ``d_k``, the division by sqrt(d_k), padded keys, causal mask.

    ``artists``: ``"bars"`` (one Rectangle per key: the chosen query's weights) and
    ``"matrix"`` (the image of the whole weight matrix).
    """
    import ipywidgets as widgets

    from ..plotting import figure
    from .explorer import Explorer

    gen = as_generator(rng)
    q_all = gen.standard_normal((_L, _MAX_DK))
    k_all = gen.standard_normal((_L, _MAX_DK))
    fig, (ax_bar, ax_mat) = figure(ncols=2, width=8.0, height=2.8, dpi=72)
    bars = list(ax_bar.bar(np.arange(_L), np.zeros(_L), color="C0"))
    ax_bar.set(ylim=(0, 1.05), xlabel="key j", ylabel="weight", xticks=range(_L),
               title="weights of the chosen query")
    matrix = ax_mat.imshow(np.zeros((_L, _L)), vmin=0, vmax=1, cmap="viridis")
    ax_mat.set(xlabel="key j", ylabel="query i", title="all queries",
               xticks=range(_L), yticks=range(_L))

    def redraw(query, d_k, scaled, n_pad, causal):
        w = attention_weights(q_all[:, :d_k], k_all[:, :d_k], scaled, n_pad, causal)
        for bar, h in zip(bars, w[query]):
            bar.set_height(h)
        matrix.set_data(w)
        row = w[query]
        entropy = -float(np.sum(row[row > 0] * np.log(row[row > 0])))
        return (f"query {query}: max weight {row.max():.3f} on key {int(row.argmax())}, "
                f"entropy {entropy:.3f} nats (uniform over the visible keys: "
                f"{math.log(max(int((row > 0).sum()), 1)):.3f})")

    controls = {
        "query": widgets.IntSlider(value=_L - 1, min=0, max=_L - 1, description="query i"),
        "d_k": widgets.Dropdown(options=[4, 16, 64, 256, 1024], value=64, description="d_k"),
        "scaled": widgets.Checkbox(value=True, description="divide by sqrt(d_k)"),
        "n_pad": widgets.IntSlider(value=0, min=0, max=4, description="padded keys"),
        "causal": widgets.Checkbox(value=False, description="causal mask"),
    }
    return Explorer(controls, fig, {"bars": bars, "matrix": matrix}, redraw,
                    title="Attention weights of one query, with and without the sqrt(d_k) "
                          "division and with masks")
