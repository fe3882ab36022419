"""Affine layers and shape plumbing: ``Linear``, ``Identity`` and ``Flatten``."""

from __future__ import annotations

import math

import numpy as np

from ..checks import as_array, check_int
from ..random import as_generator
from .module import Module, Parameter

__all__ = ["Linear", "Identity", "Flatten", "Unflatten"]


class Linear(Module):
    r"""Fully connected layer :math:`y = x W^\top + b`, as ``torch.nn.Linear``.

    Parameters
    ----------
    in_features, out_features : int
        Sizes of the last input and output dimensions (both >= 1).
    bias : bool, default True
        Whether to learn the additive bias ``b``.
    rng : numpy.random.Generator, int or None
        Source of the initial weights.
    dtype : numpy dtype, default float64

    Notes
    -----
    Shapes: input ``(*, in_features)``, output ``(*, out_features)``; ``weight`` is
    ``(out_features, in_features)`` and ``bias`` ``(out_features,)``.
    Initialisation is PyTorch's: ``kaiming_uniform_(a=sqrt(5))`` on the weight, which works out
    to :math:`W_{ij} \sim U(-1/\sqrt{n_{in}}, 1/\sqrt{n_{in}})`, and the same interval for ``b``.
    Backward, with :math:`G = \partial L/\partial y` flattened to ``(N, out)``:
    :math:`\partial L/\partial x = G W`, :math:`\partial L/\partial W = G^\top x`,
    :math:`\partial L/\partial b = \sum_n G_n`.

    Examples
    --------
    >>> layer = Linear(3, 2, rng=0)
    >>> layer.weight.shape, layer.bias.shape
    ((2, 3), (2,))
    >>> y = layer(np.ones((4, 3)))
    >>> layer.backward(np.ones_like(y)).shape
    (4, 3)
    >>> layer.bias.grad
    array([4., 4.])
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, rng=None,
                 dtype=np.float64):
        super().__init__()
        self.in_features = check_int("in_features", in_features, minimum=1)
        self.out_features = check_int("out_features", out_features, minimum=1)
        gen = as_generator(rng)
        bound = 1.0 / math.sqrt(self.in_features)
        self.weight = Parameter(gen.uniform(-bound, bound, (self.out_features, self.in_features))
                                .astype(dtype))
        self.bias = (Parameter(gen.uniform(-bound, bound, self.out_features).astype(dtype))
                     if bias else None)

    def forward(self, x):
        x = as_array("input", x, dtype=self.weight.data.dtype, min_ndim=1)
        if x.shape[-1] != self.in_features:
            raise ValueError(f"Linear({self.in_features}, {self.out_features}) input has shape "
                             f"{x.shape}, expected (*, {self.in_features})")
        self._save(x=x)
        y = x @ self.weight.data.T
        if self.bias is not None:
            y += self.bias.data
        return y

    def backward(self, grad_out):
        (x,) = self._saved("x")
        grad_out = np.asarray(grad_out, dtype=self.weight.data.dtype)
        expected = x.shape[:-1] + (self.out_features,)
        if grad_out.shape != expected:
            raise ValueError(f"Linear grad_out has shape {grad_out.shape}, expected {expected}")
        g2 = grad_out.reshape(-1, self.out_features)
        self.weight.accumulate(g2.T @ x.reshape(-1, self.in_features))
        if self.bias is not None:
            self.bias.accumulate(g2.sum(axis=0))
        return grad_out @ self.weight.data

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Identity(Module):
    """Returns its input unchanged; the gradient passes straight through."""

    def forward(self, x):
        return x

    def backward(self, grad_out):
        return grad_out


class Flatten(Module):
    """Flatten dimensions ``start_dim`` to ``end_dim`` into one, as ``torch.nn.Flatten``.

    Examples
    --------
    >>> Flatten()(np.zeros((2, 3, 4, 5))).shape
    (2, 60)
    >>> Flatten(0, -1)(np.zeros((2, 3))).shape
    (6,)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = check_int("start_dim", start_dim)
        self.end_dim = check_int("end_dim", end_dim)

    def forward(self, x):
        x = np.asarray(x)
        nd = max(x.ndim, 1)
        start, end = self.start_dim % nd, self.end_dim % nd
        if not (-nd <= self.start_dim < nd and -nd <= self.end_dim < nd) or start > end:
            raise ValueError(f"Flatten(start_dim={self.start_dim}, end_dim={self.end_dim}) "
                             f"does not fit an input of shape {x.shape}")
        self._save(shape=x.shape)
        # the product, not -1: NumPy cannot infer a -1 next to a zero-sized axis (N = 0)
        return x.reshape(x.shape[:start] + (math.prod(x.shape[start:end + 1]),) + x.shape[end + 1:])

    def backward(self, grad_out):
        (shape,) = self._saved("shape")
        return np.asarray(grad_out).reshape(shape)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dimension ``dim`` into ``unflattened_size``, as ``torch.nn.Unflatten``; the
    inverse of :class:`Flatten`. One entry of ``unflattened_size`` may be -1 (inferred).

    Examples
    --------
    >>> Unflatten(1, (3, 4))(np.zeros((2, 12))).shape
    (2, 3, 4)
    >>> Unflatten(-1, (2, -1))(np.zeros((0, 6))).shape
    (0, 2, 3)
    """

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        self.dim = check_int("dim", dim)
        if isinstance(unflattened_size, (str, bytes)) or not hasattr(unflattened_size,
                                                                      "__iter__"):
            raise TypeError("unflattened_size must be a tuple or list of integers, got "
                            f"{type(unflattened_size).__name__}")
        sizes = tuple(check_int("unflattened_size entry", n) for n in unflattened_size)
        if not sizes or sizes.count(-1) > 1 or any(n < -1 for n in sizes):
            raise ValueError("unflattened_size must be non-empty sizes >= 0 with at most one "
                             f"-1, got {sizes}")
        self.unflattened_size = tuple(unflattened_size)
        self._sizes = sizes

    def forward(self, x):
        x = as_array("input", x)
        if not -x.ndim <= self.dim < max(x.ndim, 1) or x.ndim == 0:
            raise ValueError(f"Unflatten dim {self.dim} is out of range for an input of shape "
                             f"{x.shape}")
        dim = self.dim % x.ndim
        n, known = x.shape[dim], math.prod(s for s in self._sizes if s != -1)
        sizes = self._sizes
        if -1 in sizes:
            if known == 0 or n % known:
                raise ValueError(f"Unflatten cannot split size {n} of dim {self.dim} into "
                                 f"{self.unflattened_size}")
            sizes = tuple(n // known if s == -1 else s for s in sizes)
        if math.prod(sizes) != n:
            raise ValueError(f"Unflatten unflattened_size {self.unflattened_size} has product "
                             f"{math.prod(sizes)}, but dim {self.dim} has size {n}")
        self._save(shape=x.shape)
        return x.reshape(x.shape[:dim] + sizes + x.shape[dim + 1:])

    def backward(self, grad_out):
        (shape,) = self._saved("shape")
        return np.asarray(grad_out).reshape(shape)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
