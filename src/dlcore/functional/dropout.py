r"""Dropout as functions (``dropout``, ``dropout1d/2d/3d`` of ``torch.nn.functional``), the keep
masks and the train/eval multiplier.

Inverted dropout (PyTorch's convention, the default) keeps each element with probability
:math:`1 - p` and scales the survivors by :math:`1/(1 - p)`, so :math:`E[y] = x` and inference
is the identity. Classic dropout (Srivastava et al. 2014, ``mode="classic"``) leaves the
survivors unscaled in training and multiplies by the keep probability :math:`1 - p` at
inference instead. The layers live in :mod:`dlcore.nn.dropout`; the drop-rate posterior and
Monte Carlo dropout of chapter 4 in :mod:`dlcore.maths.dropout_bayes`.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..checks import as_array, check_choice, check_int, check_range
from ..random import as_generator

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "keep_mask", "multiplier"]

MODES = ("inverted", "classic")


def check_p(p, mode: str = "inverted") -> float:
    """Validate the drop probability: ``[0, 1)`` for inverted dropout (``1/(1 - p)`` must be
    finite), ``[0, 1]`` for classic dropout.

    Examples
    --------
    >>> check_p(1.0, mode="classic")
    1.0
    >>> check_p(1.0)
    Traceback (most recent call last):
    ...
    ValueError: dropout p must be in [0, 1), got 1
    """
    check_choice("mode", mode, MODES)
    return check_range("p", p, 0.0, 1.0, high_open=(mode == "inverted"), what="dropout")


def keep_mask(shape, p: float, rng=None) -> np.ndarray:
    r"""Boolean mask that is ``True`` (kept) with probability :math:`1 - p`, independently.

    An element is kept when a uniform draw :math:`u \in [0, 1)` satisfies :math:`u \ge p`,
    so ``p = 0`` keeps everything and ``p = 1`` nothing.

    Examples
    --------
    >>> keep_mask((2, 4), 0.5, rng=0)
    array([[ True, False, False, False],
           [ True,  True,  True,  True]])
    """
    p = check_range("p", p, 0.0, 1.0, what="dropout")
    return as_generator(rng).random(shape) >= p


def multiplier(keep, p: float, training: bool = True, mode: str = "inverted",
               dtype=np.float64):
    r"""What dropout multiplies its input by (and its gradient, in backward).

    Training: :math:`m = \text{keep}/(1 - p)` (inverted) or :math:`m = \text{keep}` (classic).
    Inference: :math:`m = 1` (inverted) or :math:`m = 1 - p` (classic), a scalar.

    Examples
    --------
    >>> multiplier(np.array([True, False]), 0.2)
    array([1.25, 0.  ])
    >>> multiplier(None, 0.2, training=False, mode="classic")
    0.8
    """
    p = check_p(p, mode)
    if not training:
        return 1.0 if mode == "inverted" else 1.0 - p
    noise = np.asarray(keep).astype(dtype)
    if mode == "inverted":
        noise /= 1.0 - p  # the same operation order as PyTorch's CPU kernel
    return noise


def _noise_shape(shape: tuple, channelwise: bool) -> tuple:
    """Element-wise masks have the input's shape; channel masks are ``(N, C, 1, ..., 1)``."""
    return shape if not channelwise else shape[:2] + (1,) * (len(shape) - 2)


def _dropout(input, p, training, inplace, rng, mode, channelwise, unbatched=False, keep=None):
    """Shared body: returns ``(output, multiplier)``; ``keep`` overrides the random mask."""
    p = check_p(p, mode)
    inplace = bool(inplace) and _writable(input)
    x = input if inplace else as_array("input", input)
    if (not training or p == 0.0) and mode == "inverted":
        return x, 1.0  # PyTorch returns its input itself here
    if training:
        shape = ((1,) if unbatched else ()) + x.shape
        noise_shape = _noise_shape(shape, channelwise)[1 if unbatched else 0:]
        if keep is None:
            keep = keep_mask(noise_shape, p, rng)
        else:
            keep = np.asarray(keep, dtype=bool)
            if not _broadcasts(keep.shape, x.shape):
                raise ValueError(f"dropout keep mask shape {keep.shape} does not broadcast to "
                                 f"input shape {x.shape}")
    m = multiplier(keep, p, training, mode, dtype=x.dtype)
    return (np.multiply(x, m, out=x) if inplace else x * m), m


def _broadcasts(shape, target) -> bool:
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


def _writable(input) -> bool:
    return isinstance(input, np.ndarray) and input.dtype.kind == "f" and input.flags.writeable


def dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False, rng=None,
            *, mode: str = "inverted"):
    r"""Zero each element with probability ``p``, as ``torch.nn.functional.dropout``.

    .. math:: y = x \odot m / (1 - p), \quad m_i \sim \text{Bernoulli}(1 - p)

    Parameters
    ----------
    input : array_like, any shape
    p : float
        Probability of zeroing an element: ``[0, 1)`` for ``mode="inverted"`` (PyTorch
        accepts ``p = 1`` and returns zeros; dlcore raises ``ValueError`` because
        :math:`1/(1 - p)` is undefined), ``[0, 1]`` for ``mode="classic"``.
    training : bool
        ``False``: the identity (inverted) or :math:`(1 - p)\,x` (classic).
    inplace : bool
        Overwrite ``input`` (a writable float ndarray) and return it.
    rng : numpy.random.Generator, int or None
        Source of the mask.
    mode : {"inverted", "classic"}
        Classic dropout does not scale in training and multiplies by :math:`1 - p` at inference.

    Returns
    -------
    numpy.ndarray, the input's shape. With ``training=False`` or ``p = 0`` (inverted) the input
    array itself is returned, as PyTorch returns its input tensor.

    Examples
    --------
    >>> dropout(np.ones(6), 0.5, rng=0)
    array([2., 0., 0., 0., 2., 2.])
    >>> dropout(np.ones(3), 0.5, training=False, mode="classic")
    array([0.5, 0.5, 0.5])
    """
    return _elementwise(input, p, training, inplace, rng, mode)[0]


def dropout1d(input, p: float = 0.5, training: bool = True, inplace: bool = False, rng=None,
              *, mode: str = "inverted"):
    """Zero whole channels of ``(N, C, L)`` or unbatched ``(C, L)`` input, as
    ``torch.nn.functional.dropout1d``; the mask has shape ``(N, C, 1)``. Arguments as
    :func:`dropout`.

    Examples
    --------
    >>> dropout1d(np.ones((2, 3)), 0.5, rng=0)     # unbatched (C, L): one draw per row
    array([[2., 2., 2.],
           [0., 0., 0.]])
    """
    return _channels1d(input, p, training, inplace, rng, mode)[0]


def dropout2d(input, p: float = 0.5, training: bool = True, inplace: bool = False, rng=None,
              *, mode: str = "inverted"):
    r"""Zero whole channels (feature maps) of ``(N, C, H, W)`` input, as
    ``torch.nn.functional.dropout2d``; the mask has shape ``(N, C, 1, 1)``.

    Like PyTorch, a 3-D input is read as ``(N, C, L)`` (channel-wise 1-D dropout, with PyTorch's
    warning), not as unbatched ``(C, H, W)``; other ranks >= 2 warn and use the mask
    ``(N, C, 1, ...)``. Arguments as :func:`dropout`.

    Examples
    --------
    >>> y = dropout2d(np.ones((1, 4, 2, 2)), 0.5, rng=0)
    >>> y[0, :, 0, 0], bool((y == y[:, :, :1, :1]).all())
    (array([2., 0., 0., 0.]), True)
    """
    return _channels2d(input, p, training, inplace, rng, mode)[0]


def dropout3d(input, p: float = 0.5, training: bool = True, inplace: bool = False, rng=None,
              *, mode: str = "inverted"):
    """Zero whole channels of ``(N, C, D, H, W)`` or unbatched ``(C, D, H, W)`` input, as
    ``torch.nn.functional.dropout3d``. Arguments as :func:`dropout`.

    Examples
    --------
    >>> dropout3d(np.ones((2, 1, 1, 2)), 0.5, rng=0).ravel()   # unbatched (C, D, H, W)
    array([2., 2., 0., 0.])
    """
    return _channels3d(input, p, training, inplace, rng, mode)[0]


# The bodies below return (output, multiplier); the layers call them too, with ``keep`` set
# when a caller supplies the mask.
def _elementwise(input, p, training, inplace, rng, mode, keep=None):
    return _dropout(input, p, training, inplace, rng, mode, False, keep=keep)


def _channels1d(input, p, training, inplace, rng, mode, keep=None):
    x = input if _writable(input) else as_array("input", input)
    if x.ndim not in (2, 3):
        raise ValueError(f"dropout1d input must be 2-D (C, L) or 3-D (N, C, L), got shape "
                         f"{x.shape}")
    return _dropout(x, p, training, inplace, rng, mode, True, x.ndim == 2, keep)


def _channels2d(input, p, training, inplace, rng, mode, keep=None):
    x = _channel_input("dropout2d", input, (3, 4), "3D or 4D")
    if x.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that "
                      "channel-wise 1D dropout behavior is desired - input is interpreted as "
                      "shape (N, C, L), where C is the channel dim (as PyTorch does; use "
                      "dropout1d to say so)", UserWarning, stacklevel=3)
    return _dropout(x, p, training, inplace, rng, mode, True, keep=keep)


def _channels3d(input, p, training, inplace, rng, mode, keep=None):
    x = _channel_input("dropout3d", input, (4, 5), "4D or 5D")
    return _dropout(x, p, training, inplace, rng, mode, True, x.ndim == 4, keep)


def _channel_input(name, input, ranks, allowed):
    x = input if _writable(input) else as_array("input", input)
    if x.ndim < 2:
        raise ValueError(f"{name} input must have a channel dimension ({allowed}), got shape "
                         f"{x.shape}")
    if x.ndim not in ranks:
        warnings.warn(f"{name}: Received a {x.ndim}-D input, which PyTorch deprecates; "
                      f"channel-wise dropout expects {allowed} input (use dropout instead)",
                      UserWarning, stacklevel=4)
    return x
