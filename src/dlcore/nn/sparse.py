r"""Lookup tables: ``Embedding`` and ``EmbeddingBag``, the counterparts of
``torch.nn.Embedding`` and ``torch.nn.EmbeddingBag``.

An embedding is a ``Linear`` layer applied to one-hot vectors, computed without building
them: row ``i`` of the weight is the vector of token ``i``. The backward pass is the
transpose of that lookup, a scatter-add: each output gradient is added to the row it was
read from, so a token that occurs three times in a batch receives three contributions. A bag of
embeddings reduces the rows of each bag (sum, mean or max) without materialising the padded
``(B, L, d)`` tensor in between.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..checks import check_int
from ..functional.sparse import (_embedding_bag_forward, _unsupported_bag_options,
                                 embedding_backward, embedding_bag_backward, embedding_renorm_)
from ..random import as_generator
from .module import Module, Parameter

__all__ = ["Embedding", "EmbeddingBag"]


def _as_indices(name: str, x, num_embeddings: int) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer indices, got dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() >= num_embeddings):
        bad = arr.min() if arr.min() < 0 else arr.max()
        raise ValueError(f"{name} index {int(bad)} is out of range for an Embedding with "
                         f"num_embeddings={num_embeddings} (allowed 0 ... {num_embeddings - 1})")
    return arr.astype(np.intp, copy=False)


class Embedding(Module):
    r"""A table of ``num_embeddings`` vectors of size ``embedding_dim``, as ``torch.nn.Embedding``.

    Parameters
    ----------
    num_embeddings : int
        Size of the vocabulary (>= 1).
    embedding_dim : int
        Size of each vector (>= 0).
    padding_idx : int or None
        Row that is initialised to zero and never receives a gradient (its value stays
        whatever it is set to). Negative values count from the end, as in PyTorch.
    max_norm : float or None
        If given, every row looked up in a forward pass whose ``norm_type``-norm exceeds
        ``max_norm`` is rescaled **in place** to norm ``max_norm`` (PyTorch's
        ``embedding_renorm_``: factor ``max_norm / (norm + 1e-7)``) before the lookup.
    norm_type : float, default 2.0
        The p of the p-norm used with ``max_norm``.
    scale_grad_by_freq : bool, default False
        Divide each row's gradient by the number of times its index occurs in the batch.
    sparse : bool, default False
        Only ``False`` is supported (dense gradients).
    _weight : array or None
        Initial weight ``(num_embeddings, embedding_dim)``, copied (PyTorch's ``_weight``).
    _freeze : bool, default False
        If True, backward accumulates no weight gradient (``weight.requires_grad=False``).
    rng : numpy.random.Generator, int or None
        Source of the initial weights.
    dtype : numpy dtype, default float64

    Notes
    -----
    Shapes: input: integer indices of any shape ``(*)``; output ``(*, embedding_dim)``.
    Forward: :math:`y[\ldots] = W[x[\ldots]]`. Backward:
    :math:`\partial L/\partial W_i = s_i \sum_{k: x_k = i} \partial L/\partial y_k`, with
    :math:`s_i = 1/\#\{k : x_k = i\}` if ``scale_grad_by_freq`` else 1, and
    :math:`\partial L/\partial W_{\text{padding\_idx}} = 0`. The indices have no gradient,
    so ``backward`` returns ``None``.
    Initialisation is PyTorch's: :math:`W_{ij} \sim \mathcal N(0, 1)`, then the padding row
    set to zero.

    Examples
    --------
    >>> emb = Embedding(5, 3, padding_idx=0, rng=0)
    >>> emb.weight.data[0]
    array([0., 0., 0.])
    >>> y = emb(np.array([[1, 2, 1], [0, 4, 1]]))
    >>> y.shape
    (2, 3, 3)
    >>> emb.backward(np.ones_like(y)) is None
    True
    >>> emb.weight.grad[:, 0]          # index 1 occurs three times; row 0 is padding
    array([0., 3., 1., 0., 1.])
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx=None,
                 max_norm=None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, _weight=None, _freeze: bool = False, rng=None,
                 dtype=np.float64):
        super().__init__()
        self.num_embeddings = check_int("num_embeddings", num_embeddings, minimum=1)
        self.embedding_dim = check_int("embedding_dim", embedding_dim, minimum=0)
        if padding_idx is not None:
            padding_idx = check_int("padding_idx", padding_idx)
            if not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise ValueError(f"padding_idx must be within num_embeddings: allowed "
                                 f"[-{self.num_embeddings}, {self.num_embeddings}), "
                                 f"got {padding_idx}")
            padding_idx %= self.num_embeddings
        self.padding_idx = padding_idx
        if max_norm is not None:
            if isinstance(max_norm, bool) or not isinstance(max_norm, numbers.Real) \
                    or not max_norm > 0:
                raise ValueError(f"max_norm must be a positive number or None, got {max_norm!r}")
            max_norm = float(max_norm)
        self.max_norm = max_norm
        if isinstance(norm_type, bool) or not isinstance(norm_type, numbers.Real) \
                or not norm_type > 0:
            raise ValueError(f"norm_type must be a positive number, got {norm_type!r}")
        self.norm_type = float(norm_type)
        self.scale_grad_by_freq = bool(scale_grad_by_freq)
        if sparse:
            raise ValueError("sparse=True is not supported by dlcore (dense gradients only); "
                             "use sparse=False")
        self.sparse = False
        shape = (self.num_embeddings, self.embedding_dim)
        if _weight is None:
            weight = as_generator(rng).standard_normal(shape).astype(dtype)
            if self.padding_idx is not None:
                weight[self.padding_idx] = 0.0
        else:
            weight = np.array(_weight, dtype=dtype if np.asarray(_weight).dtype.kind != "f"
                              else None)
            if weight.shape != shape:
                raise ValueError(f"_weight has shape {weight.shape}, expected "
                                 f"(num_embeddings, embedding_dim) = {shape}")
        self.weight = Parameter(weight)
        self.freeze = bool(_freeze)

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx=None, max_norm=None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> "Embedding":
        """An ``Embedding`` holding a copy of the 2-D array ``embeddings``.

        ``freeze=True`` (the default, as in PyTorch) keeps the table fixed: backward adds no
        gradient to it. The padding row is *not* zeroed.

        Examples
        --------
        >>> emb = Embedding.from_pretrained(np.eye(3))
        >>> emb(np.array([2, 0]))
        array([[0., 0., 1.],
               [1., 0., 0.]])
        """
        return cls._from_table(embeddings, freeze, padding_idx=padding_idx, max_norm=max_norm,
                               norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq,
                               sparse=sparse)

    @classmethod
    def _from_table(cls, embeddings, freeze, **options):
        """``cls(V, d, _weight=embeddings, **options)`` for a 2-D ``embeddings``, frozen or not:
        the body of both ``from_pretrained`` methods."""
        embeddings = np.asarray(embeddings)
        if embeddings.ndim != 2:
            raise ValueError(f"embeddings must be 2-dimensional (num_embeddings, embedding_dim), "
                             f"got shape {embeddings.shape}")
        layer = cls(*embeddings.shape, _weight=embeddings, **options)
        layer.freeze = bool(freeze)
        return layer

    def _renorm(self, idx: np.ndarray) -> None:
        embedding_renorm_(self.weight.data, idx, self.max_norm, self.norm_type)

    def forward(self, input):
        idx = _as_indices("input", input, self.num_embeddings)
        if self.max_norm is not None and idx.size:
            self._renorm(idx)
        self._save(idx=idx)
        return self.weight.data[idx]

    def backward(self, grad_out):
        (idx,) = self._saved("idx")
        w = self.weight.data
        grad_out = np.asarray(grad_out, dtype=w.dtype)
        expected = idx.shape + (self.embedding_dim,)
        if grad_out.shape != expected:
            raise ValueError(f"Embedding grad_out has shape {grad_out.shape}, expected "
                             f"{expected} (input shape + (embedding_dim,))")
        if self.freeze:
            return None
        grad = embedding_backward(idx, grad_out, self.num_embeddings, self.padding_idx,
                                  self.scale_grad_by_freq)
        self.weight.accumulate(grad)
        return None

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2.0:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            s += ", scale_grad_by_freq=True"
        return s


class EmbeddingBag(Embedding):
    r"""Sums, means or maxima of bags of embeddings, as ``torch.nn.EmbeddingBag``.

    ``EmbeddingBag(mode="mean")`` applied to a bag of ids equals ``Embedding`` followed by a
    mean over the bag's positions; with ``padding_idx`` set, padding positions are left out of
    the bag (and of the count), which is the masked mean of a padded batch.

    Parameters
    ----------
    num_embeddings, embedding_dim : int
    max_norm : float or None
        Rows read by a forward pass are renormalised in place, as in :class:`Embedding`.
    norm_type : float, default 2.0
    scale_grad_by_freq : bool, default False
        Only False (PyTorch 2.13's CPU kernel scales by counts that are not the index
        frequencies; see :func:`dlcore.functional.sparse.embedding_bag`).
    mode : {"mean", "sum", "max"}, default "mean"
    sparse : bool, default False
        Only False.
    _weight : array or None
        Initial weight ``(num_embeddings, embedding_dim)``, copied.
    include_last_offset : bool, default False
        ``offsets`` carries ``B + 1`` entries, the last one the end of the input.
    padding_idx : int or None
        Row initialised to zero; positions holding it are excluded from their bag.
    rng : numpy.random.Generator, int or None
    dtype : numpy dtype, default float64

    Notes
    -----
    ``forward(input, offsets=None, per_sample_weights=None)``: ``input`` is ``(B, N)`` (one
    bag per row, ``offsets=None``) or ``(M,)`` with ``offsets`` ``(B,)`` (``(B + 1,)`` with
    ``include_last_offset``); output ``(B, embedding_dim)``, zero for an empty bag.
    :math:`y_b = \sum_{k \in b} c_k W[x_k]` with :math:`c_k = 1` (sum), :math:`1/n_b` (mean,
    :math:`n_b` the non-padding positions of bag :math:`b`) or ``per_sample_weights[k]``
    (``mode="sum"`` only); ``max`` takes the coordinate-wise maximum. ``backward(grad_out)``
    accumulates :math:`\partial L/\partial W` (a scatter-add of :math:`c_k g_b`; for ``max``
    each coordinate's gradient goes to the first position attaining the maximum) and returns
    the gradient of ``per_sample_weights`` (:math:`g_b \cdot W[x_k]`, the input's shape) when
    they were given, else ``None``.

    Examples
    --------
    >>> bag = EmbeddingBag(5, 2, padding_idx=0, rng=0)
    >>> ids = np.array([[3, 1, 0, 0], [2, 4, 4, 1]])
    >>> y = bag(ids)
    >>> bool(np.allclose(y[0], bag.weight.data[[3, 1]].mean(axis=0)))   # padding left out
    True
    >>> flat = bag(np.array([3, 1, 2, 4, 4, 1]), offsets=np.array([0, 2]))
    >>> bool(np.allclose(flat, y))
    True
    >>> bag.backward(np.ones_like(flat)) is None
    True
    >>> bag.weight.grad[:, 0]
    array([0.  , 0.75, 0.25, 0.5 , 0.5 ])
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, max_norm=None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False, mode: str = "mean",
                 sparse: bool = False, _weight=None, include_last_offset: bool = False,
                 padding_idx=None, rng=None, dtype=np.float64):
        _unsupported_bag_options(scale_grad_by_freq, sparse)
        super().__init__(num_embeddings, embedding_dim, padding_idx=padding_idx,
                         max_norm=max_norm, norm_type=norm_type, _weight=_weight, rng=rng,
                         dtype=dtype)
        if mode not in ("sum", "mean", "max"):
            raise ValueError(f"EmbeddingBag mode must be one of 'sum', 'mean', 'max', "
                             f"got {mode!r}")
        self.mode = mode
        self.include_last_offset = bool(include_last_offset)

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, max_norm=None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        mode: str = "mean", sparse: bool = False,
                        include_last_offset: bool = False, padding_idx=None) -> "EmbeddingBag":
        """An ``EmbeddingBag`` holding a copy of the 2-D array ``embeddings`` (frozen by
        default, padding row not zeroed), as ``torch.nn.EmbeddingBag.from_pretrained``.

        Examples
        --------
        >>> EmbeddingBag.from_pretrained(np.eye(3), mode="sum")(np.array([[0, 2]]))
        array([[1., 0., 1.]])
        """
        return cls._from_table(embeddings, freeze, max_norm=max_norm, norm_type=norm_type,
                               scale_grad_by_freq=scale_grad_by_freq, mode=mode, sparse=sparse,
                               include_last_offset=include_last_offset, padding_idx=padding_idx)

    def forward(self, input, offsets=None, per_sample_weights=None):
        if self.max_norm is not None and np.size(input):
            idx = np.asarray(input)
            if idx.dtype.kind in "iu" and idx.size and 0 <= idx.min() and \
                    idx.max() < self.num_embeddings:
                self._renorm(idx)
        out, saved = _embedding_bag_forward(input, self.weight.data, offsets, self.mode,
                                            per_sample_weights, self.include_last_offset,
                                            self.padding_idx)
        self._save(saved=saved)
        return out

    def backward(self, grad_out):
        (saved,) = self._saved("saved")
        grad_weight, grad_psw = embedding_bag_backward(saved, grad_out)
        if not self.freeze:
            self.weight.accumulate(grad_weight)
        return grad_psw

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2.0:
            s += f", norm_type={self.norm_type}"
        s += f", mode={self.mode!r}"                  # torch's repr omits include_last_offset
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s
