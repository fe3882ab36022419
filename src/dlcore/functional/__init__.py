"""Stateless functions on arrays (the counterpart of ``torch.nn.functional``).

Each sub-module holds one idea, forward and backward: :mod:`~dlcore.functional.activation`,
:mod:`~dlcore.functional.loss`, :mod:`~dlcore.functional.conv`,
:mod:`~dlcore.functional.pooling`, :mod:`~dlcore.functional.dropout`,
:mod:`~dlcore.functional.normalization`, :mod:`~dlcore.functional.attention`,
:mod:`~dlcore.functional.vision`. This package re-exports the functions PyTorch users
know from ``torch.nn.functional``; the derivatives, backward kernels and helpers (``relu_grad``,
``softmax_backward``, ``conv2d_output_size``, ``keep_mask``, ...) are reached through their
sub-module. Nothing here imports :mod:`dlcore.nn`.

As in PyTorch, ``dlcore.functional.dropout`` is the *function*; it hides the sub-module of the
same name from attribute access, so reach that module's other names with
``from dlcore.functional.dropout import keep_mask`` (an import statement finds the module).
"""

from .activation import (celu, elu, gelu, glu, hardshrink, hardsigmoid, hardswish, hardtanh,
                         leaky_relu, log_softmax, logsigmoid, mish, prelu, relu, relu6, rrelu,
                         selu, sigmoid, silu, softmax, softmin, softplus, softshrink, softsign,
                         tanh, tanhshrink, threshold)
from .attention import scaled_dot_product_attention
from .conv import conv2d, conv_transpose2d
from .distance import cosine_similarity, pairwise_distance
from .dropout import dropout, dropout1d, dropout2d, dropout3d
from .loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cosine_embedding_loss,
                   cross_entropy, gaussian_nll_loss, hinge_embedding_loss, huber_loss, kl_div,
                   l1_loss, margin_ranking_loss, mse_loss, multi_margin_loss,
                   multilabel_margin_loss, multilabel_soft_margin_loss, nll_loss,
                   poisson_nll_loss, smooth_l1_loss, soft_margin_loss, triplet_margin_loss)
from .normalization import (batch_norm, group_norm, instance_norm, layer_norm,
                            local_response_norm, rms_norm)
from .padding import pad
from .sparse import embedding_bag
from .pooling import (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool1d,
                      adaptive_max_pool2d, avg_pool1d, avg_pool2d, max_pool1d, max_pool2d)
from .vision import cat, interpolate, pixel_shuffle, pixel_unshuffle

__all__ = [
    # activation
    "sigmoid", "tanh", "logsigmoid", "softplus", "silu", "mish", "gelu", "softsign", "relu",
    "relu6", "hardtanh", "hardsigmoid", "hardswish", "leaky_relu", "prelu", "elu", "selu",
    "celu", "softmax", "log_softmax", "softmin", "glu", "softshrink", "hardshrink",
    "tanhshrink", "threshold", "rrelu",
    # loss
    "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "multilabel_soft_margin_loss", "cross_entropy",
    "nll_loss", "kl_div", "multi_margin_loss", "cosine_embedding_loss", "margin_ranking_loss",
    "hinge_embedding_loss", "soft_margin_loss", "multilabel_margin_loss", "poisson_nll_loss",
    "gaussian_nll_loss", "triplet_margin_loss",
    # distance
    "pairwise_distance", "cosine_similarity",
    # dropout
    "dropout", "dropout1d", "dropout2d", "dropout3d",
    # normalization
    "batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm", "local_response_norm",
    # conv, pooling
    "conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "max_pool1d", "avg_pool1d", "adaptive_avg_pool1d",
    "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
    # padding, sparse
    "pad", "embedding_bag",
    # attention, vision
    "scaled_dot_product_attention", "interpolate", "cat", "pixel_shuffle", "pixel_unshuffle",
]
