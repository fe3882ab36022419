r"""The drop rate as an unknown: its Beta posterior after counting dropped units, and Monte
Carlo dropout (the mean and spread of stochastic forward passes), for chapter 4.

The dropout maths itself (masks, scaling, ``dropout``) is :mod:`dlcore.functional.dropout`;
the layers are :mod:`dlcore.nn.dropout`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..checks import as_array, check_int, check_range
from ..nn.dropout import _DropoutNd
from ..random import as_generator

__all__ = ["BetaPosterior", "posterior", "mc_predict"]


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
