r"""Variable-length batches for recurrent layers, as ``torch.nn.utils.rnn``.

A batch of sequences of lengths :math:`\ell_1 \ge \ell_2 \ge \dots` is *packed* by storing,
time step by time step, only the rows still running: step :math:`t` holds
:math:`b_t = \#\{i : \ell_i > t\}` rows (``batch_sizes``), so ``data`` has
:math:`\sum_i \ell_i` rows and a recurrent layer never reads a pad. ``sorted_indices`` says
which original sequence sits in each packed column when the batch was not already sorted
by decreasing length; ``unsorted_indices`` is its inverse permutation.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ...checks import check_choice

__all__ = ["PackedSequence", "pad_sequence", "pack_padded_sequence", "pad_packed_sequence",
           "pack_sequence"]


class PackedSequence(NamedTuple):
    """Packed rows of a variable-length batch (``torch.nn.utils.rnn.PackedSequence``).

    Attributes
    ----------
    data : numpy.ndarray, shape (sum of lengths, *)
        The rows of step 0 for every sequence, then those of step 1 for the sequences still
        running, and so on.
    batch_sizes : numpy.ndarray of int64, shape (max length,)
        Rows per step, non-increasing.
    sorted_indices, unsorted_indices : numpy.ndarray of int64 or None
        ``data``'s columns are the original batch entries ``sorted_indices``;
        ``unsorted_indices`` undoes the permutation. ``None`` if the batch was sorted.
    """

    data: np.ndarray
    batch_sizes: np.ndarray
    sorted_indices: np.ndarray | None = None
    unsorted_indices: np.ndarray | None = None

    @property
    def lengths(self) -> np.ndarray:
        """Length of each sequence, in the original batch order."""
        bs = np.asarray(self.batch_sizes)
        sorted_lengths = (bs[None, :] > np.arange(bs[0] if bs.size else 0)[:, None]).sum(1)
        return sorted_lengths if self.unsorted_indices is None \
            else sorted_lengths[self.unsorted_indices]


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> np.ndarray:
    """Stack sequences of shapes ``(L_i, *)`` into ``(L_max, B, *)`` (or ``(B, L_max, *)``).

    Examples
    --------
    >>> pad_sequence([np.ones(3), 2 * np.ones(1)], batch_first=True)
    array([[1., 1., 1.],
           [2., 0., 0.]])
    """
    check_choice("padding_side", padding_side, ("right", "left"))
    seqs = [np.asarray(s) for s in sequences]
    if not seqs:
        raise ValueError("pad_sequence needs at least one sequence, got an empty list")
    trailing = seqs[0].shape[1:]
    for i, s in enumerate(seqs):
        if s.ndim < 1 or s.shape[1:] != trailing:
            raise ValueError(f"sequences[{i}] has shape {s.shape}; every sequence must have "
                             f"shape (L_i, *{trailing}) like sequences[0] {seqs[0].shape}")
    longest = max(s.shape[0] for s in seqs)
    dtype = np.result_type(*seqs)
    out = np.full((len(seqs), longest) + trailing, padding_value, dtype=dtype)
    for i, s in enumerate(seqs):
        if padding_side == "right":
            out[i, :len(s)] = s
        elif len(s):
            out[i, longest - len(s):] = s
    return out if batch_first else np.swapaxes(out, 0, 1).copy()


def _check_lengths(lengths, batch: int) -> np.ndarray:
    lengths = np.asarray(lengths)
    if lengths.dtype.kind not in "iu" and not (lengths.dtype.kind == "f"
                                               and np.all(lengths == np.round(lengths))):
        raise TypeError(f"lengths must hold integers, got dtype {lengths.dtype}")
    lengths = lengths.astype(np.int64)
    if lengths.shape != (batch,):
        raise ValueError(f"lengths has shape {lengths.shape}, expected ({batch},), one length "
                         "per sequence in the batch")
    if batch and lengths.min() <= 0:
        raise ValueError(f"every length must be > 0, got lengths {lengths.tolist()}")
    return lengths


def pack_padded_sequence(input, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch ``(T, B, *)`` (``(B, T, *)`` if ``batch_first``).

    With ``enforce_sorted=True`` the lengths must be non-increasing (PyTorch's rule);
    ``enforce_sorted=False`` sorts the batch and records the permutation.

    Examples
    --------
    >>> x = np.arange(6.0).reshape(3, 2)           # T = 3, B = 2
    >>> p = pack_padded_sequence(x, [3, 1])
    >>> p.data, p.batch_sizes
    (array([0., 1., 2., 4.]), array([2, 1, 1]))
    """
    x = np.asarray(input)
    if x.ndim < 2:
        raise ValueError(f"input must have at least 2 dimensions (T, B, *), got shape {x.shape}")
    if batch_first:
        x = np.swapaxes(x, 0, 1)
    lengths = _check_lengths(lengths, x.shape[1])
    if lengths.size and lengths.max() > x.shape[0]:
        raise ValueError(f"lengths {lengths.tolist()} exceed the padded length {x.shape[0]} "
                         f"of input with shape {np.shape(input)}")
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise ValueError(f"lengths {lengths.tolist()} must be sorted in decreasing order "
                             "when enforce_sorted=True; pass enforce_sorted=False to sort the "
                             "batch inside (the permutation is kept in sorted_indices)")
        sorted_indices = unsorted_indices = None
        order = np.arange(len(lengths))
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_indices = order.astype(np.int64)
        unsorted_indices = np.argsort(order).astype(np.int64)
    lengths_sorted = lengths[order]
    steps = int(lengths_sorted[0]) if lengths.size else 0
    batch_sizes = (lengths_sorted[None, :] > np.arange(steps)[:, None]).sum(1).astype(np.int64)
    data = np.concatenate([x[t, order[:b]] for t, b in enumerate(batch_sizes)]) if steps \
        else x[:0, 0]
    return PackedSequence(data, batch_sizes, sorted_indices, unsorted_indices)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length=None):
    """Undo :func:`pack_padded_sequence`: returns ``(padded, lengths)`` in the original order.

    Positions past each sequence's length hold ``padding_value``; ``total_length`` pads the
    time axis further (it may not be shorter than the longest sequence).

    Examples
    --------
    >>> p = pack_padded_sequence(np.arange(6.0).reshape(3, 2), [3, 1])
    >>> pad_packed_sequence(p, padding_value=-1.0)
    (array([[ 0.,  1.],
           [ 2., -1.],
           [ 4., -1.]]), array([3, 1]))
    """
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"sequence must be a PackedSequence, got {type(sequence).__name__}")
    data, batch_sizes = np.asarray(sequence.data), np.asarray(sequence.batch_sizes)
    steps = len(batch_sizes)
    batch = int(batch_sizes[0]) if steps else 0
    if total_length is not None:
        if total_length < steps:
            raise ValueError(f"total_length={total_length} is shorter than the longest "
                             f"sequence ({steps} steps) in the packed batch")
        steps_out = int(total_length)
    else:
        steps_out = steps
    out = np.full((steps_out, batch) + data.shape[1:], padding_value, dtype=data.dtype)
    start = 0
    for t, b in enumerate(batch_sizes):
        out[t, :b] = data[start:start + b]
        start += b
    lengths = sequence.lengths
    if sequence.unsorted_indices is not None:
        out = out[:, sequence.unsorted_indices]
    if batch_first:
        out = np.swapaxes(out, 0, 1).copy()
    return out, lengths


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences ``(L_i, *)`` directly (pad, then pack).

    Examples
    --------
    >>> pack_sequence([np.ones(2), np.zeros(3)], enforce_sorted=False).batch_sizes
    array([2, 2, 1])
    """
    seqs = [np.asarray(s) for s in sequences]
    return pack_padded_sequence(pad_sequence(seqs), [len(s) for s in seqs],
                                enforce_sorted=enforce_sorted)
