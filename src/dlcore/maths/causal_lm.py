r"""A small decoder-only (GPT-style) language model built from dlcore's layers, and the
key/value cache that makes generating from it cost one token's work per step.

The model: token and learned position embeddings, ``n_layer`` Pre-LN
:class:`~dlcore.nn.TransformerEncoderLayer` blocks with a causal mask, a final LayerNorm and
an output layer (its own weight, or the token table when ``tie_weights``):

.. math::
    h_0 = E[x] + P[\text{pos}], \qquad h_\ell = \mathrm{Block}_\ell(h_{\ell-1}), \qquad
    \text{logits} = \mathrm{LN}_f(h_L)\, W_{\text{out}}^\top .

Incremental decoding. Under the causal mask, position :math:`t`'s keys and values at every
layer depend only on tokens :math:`\le t`, so they never change once computed. A
:class:`KVCache` keeps them; a step then runs the blocks on the new tokens only, and their
queries attend to the cached keys and values and their own. With :math:`P` cached positions
and :math:`L` new ones, new query :math:`i` may see keys :math:`j \le P + i`: the
*bottom-right* aligned causal mask (:func:`lower_right_causal_mask`), not the top-left one
that ``scaled_dot_product_attention(is_causal=True)`` uses. No query cache is needed: past
queries were used for past outputs and are never read again.
"""

from __future__ import annotations

import numpy as np

from ..checks import check_int, check_range
from ..functional.attention import scaled_dot_product_attention
from ..nn.linear import Linear
from ..nn.module import Module, ModuleList
from ..nn.normalization import LayerNorm
from ..nn.sparse import Embedding
from ..nn.transformer import TransformerEncoderLayer
from ..random import as_generator
from .text import transformer_flops

__all__ = ["CausalLM", "KVCache", "lower_right_causal_mask", "kv_cache_bytes",
           "decode_step_flops", "GPT2_SMALL"]

#: GPT-2 small's shapes (Radford et al., 2019): the configuration the chapter's counts use.
GPT2_SMALL = {"vocab_size": 50257, "context": 1024, "d_model": 768, "n_layer": 12,
              "n_head": 12}


def lower_right_causal_mask(L: int, S: int) -> np.ndarray:
    r"""Boolean ``(L, S)`` mask, ``True`` where query ``i`` may attend key ``j``, with the
    queries aligned to the *last* ``L`` keys: :math:`j \le i + S - L` (as
    ``torch.nn.attention.bias.causal_lower_right``). For ``L == S`` it is the usual lower
    triangle; for one query it lets the query see every key.

    Examples
    --------
    >>> lower_right_causal_mask(2, 4).astype(int)
    array([[1, 1, 1, 0],
           [1, 1, 1, 1]])
    """
    L = check_int("L", L, minimum=0)
    S = check_int("S", S, minimum=0)
    if L > S:
        raise ValueError(f"lower_right_causal_mask needs L <= S (queries are the last L of "
                         f"the S positions), got L={L}, S={S}")
    return np.tri(L, S, S - L, dtype=bool)


def kv_cache_bytes(n_layer: int, context: int, d_model: int, itemsize: int,
                   batch: int = 1) -> int:
    r"""Bytes of a full key/value cache: :math:`2 \cdot n_{layer} \cdot N \cdot T \cdot d
    \cdot s` (keys and values, every layer, every position, all heads together :math:`d`
    wide, :math:`s` bytes per number).

    Examples
    --------
    >>> kv_cache_bytes(12, 1024, 768, 2)      # GPT-2 small, float16
    37748736
    """
    n_layer, context, d_model, itemsize, batch = (
        check_int(name, v, minimum=0) for name, v in (("n_layer", n_layer),
                                                      ("context", context),
                                                      ("d_model", d_model),
                                                      ("itemsize", itemsize),
                                                      ("batch", batch)))
    return 2 * n_layer * batch * context * d_model * itemsize


def decode_step_flops(vocab_size: int, d_model: int, n_layer: int, t: int, cached: bool,
                      d_ff=None) -> int:
    r"""Forward FLOPs to produce the next-token logits when the sequence holds ``t`` tokens.

    With the cache only the newest token runs through the model, and its query meets ``t``
    keys: :math:`c + 4\,n_{layer}\,t\,d`, where :math:`c` is the per-token weight and output
    cost of :func:`~dlcore.maths.text.transformer_flops` (constant in ``t``). Without it the
    whole prefix is recomputed, logits of every position included, as a plain forward pass
    does: ``t`` times the per-token cost at context ``t``,
    :math:`t\,c + 4\,n_{layer}\,t^2 d`.

    Examples
    --------
    >>> decode_step_flops(96, 48, 2, 32, cached=False) == 32 * decode_step_flops(
    ...     96, 48, 2, 32, cached=True)
    True
    """
    t = check_int("t", t, minimum=1)
    per_token = transformer_flops(vocab_size, t, d_model, n_layer, d_ff)["total"]
    return int(per_token if cached else t * per_token)


class KVCache:
    r"""Keys and values of every layer for the positions decoded so far.

    Arrays are allocated once for ``max_len`` positions, ``(batch, n_head, max_len,
    head_dim)`` per layer for the keys and for the values, and filled from the left;
    ``length`` positions are valid.

    Parameters
    ----------
    n_layer, n_head, head_dim, max_len : int
    batch : int, default 1
    dtype : numpy dtype, default float64

    Examples
    --------
    >>> cache = KVCache(2, 4, 12, 32)
    >>> cache.nbytes == 2 * 2 * 32 * 48 * 8
    True
    >>> k, v = cache.update(0, np.ones((1, 4, 3, 12)), np.ones((1, 4, 3, 12)))
    >>> k.shape, cache.length
    ((1, 4, 3, 12), 0)
    >>> cache.advance(3); cache.length
    3
    """

    def __init__(self, n_layer: int, n_head: int, head_dim: int, max_len: int,
                 batch: int = 1, dtype=np.float64):
        self.n_layer = check_int("n_layer", n_layer, minimum=1)
        self.n_head = check_int("n_head", n_head, minimum=1)
        self.head_dim = check_int("head_dim", head_dim, minimum=1)
        self.max_len = check_int("max_len", max_len, minimum=1)
        self.batch = check_int("batch", batch, minimum=0)
        shape = (self.batch, self.n_head, self.max_len, self.head_dim)
        self.keys = [np.zeros(shape, dtype=dtype) for _ in range(self.n_layer)]
        self.values = [np.zeros(shape, dtype=dtype) for _ in range(self.n_layer)]
        self.length = 0

    @property
    def nbytes(self) -> int:
        """Bytes held by the key and value arrays."""
        return int(sum(a.nbytes for a in self.keys + self.values))

    def update(self, layer: int, k: np.ndarray, v: np.ndarray):
        """Write the new positions' keys and values ``(batch, n_head, L, head_dim)`` of
        ``layer`` after the ``length`` cached ones; return the keys and values of all
        ``length + L`` positions (views). Call :meth:`advance` once every layer is done."""
        layer = check_int("layer", layer, minimum=0)
        if layer >= self.n_layer:
            raise ValueError(f"KVCache layer must be < n_layer={self.n_layer}, got {layer}")
        k, v = np.asarray(k), np.asarray(v)
        want = (self.batch, self.n_head, k.shape[2] if k.ndim == 4 else -1, self.head_dim)
        if k.shape != want or v.shape != want:
            raise ValueError(f"KVCache.update needs k and v of shape (batch, n_head, L, "
                             f"head_dim) = {want}, got {k.shape} and {v.shape}")
        stop = self.length + k.shape[2]
        if stop > self.max_len:
            raise ValueError(f"KVCache is full: {self.length} cached + {k.shape[2]} new "
                             f"positions exceed max_len={self.max_len}")
        self.keys[layer][:, :, self.length:stop] = k
        self.values[layer][:, :, self.length:stop] = v
        return self.keys[layer][:, :, :stop], self.values[layer][:, :, :stop]

    def advance(self, n: int) -> None:
        """Mark ``n`` more positions as cached."""
        n = check_int("n", n, minimum=0)
        if self.length + n > self.max_len:
            raise ValueError(f"KVCache cannot advance {n} positions past max_len="
                             f"{self.max_len} (holds {self.length})")
        self.length += n

    def __repr__(self) -> str:
        return (f"KVCache(n_layer={self.n_layer}, batch={self.batch}, n_head={self.n_head}, "
                f"length={self.length}/{self.max_len}, head_dim={self.head_dim})")


class CausalLM(Module):
    r"""Decoder-only Transformer language model (GPT-2's layout, without dropout).

    Parameters
    ----------
    vocab_size : int
    d_model : int
    n_layer : int
    n_head : int
        Must divide ``d_model``.
    context : int
        Number of learned positions: the longest sequence the model reads.
    tie_weights : bool, default False
        Use the token table as the output layer (logits :math:`= h E^\top`), as GPT-2 does;
        otherwise a separate ``Linear(d_model, vocab_size, bias=False)`` named ``head``.
    dim_feedforward : int, optional
        Default ``4 * d_model``.
    activation : {'gelu', 'relu'}, default 'gelu'
    causal : bool, default True
        ``False`` drops the causal mask (a bidirectional encoder with the same weights), to
        show what the mask and the cache rely on.
    layer_norm_eps : float, default 1e-5
    rng : numpy.random.Generator, int or None
        Initial weights (PyTorch's initialisation, layer by layer).
    dtype : numpy dtype, default float64

    Notes
    -----
    Parameters, named as a PyTorch module with attributes ``tok_emb``, ``pos_emb``,
    ``layers`` (a ``ModuleList`` of ``TransformerEncoderLayer(d_model, n_head,
    dim_feedforward, dropout=0.0, activation, batch_first=True, norm_first=True)``),
    ``ln_f`` and ``head`` would name them: ``tok_emb.weight`` ``(V, d)``,
    ``pos_emb.weight`` ``(context, d)``, ``layers.{i}.self_attn.in_proj_weight``, ...,
    ``ln_f.weight``, ``ln_f.bias``, ``head.weight`` ``(V, d)`` (absent when tied).

    ``forward(ids, cache=None, positions=None, key_padding_mask=None)`` takes integer ids
    ``(N, L)`` and returns ``(logits, cache)`` with logits ``(N, L, V)``.

    - ``cache=None``: the whole sequence in one pass (training); ``backward(grad_logits)``
      then accumulates every parameter's gradient. ``positions`` (``(L,)`` or ``(N, L)``,
      default ``0..L-1``) and ``key_padding_mask`` (``(N, L)``, ``True`` = padding) serve
      left-padded batches. The returned cache is ``None``.
    - ``cache`` a :class:`KVCache` (from :meth:`new_cache`): the ids are the next ``L``
      positions after the ``cache.length`` cached ones; their keys and values are appended
      and the cache is returned. Inference only: ``backward`` refuses to run after it.

    ``generate(prompt, n, temperature=1.0, rng=None, use_cache=True, return_logits=False)``
    appends ``n`` tokens to a 1-D prompt, greedily for ``temperature == 0``.

    Examples
    --------
    >>> lm = CausalLM(10, 8, 2, 2, context=6, rng=0)
    >>> ids = np.array([[1, 2, 3, 4]])
    >>> logits, _ = lm(ids)
    >>> logits.shape
    (1, 4, 10)
    >>> cache = lm.new_cache()
    >>> step1, cache = lm(ids[:, :3], cache)
    >>> step2, cache = lm(ids[:, 3:], cache)
    >>> bool(np.allclose(step2[0, -1], logits[0, -1], atol=1e-12)), cache.length
    (True, 4)
    >>> lm.backward(np.ones_like(step2))
    Traceback (most recent call last):
    ...
    RuntimeError: CausalLM.backward needs a forward pass without a cache (the cached path is inference only)
    """

    def __init__(self, vocab_size: int, d_model: int, n_layer: int, n_head: int, context: int,
                 tie_weights: bool = False, dim_feedforward=None, activation: str = "gelu",
                 causal: bool = True, layer_norm_eps: float = 1e-5, rng=None,
                 dtype=np.float64):
        super().__init__()
        gen = as_generator(rng)
        self.vocab_size = check_int("vocab_size", vocab_size, minimum=1)
        self.d_model = check_int("d_model", d_model, minimum=1)
        self.n_layer = check_int("n_layer", n_layer, minimum=1)
        self.n_head = check_int("n_head", n_head, minimum=1)
        if self.d_model % self.n_head:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by n_head "
                             f"({self.n_head})")
        self.context = check_int("context", context, minimum=1)
        dff = 4 * self.d_model if dim_feedforward is None else dim_feedforward
        self.dim_feedforward = check_int("dim_feedforward", dff, minimum=1)
        self.tie_weights = bool(tie_weights)
        self.causal = bool(causal)
        self.tok_emb = Embedding(self.vocab_size, self.d_model, rng=gen, dtype=dtype)
        self.pos_emb = Embedding(self.context, self.d_model, rng=gen, dtype=dtype)
        self.layers = ModuleList([
            TransformerEncoderLayer(self.d_model, self.n_head, self.dim_feedforward,
                                    dropout=0.0, activation=activation,
                                    layer_norm_eps=layer_norm_eps, batch_first=True,
                                    norm_first=True, rng=gen, dtype=dtype)
            for _ in range(self.n_layer)])
        self.ln_f = LayerNorm(self.d_model, eps=layer_norm_eps, dtype=dtype)
        if not self.tie_weights:
            self.head = Linear(self.d_model, self.vocab_size, bias=False, rng=gen, dtype=dtype)

    # -- helpers ---------------------------------------------------------------------
    def new_cache(self, batch: int = 1) -> KVCache:
        """An empty :class:`KVCache` sized for this model's ``context``."""
        return KVCache(self.n_layer, self.n_head, self.d_model // self.n_head, self.context,
                       batch, dtype=self.tok_emb.weight.data.dtype)

    def _ids(self, ids, start: int) -> np.ndarray:
        a = np.asarray(ids)
        if a.dtype.kind not in "iu":
            raise TypeError(f"CausalLM ids must be integer token ids, got dtype {a.dtype}")
        if a.ndim != 2:
            raise ValueError(f"CausalLM ids must be 2-D (batch, length), got shape {a.shape}")
        if start + a.shape[1] > self.context:
            raise ValueError(f"CausalLM ids reach position {start + a.shape[1]}, beyond the "
                             f"context of {self.context} (length {a.shape[1]}"
                             f"{f' after {start} cached' if start else ''})")
        return a

    def _logits(self, h):
        """Logits and the final LayerNorm's output (the tied output layer's weight
        gradient needs the latter)."""
        z = self.ln_f(h)
        if self.tie_weights:
            return z @ self.tok_emb.weight.data.T, z
        return self.head(z), z

    # -- forward / backward ----------------------------------------------------------
    def forward(self, ids, cache=None, positions=None, key_padding_mask=None):
        if cache is not None:
            if positions is not None or key_padding_mask is not None:
                raise ValueError("CausalLM with a cache takes neither positions nor "
                                 "key_padding_mask (positions follow the cached ones)")
            return self._cached_forward(ids, cache), cache
        ids = self._ids(ids, 0)
        N, L = ids.shape
        pos = np.arange(L) if positions is None else np.asarray(positions)
        if pos.shape not in ((L,), (N, L)):
            raise ValueError(f"CausalLM positions must have shape {(L,)} or {(N, L)}, got "
                             f"{pos.shape}")
        h = self.tok_emb(ids) + self.pos_emb(pos)
        mask = np.triu(np.ones((L, L), dtype=bool), 1) if self.causal else None
        for layer in self.layers:
            h = layer(h, src_mask=mask, src_key_padding_mask=key_padding_mask)
        logits, z = self._logits(h)
        self._save(cached=False, z=z if self.tie_weights else None, pos_shape=pos.shape)
        return logits, None

    def backward(self, grad_out):
        cache = self.__dict__.get("_cache")
        if cache is None:
            raise RuntimeError("CausalLM.backward called before forward")
        if cache["cached"]:
            raise RuntimeError("CausalLM.backward needs a forward pass without a cache (the "
                               "cached path is inference only)")
        g = np.asarray(grad_out, dtype=self.tok_emb.weight.data.dtype)
        if self.tie_weights:
            z = cache["z"]
            if g.shape != z.shape[:-1] + (self.vocab_size,):
                raise ValueError(f"CausalLM grad_out has shape {g.shape}, expected "
                                 f"{z.shape[:-1] + (self.vocab_size,)}")
            self.tok_emb.weight.accumulate(
                g.reshape(-1, self.vocab_size).T @ z.reshape(-1, self.d_model))
            g = g @ self.tok_emb.weight.data
        else:
            g = self.head.backward(g)
        g = self.ln_f.backward(g)
        for layer in reversed(list(self.layers)):
            g = layer.backward(g)
        self.tok_emb.backward(g)
        self.pos_emb.backward(g if cache["pos_shape"] == g.shape[:2] else g.sum(axis=0))
        return None

    def _cached_forward(self, ids, cache: KVCache):
        if not isinstance(cache, KVCache):
            raise TypeError(f"CausalLM cache must be a KVCache, got {type(cache).__name__}")
        P = cache.length
        ids = self._ids(ids, P)
        N, L = ids.shape
        if cache.batch != N or cache.n_layer != self.n_layer or \
                cache.n_head != self.n_head or cache.max_len < P + L:
            raise ValueError(f"CausalLM got {cache!r}, which does not fit ids of shape "
                             f"{ids.shape} and this model (n_layer={self.n_layer}, "
                             f"n_head={self.n_head}); make it with new_cache(batch={N})")
        h = self.tok_emb(ids) + self.pos_emb(P + np.arange(L))
        # new query i sits at position P + i and may see keys 0 .. P + i (bottom-right)
        mask = lower_right_causal_mask(L, P + L) if self.causal else None
        hd = self.d_model // self.n_head
        for i, layer in enumerate(self.layers):
            attn = layer.self_attn
            a = layer.norm1(h)
            w = attn.in_proj_weight.data
            qkv = a @ w.T + attn.in_proj_bias.data
            q, k, v = (x.reshape(N, L, self.n_head, hd).transpose(0, 2, 1, 3)
                       for x in np.split(qkv, 3, axis=-1))
            keys, values = cache.update(i, k, v)
            o = scaled_dot_product_attention(q, keys, values, attn_mask=mask)
            h = h + attn.out_proj(o.transpose(0, 2, 1, 3).reshape(N, L, self.d_model))
            h = h + layer.linear2(layer.activation(layer.linear1(layer.norm2(h))))
        cache.advance(L)
        self._save(cached=True)
        return self._logits(h)[0]

    # -- generation ------------------------------------------------------------------
    def generate(self, prompt, n: int, temperature: float = 1.0, rng=None,
                 use_cache: bool = True, return_logits: bool = False):
        r"""Append ``n`` tokens to ``prompt`` (1-D ids), one at a time.

        Each step turns the logits of the last position into the next token: the argmax
        for ``temperature == 0`` (greedy), else a draw from
        :math:`\mathrm{softmax}(z / T)` by inverse CDF with one uniform from ``rng``. With
        ``use_cache`` the prompt is run once into a :class:`KVCache` and every step feeds
        only the new token; without it every step recomputes the whole prefix. The prompt
        plus ``n`` must fit the context (there is no sliding window).

        Returns the prompt followed by the ``n`` new ids, and with ``return_logits`` also
        the ``(n, V)`` logits each choice was made from.
        """
        p = np.asarray(prompt)
        if p.ndim != 1 or p.size == 0:
            raise ValueError(f"generate prompt must be a non-empty 1-D sequence of ids, got "
                             f"shape {p.shape}")
        n = check_int("n", n, minimum=0)
        temperature = check_range("temperature", temperature, 0.0, None, what="generate")
        if p.size + n > self.context:
            raise ValueError(f"generate: prompt of {p.size} + n={n} tokens exceeds the "
                             f"context of {self.context}")
        gen = as_generator(rng)
        seq = [int(t) for t in p]
        cache = self.new_cache() if use_cache else None
        feed = p[None]
        chosen = []
        for _ in range(n):
            if use_cache:
                logits, cache = self.forward(feed, cache)
            else:
                logits, _ = self.forward(np.array([seq]))
            z = np.asarray(logits[0, -1], dtype=np.float64)
            chosen.append(z)
            if temperature == 0:
                nxt = int(np.argmax(z))
            else:
                e = np.exp((z - z.max()) / temperature)
                cdf = np.cumsum(e / e.sum())
                nxt = int(min(np.searchsorted(cdf, gen.random(), side="right"), z.size - 1))
            seq.append(nxt)
            feed = np.array([[nxt]])
        out = np.array(seq, dtype=np.int64)
        if return_logits:
            return out, np.array(chosen).reshape(n, self.vocab_size)
        return out

    def extra_repr(self) -> str:
        return (f"vocab_size={self.vocab_size}, d_model={self.d_model}, n_layer={self.n_layer}, "
                f"n_head={self.n_head}, context={self.context}, tie_weights={self.tie_weights}, "
                f"causal={self.causal}")
