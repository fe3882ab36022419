r"""A variational autoencoder for flattened images and its loss, with hand-written backward passes.

:class:`VAE` is the model of the generative chapter's VAE questions: an encoder
``Linear-ReLU`` with two heads for the mean :math:`\mu` and the log-variance
:math:`\ell = \log\sigma^2` of :math:`q(z \mid x) = N(\mu, \mathrm{diag}\,e^{\ell})`, the
reparameterised draw :math:`z = \mu + e^{\ell/2}\varepsilon` and a decoder
``Linear-ReLU-Linear`` that returns one logit per pixel. :class:`NegativeELBO` is its training
loss, the negative evidence lower bound with the two knobs of the posterior-collapse
experiments, a KL weight :math:`\beta` and free bits :math:`\lambda`.

Neither has a ``torch.nn`` counterpart; ``tests/test_vae.py`` checks both against the same
network written with ``torch.nn.Linear`` and autograd, in float64 with a fixed
:math:`\varepsilon`, and by central differences.
"""

from __future__ import annotations

import numpy as np

from ..checks import as_array, check_int, check_range, check_same_shape
from ..nn.activation import ReLU
from ..nn.linear import Linear
from ..nn.loss import BCEWithLogitsLoss
from ..nn.module import Module, Sequential
from ..random import as_generator
from .generative import gaussian_kl, gaussian_kl_backward, reparameterize, reparameterize_backward

__all__ = ["VAE", "NegativeELBO"]


class VAE(Module):
    r"""A VAE with one hidden layer on each side: ``in - hidden - (mu, logvar)`` and
    ``latent - hidden - in`` logits.

    .. math::
        h = \mathrm{ReLU}(W_1 x + b_1),\quad \mu = W_\mu h + b_\mu,\quad
        \ell = W_\ell h + b_\ell,\quad z = \mu + e^{\ell/2}\varepsilon,\quad
        \text{logits} = W_3\,\mathrm{ReLU}(W_2 z + b_2) + b_3.

    Parameters
    ----------
    in_features : int, default 64
    hidden : int, default 128
    latent : int, default 16
        The code size :math:`d`.
    rng : numpy.random.Generator, int or None
        Source of the initial weights (PyTorch's ``Linear`` initialisation), drawn in the order
        ``encoder``, ``fc_mu``, ``fc_logvar``, ``decoder``.
    dtype : numpy dtype, default float64

    Attributes
    ----------
    encoder : Sequential(Linear(in, hidden), ReLU())
    fc_mu, fc_logvar : Linear(hidden, latent)
    decoder : Sequential(Linear(latent, hidden), ReLU(), Linear(hidden, in))

    Notes
    -----
    ``forward(x, eps)`` takes the noise :math:`\varepsilon`, shape ``(N, latent)``, from the
    caller, so that a test can fix it; ``eps = 0`` decodes the posterior mean. It returns
    ``(logits, mu, logvar)`` and ``backward((g_logits, g_mu, g_logvar))`` takes the upstream
    gradients in that structure (``None`` for an output that received none), accumulates every
    parameter's gradient and returns :math:`\partial L/\partial x`. The noise is not a
    differentiable input. Backward, with :math:`g_z` the decoder's input gradient:
    :math:`g_\mu \mathrel{+}= g_z`, :math:`g_\ell \mathrel{+}= \tfrac12 e^{\ell/2}\varepsilon\,g_z`,
    then :math:`g_h = W_\mu^\top g_\mu + W_\ell^\top g_\ell` through the encoder.

    Examples
    --------
    >>> vae = VAE(in_features=4, hidden=3, latent=2, rng=0)
    >>> logits, mu, logvar = vae(np.ones((5, 4)), np.zeros((5, 2)))
    >>> logits.shape, mu.shape, logvar.shape
    ((5, 4), (5, 2), (5, 2))
    >>> vae.backward((np.ones_like(logits), None, None)).shape
    (5, 4)
    """

    def __init__(self, in_features: int = 64, hidden: int = 128, latent: int = 16, rng=None,
                 dtype=np.float64):
        super().__init__()
        self.in_features = check_int("in_features", in_features, minimum=1)
        self.hidden = check_int("hidden", hidden, minimum=1)
        self.latent = check_int("latent", latent, minimum=1)
        gen = as_generator(rng)
        self.encoder = Sequential(Linear(in_features, hidden, rng=gen, dtype=dtype), ReLU())
        self.fc_mu = Linear(hidden, latent, rng=gen, dtype=dtype)
        self.fc_logvar = Linear(hidden, latent, rng=gen, dtype=dtype)
        self.decoder = Sequential(Linear(latent, hidden, rng=gen, dtype=dtype), ReLU(),
                                  Linear(hidden, in_features, rng=gen, dtype=dtype))

    def encode(self, x):
        r"""The posterior's ``(mu, logvar)`` for inputs ``x`` of shape ``(N, in_features)``."""
        h = self.encoder(x)
        return self.fc_mu(h), self.fc_logvar(h)

    def decode(self, z):
        r"""The decoder's logits for codes ``z`` of shape ``(N, latent)``;
        ``sigmoid(decode(z))`` is the image of pixel intensities."""
        return self.decoder(z)

    def forward(self, x, eps):
        x = as_array("input", x, dtype=self.fc_mu.weight.data.dtype, min_ndim=2)
        eps = as_array("eps", eps, dtype=x.dtype)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"VAE input has shape {x.shape}, expected (N, {self.in_features})")
        if eps.shape != (len(x), self.latent):
            raise ValueError(f"VAE eps has shape {eps.shape}, expected the codes' shape "
                             f"({len(x)}, {self.latent})")
        mu, logvar = self.encode(x)
        logits = self.decode(reparameterize(mu, logvar, eps))
        self._save(logvar=logvar, eps=eps, n=len(x))
        return logits, mu, logvar

    def backward(self, grad_out):
        logvar, eps, n = self._saved("logvar", "eps", "n")
        if not isinstance(grad_out, (tuple, list)) or len(grad_out) != 3:
            raise TypeError("VAE.backward grad_out must be a tuple (g_logits, g_mu, g_logvar), "
                            "None for an output that received no gradient")
        g_logits, g_mu, g_logvar = grad_out
        dtype = logvar.dtype
        grads = []
        for name, g, shape in (("g_logits", g_logits, (n, self.in_features)),
                               ("g_mu", g_mu, logvar.shape), ("g_logvar", g_logvar, logvar.shape)):
            if g is not None:
                g = np.asarray(g, dtype=dtype)
                if g.shape != shape:
                    raise ValueError(f"VAE.backward {name} has shape {g.shape}, expected {shape}")
            grads.append(g)
        g_logits, g_mu, g_logvar = grads
        total_mu, total_lv = np.zeros_like(logvar), np.zeros_like(logvar)
        if g_logits is not None:
            total_mu, total_lv = reparameterize_backward(self.decoder.backward(g_logits),
                                                         logvar, eps)
        if g_mu is not None:
            total_mu = total_mu + g_mu
        if g_logvar is not None:
            total_lv = total_lv + g_logvar
        return self.encoder.backward(self.fc_mu.backward(total_mu)
                                     + self.fc_logvar.backward(total_lv))

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, hidden={self.hidden}, latent={self.latent}"


class NegativeELBO(Module):
    r"""The VAE's loss: reconstruction plus a weighted, optionally floored, KL term.

    .. math::
        L = \underbrace{\frac1N\sum_{n,i} \mathrm{BCE}(a_{ni}, x_{ni})}_{\text{recon}}
            + \beta \sum_{d} \max\big(\mathrm{KL}_d, \lambda\big),\qquad
        \mathrm{KL}_d = \frac1N\sum_n \tfrac12\big(\mu_{nd}^2 + e^{\ell_{nd}} - 1 - \ell_{nd}\big),

    with BCE on the logits :math:`a` and targets :math:`x \in [0, 1]` (the pixel intensities),
    summed over pixels and averaged over the batch. :math:`\beta = 1, \lambda = 0` is the
    negative ELBO per image, estimated with the draw that produced the logits; :math:`\beta \ne 1`
    is the :math:`\beta`-VAE objective and :math:`\lambda > 0` the free-bits objective of
    Kingma et al. (2016), in which a dimension whose batch-mean KL is below :math:`\lambda`
    nats costs the constant :math:`\beta\lambda` and receives no KL gradient (``torch.clamp``'s
    convention: the gradient passes where :math:`\mathrm{KL}_d \ge \lambda`).

    Parameters
    ----------
    beta : float, default 1.0
        KL weight, >= 0.
    free_bits : float, default 0.0
        :math:`\lambda` in nats per latent dimension, >= 0 (0: no floor).

    Attributes
    ----------
    recon, kl : float
        The two terms of the last ``forward`` (``kl`` unweighted and unfloored, summed over
        dimensions), so that ``recon + kl`` is the negative ELBO whatever ``beta`` is.
    kl_per_dim : numpy.ndarray, shape (latent,)
        :math:`\mathrm{KL}_d` of the last ``forward``.

    Notes
    -----
    ``forward(logits, target, mu, logvar)`` returns :math:`L`; ``backward(grad_output=1.0)``
    returns ``(g_logits, g_mu, g_logvar)``, ready for :meth:`VAE.backward`:
    :math:`g_a = (\sigma(a) - x)/N`, and for the KL
    :math:`g_\mu = \beta m_d\,\mu/N`, :math:`g_\ell = \beta m_d\,\tfrac12(e^{\ell} - 1)/N` with
    the mask :math:`m_d = [\mathrm{KL}_d \ge \lambda]`. An empty batch raises ``ValueError``
    (a mean over no images).

    Examples
    --------
    >>> loss = NegativeELBO()
    >>> value = loss(np.zeros((2, 3)), np.full((2, 3), 0.5), np.zeros((2, 1)), np.zeros((2, 1)))
    >>> round(value, 6), loss.kl      # three pixels at log 2 each; q equal to the prior
    (2.079442, 0.0)
    >>> g_logits, g_mu, g_logvar = loss.backward()
    >>> g_logits
    array([[0., 0., 0.],
           [0., 0., 0.]])
    """

    def __init__(self, beta: float = 1.0, free_bits: float = 0.0):
        super().__init__()
        self.beta = check_range("beta", beta, 0, None)
        self.free_bits = check_range("free_bits", free_bits, 0, None)

    def forward(self, logits, target, mu, logvar):
        logits = as_array("logits", logits, min_ndim=2)
        target = as_array("target", target, min_ndim=2)
        mu, logvar = as_array("mu", mu, min_ndim=2), as_array("logvar", logvar, min_ndim=2)
        check_same_shape("logits", logits, "target", target)
        check_same_shape("mu", mu, "logvar", logvar)
        if logits.ndim != 2 or mu.ndim != 2 or len(mu) != len(logits):
            raise ValueError(f"NegativeELBO needs logits (N, pixels) and mu (N, latent) with the "
                             f"same N, got shapes {logits.shape} and {mu.shape}")
        n = len(logits)
        if n == 0:
            raise ValueError("NegativeELBO needs at least one image, got an empty batch")
        bce = BCEWithLogitsLoss(reduction="sum")
        self.recon = float(bce(logits, target)) / n
        self.kl_per_dim = gaussian_kl(mu, logvar, reduction="none").mean(axis=0)
        self.kl = float(self.kl_per_dim.sum())
        passes = self.kl_per_dim >= self.free_bits
        kl_term = np.where(passes, self.kl_per_dim, self.free_bits).sum()
        self._save(bce=bce, mu=mu, logvar=logvar, passes=passes, n=n)
        return self.recon + self.beta * float(kl_term)

    def backward(self, grad_output=1.0):
        bce, mu, logvar, passes, n = self._saved("bce", "mu", "logvar", "passes", "n")
        g = float(grad_output)
        g_logits = bce.backward(g / n)
        weight = np.broadcast_to((g * self.beta / n) * passes, mu.shape).astype(mu.dtype)
        g_mu, g_logvar = gaussian_kl_backward(mu, logvar, reduction="none", grad_output=weight)
        return g_logits, g_mu, g_logvar

    def extra_repr(self) -> str:
        return f"beta={self.beta:g}, free_bits={self.free_bits:g}"
