r"""Scaled dot-product attention, forward and hand-written backward, as
``torch.nn.functional.scaled_dot_product_attention``.

.. math::

    S = \mathrm{scale}\cdot Q K^\top + M, \qquad P = \mathrm{softmax}_{\text{keys}}(S), \qquad
    O = P V .

Backward, with :math:`G = \partial L/\partial O`:
:math:`\partial L/\partial V = P^\top G`, :math:`dP = G V^\top`,
:math:`dS = P \odot (dP - \mathrm{rowsum}(dP \odot P))`,
:math:`\partial L/\partial Q = \mathrm{scale}\; dS\, K`,
:math:`\partial L/\partial K = \mathrm{scale}\; dS^\top Q`.

Mask conventions are PyTorch's: a boolean ``attn_mask`` is ``True`` where a query **may**
attend (the opposite of ``nn.MultiheadAttention``'s boolean masks), a float mask is added to
the scores (``-inf`` removes a key). ``is_causal=True`` uses the *top-left* aligned lower
triangle ``tril(ones(L, S))``, as torch 2.13 does, so with one query and ``S`` cached keys the
query sees key 0 only. A query whose every key is masked gets weights 0 and output 0 (torch's
``_safe_softmax``), not NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..checks import as_array, check_int, check_range
from ..random import as_generator

__all__ = ["scaled_dot_product_attention", "scaled_dot_product_attention_backward",
           "sdpa_forward", "sdpa_backward", "AttentionContext", "causal_mask",
           "masked_softmax", "blocked_attention"]


def causal_mask(L: int, S: int) -> np.ndarray:
    """Boolean ``(L, S)`` mask, ``True`` where query ``i`` may attend key ``j <= i`` (top-left).

    Examples
    --------
    >>> causal_mask(2, 3).astype(int)
    array([[1, 0, 0],
           [1, 1, 0]])
    """
    return np.tri(L, S, dtype=bool)


def masked_softmax(scores: np.ndarray, keep=None, *, empty: str = "zero",
                   inplace: bool = False) -> np.ndarray:
    r"""Softmax over the last axis of ``scores`` where ``keep`` (bool, broadcastable) is True.

    Entries of ``scores`` equal to ``-inf`` are masked as well. A row with nothing left gets
    zeros (``empty="zero"``, torch's scaled_dot_product_attention) or NaN (``empty="nan"``, what
    a plain softmax of an all ``-inf`` row gives, as ``nn.MultiheadAttention`` with
    ``need_weights=True`` returns). No RuntimeWarning in either case. ``inplace=True`` reuses
    the (floating) ``scores`` array for the result, so only one ``(..., L, S)`` buffer exists.

    Examples
    --------
    >>> masked_softmax(np.array([[0.0, np.log(3.0)], [1.0, 2.0]]),
    ...                np.array([[True, True], [False, False]]))
    array([[0.25, 0.75],
           [0.  , 0.  ]])
    """
    if inplace and scores.dtype.kind == "f":
        s = scores
    else:
        s = np.array(scores, dtype=scores.dtype if scores.dtype.kind == "f" else np.float64)
    if keep is not None:
        np.copyto(s, -np.inf, where=~np.asarray(keep, dtype=bool))
    m = s.max(axis=-1, keepdims=True)
    dead = ~np.isfinite(m) & ~np.isnan(m)  # all -inf (or +inf, which torch also cannot use)
    if dead.any():
        m = np.where(dead, 0.0, m)
    s -= m
    np.exp(s, out=s)
    den = s.sum(axis=-1, keepdims=True)
    if dead.any():
        den = np.where(dead, 1.0, den)
        s /= den
        if empty == "nan":
            s = np.where(dead, np.nan, s)
        return s
    s /= den
    return s


@dataclass
class AttentionContext:
    """What :func:`sdpa_backward` needs from the forward pass."""

    query: np.ndarray
    key: np.ndarray
    value: np.ndarray
    weights: np.ndarray          # softmax probabilities P, before dropout, (..., L, S)
    dropped: np.ndarray          # P after dropout (the matrix multiplied by V)
    keep: np.ndarray | None      # dropout keep mask or None
    dropout_p: float
    scale: float
    groups: int                  # query heads per key/value head (enable_gqa), else 1


def _broadcast_batch(name_a, a, name_b, b):
    try:
        return np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ValueError(f"scaled_dot_product_attention: {name_a} batch dims {a.shape[:-2]} "
                         f"and {name_b} batch dims {b.shape[:-2]} do not broadcast") from None


def _check_inputs(query, key, value, enable_gqa):
    q = as_array("query", query, min_ndim=2)
    dtype = q.dtype
    k = as_array("key", key, dtype=dtype, min_ndim=2)
    v = as_array("value", value, dtype=dtype, min_ndim=2)
    if k.shape[-1] != q.shape[-1]:
        raise ValueError(f"scaled_dot_product_attention: query shape {q.shape} and key shape "
                         f"{k.shape} must share the last dim (E)")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"scaled_dot_product_attention: key shape {k.shape} and value shape "
                         f"{v.shape} must have the same number of keys (dim -2)")
    groups = 1
    if enable_gqa and q.ndim >= 3 and k.ndim >= 3 and q.shape[-3] != k.shape[-3]:
        hq, hk = q.shape[-3], k.shape[-3]
        if hk == 0 or hq % hk or v.shape[-3] != hk:
            raise ValueError(f"scaled_dot_product_attention: enable_gqa needs the query heads "
                             f"(dim -3 of {q.shape}) to be a multiple of the key/value heads "
                             f"({k.shape}, {v.shape})")
        groups = hq // hk
    if groups == 1:
        _broadcast_batch("query", q, "key", k)
        _broadcast_batch("key", k, "value", v)
    return q, k, v, groups


def _repeat_heads(x, groups):
    return x if groups == 1 else np.repeat(x, groups, axis=-3)


def _mask_parts(attn_mask, is_causal, shape, dtype):
    """Return (keep, additive): a bool mask and a float mask, each None or broadcastable."""
    L, S = shape[-2:]
    keep = additive = None
    if is_causal:
        if attn_mask is not None:
            raise ValueError("scaled_dot_product_attention: pass attn_mask or is_causal=True, "
                             "not both (torch raises as well)")
        keep = causal_mask(L, S)
    elif attn_mask is not None:
        m = np.asarray(attn_mask)
        try:
            if np.broadcast_shapes(m.shape, shape) != tuple(shape):  # torch refuses as well
                raise ValueError
        except ValueError:
            raise ValueError(f"scaled_dot_product_attention: attn_mask shape {m.shape} does "
                             f"not broadcast to the attention scores' shape {shape} "
                             "(..., L, S)") from None
        if m.dtype == bool:
            keep = m
        elif m.dtype.kind in "iuf":
            additive = m.astype(dtype, copy=False)
        else:
            raise TypeError(f"attn_mask must be bool or float, got dtype {m.dtype}")
    return keep, additive


def sdpa_forward(query, key, value, attn_mask=None, dropout_p: float = 0.0,
                 is_causal: bool = False, scale=None, enable_gqa: bool = False, rng=None,
                 *, empty: str = "zero"):
    """Attention forward that also returns the :class:`AttentionContext` for the backward.

    Same arguments as :func:`scaled_dot_product_attention`; ``empty="nan"`` makes fully
    masked rows NaN instead of 0 (what ``nn.MultiheadAttention`` does with ``need_weights``).
    """
    q, k, v, groups = _check_inputs(query, key, value, enable_gqa)
    p = check_range("dropout_p", dropout_p, 0.0, 1.0, what="scaled_dot_product_attention")
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    kk, vv = _repeat_heads(k, groups), _repeat_heads(v, groups)
    scores = np.matmul(q, np.swapaxes(kk, -1, -2))
    scores *= scale
    keep_mask, additive = _mask_parts(attn_mask, is_causal, scores.shape, scores.dtype)
    if additive is not None:
        scores += additive
    w = masked_softmax(scores, keep_mask, empty=empty, inplace=True)  # scores is a fresh array
    keep = None
    dropped = w
    if p > 0:
        if p == 1.0:
            keep = np.zeros(w.shape, dtype=bool)
            dropped = np.zeros_like(w)
        else:
            keep = as_generator(rng).random(w.shape) >= p
            dropped = w * keep / w.dtype.type(1 - p)
    out = np.matmul(dropped, vv)
    ctx = AttentionContext(q, k, v, w, dropped, keep, p, scale, groups)
    return out, ctx


def sdpa_backward(grad_output, ctx: AttentionContext, grad_weights=None):
    """Gradients ``(grad_query, grad_key, grad_value)`` from the saved forward context.

    ``grad_weights`` (optional, shaped like ``ctx.dropped``) is an upstream gradient on the
    weight matrix that was multiplied by V (after dropout), for callers that also return it.
    """
    q, k, v, groups = ctx.query, ctx.key, ctx.value, ctx.groups
    kk, vv = _repeat_heads(k, groups), _repeat_heads(v, groups)
    g = np.asarray(grad_output, dtype=q.dtype)
    expected = np.broadcast_shapes(ctx.dropped.shape[:-1]) + (vv.shape[-1],)
    if g.shape != expected:
        raise ValueError(f"scaled_dot_product_attention grad_output has shape {g.shape}, "
                         f"expected {expected}")
    d_dropped = np.matmul(g, np.swapaxes(vv, -1, -2))
    if grad_weights is not None:
        d_dropped = d_dropped + grad_weights
    dv = np.matmul(np.swapaxes(ctx.dropped, -1, -2), g)
    d_w = d_dropped
    if ctx.keep is not None:  # the same keep / (1 - p) factor as the forward
        d_w = (d_dropped * ctx.keep / q.dtype.type(1 - ctx.dropout_p) if ctx.dropout_p < 1
               else np.zeros_like(d_dropped))
    w = ctx.weights
    ds = d_w * w
    ds -= w * ds.sum(axis=-1, keepdims=True)
    ds *= ctx.scale
    dq = np.matmul(ds, kk)
    dk = np.matmul(np.swapaxes(ds, -1, -2), q)
    dq, dk, dv = (_reduce_to(dq, q.shape), _reduce_to(_unrepeat(dk, groups), k.shape),
                  _reduce_to(_unrepeat(dv, groups), v.shape))
    return dq, dk, dv


def _unrepeat(x, groups):
    if groups == 1:
        return x
    shape = x.shape[:-3] + (x.shape[-3] // groups, groups) + x.shape[-2:]
    return x.reshape(shape).sum(axis=-3)


def _reduce_to(grad, shape):
    """Sum a broadcast gradient back to ``shape``."""
    if grad.shape == tuple(shape):
        return grad
    extra = grad.ndim - len(shape)
    grad = grad.sum(axis=tuple(range(extra))) if extra else grad
    axes = tuple(i for i, (a, b) in enumerate(zip(grad.shape, shape)) if b == 1 and a != 1)
    return grad.sum(axis=axes, keepdims=True) if axes else grad


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale=None, enable_gqa: bool = False,
                                 *, rng=None):
    r"""Attention :math:`\mathrm{softmax}(\mathrm{scale}\,QK^\top + M)\,V`, as
    ``torch.nn.functional.scaled_dot_product_attention``.

    Parameters
    ----------
    query : array, shape (..., L, E)
    key : array, shape (..., S, E)
    value : array, shape (..., S, Ev)
        Leading (batch, head) dims broadcast against each other.
    attn_mask : array, optional, broadcastable to (..., L, S)
        Bool: ``True`` = may attend. Float: added to the scores.
    dropout_p : float in [0, 1]
        Dropout on the attention weights (inverted), drawn from ``rng``. Torch applies it
        whenever ``dropout_p > 0`` (no training flag): pass 0 for evaluation.
    is_causal : bool
        Top-left causal mask ``tril(ones(L, S))``; exclusive with ``attn_mask``.
    scale : float, optional
        Default :math:`1/\sqrt{E}`.
    enable_gqa : bool
        Grouped-query attention: key/value dim -3 (heads) may divide the query's; each
        key/value head serves ``Hq/Hk`` consecutive query heads.
    rng : numpy.random.Generator, int or None
        Source of the dropout mask.

    Returns
    -------
    array, shape (..., L, Ev)

    Examples
    --------
    >>> q = np.array([[1.0, 0.0]]); k = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> v = np.array([[1.0], [3.0]])
    >>> scaled_dot_product_attention(q, k, v, scale=0.0)  # uniform weights: mean of v
    array([[2.]])
    >>> scaled_dot_product_attention(q, k, v, attn_mask=np.array([[False, True]]))
    array([[3.]])
    """
    return sdpa_forward(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa,
                        rng)[0]


def scaled_dot_product_attention_backward(grad_output, query, key, value, attn_mask=None,
                                          dropout_p: float = 0.0, is_causal: bool = False,
                                          scale=None, enable_gqa: bool = False, *, rng=None):
    r"""``(grad_query, grad_key, grad_value)`` of :func:`scaled_dot_product_attention`.

    Recomputes the weights from the inputs (as Flash attention's backward does); with
    ``dropout_p > 0`` pass the same ``rng`` seed as the forward to get the same mask.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> q, k, v = rng.normal(size=(3, 4)), rng.normal(size=(5, 4)), rng.normal(size=(5, 2))
    >>> dq, dk, dv = scaled_dot_product_attention_backward(np.ones((3, 2)), q, k, v)
    >>> dq.shape, dk.shape, dv.shape
    ((3, 4), (5, 4), (5, 2))
    >>> bool(np.allclose(dv.sum(axis=0), 3.0))  # each query's weights sum to 1
    True
    """
    _, ctx = sdpa_forward(query, key, value, attn_mask, dropout_p, is_causal, scale,
                          enable_gqa, rng)
    return sdpa_backward(grad_output, ctx)


def blocked_attention(query, key, value, block_size: int = 128, is_causal: bool = False,
                      scale=None):
    r"""Attention computed ``block_size`` queries at a time: the same output as
    :func:`scaled_dot_product_attention`, with a ``(block_size, S)`` score buffer instead of
    ``(L, S)``.

    Each query's softmax needs only its own row of scores, so the rows can be produced, used
    and discarded block by block: memory falls from :math:`O(LS)` to :math:`O(bS)` while the
    arithmetic is unchanged. Memory-efficient and Flash attention go further (they also block
    the keys, with a running max and sum, and fuse the steps to save memory traffic); the
    FLOPs stay the same. ``is_causal`` uses the top-left mask, as the unblocked function.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> q, k, v = rng.normal(size=(300, 8)), rng.normal(size=(300, 8)), rng.normal(size=(300, 4))
    >>> bool(np.allclose(blocked_attention(q, k, v, 128, is_causal=True),
    ...                  scaled_dot_product_attention(q, k, v, is_causal=True), atol=1e-12))
    True
    """
    block_size = check_int("block_size", block_size, minimum=1)
    q, k, v, _ = _check_inputs(query, key, value, False)
    L, S = q.shape[-2], k.shape[-2]
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    out = np.empty(np.broadcast_shapes(q.shape[:-2], k.shape[:-2]) + (L, v.shape[-1]),
                   dtype=q.dtype)
    kt = np.swapaxes(k, -1, -2)
    for start in range(0, L, block_size):
        stop = min(start + block_size, L)
        scores = np.matmul(q[..., start:stop, :], kt)
        scores *= scale
        # the causal rows of this block only: a (block, S) mask, never the (L, S) one
        keep = (np.arange(S) <= np.arange(start, stop)[:, None]) if is_causal else None
        out[..., start:stop, :] = np.matmul(masked_softmax(scores, keep, inplace=True), v)
    return out
