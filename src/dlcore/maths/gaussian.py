r"""The normal density :math:`\mathcal N(\mu, \sigma^2)` and its derivatives, written from the
formula (chapter 7, batch normalization, derives them).
"""

from __future__ import annotations

import math

import numpy as np

from ..checks import as_array

__all__ = ["normal_pdf", "normal_pdf_dx", "normal_pdf_dmu", "normal_pdf_dsigma"]

_SQRT_2PI = math.sqrt(2.0 * math.pi)


def _standardised(x, mu, sigma):
    """Broadcast arrays ``(z, sigma, pdf)`` with :math:`z = (x - \\mu)/\\sigma`."""
    x, mu, sigma = as_array("x", x), as_array("mu", mu), as_array("sigma", sigma)
    if np.any(~(sigma > 0)):
        raise ValueError(f"normal_pdf sigma must be > 0, got {sigma.min() if sigma.size else sigma}")
    with np.errstate(over="ignore"):  # |x - mu| beyond float range: the density is 0 anyway
        z = (x - mu) / sigma
    # exp(-z^2/2) underflows to exactly 0.0 for |z| > 38.6, so clipping at 40 changes nothing
    # and keeps z^2 finite.
    z = np.clip(z, -40.0, 40.0)
    pdf = np.exp(-0.5 * z * z) / (sigma * _SQRT_2PI)
    return z, sigma, pdf


def normal_pdf(x, mu=0.0, sigma=1.0):
    r"""Density of :math:`\mathcal N(\mu, \sigma^2)`:
    :math:`p(x) = \exp\!\big(-(x - \mu)^2 / 2\sigma^2\big) / (\sigma \sqrt{2\pi})`.

    ``x``, ``mu`` and ``sigma`` (> 0) broadcast against each other. Far tails return exactly
    0 without overflow.

    Examples
    --------
    >>> normal_pdf(np.array([0.0, 1.0])).round(6)
    array([0.398942, 0.241971])
    >>> float(normal_pdf(1e200))
    0.0
    """
    return _standardised(x, mu, sigma)[2]


def normal_pdf_dx(x, mu=0.0, sigma=1.0):
    r""":math:`\partial p/\partial x = -\frac{x - \mu}{\sigma^2}\, p(x)`.

    Examples
    --------
    >>> normal_pdf_dx(np.array([-1.0, 0.0, 1.0])).round(6)
    array([ 0.241971,  0.      , -0.241971])
    """
    z, sigma, pdf = _standardised(x, mu, sigma)
    return -z / sigma * pdf


def normal_pdf_dmu(x, mu=0.0, sigma=1.0):
    r""":math:`\partial p/\partial \mu = \frac{x - \mu}{\sigma^2}\, p(x) = -\partial p/\partial x`.

    Examples
    --------
    >>> round(float(normal_pdf_dmu(1.0)), 6)
    0.241971
    """
    z, sigma, pdf = _standardised(x, mu, sigma)
    return z / sigma * pdf


def normal_pdf_dsigma(x, mu=0.0, sigma=1.0):
    r""":math:`\partial p/\partial \sigma = \frac{p(x)}{\sigma}\Big(\frac{(x - \mu)^2}{\sigma^2}
    - 1\Big)`: negative inside one standard deviation, positive outside.

    Examples
    --------
    >>> normal_pdf_dsigma(np.array([0.0, 1.0, 2.0])).round(6)
    array([-0.398942,  0.      ,  0.161973])
    """
    z, sigma, pdf = _standardised(x, mu, sigma)
    return pdf * (z * z - 1.0) / sigma
