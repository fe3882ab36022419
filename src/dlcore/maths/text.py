r"""Text and sequence maths for the attention chapter: sinusoidal positional encoding, the
closed-form rotation that relates two of its positions, and the parameter and FLOP counts of a
decoder-only Transformer.

.. math::
    PE(p, 2i) = \sin(p\,\omega_i), \quad PE(p, 2i+1) = \cos(p\,\omega_i), \quad
    \omega_i = 10000^{-2i/d}.
"""

from __future__ import annotations

import numpy as np

from ..checks import check_int

__all__ = ["sinusoidal_encoding", "relative_shift_matrix", "transformer_param_count",
           "transformer_flops"]


def _frequencies(d_model: int) -> np.ndarray:
    return 10000.0 ** (-np.arange(0, d_model, 2) / d_model)


def sinusoidal_encoding(max_len: int, d_model: int) -> np.ndarray:
    r"""The ``(max_len, d_model)`` table of Vaswani et al. (2017), positions ``0..max_len-1``.

    ``d_model`` must be even: each frequency :math:`\omega_i` fills a (sin, cos) pair.

    Examples
    --------
    >>> pe = sinusoidal_encoding(3, 4)
    >>> pe[0]
    array([0., 1., 0., 1.])
    >>> bool(np.allclose(pe[:, 0::2] ** 2 + pe[:, 1::2] ** 2, 1.0))
    True
    """
    max_len = check_int("max_len", max_len, minimum=0)
    d_model = check_int("d_model", d_model, minimum=2)
    if d_model % 2:
        raise ValueError(f"sinusoidal_encoding needs an even d_model, got {d_model}")
    angles = np.arange(max_len)[:, None] * _frequencies(d_model)[None, :]
    pe = np.empty((max_len, d_model))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles)
    return pe


def relative_shift_matrix(k: int, d_model: int) -> np.ndarray:
    r"""The block-diagonal :math:`M_k` with :math:`PE(p + k) = M_k\, PE(p)` for every ``p``.

    Block :math:`i` rotates the pair :math:`(\sin p\omega_i, \cos p\omega_i)` by
    :math:`k\omega_i`: :math:`\begin{pmatrix}\cos k\omega_i & \sin k\omega_i\\
    -\sin k\omega_i & \cos k\omega_i\end{pmatrix}` (angle-sum formulas). It does not depend on
    ``p``, which is why a linear map of the encoding can express "k positions back".

    Examples
    --------
    >>> pe = sinusoidal_encoding(10, 6)
    >>> bool(np.allclose(pe[:7] @ relative_shift_matrix(3, 6).T, pe[3:]))
    True
    """
    k = check_int("k", k)
    d_model = check_int("d_model", d_model, minimum=2)
    if d_model % 2:
        raise ValueError(f"relative_shift_matrix needs an even d_model, got {d_model}")
    m = np.zeros((d_model, d_model))
    for i, w in enumerate(_frequencies(d_model)):
        c, s = np.cos(k * w), np.sin(k * w)
        m[2 * i:2 * i + 2, 2 * i:2 * i + 2] = [[c, s], [-s, c]]
    return m


def transformer_param_count(vocab_size: int, context: int, d_model: int, n_layer: int,
                            d_ff=None, tied: bool = True, learned_positions: bool = True) -> int:
    r"""Parameters of a GPT-2-style decoder: embeddings, ``n_layer`` Pre-LN blocks, final LN.

    One block holds :math:`4d^2 + 4d` in attention (:math:`W_q, W_k, W_v, W_o` and biases),
    :math:`2 d\,d_{ff} + d_{ff} + d` in the feed-forward block and :math:`4d` in two
    LayerNorms; with :math:`d_{ff} = 4d` that is :math:`12d^2 + 13d`. Add :math:`Vd` for the
    token table (shared with the output layer when ``tied``), :math:`Td` for learned positions
    and :math:`2d` for the final LayerNorm.

    Examples
    --------
    >>> transformer_param_count(50257, 1024, 768, 12)   # GPT-2 small
    124439808
    """
    d, ff = d_model, 4 * d_model if d_ff is None else d_ff
    block = 4 * d * d + 4 * d + 2 * d * ff + ff + d + 4 * d
    total = n_layer * block + vocab_size * d + 2 * d
    if learned_positions:
        total += context * d
    if not tied:
        total += vocab_size * d
    return int(total)


def transformer_flops(vocab_size: int, context: int, d_model: int, n_layer: int,
                      d_ff=None) -> dict:
    r"""Forward FLOPs per token of that decoder at sequence length ``context`` (matmuls only,
    2 FLOPs per multiply-add, the full :math:`T \times T` score matrix as a naive kernel
    computes it).

    Returns ``weights`` (:math:`2 \cdot n_{layer}(4d^2 + 2 d\,d_{ff})`), ``attention``
    (:math:`4\,n_{layer} T d`: :math:`QK^\top` and :math:`PV`), ``output``
    (:math:`2Vd`, the logits) and ``total``.

    Examples
    --------
    >>> f = transformer_flops(50257, 1024, 768, 12)
    >>> f["total"] == 2 * 12 * 12 * 768 ** 2 + 2 * 50257 * 768 + 4 * 12 * 1024 * 768
    True
    """
    d, ff = d_model, 4 * d_model if d_ff is None else d_ff
    weights = 2 * n_layer * (4 * d * d + 2 * d * ff)
    attention = 4 * n_layer * context * d
    output = 2 * vocab_size * d
    return {"weights": int(weights), "attention": int(attention), "output": int(output),
            "total": int(weights + attention + output)}
