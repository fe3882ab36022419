"""Transfer-learning helpers (chapter 12): the participation ratio of a feature covariance and
AdaBN, re-estimating BatchNorm statistics on unlabelled inputs."""

from __future__ import annotations

import numpy as np

from ..checks import as_array

__all__ = ["participation_ratio", "participation_ratio_of_eigenvalues", "adabn_"]


def participation_ratio_of_eigenvalues(eigenvalues) -> float:
    r""":math:`PR = (\sum_i\lambda_i)^2 / \sum_i\lambda_i^2`: between 1 (one direction holds all
    the variance) and :math:`d` (all :math:`d` directions equal).

    Examples
    --------
    >>> participation_ratio_of_eigenvalues([1.0, 1.0, 1.0, 1.0])
    4.0
    """
    lam = as_array("eigenvalues", eigenvalues, dtype=np.float64, min_ndim=1)
    if np.any(lam < -1e-12 * max(1.0, float(np.abs(lam).max(initial=0.0)))):
        raise ValueError("participation_ratio eigenvalues must be >= 0 (a covariance)")
    lam = np.clip(lam, 0.0, None)
    denom = float((lam ** 2).sum())
    if denom == 0:
        raise ValueError("participation_ratio needs a covariance with non-zero variance")
    return float(lam.sum() ** 2 / denom)


def participation_ratio(features) -> float:
    """Participation ratio of the covariance of ``features`` (rows are examples), the
    effective number of dimensions the features occupy.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> round(participation_ratio(rng.standard_normal((20000, 3)) * [1.0, 1.0, 0.0]), 2)
    2.0
    """
    f = as_array("features", features, dtype=np.float64)
    if f.ndim != 2 or f.shape[0] < 2:
        raise ValueError(f"participation_ratio features must be (n >= 2, d), got {f.shape}")
    centred = f - f.mean(axis=0)
    cov = centred.T @ centred / (f.shape[0] - 1)
    return participation_ratio_of_eigenvalues(np.linalg.eigvalsh(cov))


def adabn_(model, x):
    """AdaBN: replace the running statistics of every dlcore BatchNorm in ``model`` by the
    statistics of ``x`` (one forward pass with ``momentum=None``: the cumulative average),
    then restore each layer's momentum and every module's mode.

    Only the BatchNorm layers are put in train mode for the pass; every other module (Dropout
    in particular) runs in eval mode, so the statistics are those of the deployed network's
    activations, not of dropped-out ones.

    Returns ``model``. The parameters are untouched; only the buffers change.
    """
    from ..nn.normalization import _BatchNorm

    bns = [m for m in model.modules() if isinstance(m, _BatchNorm)]
    if not bns:
        raise ValueError("adabn_ model has no BatchNorm layer")
    modes = [m.training for m in model.modules()]
    saved = [bn.momentum for bn in bns]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None
    for m in model.modules():                  # train mode for the BatchNorm layers only
        object.__setattr__(m, "training", any(m is bn for bn in bns))
    model(x)
    for bn, mom in zip(bns, saved):
        bn.momentum = mom
    for m, mode in zip(model.modules(), modes):
        object.__setattr__(m, "training", mode)
    return model
