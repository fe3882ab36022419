"""Layers, containers and losses (the counterpart of ``torch.nn``).

Each sub-module holds one idea; this package re-exports their public names.
"""

from .module import *  # noqa: F401,F403  Parameter, Module, Sequential
from .linear import *  # noqa: F401,F403  Linear, Identity, Flatten
from .activation import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403  Embedding
from .attention import *  # noqa: F401,F403  MultiheadAttention
from .transformer import *  # noqa: F401,F403  TransformerEncoderLayer, TransformerEncoder
from .rnn import *  # noqa: F401,F403  RNN, LSTM, GRU and their cells, LockedDropout
from .upsampling import *  # noqa: F401,F403  Upsample
from .concat import *  # noqa: F401,F403  Concat
from . import utils  # noqa: F401  dlcore.nn.utils.rnn
from ..losses import *  # noqa: F401,F403

from . import (activation, conv, dropout, linear, module, normalization, pooling,  # noqa: F401
               sparse, attention, transformer, rnn, upsampling, concat)
from .. import losses as _losses

__all__ = [name for m in (module, linear, activation, conv, pooling, dropout, normalization,
                          sparse, attention, transformer, rnn, upsampling, concat, _losses)
           for name in m.__all__ if name[0].isupper()]
