r"""Data augmentation for small images such as the 8x8 digits: noise, pixel shifts, flips and
mixup.

Augmentation adds transformed copies of the training inputs that keep their label (noise,
small shifts; flips only where the classes are mirror-symmetric, which digits are not), or,
for mixup, mixes inputs *and* labels. Every random function takes ``rng``. Images are laid out
``(N, ..., H, W)`` (NCHW or NHW); use ``load_digits(images=True)`` or reshape ``(N, 64)`` to
``(N, 1, 8, 8)``.
"""

from __future__ import annotations

import numpy as np

from ..checks import as_array, check_int, check_range
from ..random import as_generator
from .regularization import smooth_labels

__all__ = ["gaussian_noise", "shift", "random_shift", "flip", "random_flip", "mix", "mixup"]


def _images(name, images):
    x = as_array(name, images)
    if x.ndim < 3:
        raise ValueError(f"{name} must have shape (N, H, W) or (N, C, H, W), got {x.shape}")
    return x


def gaussian_noise(x, std: float, rng=None):
    r"""Add i.i.d. noise :math:`x + \sigma z`, :math:`z \sim \mathcal N(0, 1)`, of the shape
    of ``x`` (any shape).

    Examples
    --------
    >>> gaussian_noise(np.zeros(3), 0.0, rng=0)
    array([0., 0., 0.])
    """
    x = as_array("x", x)
    std = check_range("std", std, 0.0, what="gaussian_noise")
    return x + std * as_generator(rng).standard_normal(x.shape)


def _per_sample(name, value, n):
    v = np.asarray(value)
    if v.dtype.kind not in "iu" or v.ndim > 1 or (v.ndim == 1 and len(v) != n):
        raise ValueError(f"{name} must be an integer or {n} integers (one per image), "
                         f"got {value!r}")
    return np.broadcast_to(v, (n,))


def shift(images, dy, dx, fill: float = 0.0):
    r"""Translate each image by whole pixels: ``dy`` down, ``dx`` right (negative: up/left).

    ``out[n, ..., i, j] = images[n, ..., i - dy[n], j - dx[n]]``; pixels shifted in from
    outside are ``fill`` (0 is the background of unscaled or unit-scaled digits).

    Parameters
    ----------
    images : (N, ..., H, W) array
    dy, dx : int or (N,) int array
    fill : float

    Examples
    --------
    >>> shift(np.arange(9.0).reshape(1, 3, 3), 1, -1)[0]
    array([[0., 0., 0.],
           [1., 2., 0.],
           [4., 5., 0.]])
    """
    x = _images("images", images)
    n, (H, W) = len(x), x.shape[-2:]
    dy, dx = _per_sample("dy", dy, n), _per_sample("dx", dx, n)
    out = np.full_like(x, fill)
    for a, b in {(int(a), int(b)) for a, b in zip(dy, dx)}:
        if abs(a) >= H or abs(b) >= W:
            continue  # shifted entirely out of the frame: all fill
        idx = np.flatnonzero((dy == a) & (dx == b))
        dst = (slice(max(a, 0), H + min(a, 0)), slice(max(b, 0), W + min(b, 0)))
        src = (slice(max(-a, 0), H + min(-a, 0)), slice(max(-b, 0), W + min(-b, 0)))
        out[idx, ..., dst[0], dst[1]] = x[idx, ..., src[0], src[1]]
    return out


def random_shift(images, max_shift: int = 1, fill: float = 0.0, rng=None):
    """Shift each image by ``dy, dx`` drawn uniformly from ``{-max_shift, ..., max_shift}``.

    Examples
    --------
    >>> x = np.ones((4, 1, 8, 8))
    >>> random_shift(x, 1, rng=0).shape
    (4, 1, 8, 8)
    """
    x = _images("images", images)
    s = check_int("max_shift", max_shift, minimum=0)
    gen = as_generator(rng)
    dy, dx = gen.integers(-s, s + 1, size=(2, len(x)))
    return shift(x, dy, dx, fill)


def flip(images, dims=(-1,)):
    """Mirror every image along ``dims`` (``-1``: left-right, ``-2``: up-down), as
    ``torch.flip(images, dims)``.

    Examples
    --------
    >>> flip(np.arange(4.0).reshape(1, 2, 2))[0]
    array([[1., 0.],
           [3., 2.]])
    """
    x = _images("images", images)
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    allowed = (-1, -2, x.ndim - 1, x.ndim - 2)
    for d in dims:
        if check_int("dims", d) not in allowed:
            raise ValueError(f"dims must name the image axes (-1, -2, {x.ndim - 2} or "
                             f"{x.ndim - 1}) of an input of shape {x.shape}, got {d}")
    return np.flip(x, axis=dims).copy()


def random_flip(images, p: float = 0.5, dims=(-1,), rng=None):
    """Flip each image along ``dims`` with probability ``p`` (torchvision's
    ``RandomHorizontalFlip(p)`` for ``dims=(-1,)``, applied per image).

    Examples
    --------
    >>> x = np.arange(4.0).reshape(1, 1, 2, 2)
    >>> np.array_equal(random_flip(x, p=1.0, rng=0), flip(x))
    True
    """
    x = _images("images", images)
    p = check_range("p", p, 0.0, 1.0, what="random_flip")
    chosen = as_generator(rng).random(len(x)) < p
    out = x.copy()
    out[chosen] = flip(x[chosen], dims)
    return out


def mix(a, b, lam: float):
    r"""The convex combination :math:`\lambda a + (1 - \lambda) b` used by mixup for inputs and
    for one-hot (or soft) targets alike.

    Examples
    --------
    >>> mix(np.array([1.0, 0.0, 2.0]), np.array([0.0, 4.0, 1.0]), 0.7)
    array([0.7, 1.2, 1.7])
    """
    a, b = as_array("a", a), as_array("b", b)
    if a.shape != b.shape:
        raise ValueError(f"a shape {a.shape} does not match b shape {b.shape}")
    lam = check_range("lam", lam, 0.0, 1.0, what="mix")
    return lam * a + (1.0 - lam) * b


def mixup(x, y, alpha: float = 1.0, num_classes: int | None = None, rng=None):
    r"""Mixup (Zhang et al., 2018): mix each sample with a random partner of the same batch.

    Draws one :math:`\lambda \sim \mathrm{Beta}(\alpha, \alpha)` for the batch and a random
    permutation :math:`\pi`, and returns :math:`\tilde x = \lambda x + (1-\lambda) x_\pi`,
    :math:`\tilde y = \lambda y + (1-\lambda) y_\pi` with :math:`y` one-hot. Train on
    :math:`\tilde y` with a soft-target cross-entropy; since the loss is linear in the target,
    this equals :math:`\lambda\,\mathrm{CE}(y) + (1-\lambda)\,\mathrm{CE}(y_\pi)`.

    Parameters
    ----------
    x : (N, ...) array
    y : (N,) integer class indices (needs ``num_classes``) or (N, C) probabilities
    alpha : float > 0
    num_classes : int or None

    Returns
    -------
    x_mix : array like ``x``; y_mix : (N, C) array; lam : float

    Examples
    --------
    >>> xm, ym, lam = mixup(np.eye(2), np.array([0, 1]), num_classes=2, rng=0)
    >>> np.allclose(xm, ym), bool(np.allclose(ym.sum(1), 1))
    (True, True)
    """
    x = as_array("x", x, min_ndim=1)
    alpha = check_range("alpha", alpha, 0.0, low_open=True, what="mixup")
    y = np.asarray(y)
    if y.dtype.kind in "iu":
        if num_classes is None:
            raise ValueError("mixup needs num_classes when y holds class indices")
        y = smooth_labels(y, num_classes, 0.0)
    else:
        y = as_array("y", y)
    if y.ndim != 2 or len(y) != len(x):
        raise ValueError(f"y must have shape ({len(x)},) or ({len(x)}, C) to match x shape "
                         f"{x.shape}, got {y.shape}")
    gen = as_generator(rng)
    lam = float(gen.beta(alpha, alpha))
    perm = gen.permutation(len(x))
    return mix(x, x[perm], lam), mix(y, y[perm], lam), lam
