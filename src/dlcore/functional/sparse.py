r"""The backward pass of an embedding lookup, in the dense and in the sparse (row) form, and
the bag of embeddings (``embedding_bag``: a lookup followed by a sum, mean or max per bag).

A lookup :math:`y_k = W[x_k]` is the product :math:`\mathrm{onehot}(x_k)\,W`, so its gradient
with respect to :math:`W` is the transposed product, a scatter-add: row :math:`i` receives the
sum of the output gradients of every position that read it. The dense form materialises the
whole :math:`V \times d` table of which most rows are zero; the sparse form (PyTorch's
``sparse=True``) keeps only the rows that were read, as ``(rows, values)``.

A bag reduces the rows it reads: :math:`y_b = \sum_{k \in b} c_k W[x_k]` with
:math:`c_k = 1` (sum), :math:`1/|b|` (mean) or the per-sample weight, so its gradient is the
same scatter-add with each position's upstream row :math:`c_k\,g_b`; for ``max`` only the
position that attained the maximum of a coordinate receives that coordinate's gradient (the
first such position; as in PyTorch's running maximum, a NaN counts only in a bag's first row).
"""

from __future__ import annotations

import numpy as np

from ..checks import check_choice, check_int

__all__ = ["embedding_backward", "embedding_renorm_", "embedding_bag", "embedding_bag_backward"]


def embedding_backward(indices, grad_output, num_weights: int, padding_idx=None,
                       scale_grad_by_freq: bool = False, sparse: bool = False):
    r"""Gradient of ``W[indices]`` with respect to the table ``W``.

    Parameters
    ----------
    indices : array of int, shape ``(*)``
        The ids that were looked up, each in ``[0, num_weights)``.
    grad_output : array, shape ``(*, d)``
        :math:`\partial L/\partial y` for the lookup's output.
    num_weights : int
        Rows of the table, :math:`V`.
    padding_idx : int or None
        A row (in ``[0, num_weights)``) whose gradient is zero.
    scale_grad_by_freq : bool, default False
        Divide row :math:`i`'s gradient by how often :math:`i` occurs in ``indices`` (dense
        form only, as in PyTorch).
    sparse : bool, default False
        Return the coalesced row form instead of the dense table.

    Returns
    -------
    numpy.ndarray, shape ``(num_weights, d)``
        If ``sparse`` is False: :math:`G_i = s_i \sum_{k:\,x_k = i} g_k`, zero for rows never
        read and for ``padding_idx``.
    (rows, values) : tuple
        If ``sparse`` is True: ``rows`` (``(nnz,)``, sorted, each read at least once, the
        padding row left out, as ``torch.Tensor.coalesce`` of PyTorch's sparse gradient gives)
        and ``values`` (``(nnz, d)``), the rows of the dense result.

    Examples
    --------
    >>> g = np.ones((2, 3, 1))
    >>> embedding_backward(np.array([[1, 3, 3], [0, 3, 1]]), g, 5, padding_idx=0)[:, 0]
    array([0., 2., 0., 3., 0.])
    >>> rows, values = embedding_backward(np.array([[1, 3, 3], [0, 3, 1]]), g, 5,
    ...                                   padding_idx=0, sparse=True)
    >>> rows, values[:, 0]
    (array([1, 3]), array([2., 3.]))
    """
    num_weights = check_int("num_weights", num_weights, minimum=1)
    idx = np.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"indices must hold integers, got dtype {idx.dtype}")
    grad_output = np.asarray(grad_output)
    if grad_output.ndim != idx.ndim + 1 or grad_output.shape[:-1] != idx.shape:
        raise ValueError(f"grad_output has shape {grad_output.shape}, expected indices.shape + "
                         f"(d,) = {idx.shape + ('d',)}")
    if idx.size and (idx.min() < 0 or idx.max() >= num_weights):
        raise ValueError(f"indices must lie in [0, {num_weights}), got values from "
                         f"{int(idx.min())} to {int(idx.max())}")
    if padding_idx is not None:
        padding_idx = check_int("padding_idx", padding_idx)
        if not 0 <= padding_idx < num_weights:
            raise ValueError(f"padding_idx must lie in [0, {num_weights}), got {padding_idx}")
    if sparse and scale_grad_by_freq:
        raise ValueError("scale_grad_by_freq=True is not supported with sparse=True "
                         "(PyTorch refuses the combination too)")
    d = grad_output.shape[-1]
    flat = idx.reshape(-1).astype(np.intp, copy=False)
    g = grad_output.reshape(-1, d)
    if scale_grad_by_freq and flat.size:
        counts = np.bincount(flat, minlength=num_weights)
        g = g / counts[flat].astype(g.dtype)[:, None]
    dense = np.zeros((num_weights, d), dtype=grad_output.dtype)
    np.add.at(dense, flat, g)
    if padding_idx is not None:
        dense[padding_idx] = 0.0
    if not sparse:
        return dense
    rows = np.unique(flat)
    if padding_idx is not None:
        rows = rows[rows != padding_idx]
    return rows, dense[rows]


def embedding_renorm_(weight: np.ndarray, indices, max_norm: float, norm_type: float = 2.0):
    r"""Rescale, in place, each row of ``weight`` read by ``indices`` whose ``norm_type``-norm
    exceeds ``max_norm`` to norm ``max_norm`` (PyTorch's ``embedding_renorm_``: the factor is
    :math:`\text{max\_norm} / (\lVert w \rVert_p + 10^{-7})`). Returns ``weight``.

    Examples
    --------
    >>> w = np.array([[3.0, 4.0], [0.3, 0.4]])
    >>> np.round(embedding_renorm_(w, np.array([0, 1]), 1.0), 6)
    array([[0.6, 0.8],
           [0.3, 0.4]])
    """
    rows = np.unique(np.asarray(indices))
    norms = np.linalg.norm(weight[rows], ord=norm_type, axis=1)
    big = norms > max_norm
    if np.any(big):
        scale = max_norm / (norms[big] + 1e-7)
        weight[rows[big]] *= scale.astype(weight.dtype)[:, None]
    return weight


def _integer_array(name, x):
    arr = np.asarray(x)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer indices, got dtype {arr.dtype}")
    return arr.astype(np.intp, copy=False)


def _bags(input, offsets, include_last_offset: bool, num_weights: int):
    """Flatten ``input`` and assign each position to its bag: ``(idx, bag, n_bags)``."""
    idx = _integer_array("input", input)
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError("embedding_bag offsets must be None when input is 2-D (each row "
                             f"is one bag), got offsets of shape {np.shape(offsets)}")
        n_bags, length = idx.shape
        bag = np.repeat(np.arange(n_bags), length)
        idx = idx.reshape(-1)
    elif idx.ndim == 1:
        if offsets is None:
            raise ValueError("embedding_bag offsets is required (1-D, the start of each bag) "
                             "when input is 1-D")
        offsets = _integer_array("offsets", offsets)
        if offsets.ndim != 1:
            raise ValueError(f"embedding_bag offsets must be 1-D, got shape {offsets.shape}")
        if include_last_offset and offsets.size == 0:
            raise ValueError("embedding_bag offsets must hold at least one entry (the end of "
                             "the input) when include_last_offset=True")
        starts = offsets[:-1] if include_last_offset else offsets
        if offsets.size:
            if offsets[0] != 0:
                raise ValueError(f"embedding_bag offsets[0] must be 0 (the first bag starts "
                                 f"at position 0), got {int(offsets[0])}")
            if np.any(np.diff(offsets) < 0):
                raise ValueError(f"embedding_bag offsets must be non-decreasing, got "
                                 f"{offsets.tolist()}")
            if offsets[-1] > idx.size:
                raise ValueError(f"embedding_bag offsets[-1] must be <= len(input) = "
                                 f"{idx.size}, got {int(offsets[-1])}")
        n_bags = starts.size
        if n_bags == 0:
            bag = np.full(idx.size, -1, dtype=np.intp)      # no bag: positions are ignored
        else:
            bag = np.searchsorted(starts, np.arange(idx.size), side="right") - 1
    else:
        raise ValueError(f"embedding_bag input must be 1-D (with offsets) or 2-D (one bag per "
                         f"row), got shape {idx.shape}")
    if idx.size and (idx.min() < 0 or idx.max() >= num_weights):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise ValueError(f"embedding_bag input index {int(bad)} is out of range for a table "
                         f"of {num_weights} rows (allowed 0 ... {num_weights - 1})")
    return idx, bag, int(n_bags)


def _embedding_bag_forward(input, weight, offsets=None, mode: str = "mean",
                           per_sample_weights=None, include_last_offset: bool = False,
                           padding_idx=None):
    """The bag reduction: returns ``(output, saved)`` for :func:`embedding_bag_backward`."""
    mode = check_choice("mode", mode, ("sum", "mean", "max"))
    weight = np.asarray(weight)
    if weight.ndim != 2:
        raise ValueError(f"embedding_bag weight must be 2-D (num_embeddings, embedding_dim), "
                         f"got shape {weight.shape}")
    V, d = weight.shape
    shape_in = np.shape(input)
    idx, bag, n_bags = _bags(input, offsets, include_last_offset, V)
    if padding_idx is not None:
        padding_idx = check_int("padding_idx", padding_idx)
        if not -V <= padding_idx < V:
            raise ValueError(f"padding_idx must be within num_embeddings: allowed [-{V}, {V}), "
                             f"got {padding_idx}")
        padding_idx %= V
    psw = None
    if per_sample_weights is not None:
        if mode != "sum":
            raise ValueError(f"embedding_bag per_sample_weights is only supported for "
                             f"mode='sum', got mode={mode!r}")
        psw = np.asarray(per_sample_weights)
        if psw.shape != shape_in:
            raise ValueError(f"embedding_bag per_sample_weights has shape {psw.shape}, "
                             f"expected the input's shape {shape_in}")
        psw = psw.reshape(-1).astype(weight.dtype, copy=False)
    valid = bag >= 0
    if padding_idx is not None:
        valid &= idx != padding_idx
    k = np.flatnonzero(valid)                   # positions that enter a bag
    rows = weight[idx[k]]
    if psw is not None:
        rows = rows * psw[k, None]
    out = np.zeros((n_bags, d), dtype=weight.dtype)
    counts = np.bincount(bag[k], minlength=n_bags)
    first = None
    if mode == "max":
        if k.size:
            # PyTorch's running maximum: start from the bag's first row and take a later one
            # only where it is strictly greater. So ties go to the first position, a NaN in
            # the first row stays, and a NaN later in the bag is never taken.
            nan = np.isnan(rows)
            finite = np.where(nan, -np.inf, rows)
            out.fill(-np.inf)
            np.maximum.at(out, bag[k], finite)
            # the first position of each bag that attains each coordinate's maximum
            pos = np.where(finite == out[bag[k]], np.arange(k.size)[:, None], k.size)
            first = np.full((n_bags, d), k.size)
            np.minimum.at(first, bag[k], pos)
            bags_present, head = np.unique(bag[k], return_index=True)
            head_nan = nan[head]                         # (bags present, d)
            b, j = np.nonzero(head_nan)
            out[bags_present[b], j] = np.nan
            first[bags_present[b], j] = head[b]
            out[counts == 0] = 0.0
    else:
        np.add.at(out, bag[k], rows)
        if mode == "mean":
            nz = counts > 0
            out[nz] /= counts[nz, None].astype(weight.dtype)
    saved = dict(idx=idx, bag=bag, k=k, counts=counts, first=first, mode=mode, psw=psw,
                 weight=weight, padding_idx=padding_idx, shape_in=shape_in)
    return out, saved


def embedding_bag_backward(saved: dict, grad_output):
    r"""Gradients of :func:`embedding_bag` from its saved forward state.

    Returns ``(grad_weight, grad_per_sample_weights)``: the ``(V, d)`` scatter-add
    :math:`\partial L/\partial W_i = \sum_{k: x_k = i} c_k\, g_{b(k)}` (the padding row and
    positions outside every bag get zero; for ``max`` the coordinate-wise arg-max position
    alone), and, when ``per_sample_weights`` were given,
    :math:`\partial L/\partial c_k = g_{b(k)} \cdot W[x_k]` in the input's shape (zero at
    padding positions), else ``None``.
    """
    idx, bag, k, counts = saved["idx"], saved["bag"], saved["k"], saved["counts"]
    weight, mode, psw = saved["weight"], saved["mode"], saved["psw"]
    V, d = weight.shape
    g = np.asarray(grad_output, dtype=weight.dtype)
    if g.shape != (counts.size, d):
        raise ValueError(f"embedding_bag grad_output has shape {g.shape}, expected "
                         f"(number of bags, embedding_dim) = {(counts.size, d)}")
    per_pos = g[bag[k]]                          # upstream row of each position's bag
    if mode == "mean":
        per_pos = per_pos / counts[bag[k], None].astype(weight.dtype)
    elif mode == "max":
        chosen = np.zeros_like(per_pos)
        if k.size:
            first = saved["first"]
            b, j = np.nonzero(first < k.size)
            chosen[first[b, j], j] = g[b, j]
        per_pos = chosen
    grad_psw = None
    if psw is not None:
        grad_psw = np.zeros(idx.size, dtype=weight.dtype)
        grad_psw[k] = np.einsum("kd,kd->k", per_pos, weight[idx[k]])
        grad_psw = grad_psw.reshape(saved["shape_in"])
        per_pos = per_pos * psw[k, None]
    grad_weight = embedding_backward(idx[k], per_pos, V)
    return grad_weight, grad_psw


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type: float = 2.0,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights=None, include_last_offset: bool = False, padding_idx=None):
    r"""Sums, means or maxima of bags of embedding rows, as ``torch.nn.functional.embedding_bag``.

    Parameters
    ----------
    input : array of int
        ``(B, N)``: ``B`` bags of ``N`` ids each (``offsets`` must be None); or ``(M,)``, the
        ids of all bags concatenated, with ``offsets``.
    weight : array, shape ``(V, d)``
    offsets : array of int, shape ``(B,)`` or ``(B + 1,)``, or None
        Start of each bag in a 1-D ``input`` (``offsets[0] == 0``, non-decreasing). Equal
        consecutive offsets make an empty bag, whose output is zero.
    max_norm : float or None
        Renormalise the rows read, in place, as :func:`embedding_renorm_` (PyTorch does too).
    norm_type : float, default 2.0
    scale_grad_by_freq : bool, default False
        Only False: PyTorch 2.13's CPU kernel divides the gradients by counts that are not
        each index's frequency, so there is nothing documented to match.
    mode : {"mean", "sum", "max"}
    sparse : bool, default False
        Only False (dense gradients).
    per_sample_weights : array or None
        Same shape as ``input``; each row is scaled by its weight before the sum (``mode="sum"``
        only).
    include_last_offset : bool, default False
        ``offsets`` has ``B + 1`` entries, the last being the end of the input (the last bag
        runs to the end of ``input``, as in PyTorch).
    padding_idx : int or None
        Positions holding this id are left out of their bag (not counted in the mean).

    Returns
    -------
    numpy.ndarray, shape ``(B, d)``
        :math:`y_b = \sum_{k\in b} W[x_k]`, its mean over the non-padding positions, or the
        coordinate-wise maximum (NaN where the bag's first row is NaN, later NaNs skipped, as
        PyTorch's kernel does); zero for an empty bag.

    Examples
    --------
    >>> W = np.arange(12.0).reshape(4, 3)
    >>> embedding_bag(np.array([1, 2, 3, 0]), W, np.array([0, 2, 2]))   # bags [1, 2], [], [3, 0]
    array([[4.5, 5.5, 6.5],
           [0. , 0. , 0. ],
           [4.5, 5.5, 6.5]])
    >>> embedding_bag(np.array([[1, 0, 0]]), W, mode="mean", padding_idx=0)
    array([[3., 4., 5.]])
    """
    _unsupported_bag_options(scale_grad_by_freq, sparse)
    weight = np.asarray(weight)
    if max_norm is not None:
        embedding_renorm_(weight, _integer_array("input", input), float(max_norm),
                          float(norm_type))
    out, _ = _embedding_bag_forward(input, weight, offsets, mode, per_sample_weights,
                                    include_last_offset, padding_idx)
    return out


def _unsupported_bag_options(scale_grad_by_freq, sparse):
    if scale_grad_by_freq:
        raise ValueError("embedding_bag scale_grad_by_freq=True is not supported by dlcore "
                         "(PyTorch 2.13's CPU kernel scales by counts that are not the index "
                         "frequencies); use scale_grad_by_freq=False")
    if sparse:
        raise ValueError("embedding_bag sparse=True is not supported by dlcore (dense "
                         "gradients only); use sparse=False")
