"""Attention forward + backward (functional and MultiheadAttention) and the encoder layer,
float64, against PyTorch; plus the L^2 growth of scaled_dot_product_attention."""

import numpy as np
import torch
import torch.nn.functional as F

import dlcore.nn as nn
from dlcore.functional.attention import sdpa_backward, sdpa_forward
from harness import Case, layer_case


def _sdpa(n, h, L, d):
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal((n, h, L, d)) for _ in range(3))
    g = rng.standard_normal((n, h, L, d))
    tq, tk, tv = (torch.from_numpy(a).requires_grad_() for a in (q, k, v))
    tg = torch.from_numpy(g)

    def run_dlcore():
        out, ctx = sdpa_forward(q, k, v)
        sdpa_backward(g, ctx)

    def run_torch():
        for a in (tq, tk, tv):
            a.grad = None
        F.scaled_dot_product_attention(tq, tk, tv).backward(tg)

    return Case("scaled_dot_product_attention fwd+bwd", f"({n}, {h}, {L}, {d})", run_dlcore,
                run_torch)


class _SelfAttention(nn.Module):
    """Self-attention as a one-input layer, so layer_case can time it."""

    def __init__(self, mha):
        super().__init__()
        self.mha = mha

    def forward(self, x):
        return self.mha(x, x, x, need_weights=False)[0]

    def backward(self, g):
        return sum(self.mha.backward(g))


class _TorchSelfAttention(torch.nn.Module):
    def __init__(self, mha):
        super().__init__()
        self.mha = mha

    def forward(self, x):
        return self.mha(x, x, x, need_weights=False)[0]


def _mha(n, L, E, h):
    x = np.random.default_rng(0).standard_normal((n, L, E))
    return layer_case("MultiheadAttention (self) fwd+bwd", f"N={n}, L={L}, E={E}, h={h}",
                      _SelfAttention(nn.MultiheadAttention(E, h, batch_first=True, rng=0)),
                      _TorchSelfAttention(torch.nn.MultiheadAttention(
                          E, h, batch_first=True, dtype=torch.float64)), x)


def _encoder(n, L, E, h, ff):
    x = np.random.default_rng(0).standard_normal((n, L, E))
    return layer_case("TransformerEncoderLayer fwd+bwd", f"N={n}, L={L}, E={E}, h={h}, ff={ff}",
                      nn.TransformerEncoderLayer(E, h, ff, dropout=0.0, batch_first=True, rng=0),
                      torch.nn.TransformerEncoderLayer(E, h, ff, dropout=0.0, batch_first=True,
                                                       dtype=torch.float64), x)


CASES = [_sdpa(8, 4, 128, 16), _mha(8, 128, 64, 4), _encoder(8, 128, 64, 4, 256)]
CASES += [_sdpa(1, 1, L, 64) for L in (256, 512, 1024)]  # the O(L^2) growth
