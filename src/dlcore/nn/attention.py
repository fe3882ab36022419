r"""Multi-head attention, as ``torch.nn.MultiheadAttention``.

Each of the :math:`h` heads attends with its own slice of the projections:

.. math::

    \mathrm{head}_i = \mathrm{softmax}\!\Big(\frac{(Q W_q^{(i)})(K W_k^{(i)})^\top}{\sqrt{d}}
    + M\Big)\, V W_v^{(i)}, \qquad
    \mathrm{MHA}(Q, K, V) = [\mathrm{head}_1, \dots, \mathrm{head}_h]\, W_o^\top + b_o,

with :math:`d = E/h` and :math:`W_q^{(i)}` the rows ``i*d:(i+1)*d`` of :math:`W_q`.
``in_proj_weight`` is :math:`[W_q; W_k; W_v]` stacked by rows (``3E x E``); with ``kdim`` or
``vdim`` different from ``embed_dim`` the three are separate parameters ``q_proj_weight``,
``k_proj_weight``, ``v_proj_weight``, as in PyTorch.

Masks follow PyTorch's ``MultiheadAttention`` convention, the opposite of
``scaled_dot_product_attention``'s: a boolean ``attn_mask`` or ``key_padding_mask`` is
``True`` where attention is **not** allowed; float masks are added to the scores.

Fully masked query rows behave as torch 2.13's (outside its inference fast path): with
``need_weights=True`` the weights and the output are NaN (a softmax of ``-inf`` everywhere);
with ``need_weights=False`` the computation goes through ``scaled_dot_product_attention`` and
the row's attention output is 0, so the layer returns the output projection's bias there.
"""

from __future__ import annotations

import math

import numpy as np

from ..checks import as_array, check_int, check_range
from ..functional.attention import sdpa_backward, sdpa_forward
from ..random import as_generator
from .linear import Linear
from .module import Module, Parameter

__all__ = ["MultiheadAttention"]


def _xavier_uniform(gen, shape, dtype):
    fan_out, fan_in = shape
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    return gen.uniform(-bound, bound, shape).astype(dtype)


def _float_mask(name, mask, dtype):
    m = np.asarray(mask)
    if m.dtype == bool:
        out = np.zeros(m.shape, dtype=dtype)
        out[m] = -np.inf
        return out
    if m.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be bool or float, got dtype {m.dtype}")
    return m.astype(dtype)


class MultiheadAttention(Module):
    r"""Multi-head attention with PyTorch's arguments, parameter names and layout.

    Parameters
    ----------
    embed_dim : int
        :math:`E`, the query (and output) width.
    num_heads : int
        :math:`h`; must divide ``embed_dim``. Each head has width :math:`E/h`.
    dropout : float, default 0.0
        Dropout on the attention weights, in training mode only.
    bias : bool, default True
        Biases of the in-projection (``in_proj_bias``, ``3E``) and of ``out_proj``.
    add_bias_kv : bool, default False
        Learn ``bias_k`` and ``bias_v`` ``(1, 1, E)``, appended as one extra key/value.
    add_zero_attn : bool, default False
        Append a key and a value of zeros (after the head split).
    kdim, vdim : int, optional
        Feature sizes of ``key`` and ``value`` (default ``embed_dim``).
    batch_first : bool, default False
        Inputs ``(N, L, E)`` instead of ``(L, N, E)``.
    rng : numpy.random.Generator, int or None
        Initial weights and dropout masks.
    dtype : numpy dtype, default float64

    Notes
    -----
    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)`` returns ``(attn_output, attn_weights)``:
    output ``(L, N, E)`` (or ``(N, L, E)``), weights ``(N, L, S)`` averaged over heads,
    ``(N, h, L, S)`` with ``average_attn_weights=False``, or ``None`` with
    ``need_weights=False``. Unbatched input ``(L, E)`` is accepted too. ``attn_mask`` is
    ``(L, S)`` or ``(N*h, L, S)``, the head of sample ``n`` being index ``n*h + i``;
    ``key_padding_mask`` is ``(N, S)``. ``is_causal`` is only a hint, as in torch: it needs
    ``attn_mask`` and is used instead of it when there is no ``key_padding_mask`` and
    ``need_weights=False``. The scores are scaled by :math:`1/\sqrt{E/h}`.

    ``backward(grad_output)`` takes ``grad_output`` or the pair ``(grad_output,
    grad_attn_weights)`` (either may be ``None``) and returns ``(grad_query, grad_key,
    grad_value)``; for self-attention, add the three.

    Initialisation is PyTorch's: Xavier-uniform projections, zero in-projection and output
    biases, ``out_proj.weight`` as a ``Linear``'s, Xavier-normal ``bias_k``/``bias_v``.

    Examples
    --------
    >>> mha = MultiheadAttention(8, 2, batch_first=True, rng=0)
    >>> x = np.random.default_rng(1).normal(size=(3, 5, 8))
    >>> out, w = mha(x, x, x)
    >>> out.shape, w.shape
    ((3, 5, 8), (3, 5, 5))
    >>> gq, gk, gv = mha.backward(np.ones_like(out))
    >>> gq.shape
    (3, 5, 8)
    >>> [name for name, _ in mha.named_parameters()]
    ['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim=None, vdim=None,
                 batch_first: bool = False, rng=None, dtype=np.float64):
        super().__init__()
        self.embed_dim = E = check_int("embed_dim", embed_dim, minimum=1)
        self.num_heads = check_int("num_heads", num_heads, minimum=1)
        if E % self.num_heads:
            raise ValueError(f"embed_dim ({E}) must be divisible by num_heads "
                             f"({self.num_heads})")
        self.head_dim = E // self.num_heads
        self.kdim = E if kdim is None else check_int("kdim", kdim, minimum=1)
        self.vdim = E if vdim is None else check_int("vdim", vdim, minimum=1)
        self._qkv_same_embed_dim = self.kdim == E and self.vdim == E
        self.dropout = check_range("dropout", dropout, 0.0, 1.0, what="MultiheadAttention")
        self.batch_first = bool(batch_first)
        self.add_zero_attn = bool(add_zero_attn)
        self.generator = gen = as_generator(rng)
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(_xavier_uniform(gen, (3 * E, E), dtype))
            self.q_proj_weight = self.k_proj_weight = self.v_proj_weight = None
        else:
            self.q_proj_weight = Parameter(_xavier_uniform(gen, (E, E), dtype))
            self.k_proj_weight = Parameter(_xavier_uniform(gen, (E, self.kdim), dtype))
            self.v_proj_weight = Parameter(_xavier_uniform(gen, (E, self.vdim), dtype))
            self.in_proj_weight = None
        self.in_proj_bias = Parameter(np.zeros(3 * E, dtype=dtype)) if bias else None
        if add_bias_kv:
            std = math.sqrt(1.0 / E)
            self.bias_k = Parameter(gen.normal(0.0, std, (1, 1, E)).astype(dtype))
            self.bias_v = Parameter(gen.normal(0.0, std, (1, 1, E)).astype(dtype))
        else:
            self.bias_k = self.bias_v = None
        self.out_proj = Linear(E, E, bias=bias, rng=gen, dtype=dtype)
        if bias:
            self.out_proj.bias.data[...] = 0.0

    # -- parameters as (W_q, W_k, W_v), (b_q, b_k, b_v) --------------------------------
    def _weights(self):
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight.data
            E = self.embed_dim
            return w[:E], w[E:2 * E], w[2 * E:]
        return self.q_proj_weight.data, self.k_proj_weight.data, self.v_proj_weight.data

    def _biases(self):
        if self.in_proj_bias is None:
            return None, None, None
        b, E = self.in_proj_bias.data, self.embed_dim
        return b[:E], b[E:2 * E], b[2 * E:]

    # -- input checks ----------------------------------------------------------------
    def _inputs(self, query, key, value):
        dtype = self._weights()[0].dtype
        q = as_array("query", query, dtype=dtype)
        k = as_array("key", key, dtype=dtype)
        v = as_array("value", value, dtype=dtype)
        if q.ndim not in (2, 3) or k.ndim != q.ndim or v.ndim != q.ndim:
            raise ValueError(f"MultiheadAttention query, key and value must all be 3-D "
                             f"(batched) or all 2-D (unbatched), got shapes {q.shape}, "
                             f"{k.shape}, {v.shape}")
        batched = q.ndim == 3
        if not batched:
            q, k, v = q[None], k[None], v[None]
        elif not self.batch_first:
            q, k, v = (np.swapaxes(a, 0, 1) for a in (q, k, v))
        for name, given, a, dim, width in (("query", query, q, "embed_dim", self.embed_dim),
                                           ("key", key, k, "kdim", self.kdim),
                                           ("value", value, v, "vdim", self.vdim)):
            if a.shape[-1] != width:
                raise ValueError(f"MultiheadAttention {name} shape {np.shape(given)} has "
                                 f"{a.shape[-1]} features, expected {dim}={width}")
        if k.shape[:2] != v.shape[:2] or k.shape[0] != q.shape[0]:
            raise ValueError(f"MultiheadAttention key shape {np.shape(key)} and value shape "
                             f"{np.shape(value)} must match in batch and length, and share the "
                             f"batch size of query shape {np.shape(query)}")
        return q, k, v, batched

    def _masks(self, key_padding_mask, attn_mask, N, L, S, batched, dtype):
        """Both masks as float arrays broadcastable to (N, h, L, S), or None."""
        h = self.num_heads
        kpm = am = None
        if key_padding_mask is not None:
            want = (N, S) if batched else (S,)
            m = np.asarray(key_padding_mask)
            if m.shape != want:
                raise ValueError(f"MultiheadAttention key_padding_mask has shape {m.shape}, "
                                 f"expected {want} (batch, source length)")
            kpm = _float_mask("key_padding_mask", m, dtype).reshape(N, 1, 1, S)
        if attn_mask is not None:
            m = np.asarray(attn_mask)
            if m.ndim == 2:
                if m.shape != (L, S):
                    raise ValueError(f"MultiheadAttention 2-D attn_mask has shape {m.shape}, "
                                     f"expected {(L, S)} (target length, source length)")
                am = _float_mask("attn_mask", m, dtype)[None, None]
            elif m.ndim == 3:
                want = (N * h, L, S)
                if m.shape != want:
                    raise ValueError(f"MultiheadAttention 3-D attn_mask has shape {m.shape}, "
                                     f"expected {want} (batch * num_heads, L, S)")
                am = _float_mask("attn_mask", m, dtype).reshape(N, h, L, S)
            else:
                raise ValueError(f"MultiheadAttention attn_mask must be 2-D or 3-D, got shape "
                                 f"{m.shape}")
        return kpm, am

    # -- forward / backward ----------------------------------------------------------
    def forward(self, query, key, value, key_padding_mask=None, need_weights: bool = True,
                attn_mask=None, average_attn_weights: bool = True, is_causal: bool = False):
        q, k, v, batched = self._inputs(query, key, value)
        N, L, _ = q.shape
        S = k.shape[1]
        h, d = self.num_heads, self.head_dim
        dtype = q.dtype
        if is_causal and attn_mask is None:
            raise ValueError("MultiheadAttention is_causal=True is only a hint and needs "
                             "attn_mask as well (as in torch)")
        kpm, am = self._masks(key_padding_mask, attn_mask, N, L, S, batched, dtype)
        use_causal = bool(is_causal) and kpm is None and not need_weights
        if use_causal:
            am = None
        Wq, Wk, Wv = self._weights()
        bq, bk, bv = self._biases()
        qp, kp, vp = q @ Wq.T, k @ Wk.T, v @ Wv.T
        if bq is not None:
            qp += bq
            kp += bk
            vp += bv
        pad = 0
        if self.bias_k is not None:
            kp = np.concatenate([kp, np.broadcast_to(self.bias_k.data, (N, 1, h * d))], axis=1)
            vp = np.concatenate([vp, np.broadcast_to(self.bias_v.data, (N, 1, h * d))], axis=1)
            pad += 1
        qh = qp.reshape(N, L, h, d).transpose(0, 2, 1, 3)
        kh = kp.reshape(N, S + pad, h, d).transpose(0, 2, 1, 3)
        vh = vp.reshape(N, S + pad, h, d).transpose(0, 2, 1, 3)
        if self.add_zero_attn:
            kh = np.concatenate([kh, np.zeros((N, h, 1, d), dtype)], axis=2)
            vh = np.concatenate([vh, np.zeros((N, h, 1, d), dtype)], axis=2)
            pad += 1
        mask = None
        for m in (am, kpm):
            if m is not None:
                if pad:
                    m = np.concatenate([m, np.zeros(m.shape[:-1] + (pad,), dtype)], axis=-1)
                mask = m if mask is None else mask + m
        p = self.dropout if self.training else 0.0
        attn, ctx = sdpa_forward(qh, kh, vh, mask, p, use_causal, 1.0 / math.sqrt(d),
                                 rng=self.generator, empty="nan" if need_weights else "zero")
        merged = attn.transpose(0, 2, 1, 3).reshape(N, L, h * d)
        out = self.out_proj(merged)
        weights = None
        if need_weights:
            weights = ctx.dropped.mean(axis=1) if average_attn_weights else ctx.dropped
            if not batched:
                weights = weights[0]
        self._save(q=q, k=k, v=v, ctx=ctx, batched=batched, need_weights=need_weights,
                   average=average_attn_weights)
        return self._from_internal(out, batched), weights

    def _from_internal(self, a, batched):
        if not batched:
            return a[0]
        return a if self.batch_first else np.swapaxes(a, 0, 1)

    def _to_internal(self, a, batched):
        if not batched:
            return a[None]
        return a if self.batch_first else np.swapaxes(a, 0, 1)

    def backward(self, grad_out):
        q, k, v, ctx, batched, need_weights, average = self._saved(
            "q", "k", "v", "ctx", "batched", "need_weights", "average")
        if isinstance(grad_out, tuple):
            g_out, g_w = grad_out
        else:
            g_out, g_w = grad_out, None
        N, L, _ = q.shape
        h, d, dtype = self.num_heads, self.head_dim, q.dtype
        if g_out is None:
            g_out = np.zeros((N, L, self.embed_dim), dtype)
        else:
            g_out = self._to_internal(np.asarray(g_out, dtype=dtype), batched)
            if g_out.shape != (N, L, self.embed_dim):
                raise ValueError(f"MultiheadAttention grad_output has internal shape "
                                 f"{g_out.shape}, expected {(N, L, self.embed_dim)}")
        grad_w = None
        if g_w is not None:
            if not need_weights:
                raise ValueError("MultiheadAttention got a gradient for attn_weights, but "
                                 "forward ran with need_weights=False")
            g_w = np.asarray(g_w, dtype=dtype)
            if not batched:
                g_w = g_w[None]
            grad_w = (np.broadcast_to(g_w[:, None] / h, ctx.dropped.shape) if average
                      else g_w)
            if grad_w.shape != ctx.dropped.shape:
                raise ValueError(f"MultiheadAttention grad of attn_weights has shape "
                                 f"{np.shape(grad_out[1])}, does not match the weights")
        d_merged = self.out_proj.backward(g_out)
        d_attn = d_merged.reshape(N, L, h, d).transpose(0, 2, 1, 3)
        dqh, dkh, dvh = sdpa_backward(d_attn, ctx, grad_w)
        if self.add_zero_attn:
            dkh, dvh = dkh[:, :, :-1], dvh[:, :, :-1]
        dqp = dqh.transpose(0, 2, 1, 3).reshape(N, L, h * d)
        dkp = dkh.transpose(0, 2, 1, 3).reshape(N, dkh.shape[2], h * d)
        dvp = dvh.transpose(0, 2, 1, 3).reshape(N, dvh.shape[2], h * d)
        if self.bias_k is not None:
            self.bias_k.accumulate(dkp[:, -1].sum(axis=0).reshape(1, 1, -1))
            self.bias_v.accumulate(dvp[:, -1].sum(axis=0).reshape(1, 1, -1))
            dkp, dvp = dkp[:, :-1], dvp[:, :-1]
        Wq, Wk, Wv = self._weights()
        grads_w = [g.reshape(-1, g.shape[-1]).T @ x.reshape(-1, x.shape[-1])
                   for g, x in ((dqp, q), (dkp, k), (dvp, v))]
        if self._qkv_same_embed_dim:
            self.in_proj_weight.accumulate(np.concatenate(grads_w, axis=0))
        else:
            for p, gw in zip((self.q_proj_weight, self.k_proj_weight, self.v_proj_weight),
                             grads_w):
                p.accumulate(gw)
        if self.in_proj_bias is not None:
            self.in_proj_bias.accumulate(np.concatenate(
                [g.reshape(-1, g.shape[-1]).sum(axis=0) for g in (dqp, dkp, dvp)]))
        dq, dk, dv = dqp @ Wq, dkp @ Wk, dvp @ Wv
        return tuple(self._from_internal(a, batched) for a in (dq, dk, dv))

    def extra_repr(self) -> str:
        extra = "" if self._qkv_same_embed_dim else f", kdim={self.kdim}, vdim={self.vdim}"
        return (f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, "
                f"dropout={self.dropout:g}, batch_first={self.batch_first}{extra}")
