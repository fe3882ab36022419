r"""The Transformer encoder layer and stack, as ``torch.nn.TransformerEncoderLayer`` and
``torch.nn.TransformerEncoder``.

Post-LN (``norm_first=False``, the original Transformer):

.. math::
    x_1 = \mathrm{LN}_1(x + \mathrm{SA}(x)), \qquad y = \mathrm{LN}_2(x_1 + \mathrm{FF}(x_1)).

Pre-LN (``norm_first=True``):

.. math::
    x_1 = x + \mathrm{SA}(\mathrm{LN}_1(x)), \qquad y = x_1 + \mathrm{FF}(\mathrm{LN}_2(x_1)),

with :math:`\mathrm{FF}(x) = W_2\,\mathrm{drop}(\mathrm{act}(W_1 x + b_1)) + b_2` and dropout
after the attention (``dropout1``) and after the feed-forward block (``dropout2``), plus
inside the attention on its weights. Backward walks the same graph in reverse: each residual
branch adds its gradient to the skip path's.

dlcore has no inference fast path: PyTorch's ``TransformerEncoder`` in eval mode under
``no_grad`` with ``batch_first=True`` uses nested tensors and returns exact zeros at padded
positions; dlcore never zeroes them (neither does torch with autograd on).
"""

from __future__ import annotations

import copy

import numpy as np

from ..checks import check_choice, check_int, check_range
from ..random import as_generator
from .activation import GELU, ReLU
from .attention import MultiheadAttention
from .dropout import Dropout
from .linear import Linear
from .module import Module, Sequential
from .normalization import LayerNorm

__all__ = ["TransformerEncoderLayer", "TransformerEncoder", "generate_square_subsequent_mask"]


def generate_square_subsequent_mask(sz: int, dtype=np.float64) -> np.ndarray:
    """Float causal mask ``(sz, sz)``: 0 on and below the diagonal, ``-inf`` above, as
    ``torch.nn.Transformer.generate_square_subsequent_mask``.

    Examples
    --------
    >>> generate_square_subsequent_mask(3)
    array([[  0., -inf, -inf],
           [  0.,   0., -inf],
           [  0.,   0.,   0.]])
    """
    sz = check_int("sz", sz, minimum=0)
    out = np.zeros((sz, sz), dtype=dtype)
    out[np.triu_indices(sz, 1)] = -np.inf
    return out


class TransformerEncoderLayer(Module):
    r"""Self-attention and a position-wise feed-forward block, each with a residual connection
    and a LayerNorm (after it, or before it with ``norm_first=True``).

    Parameters
    ----------
    d_model : int
    nhead : int
        Must divide ``d_model``.
    dim_feedforward : int, default 2048
    dropout : float, default 0.1
        Used at all four sites (attention weights, ``dropout1``, ``dropout`` after the
        activation, ``dropout2``).
    activation : {'relu', 'gelu'} or a dlcore Module, default 'relu'
    layer_norm_eps : float, default 1e-5
    batch_first : bool, default False
        ``(N, L, E)`` instead of ``(L, N, E)``.
    norm_first : bool, default False
        Pre-LN instead of Post-LN.
    bias : bool, default True
        Biases of every Linear and LayerNorm.
    rng : numpy.random.Generator, int or None
        Initial weights and dropout masks.
    dtype : numpy dtype, default float64

    Notes
    -----
    ``forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False)`` returns an
    array shaped like ``src``; the masks are ``nn.MultiheadAttention``'s (``True`` = masked).
    ``backward(grad_out)`` returns the gradient with respect to ``src``. Parameters, in
    PyTorch's order: ``self_attn.{in_proj_weight, in_proj_bias, out_proj.weight,
    out_proj.bias}``, ``linear1``, ``linear2``, ``norm1``, ``norm2`` (12 arrays).

    Examples
    --------
    >>> layer = TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True, rng=0)
    >>> x = np.random.default_rng(1).normal(size=(3, 5, 8))
    >>> y = layer(x); y.shape
    (3, 5, 8)
    >>> layer.backward(np.ones_like(y)).shape
    (3, 5, 8)
    >>> len(layer.parameters())
    12
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation="relu", layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 rng=None, dtype=np.float64):
        super().__init__()
        gen = as_generator(rng)
        d_model = check_int("d_model", d_model, minimum=1)
        nhead = check_int("nhead", nhead, minimum=1)
        dim_feedforward = check_int("dim_feedforward", dim_feedforward, minimum=1)
        dropout = check_range("dropout", dropout, 0.0, 1.0, high_open=True,
                              what="TransformerEncoderLayer")
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, rng=gen, dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, rng=gen, dtype=dtype)
        self.dropout = Dropout(dropout, rng=gen)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, rng=gen, dtype=dtype)
        self.norm_first = bool(norm_first)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout, rng=gen)
        self.dropout2 = Dropout(dropout, rng=gen)
        if isinstance(activation, str):
            check_choice("activation", activation, ("relu", "gelu"))
            activation = ReLU() if activation == "relu" else GELU()
        elif not isinstance(activation, Module):
            raise TypeError(f"activation must be 'relu', 'gelu' or a dlcore Module, got "
                            f"{activation!r}")
        self.activation = activation
        self.batch_first = self.self_attn.batch_first

    # -- the two sublayers, as in torch's _sa_block and _ff_block ------------------------
    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        a = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(a)

    def _sa_backward(self, g):
        return sum(self.self_attn.backward(self.dropout1.backward(g)))

    def _ff_block(self, x):
        h = self.dropout(self.activation(self.linear1(x)))
        return self.dropout2(self.linear2(h))

    def _ff_backward(self, g):
        g = self.linear2.backward(self.dropout2.backward(g))
        return self.linear1.backward(self.activation.backward(self.dropout.backward(g)))

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal: bool = False):
        x = np.asarray(src)
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        self._save(ran=True)
        return x

    def backward(self, grad_out):
        self._saved()
        g = np.asarray(grad_out)
        if self.norm_first:
            g = g + self.norm2.backward(self._ff_backward(g))
            return g + self.norm1.backward(self._sa_backward(g))
        g = self.norm2.backward(g)
        g = g + self._ff_backward(g)
        g = self.norm1.backward(g)
        return g + self._sa_backward(g)

    def extra_repr(self) -> str:
        return f"norm_first={self.norm_first}, batch_first={self.batch_first}"


class TransformerEncoder(Module):
    r"""A stack of ``num_layers`` copies of ``encoder_layer``, then an optional ``norm``.

    Parameters
    ----------
    encoder_layer : TransformerEncoderLayer
        Deep-copied ``num_layers`` times (the copies start with equal weights, as in torch).
    num_layers : int
    norm : Module, optional
        Applied to the last layer's output (a Pre-LN stack needs one).
    enable_nested_tensor, mask_check : bool
        Accepted for signature parity; dlcore has no fast path, so padded positions are
        never zeroed.
    rng : numpy.random.Generator, int or None
        One generator shared by every copy's dropout (default: the layer's).

    Examples
    --------
    >>> layer = TransformerEncoderLayer(8, 2, 16, dropout=0.0, rng=0)
    >>> enc = TransformerEncoder(layer, 3)
    >>> x = np.ones((5, 2, 8)); enc(x).shape, enc.backward(np.ones((5, 2, 8))).shape
    ((5, 2, 8), (5, 2, 8))
    >>> sum(p.data.size for p in enc.parameters()) == 3 * sum(p.data.size for p in layer.parameters())
    True
    """

    def __init__(self, encoder_layer, num_layers: int, norm=None,
                 enable_nested_tensor: bool = True, mask_check: bool = True, rng=None):
        super().__init__()
        if not isinstance(encoder_layer, Module):
            raise TypeError(f"encoder_layer must be a dlcore Module, got "
                            f"{type(encoder_layer).__name__}")
        self.num_layers = check_int("num_layers", num_layers, minimum=1)
        gen = (as_generator(rng) if rng is not None
               else getattr(getattr(encoder_layer, "dropout", None), "generator", None)
               or as_generator(None))
        clones = [copy.deepcopy(encoder_layer) for _ in range(self.num_layers)]
        for layer in clones:
            for m in layer.modules():
                if "generator" in m.__dict__:
                    object.__setattr__(m, "generator", gen)
        self.layers = Sequential(*clones)
        self.norm = norm
        self.enable_nested_tensor = bool(enable_nested_tensor)
        self.mask_check = bool(mask_check)

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                      is_causal=bool(is_causal))
        if self.norm is not None:
            x = self.norm(x)
        self._save(ran=True)
        return x

    def backward(self, grad_out):
        self._saved()
        g = grad_out
        if self.norm is not None:
            g = self.norm.backward(g)
        for layer in reversed(list(self.layers)):
            g = layer.backward(g)
        return g
