r"""The maths of the generative-models chapter: VAEs, GANs, gradient estimators and RBMs.

Nothing here has a ``torch.nn`` counterpart, so each function states the PyTorch expression
it is checked against in the tests:

- :func:`reparameterize` / :func:`reparameterize_backward`: :math:`z = \mu + e^{\ell/2}
  \varepsilon` with gradients to :math:`\mu` and the log-variance :math:`\ell`
  (``torch.distributions.Normal(mu, std).rsample()``);
- :func:`gaussian_kl` / :func:`gaussian_kl_backward`: the closed-form KL divergence between
  diagonal Gaussians (``torch.distributions.kl_divergence(Normal, Normal)``);
- :func:`discriminator_loss` and :func:`generator_loss`: the GAN losses on logits with their
  gradients, built on :class:`~dlcore.nn.BCEWithLogitsLoss`;
- :func:`pathwise_grad` and :func:`score_function_grad`: per-draw estimates of
  :math:`\nabla_\mu \mathbb{E}_{z \sim N(\mu, \sigma^2)}[f(z)]`;
- :class:`RBM`: a binary restricted Boltzmann machine with Gibbs sampling, contrastive
  divergence and, for a few visible units, exact enumeration of :math:`Z`;
- sample-quality metrics: :func:`mode_coverage`, :func:`frechet_distance`,
  :func:`active_units`; and the toy data :func:`make_ring_gaussians`,
  :func:`bars_and_stripes`.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..checks import as_array, check_choice, check_int, check_range
from ..nn.loss import BCEWithLogitsLoss
from ..random import as_generator

__all__ = ["reparameterize", "reparameterize_backward", "gaussian_kl", "gaussian_kl_backward",
           "discriminator_loss", "generator_loss", "pathwise_grad", "score_function_grad",
           "RBM", "binary_states", "mode_coverage", "frechet_distance", "active_units",
           "make_ring_gaussians", "ring_centres", "bars_and_stripes"]

_REDUCTIONS = ("none", "sum", "mean")


def _softplus(x):
    """:math:`\\log(1 + e^x)` without overflow."""
    return np.logaddexp(0.0, x)


def _expit(x):
    """The logistic function (``scipy.special.expit``: one fast, stable ufunc)."""
    from scipy.special import expit  # lazy: import dlcore stays NumPy-only

    return expit(x)


def _float(name, x):
    x = as_array(name, x)
    return x if x.dtype in (np.float32, np.float64) else x.astype(np.float64)


def _same(name_a, a, name_b, b):
    try:
        return np.broadcast_shapes(np.shape(a), np.shape(b))
    except ValueError:
        raise ValueError(f"{name_a} of shape {np.shape(a)} and {name_b} of shape "
                         f"{np.shape(b)} do not broadcast") from None


# --------------------------------------------------------------------------- VAE pieces


def reparameterize(mu, logvar, eps):
    r"""The reparameterised Gaussian draw :math:`z = \mu + \exp(\ell/2)\,\varepsilon`.

    Parameters
    ----------
    mu, logvar : array, shape (*)
        Mean and log-variance :math:`\ell = \log\sigma^2` of :math:`q(z)`.
    eps : array, shape (*)
        Standard normal noise, drawn by the caller (so a test can fix it).

    Returns
    -------
    numpy.ndarray, shape (*)
        The same draw as ``Normal(mu, exp(logvar / 2)).rsample()`` with that noise.

    Examples
    --------
    >>> reparameterize(np.array([1.0]), np.array([np.log(4.0)]), np.array([0.5]))
    array([2.])
    """
    mu, logvar, eps = _float("mu", mu), _float("logvar", logvar), _float("eps", eps)
    _same("mu", mu, "logvar", logvar)
    _same("mu", mu, "eps", eps)
    return mu + np.exp(0.5 * logvar) * eps


def reparameterize_backward(grad_z, logvar, eps):
    r"""Gradients of :func:`reparameterize` with respect to ``mu`` and ``logvar``.

    :math:`\partial z/\partial\mu = 1` and
    :math:`\partial z/\partial\ell = \tfrac12 e^{\ell/2}\varepsilon`, so for an upstream
    gradient :math:`g`: ``grad_mu = g`` and ``grad_logvar = g * 0.5 * exp(logvar/2) * eps``.

    Returns
    -------
    (grad_mu, grad_logvar) : tuple of numpy.ndarray, each of ``grad_z``'s shape

    Examples
    --------
    >>> reparameterize_backward(np.array([1.0]), np.array([0.0]), np.array([2.0]))
    (array([1.]), array([1.]))
    """
    g, logvar, eps = _float("grad_z", grad_z), _float("logvar", logvar), _float("eps", eps)
    shape = _same("grad_z", g, "eps", eps)
    return np.broadcast_to(g, shape).copy(), g * 0.5 * np.exp(0.5 * logvar) * eps


def _kl_terms(mu_q, logvar_q, mu_p, logvar_p):
    mu_q, logvar_q = _float("mu_q", mu_q), _float("logvar_q", logvar_q)
    dtype = np.result_type(mu_q, logvar_q)
    # a Python number for the prior takes the posterior's dtype (float32 stays float32)
    mu_p, logvar_p = (np.asarray(v, dtype=dtype) if isinstance(v, numbers.Real)
                      else _float(name, v) for name, v in (("mu_p", mu_p),
                                                           ("logvar_p", logvar_p)))
    for name, x in (("logvar_q", logvar_q), ("mu_p", mu_p), ("logvar_p", logvar_p)):
        _same("mu_q", mu_q, name, x)
    return mu_q, logvar_q, mu_p, logvar_p


def gaussian_kl(mu_q, logvar_q, mu_p=0.0, logvar_p=0.0, reduction: str = "sum"):
    r"""KL divergence :math:`\mathrm{KL}(q \,\|\, p)` between diagonal Gaussians.

    .. math::
        \mathrm{KL} = \sum_d \tfrac12 \Big[\ell_{p,d} - \ell_{q,d}
            + \frac{e^{\ell_{q,d}} + (\mu_{q,d} - \mu_{p,d})^2}{e^{\ell_{p,d}}} - 1\Big],

    with log-variances :math:`\ell`. Against :math:`p = N(0, I)` (the defaults) this is the
    VAE's :math:`\tfrac12 \sum_d (\mu_d^2 + \sigma_d^2 - 1 - \log\sigma_d^2)`.

    Parameters
    ----------
    mu_q, logvar_q : array, shape (*)
    mu_p, logvar_p : array or float, broadcast to ``mu_q``'s shape
    reduction : {"sum", "mean", "none"}
        Sum or mean over every element, or the element-wise terms (the per-dimension KL).

    Examples
    --------
    >>> float(gaussian_kl(np.zeros(3), np.zeros(3)))
    0.0
    >>> round(float(gaussian_kl(np.array([1.0]), np.array([0.0]))), 6)
    0.5
    """
    check_choice("reduction", reduction, _REDUCTIONS)
    mu_q, logvar_q, mu_p, logvar_p = _kl_terms(mu_q, logvar_q, mu_p, logvar_p)
    per = 0.5 * (logvar_p - logvar_q + (np.exp(logvar_q) + (mu_q - mu_p) ** 2)
                 * np.exp(-logvar_p) - 1.0)
    per = np.broadcast_to(per, _same("mu_q", mu_q, "logvar_q", logvar_q))
    if reduction == "none":
        return per.copy()
    return per.sum() if reduction == "sum" else per.mean()


def gaussian_kl_backward(mu_q, logvar_q, mu_p=0.0, logvar_p=0.0, reduction: str = "sum",
                         grad_output=1.0):
    r"""Gradients of :func:`gaussian_kl` with respect to ``mu_q`` and ``logvar_q``.

    .. math::
        \frac{\partial\,\mathrm{KL}}{\partial \mu_q} = \frac{\mu_q - \mu_p}{\sigma_p^2},\qquad
        \frac{\partial\,\mathrm{KL}}{\partial \ell_q} = \tfrac12\Big(\frac{\sigma_q^2}
        {\sigma_p^2} - 1\Big),

    times ``grad_output`` (broadcast for ``reduction="none"``) and divided by the element
    count for ``"mean"``.

    Examples
    --------
    >>> gaussian_kl_backward(np.array([1.0]), np.array([0.0]))
    (array([1.]), array([0.]))
    """
    check_choice("reduction", reduction, _REDUCTIONS)
    mu_q, logvar_q, mu_p, logvar_p = _kl_terms(mu_q, logvar_q, mu_p, logvar_p)
    shape = _same("mu_q", mu_q, "logvar_q", logvar_q)
    inv_var_p = np.exp(-logvar_p)
    g_mu = np.broadcast_to((mu_q - mu_p) * inv_var_p, shape)
    g_lv = np.broadcast_to(0.5 * (np.exp(logvar_q) * inv_var_p - 1.0), shape)
    g = np.asarray(grad_output, dtype=g_mu.dtype)
    if reduction == "none":
        _same("grad_output", g, "mu_q", g_mu)
    elif g.ndim:
        raise ValueError(f"gaussian_kl_backward grad_output must be a scalar for reduction="
                         f"{reduction!r}, got shape {g.shape}")
    if reduction == "mean":
        g = g / max(int(np.prod(shape)), 1)
    return g_mu * g, g_lv * g


# --------------------------------------------------------------------------- GAN losses


def _logits(name, x):
    x = _float(name, x)
    if x.ndim == 0:
        raise ValueError(f"{name} must have at least one element axis, got a scalar")
    return x


def discriminator_loss(real_logits, fake_logits):
    r"""The discriminator's loss: BCE with label 1 on real and 0 on fake logits.

    .. math::
        L_D = -\frac{1}{N_r}\sum \log\sigma(a_r) - \frac{1}{N_f}\sum\log(1 - \sigma(a_f)),

    i.e. :math:`-V(D, G)` estimated on the two batches. Built on
    :class:`~dlcore.nn.BCEWithLogitsLoss` (``reduction="mean"``), so it is stable for any
    logit.

    Returns
    -------
    (loss, grad_real, grad_fake) : float and two arrays of the logits' shapes
        The gradients are :math:`-(1 - \sigma(a_r))/N_r` and :math:`\sigma(a_f)/N_f`.

    Examples
    --------
    >>> loss, g_r, g_f = discriminator_loss(np.zeros(2), np.zeros(2))
    >>> round(loss, 6), g_r, g_f
    (1.386294, array([-0.25, -0.25]), array([0.25, 0.25]))
    """
    real, fake = _logits("real_logits", real_logits), _logits("fake_logits", fake_logits)
    bce_r, bce_f = BCEWithLogitsLoss(), BCEWithLogitsLoss()
    loss = bce_r(real, np.ones_like(real)) + bce_f(fake, np.zeros_like(fake))
    return float(loss), bce_r.backward(), bce_f.backward()


def generator_loss(fake_logits, kind: str = "nonsaturating"):
    r"""The generator's loss on the discriminator's logits :math:`a = \text{logit}\,D(G(z))`.

    - ``"nonsaturating"``: :math:`-\frac1N\sum\log\sigma(a)` (BCE with label 1), gradient
      :math:`-(1 - \sigma(a))/N`;
    - ``"minimax"`` (saturating): :math:`\frac1N\sum\log(1 - \sigma(a))` (minus the BCE with
      label 0), gradient :math:`-\sigma(a)/N`, which vanishes when :math:`D` rejects the fakes.

    Returns
    -------
    (loss, grad) : float and an array of the logits' shape

    Examples
    --------
    >>> loss, g = generator_loss(np.array([-10.0]), kind="minimax")
    >>> bool(abs(g[0]) < 1e-4), bool(abs(generator_loss(np.array([-10.0]))[1][0]) > 0.99)
    (True, True)
    """
    check_choice("kind", kind, ("nonsaturating", "minimax"))
    fake = _logits("fake_logits", fake_logits)
    bce = BCEWithLogitsLoss()
    if kind == "nonsaturating":
        loss = bce(fake, np.ones_like(fake))
        return float(loss), bce.backward()
    loss = bce(fake, np.zeros_like(fake))
    return -float(loss), -bce.backward()


# --------------------------------------------------------------------------- estimators


def _draws(mu, sigma, eps):
    mu, eps = _float("mu", mu), _float("eps", eps)
    sigma = check_range("sigma", sigma, 0, None, low_open=True) \
        if isinstance(sigma, numbers.Real) else _float("sigma", sigma)
    if np.any(np.asarray(sigma) <= 0):
        raise ValueError(f"sigma must be > 0, got {sigma}")
    if eps.ndim == 0:
        raise ValueError("eps must have a leading axis of draws, got a scalar")
    _same("mu", mu, "eps[0]", eps[0])
    return mu, sigma, eps, mu + sigma * eps


def pathwise_grad(f_prime, mu, sigma, eps):
    r"""Per-draw pathwise (reparameterised) estimates of
    :math:`\nabla_\mu \mathbb{E}_{z\sim N(\mu,\sigma^2)}[f(z)]`.

    With :math:`z = \mu + \sigma\varepsilon`, :math:`\partial z/\partial\mu = 1`, so each draw
    contributes :math:`f'(\mu + \sigma\varepsilon)`. Needs :math:`f` differentiable.

    Parameters
    ----------
    f_prime : callable
        Gradient of ``f``: maps draws of shape ``(n, *)`` to gradients of the same shape.
    mu : array, shape (*) or float
    sigma : float or array broadcast to ``mu``
    eps : array, shape (n, *)
        Standard normal noise, one row per draw.

    Returns
    -------
    numpy.ndarray, shape (n, *): one estimate per draw (average them for the estimator).

    Examples
    --------
    >>> est = pathwise_grad(lambda z: 2 * z, 1.0, 1.0, np.array([-1.0, 1.0]))
    >>> est, float(est.mean())
    (array([0., 4.]), 2.0)
    """
    _, _, eps, z = _draws(mu, sigma, eps)
    out = np.asarray(f_prime(z), dtype=np.float64)
    if out.shape != z.shape:
        raise ValueError(f"f_prime returned shape {out.shape}, expected the draws' {z.shape}")
    return out


def score_function_grad(f, mu, sigma, eps, baseline=None):
    r"""Per-draw score-function (REINFORCE) estimates of the same gradient.

    :math:`\nabla_\mu \log N(z; \mu, \sigma^2) = (z - \mu)/\sigma^2`, so each draw contributes
    :math:`(f(z) - b)\,(z - \mu)/\sigma^2`. Any constant baseline :math:`b` leaves the mean
    unchanged (the score has mean zero) and changes the variance. Needs only values of
    :math:`f`, so it works for a step function too.

    Parameters
    ----------
    f : callable
        Maps draws of shape ``(n, *)`` to one value per draw, shape ``(n,)``.
    mu, sigma, eps : as in :func:`pathwise_grad`
    baseline : float, optional

    Returns
    -------
    numpy.ndarray, shape (n, *)

    Examples
    --------
    >>> est = score_function_grad(lambda z: z ** 2, 1.0, 1.0, np.array([-1.0, 1.0]))
    >>> est, float(est.mean())
    (array([-0.,  4.]), 2.0)
    """
    mu, sigma, eps, z = _draws(mu, sigma, eps)
    fz = np.asarray(f(z), dtype=np.float64)
    if fz.shape != (len(z),):
        raise ValueError(f"f returned shape {fz.shape}, expected one value per draw "
                         f"({len(z)},)")
    if baseline is not None:
        fz = fz - float(baseline)
    return fz.reshape((-1,) + (1,) * (z.ndim - 1)) * (z - mu) / np.square(sigma)


# --------------------------------------------------------------------------- RBM


def binary_states(n: int) -> np.ndarray:
    """All :math:`2^n` binary vectors of length ``n``, as rows of a float array.

    Row ``i`` is the binary expansion of ``i``, most significant bit first.

    Examples
    --------
    >>> binary_states(2)
    array([[0., 0.],
           [0., 1.],
           [1., 0.],
           [1., 1.]])
    """
    n = check_int("n", n, minimum=0)
    if n > RBM.MAX_ENUMERATE:
        raise ValueError(f"binary_states n must be <= {RBM.MAX_ENUMERATE} (2**n rows), got {n}")
    idx = np.arange(2 ** n)[:, None]
    return ((idx >> np.arange(n - 1, -1, -1)) & 1).astype(np.float64)


class RBM:
    r"""A binary restricted Boltzmann machine.

    .. math::
        E(v, h) = -a^\top v - b^\top h - v^\top W h, \qquad p(v, h) = e^{-E(v, h)}/Z,

    with visible :math:`v \in \{0,1\}^{n_v}`, hidden :math:`h \in \{0,1\}^{n_h}` and no
    visible-visible or hidden-hidden weights, so both conditionals factorise:
    :math:`p(h_j = 1 \mid v) = \sigma(b_j + W_{:,j}^\top v)`,
    :math:`p(v_i = 1 \mid h) = \sigma(a_i + W_{i,:} h)`. Summing out :math:`h` gives the free
    energy :math:`F(v) = -a^\top v - \sum_j \mathrm{softplus}(b_j + W_{:,j}^\top v)` and
    :math:`p(v) = e^{-F(v)}/Z`.

    Parameters
    ----------
    n_visible, n_hidden : int
    rng : Generator, int or None
        Source of the initial weights :math:`W_{ij} \sim N(0, \text{weight_std}^2)`.
    weight_std : float, default 0.01
        Biases start at zero.

    Attributes
    ----------
    W : numpy.ndarray, shape (n_visible, n_hidden)
    a : numpy.ndarray, shape (n_visible,)   visible biases
    b : numpy.ndarray, shape (n_hidden,)    hidden biases

    Notes
    -----
    The exact quantities (:meth:`log_partition`, :meth:`log_likelihood`, :meth:`exact_grad`)
    enumerate all :math:`2^{n_v}` visible states and refuse beyond ``MAX_ENUMERATE`` visible
    units. There is no PyTorch counterpart; the tests check everything against brute-force
    enumeration of the joint states.

    Examples
    --------
    >>> rbm = RBM(3, 2, rng=0)
    >>> v = binary_states(3)
    >>> bool(np.isclose(np.exp(rbm.log_likelihood(v)).sum(), 1.0))
    True
    """

    MAX_ENUMERATE = 20

    def __init__(self, n_visible: int, n_hidden: int, rng=None, weight_std: float = 0.01):
        self.n_visible = check_int("n_visible", n_visible, minimum=1)
        self.n_hidden = check_int("n_hidden", n_hidden, minimum=1)
        weight_std = check_range("weight_std", weight_std, 0, None)
        gen = as_generator(rng)
        self.W = gen.normal(0.0, weight_std, (self.n_visible, self.n_hidden))
        self.a = np.zeros(self.n_visible)
        self.b = np.zeros(self.n_hidden)

    # -- checks
    def _units(self, name, x, n):
        x = _float(name, x)
        if x.ndim not in (1, 2) or x.shape[-1] != n:
            raise ValueError(f"RBM {name} must have shape ({n},) or (N, {n}), got {x.shape}")
        return x

    def _v(self, v):
        return self._units("v", v, self.n_visible)

    def _h(self, h):
        return self._units("h", h, self.n_hidden)

    # -- the model
    def energy(self, v, h):
        """:math:`E(v, h) = -a^\\top v - b^\\top h - v^\\top W h`, one value per row."""
        v, h = self._v(v), self._h(h)
        return -(v @ self.a) - (h @ self.b) - np.sum((v @ self.W) * h, axis=-1)

    def free_energy(self, v):
        """:math:`F(v) = -a^\\top v - \\sum_j \\mathrm{softplus}(b_j + W_{:,j}^\\top v)`."""
        v = self._v(v)
        return -(v @ self.a) - _softplus(self.b + v @ self.W).sum(axis=-1)

    def p_h_given_v(self, v):
        """:math:`p(h_j = 1 \\mid v) = \\sigma(b + W^\\top v)_j`, shape (N, n_hidden)."""
        return _expit(self.b + self._v(v) @ self.W)

    def p_v_given_h(self, h):
        """:math:`p(v_i = 1 \\mid h) = \\sigma(a + W h)_i`, shape (N, n_visible)."""
        return _expit(self.a + self._h(h) @ self.W.T)

    def _sweeps(self, v, k, gen):
        """``k`` block-Gibbs sweeps from ``v`` (already checked); the training loops' kernel."""
        for _ in range(k):
            h = gen.random((len(v), self.n_hidden)) < _expit(self.b + v @ self.W)
            v = (gen.random(v.shape) < _expit(self.a + h @ self.W.T)).astype(np.float64)
        return v

    def gibbs_step(self, v, rng=None):
        """One block-Gibbs sweep: :math:`h \\sim p(h\\mid v)`, then :math:`v' \\sim
        p(v\\mid h)`. Returns the new visible sample (same shape as ``v``)."""
        v = self._v(v)
        return self._sweeps(np.atleast_2d(v), 1, as_generator(rng)).reshape(v.shape)

    def reconstruct(self, v):
        """Mean-field reconstruction :math:`p(v \\mid h = p(h \\mid v))` (probabilities)."""
        return self.p_v_given_h(self.p_h_given_v(v))

    def reconstruction_error(self, v) -> float:
        """Mean squared difference between ``v`` and its mean-field reconstruction."""
        v = self._v(v)
        return float(np.mean((v - self.reconstruct(v)) ** 2))

    # -- gradients of the mean log-likelihood (ascent directions)
    def _data_term(self, v):
        ph = _expit(self.b + v @ self.W)
        n = max(len(v), 1)
        return v.T @ ph / n, v.sum(axis=0) / n, ph.sum(axis=0) / n

    def cd_grad(self, v, k: int = 1, rng=None):
        r"""Contrastive-divergence estimate (CD-k) of :math:`\nabla \frac1N\sum\log p(v_n)`.

        The data term :math:`\langle v h^\top\rangle_{data}` uses :math:`p(h\mid v)`; the
        model term replaces the model expectation by the chains that start at the data and
        run ``k`` Gibbs sweeps. Biased, because ``k`` sweeps do not reach the model
        distribution.

        Parameters
        ----------
        v : array, shape (N, n_visible)
            The batch; one chain starts at each row (repeat rows for several chains).
        k : int, default 1
        rng : Generator, int or None

        Returns
        -------
        (dW, da, db) : tuple of numpy.ndarray with the shapes of ``W``, ``a``, ``b``
        """
        v = np.atleast_2d(self._v(v))
        k = check_int("k", k, minimum=1)
        gen = as_generator(rng)
        vk = self._sweeps(v, k, gen)
        dW0, da0, db0 = self._data_term(v)
        dWk, dak, dbk = self._data_term(vk)
        return dW0 - dWk, da0 - dak, db0 - dbk

    def _all_visible(self):
        if self.n_visible > self.MAX_ENUMERATE:
            raise ValueError(f"RBM exact enumeration needs 2**n_visible states; n_visible must "
                             f"be <= {self.MAX_ENUMERATE}, got {self.n_visible}")
        return binary_states(self.n_visible)

    def log_partition(self) -> float:
        r""":math:`\log Z = \log \sum_v e^{-F(v)}`, by enumerating all visible states."""
        neg_f = -self.free_energy(self._all_visible())
        m = neg_f.max()
        return float(m + np.log(np.exp(neg_f - m).sum()))

    def log_likelihood(self, v):
        r""":math:`\log p(v) = -F(v) - \log Z` for each row of ``v`` (exact)."""
        return -self.free_energy(v) - self.log_partition()

    def exact_grad(self, v):
        r"""The exact gradient of :math:`\frac1N \sum_n \log p(v_n)`.

        Data term minus the model expectation, the latter enumerated over all visible states
        with weights :math:`p(v)`: :math:`\nabla_W = \langle v\,p(h\mid v)^\top\rangle_{data}
        - \sum_v p(v)\, v\, p(h \mid v)^\top` (likewise for ``a`` and ``b``).

        Returns
        -------
        (dW, da, db) : tuple of numpy.ndarray
        """
        v = np.atleast_2d(self._v(v))
        states = self._all_visible()
        neg_f = -self.free_energy(states)
        p = np.exp(neg_f - neg_f.max())
        p /= p.sum()
        ph = _expit(self.b + states @ self.W)
        dW0, da0, db0 = self._data_term(v)
        return dW0 - states.T @ (p[:, None] * ph), da0 - p @ states, db0 - p @ ph


# --------------------------------------------------------------------------- metrics


def mode_coverage(samples, centres, std, n_std: float = 3.0, min_share: float = 0.02):
    r"""How many modes of a Gaussian mixture a set of samples covers.

    A sample is *high quality* when its Euclidean distance to the nearest centre is below
    ``n_std * std``; a mode is *covered* once it holds at least ``min_share`` of the
    high-quality samples.

    Parameters
    ----------
    samples : array, shape (N, D)
    centres : array, shape (K, D)
    std : float
        The mixture components' standard deviation.
    n_std, min_share : float

    Returns
    -------
    (n_covered, hq_fraction, covered) : int, float, frozenset of int
        ``hq_fraction`` is the share of high-quality samples among all ``N``.

    Examples
    --------
    >>> c = np.array([[0.0, 0.0], [10.0, 0.0]])
    >>> mode_coverage(np.array([[0.01, 0.0], [0.0, 0.02], [5.0, 5.0]]), c, std=0.1)
    (1, 0.6666666666666666, frozenset({0}))
    """
    x, c = _float("samples", samples), _float("centres", centres)
    if x.ndim != 2 or c.ndim != 2 or x.shape[1] != c.shape[1]:
        raise ValueError(f"mode_coverage needs samples (N, D) and centres (K, D), got "
                         f"{x.shape} and {c.shape}")
    std = check_range("std", std, 0, None, low_open=True)
    check_range("n_std", n_std, 0, None, low_open=True)
    check_range("min_share", min_share, 0, 1)
    if len(x) == 0:
        return 0, 0.0, frozenset()
    d2 = ((x[:, None, :] - c[None, :, :]) ** 2).sum(-1)
    nearest = d2.argmin(1)
    good = np.sqrt(d2[np.arange(len(x)), nearest]) < n_std * std
    n_good = int(good.sum())
    if n_good == 0:
        return 0, 0.0, frozenset()
    share = np.bincount(nearest[good], minlength=len(c)) / n_good
    covered = frozenset(int(k) for k in np.flatnonzero(share >= min_share))
    return len(covered), n_good / len(x), covered


def frechet_distance(x, y) -> float:
    r"""Fréchet distance between Gaussian fits to two samples (the FID formula on raw data).

    .. math::
        d^2 = \lVert\mu_x - \mu_y\rVert^2 + \mathrm{tr}\big(\Sigma_x + \Sigma_y
              - 2(\Sigma_x\Sigma_y)^{1/2}\big),

    with sample means and covariances (``ddof=1``); the matrix square root is
    ``scipy.linalg.sqrtm`` (real part). It sees only two moments, so a single Gaussian with
    the data's mean and covariance scores 0 however the data is shaped.

    Examples
    --------
    >>> g = np.random.default_rng(0)
    >>> x = g.normal(size=(500, 2))
    >>> round(frechet_distance(x, x), 9), round(frechet_distance(x, x + [3.0, 0.0]), 6)
    (0.0, 9.0)
    """
    from scipy.linalg import sqrtm  # lazy: scipy is only needed here

    x, y = _float("x", x), _float("y", y)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1] or min(len(x), len(y)) < 2:
        raise ValueError(f"frechet_distance needs x (N, D) and y (M, D) with N, M >= 2, got "
                         f"{x.shape} and {y.shape}")
    mx, my = x.mean(0), y.mean(0)
    cx, cy = np.atleast_2d(np.cov(x, rowvar=False)), np.atleast_2d(np.cov(y, rowvar=False))
    root = np.real(sqrtm(cx @ cy))
    return float(max(((mx - my) ** 2).sum() + np.trace(cx + cy - 2 * root), 0.0))


def active_units(mu, threshold: float = 0.01) -> int:
    r"""Number of latent dimensions whose posterior mean varies across inputs.

    Dimension :math:`u` is active when :math:`\mathrm{Var}_x(\mathbb{E}_q[z_u \mid x]) >`
    ``threshold`` (Burda et al., 2016), with the variance over the rows of ``mu``
    (``ddof=0``).

    Parameters
    ----------
    mu : array, shape (N, d)
        Encoder means, one row per input.

    Examples
    --------
    >>> active_units(np.array([[0.0, 1.0], [0.0, -1.0]]))
    1
    """
    mu = _float("mu", mu)
    if mu.ndim != 2:
        raise ValueError(f"active_units mu must have shape (N, d), got {mu.shape}")
    check_range("threshold", threshold, 0, None)
    return int(np.sum(mu.var(axis=0) > threshold))


# --------------------------------------------------------------------------- toy data


def ring_centres(n_modes: int = 8, radius: float = 2.0) -> np.ndarray:
    """Centres :math:`r(\\cos 2\\pi k/K, \\sin 2\\pi k/K)`, :math:`k = 0..K-1`, shape (K, 2)."""
    n_modes = check_int("n_modes", n_modes, minimum=1)
    radius = check_range("radius", radius, 0, None, low_open=True)
    angle = 2 * math.pi * np.arange(n_modes) / n_modes
    return radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)


def make_ring_gaussians(n: int, n_modes: int = 8, radius: float = 2.0, std: float = 0.05,
                        rng=None):
    """Samples of an equal-weight mixture of Gaussians placed on a circle ("the ring").

    Returns
    -------
    (x, mode) : numpy.ndarray of shape (n, 2) and int array of shape (n,)
        Each sample's component is drawn uniformly, then isotropic noise of ``std``.

    Examples
    --------
    >>> x, k = make_ring_gaussians(4, rng=0)
    >>> x.shape, k.shape
    ((4, 2), (4,))
    """
    n = check_int("n", n, minimum=0)
    std = check_range("std", std, 0, None)
    centres = ring_centres(n_modes, radius)
    gen = as_generator(rng)
    mode = gen.integers(0, len(centres), n)
    return centres[mode] + std * gen.standard_normal((n, 2)), mode


def bars_and_stripes(size: int = 3) -> np.ndarray:
    """All ``size x size`` bars-and-stripes images, flattened row by row.

    A pattern has every row equal to the same bit pattern (vertical bars) or every column
    equal (horizontal stripes); all-off and all-on are both, so there are
    :math:`2 \\cdot 2^{size} - 2` distinct patterns (14 for size 3), returned in sorted order.

    Examples
    --------
    >>> bars_and_stripes(3).shape
    (14, 9)
    """
    size = check_int("size", size, minimum=1)
    if size > 4:
        raise ValueError(f"bars_and_stripes size must be <= 4 (enumerated), got {size}")
    rows = binary_states(size)
    bars = np.repeat(rows[:, None, :], size, axis=1)           # every row the same pattern
    stripes = np.repeat(rows[:, :, None], size, axis=2)        # every column the same
    both = np.concatenate([bars, stripes]).reshape(-1, size * size)
    return np.unique(both, axis=0)
