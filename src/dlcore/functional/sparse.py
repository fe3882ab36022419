r"""The backward pass of an embedding lookup, in the dense and in the sparse (row) form.

A lookup :math:`y_k = W[x_k]` is the product :math:`\mathrm{onehot}(x_k)\,W`, so its gradient
with respect to :math:`W` is the transposed product, a scatter-add: row :math:`i` receives the
sum of the output gradients of every position that read it. The dense form materialises the
whole :math:`V \times d` table of which most rows are zero; the sparse form (PyTorch's
``sparse=True``) keeps only the rows that were read, as ``(rows, values)``.
"""

from __future__ import annotations

import numpy as np

from ..checks import check_int

__all__ = ["embedding_backward"]


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
