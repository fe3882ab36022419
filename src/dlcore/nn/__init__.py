"""Layers, containers and losses (the counterpart of ``torch.nn``).

Each sub-module holds one idea and this package re-exports its public names; the maths the
layers call is in :mod:`dlcore.functional`. ``dlcore.nn.init`` (``torch.nn.init``) and
``dlcore.nn.utils`` (``torch.nn.utils``: gradient clipping, sequence packing) are
sub-modules, as in PyTorch.
"""

from . import init, utils
from .activation import (CELU, ELU, GELU, GLU, SELU, Hardshrink, Hardsigmoid, Hardswish,
                         Hardtanh, LeakyReLU, LogSigmoid, LogSoftmax, Mish, PReLU, ReLU, ReLU6,
                         RReLU, Sigmoid, SiLU, Softmax, Softmin, Softplus, Softshrink, Softsign,
                         Tanh, Tanhshrink, Threshold)
from .attention import MultiheadAttention
from .concat import Concat
from .conv import Conv1d, Conv2d, ConvTranspose2d
from .distance import CosineSimilarity, PairwiseDistance
from .dropout import Dropout, Dropout1d, Dropout2d, Dropout3d
from .linear import Flatten, Identity, Linear, Unflatten
from .lora import LoRALinear
from .checkpoint import Checkpoint
from .loss import (BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CrossEntropyLoss,
                   GaussianNLLLoss, HingeEmbeddingLoss, HuberLoss, KLDivLoss, L1Loss,
                   MarginRankingLoss, MSELoss, MultiLabelMarginLoss, MultiLabelSoftMarginLoss,
                   MultiMarginLoss, NLLLoss, PoissonNLLLoss, SmoothL1Loss, SoftMarginLoss, TripletMarginLoss)
from .module import Module, ModuleDict, ModuleList, Parameter, Sequential
from .normalization import (BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm1d, InstanceNorm2d,
                            LayerNorm, LocalResponseNorm, RMSNorm)
from .padding import (CircularPad1d, CircularPad2d, CircularPad3d, ConstantPad1d, ConstantPad2d,
                      ConstantPad3d, ReflectionPad1d, ReflectionPad2d, ReflectionPad3d,
                      ReplicationPad1d, ReplicationPad2d, ReplicationPad3d, ZeroPad1d,
                      ZeroPad2d, ZeroPad3d)
from .pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool1d, AdaptiveMaxPool2d,
                      AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d)
from .rnn import GRU, LSTM, RNN, GRUCell, LockedDropout, LSTMCell, RNNCell, locked_mask
from .sparse import Embedding, EmbeddingBag
from .transformer import (TransformerEncoder, TransformerEncoderLayer,
                          generate_square_subsequent_mask)
from .upsampling import PixelShuffle, PixelUnshuffle, Upsample

__all__ = [
    # module, linear
    "Parameter", "Module", "Sequential", "ModuleList", "ModuleDict", "Linear", "Identity",
    "Flatten", "Unflatten", "LoRALinear",
    "Checkpoint",
    # activation
    "ReLU", "ReLU6", "LeakyReLU", "PReLU", "Hardtanh", "Hardsigmoid", "Hardswish", "ELU",
    "SELU", "CELU", "Softmax", "LogSoftmax", "Sigmoid", "Tanh", "LogSigmoid", "Softplus",
    "SiLU", "Mish", "GELU", "Softsign", "Softmin", "GLU", "Softshrink", "Hardshrink",
    "Tanhshrink", "Threshold", "RReLU",
    # conv, pooling, dropout, normalization, upsampling, concat
    "Conv1d", "Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "MaxPool1d", "AvgPool1d", "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "Dropout", "Dropout1d", "Dropout2d",
    "Dropout3d",
    "BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm", "RMSNorm", "InstanceNorm1d",
    "InstanceNorm2d", "LocalResponseNorm", "Upsample", "PixelShuffle", "PixelUnshuffle",
    "Concat",
    # padding
    "ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
    "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d",
    "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d",
    # sparse, recurrent, attention, transformer
    "Embedding", "EmbeddingBag", "RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU", "LockedDropout",
    "MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder",
    # loss
    "MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss",
    "MultiLabelSoftMarginLoss", "CrossEntropyLoss", "NLLLoss", "KLDivLoss", "MultiMarginLoss",
    "CosineEmbeddingLoss", "MarginRankingLoss", "HingeEmbeddingLoss", "SoftMarginLoss",
    "MultiLabelMarginLoss", "PoissonNLLLoss", "GaussianNLLLoss", "TripletMarginLoss",
    # distance
    "PairwiseDistance", "CosineSimilarity",
    # functions kept here because the layers' users call them (not torch.nn names)
    "generate_square_subsequent_mask", "locked_mask",
    # sub-modules
    "init", "utils",
]
