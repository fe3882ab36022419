r"""Dropout: the functional form, the drop-rate posterior and Monte Carlo dropout.

Inverted dropout (PyTorch's convention, the default) keeps each element with probability
:math:`1 - p` and scales the survivors by :math:`1/(1 - p)`, so :math:`E[y] = x` and inference
is the identity. Classic dropout (Srivastava et al. 2014, ``mode="classic"``) leaves the
survivors unscaled in training and multiplies by the keep probability :math:`1 - p` at
inference instead. The layers live in :mod:`dlcore.nn.dropout`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .checks import as_array, check_choice, check_int, check_range
from .random import as_generator

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "keep_mask", "multiplier",
           "BetaPosterior", "posterior", "mc_predict"]
__functional__ = ["dropout", "dropout1d", "dropout2d", "dropout3d"]

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


@dataclass(frozen=True)
class BetaPosterior:
    r"""The Beta(:math:`\alpha`, :math:`\beta`) distribution of a drop rate :math:`\theta`.

    Density :math:`\theta^{\alpha-1}(1-\theta)^{\beta-1}/B(\alpha, \beta)` on [0, 1];
    mean :math:`\alpha/(\alpha+\beta)`, variance
    :math:`\alpha\beta/((\alpha+\beta)^2(\alpha+\beta+1))`. SciPy is imported lazily.

    Examples
    --------
    >>> post = BetaPosterior(2.0, 4.0)
    >>> post.mean, post.mode, round(post.var, 6)
    (0.3333333333333333, 0.25, 0.031746)
    >>> [round(v, 4) for v in post.interval(0.95)]
    [0.0527, 0.7164]
    """

    alpha: float
    beta: float

    @property
    def mean(self) -> float:
        """Posterior mean; also the predictive probability that the next unit is dropped."""
        return self.alpha / (self.alpha + self.beta)

    @property
    def var(self) -> float:
        a, b = self.alpha, self.beta
        return a * b / ((a + b) ** 2 * (a + b + 1))

    @property
    def mode(self) -> float:
        r"""The maximiser of the density: :math:`(\alpha-1)/(\alpha+\beta-2)` when both
        exceed 1, 0 or 1 at a boundary maximum; ``ValueError`` when it is not unique
        (Beta(1, 1) is flat; both parameters below 1 give two infinite peaks)."""
        a, b = self.alpha, self.beta
        if a > 1 and b > 1:
            return (a - 1) / (a + b - 2)
        if a <= 1 < b or (a < 1 and b == 1):
            return 0.0
        if b <= 1 < a or (b < 1 and a == 1):
            return 1.0
        raise ValueError(f"Beta({a:g}, {b:g}) has no unique mode")

    def logpdf(self, theta):
        """Log density at ``theta`` (``-inf`` outside [0, 1])."""
        from scipy.special import betaln, xlog1py, xlogy

        t = as_array("theta", theta)
        inside = (t >= 0) & (t <= 1)
        tc = np.clip(t, 0.0, 1.0)
        with np.errstate(divide="ignore"):  # an unbounded density at 0 or 1 is +inf, not a bug
            log = xlogy(self.alpha - 1, tc) + xlog1py(self.beta - 1, -tc)
        return np.where(inside, log - betaln(self.alpha, self.beta), -np.inf)

    def pdf(self, theta):
        """Density at ``theta`` (array_like; 0 outside [0, 1])."""
        return np.exp(self.logpdf(theta))

    def cdf(self, theta):
        r""":math:`P(\Theta \le \theta)`, the regularised incomplete beta function."""
        from scipy.special import betainc

        return betainc(self.alpha, self.beta, np.clip(as_array("theta", theta), 0.0, 1.0))

    def sf(self, theta):
        r""":math:`P(\Theta > \theta)`, computed as :math:`I_{1-\theta}(\beta, \alpha)` (no
        cancellation)."""
        from scipy.special import betainc

        return betainc(self.beta, self.alpha, 1.0 - np.clip(as_array("theta", theta), 0.0, 1.0))

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """Equal-tailed credible interval: the ``(1 - level)/2`` and ``(1 + level)/2``
        quantiles."""
        from scipy.special import betaincinv

        level = check_range("level", level, 0.0, 1.0, low_open=True, high_open=True,
                            what="credible interval")
        lo, hi = betaincinv(self.alpha, self.beta, [(1 - level) / 2, (1 + level) / 2])
        return float(lo), float(hi)


def posterior(dropped: int, total: int, prior=(1.0, 1.0)) -> BetaPosterior:
    r"""Conjugate posterior of a drop rate :math:`\theta` after ``dropped`` of ``total``
    independent units were dropped.

    With a Beta(:math:`a, b`) prior and a binomial likelihood
    :math:`\theta^k (1-\theta)^{n-k}`, the posterior is Beta(:math:`a + k, b + n - k`).
    The default prior Beta(1, 1) is uniform.

    Examples
    --------
    >>> post = posterior(4, 4)            # all four units dropped, uniform prior
    >>> post.alpha, post.beta, post.mean, post.mode
    (5.0, 1.0, 0.8333333333333334, 1.0)
    >>> round(float(post.sf(0.5)), 6)     # P(theta > 0.5) = 1 - 0.5**5
    0.96875
    """
    total = check_int("posterior total", total, minimum=0)
    dropped = check_int("posterior dropped", dropped, minimum=0)
    if dropped > total:
        raise ValueError(f"posterior dropped must be in [0, total={total}], got {dropped}")
    if not isinstance(prior, (tuple, list)) or len(prior) != 2:
        raise ValueError(f"posterior prior must be a pair (alpha, beta), got {prior!r}")
    a, b = (check_range(f"prior[{i}]", v, 0.0, np.inf, low_open=True, high_open=True,
                        what="posterior") for i, v in enumerate(prior))
    return BetaPosterior(a + dropped, b + total - dropped)


def mc_predict(model, x, samples: int, rng=None, *, return_samples: bool = False):
    r"""Monte Carlo dropout (Gal & Ghahramani 2016): the mean and standard deviation of
    ``samples`` stochastic forward passes with dropout on and every other layer in eval mode.

    .. math:: \hat\mu = \frac1T \sum_{t=1}^T f(x; m_t), \qquad
              \hat\sigma = \Big(\frac1T \sum_t (f(x; m_t) - \hat\mu)^2\Big)^{1/2}

    The masks come from ``rng`` (the dropout layers' own generators, the model's modes and
    the cached backward state are restored afterwards).

    Returns
    -------
    mean, std : arrays shaped like ``model(x)``; with ``return_samples`` also the stack of the
    ``samples`` outputs, shape ``(samples, *model(x).shape)``.

    Examples
    --------
    >>> from dlcore.nn import Dropout, Linear, Sequential
    >>> net = Sequential(Linear(1, 8, rng=0), Dropout(0.5), Linear(8, 1, rng=1))
    >>> mean, std = mc_predict(net, np.zeros((3, 1)), samples=50, rng=0)
    >>> mean.shape, bool((std > 0).all()), net.training
    ((3, 1), True, True)
    """
    from .nn.dropout import _DropoutNd  # here: dlcore.nn imports this module

    samples = check_int("samples", samples, minimum=1)
    layers = [m for m in model.modules() if isinstance(m, _DropoutNd)]
    if not layers:
        raise ValueError(f"mc_predict needs a model with a dropout layer, got "
                         f"{type(model).__name__} without one")
    gen = as_generator(rng)
    modes = [(m, m.training, m.__dict__.get("_cache")) for m in model.modules()]
    generators = [layer.generator for layer in layers]
    model.eval()
    try:
        for layer in layers:
            layer.train()
            layer.generator = gen
        outs = np.stack([np.asarray(model(x)) for _ in range(samples)])
    finally:
        for m, training, cache in modes:
            object.__setattr__(m, "training", training)
            object.__setattr__(m, "_cache", cache)
        for layer, g in zip(layers, generators):
            layer.generator = g
    mean, std = outs.mean(axis=0), outs.std(axis=0)
    return (mean, std, outs) if return_samples else (mean, std)
