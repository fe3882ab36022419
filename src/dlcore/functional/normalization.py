r"""Normalisation maths: batch, layer, group, instance and RMS normalisation and local
response normalisation, forward and backward (the normalisation functions of
``torch.nn.functional``). The normal density chapter 7 derives is
in :mod:`dlcore.maths.gaussian`.

All three normalisations share one core. Over a set of axes :math:`A` holding :math:`m` values,

.. math::

    \mu = \frac1m \sum_{A} x, \qquad \sigma^2 = \frac1m \sum_{A} (x - \mu)^2, \qquad
    \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad y = \gamma \hat x + \beta,

with the *biased* variance. They differ only in :math:`A`: batch norm pools the batch and
spatial axes per channel, layer norm the trailing ``normalized_shape`` axes per sample, group
norm the channels of a group and the spatial axes per sample. The backward pass of the core
has the compact closed form (:func:`normalize_backward`)

.. math::

    \frac{\partial L}{\partial x} = \frac{1}{\sqrt{\sigma^2 + \epsilon}}
    \Big(g - \overline{g} - \hat x\, \overline{g \hat x}\Big), \qquad
    g = \frac{\partial L}{\partial \hat x},

where the bars are means over :math:`A`. Layer and group norm call :func:`normalize` and
:func:`normalize_backward` directly. Batch norm, the one used inside CNNs on large inputs,
runs the same maths on an ``(N, C, L)`` view with fewer passes over memory: the corrected
two-pass moments (:func:`_channel_moments`), the affine folded into one multiply-add per value
(:math:`y = x\,s + t`, :math:`s = \gamma/\sqrt{\sigma^2 + \epsilon}`,
:math:`t = \beta - \mu s`), and a backward pass (:func:`_batch_norm_backward`) that
recomputes :math:`\hat x` from the input; its element-wise work is done in cache-sized blocks.
The functions here take ``torch.nn.functional``'s arguments in its order; the layers in
:mod:`dlcore.nn.normalization` call the private ``_*_forward`` variants, which also return what
backward needs.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..checks import as_array, check_int, check_range

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm",
           "local_response_norm", "normalize", "normalize_backward", "rms_norm_backward"]



# -- the shared core ------------------------------------------------------------------------
def normalize(x: np.ndarray, axes: tuple, eps: float):
    r"""Standardise ``x`` over ``axes`` with the biased variance.

    Returns ``(x_hat, mean, var, rstd)`` where ``mean``, ``var`` (biased) and
    :math:`\mathrm{rstd} = 1/\sqrt{\mathrm{var} + \epsilon}` keep the reduced axes with size 1.

    Examples
    --------
    >>> x_hat, mean, var, rstd = normalize(np.array([[1.0, 3.0]]), axes=(1,), eps=0.0)
    >>> x_hat, mean, var
    (array([[-1.,  1.]]), array([[2.]]), array([[1.]]))
    """
    mean = x.mean(axis=axes, keepdims=True)
    centred = x - mean
    var = np.mean(centred * centred, axis=axes, keepdims=True)
    if eps == 0 and np.any(var == 0):
        raise ValueError("eps=0 with a constant slice (variance 0): the normalisation divides "
                         "by zero; use eps > 0")
    rstd = 1.0 / np.sqrt(var + eps)
    centred *= rstd  # x_hat, in the centred array's memory
    return centred, mean, var, rstd


def normalize_backward(grad_x_hat: np.ndarray, x_hat: np.ndarray, rstd: np.ndarray,
                       axes: tuple) -> np.ndarray:
    r"""Gradient through :func:`normalize` when the statistics come from ``x`` itself.

    :math:`\partial L/\partial x = \mathrm{rstd}\,(g - \bar g - \hat x\,\overline{g\hat x})`,
    bars being means over ``axes`` and :math:`g = \partial L/\partial \hat x`. The two mean
    terms are the paths through :math:`\mu` and through :math:`\sigma^2`.

    Examples
    --------
    >>> x_hat, _, _, rstd = normalize(np.array([[1.0, 3.0]]), axes=(1,), eps=0.0)
    >>> normalize_backward(np.array([[1.0, 1.0]]), x_hat, rstd, axes=(1,))  # shift-invariant
    array([[0., 0.]])
    """
    g_mean = grad_x_hat.mean(axis=axes, keepdims=True)
    proj = np.mean(grad_x_hat * x_hat, axis=axes, keepdims=True)
    out = x_hat * proj  # then in place: one new array instead of four
    out += g_mean
    np.subtract(grad_x_hat, out, out=out)
    out *= rstd
    return out


def _check_eps(eps, *, positive: bool = False) -> float:
    return check_range("eps", eps, 0.0, low_open=positive)


def _channel_shape(ndim: int) -> tuple:
    """Broadcast shape of a per-channel vector against an ``(N, C, *)`` input."""
    return (1, -1) + (1,) * (ndim - 2)


def _optional_vector(name: str, value, size: int, owner: str):
    if value is None:
        return None
    arr = as_array(name, value)
    if arr.shape != (size,):
        raise ValueError(f"{owner} {name} has shape {arr.shape}, expected ({size},) for an "
                         f"input with {size} channels")
    return arr


# -- batch norm ------------------------------------------------------------------------------
def _check_values_per_channel(x: np.ndarray) -> int:
    """Return :math:`m`, the values per channel, after checking that a batch variance exists
    (an empty batch, :math:`m = 0`, passes: PyTorch returns an empty output for it)."""
    m = x.size // x.shape[1] if x.shape[1] else 0
    if m == 1:
        raise ValueError("Expected more than 1 value per channel when training, got input size "
                         f"{x.shape}: the batch variance of a single value is undefined (use "
                         "eval() with running statistics, or a larger batch)")
    return m


# Batch norm works on an (N, C, L) view and runs its element-wise passes one block of samples
# at a time: a block of about this many values (256 KiB in float64) and its temporaries stay in
# the L2 cache, so the two to four NumPy operations on a block cost one trip to memory, not one
# each.
_BLOCK_VALUES = 1 << 15


def _blocks(x3: np.ndarray) -> list:
    """Slices of the leading axis of ``x3`` holding about ``_BLOCK_VALUES`` values each."""
    step = max(1, _BLOCK_VALUES // max(1, math.prod(x3.shape[1:])))
    return [slice(i, i + step) for i in range(0, max(1, len(x3)), step)]  # >= 1, even if N = 0


def _planes(length: int, *vectors: np.ndarray) -> np.ndarray:
    """Per-channel vectors, each repeated into a ``(C, L)`` plane; shape ``(k, C, L)``.

    Laid out like one sample of a block, a plane lets NumPy run ``block op plane`` as one flat
    loop per sample, where a ``(C, 1)`` column would need ``C`` short broadcast loops.
    """
    stacked = np.array(vectors)  # (k, C)
    return np.repeat(stacked, length, axis=1).reshape(*stacked.shape, length)


def _channel_moments(x3: np.ndarray):
    r"""Per-channel mean and biased variance of an ``(N, C, L)`` array, pooled over N and L.

    The corrected two-pass algorithm: a first pass gives a provisional mean :math:`\tilde\mu`;
    a second accumulates, block by block, :math:`S_1 = \sum (x - \tilde\mu)` and
    :math:`S_2 = \sum (x - \tilde\mu)^2`, giving :math:`\mu = \tilde\mu + S_1/m` and
    :math:`\sigma^2 = (S_2 - S_1^2/m)/m`. Centring keeps the variance accurate for data with a
    large mean (no :math:`E[x^2] - \mu^2` cancellation), and :math:`S_1` repairs the rounding
    of the first pass.
    """
    n, c, length = x3.shape
    m = n * length
    rough = np.einsum("ncl->c", x3) / m  # einsum: one read pass, no temporary
    (rough_plane,), s1, s2 = _planes(length, rough), np.zeros(c), np.zeros(c)
    buf = np.empty_like(x3[_blocks(x3)[0]])
    for block in _blocks(x3):
        d = np.subtract(x3[block], rough_plane, out=buf[:len(x3[block])])
        s1 += np.einsum("ncl->c", d)
        s2 += np.einsum("ncl,ncl->c", d, d)
    # S_2 >= S_1^2/m exactly; the clip only removes rounding below 0 for a constant channel
    return rough + s1 / m, np.maximum(s2 - s1 * s1 / m, 0.0) / m


def _affine_channels(x3: np.ndarray, scale: np.ndarray, shift: np.ndarray) -> np.ndarray:
    r"""Return :math:`y = x\,s + t` for an ``(N, C, L)`` input and per-channel ``s``, ``t``.

    Batch norm is this map with :math:`s = \gamma\,\mathrm{rstd}` and
    :math:`t = \beta - \mu s` (PyTorch folds it the same way): one multiply and one add per
    value. Its rounding error, :math:`O(\epsilon_{\text{mach}} |\mu| s)`, is of the order of
    the rounding of :math:`\mu` itself, so centring first would not be more accurate.
    """
    length = x3.shape[2]
    scale_plane, shift_plane = _planes(length, scale, shift)
    y = np.empty_like(x3, dtype=np.result_type(x3, scale, shift))
    for block in _blocks(x3):
        out = np.multiply(x3[block], scale_plane, out=y[block])
        out += shift_plane
    return y


def _batch_norm_backward(grad_out, x, mean, rstd, weight, batch_stats: bool):
    r"""Batch-norm gradients ``(dx, dweight, dbias)``, recomputing :math:`\hat x` from the input.

    ``x`` is the forward input and ``mean``, ``rstd`` the per-channel statistics it was
    normalised with (shape ``(C,)``). With :math:`G = \partial L/\partial y` and
    :math:`\hat x = (x - \mu)\,\mathrm{rstd}`, per channel :math:`\partial L/\partial\beta =
    \sum G` and :math:`\partial L/\partial\gamma = \sum G\hat x`; :func:`normalize_backward`
    with :math:`g = \gamma G` then simplifies to

    .. math::

        \frac{\partial L}{\partial x} = \gamma\,\mathrm{rstd}\,\Big(G
        - \hat x\, \frac1m \frac{\partial L}{\partial \gamma}
        - \frac1m \frac{\partial L}{\partial \beta}\Big),

    or :math:`\gamma\,\mathrm{rstd}\,G` with running statistics (``batch_stats=False``),
    which are constants. One blocked pass for the two sums, one for ``dx``; ``dweight`` is
    ``None`` without ``weight``.
    """
    n, c, length = x.shape[0], x.shape[1], math.prod(x.shape[2:])
    g3, x3, m = grad_out.reshape(n, c, length), x.reshape(n, c, length), n * length
    if m == 0:  # an empty batch: nothing flows
        return (np.zeros_like(x), None if weight is None else np.zeros(c), np.zeros(c))
    scale = rstd if weight is None else weight * rstd
    dx = np.empty_like(g3, dtype=np.result_type(g3, x3))  # the input's dtype, not scale's
    (mean_plane,), dbias, dweight = _planes(length, mean), np.zeros(c), np.zeros(c)
    buf = np.empty_like(dx[_blocks(g3)[0]])  # cache-sized scratch for x - mu
    for block in _blocks(g3):  # the sums, centred first: accurate for any mean
        centred = np.subtract(x3[block], mean_plane, out=buf[:len(g3[block])])
        dbias += np.einsum("ncl->c", g3[block])
        dweight += np.einsum("ncl,ncl->c", g3[block], centred)
    dweight *= rstd
    if not batch_stats:  # running statistics are constants: dx = gamma rstd G
        (scale_plane,) = _planes(length, scale)
        for block in _blocks(g3):
            np.multiply(g3[block], scale_plane, out=dx[block])
        return dx.reshape(x.shape), (None if weight is None else dweight), dbias
    # x_hat dgamma/m + dbeta/m = x u + v, with u = rstd dgamma/m and v = dbeta/m - mu u
    u = rstd * dweight / m
    u_plane, v_plane, scale_plane = _planes(length, u, dbias / m - mean * u, scale)
    for block in _blocks(g3):
        out = np.multiply(x3[block], u_plane, out=dx[block])
        out += v_plane
        np.subtract(g3[block], out, out=out)
        out *= scale_plane
    return dx.reshape(x.shape), (None if weight is None else dweight), dbias


def _batch_norm_forward(input, running_mean, running_var, weight, bias, training, momentum,
                        eps):
    """Batch norm; returns ``(y, mean, rstd)``, the statistics used (shape ``(C,)``), and
    updates the running buffers."""
    x = as_array("input", input)
    if x.ndim < 2:
        raise ValueError(f"batch_norm input must have shape (N, C, *), got shape {x.shape}")
    c = x.shape[1]
    eps = _check_eps(eps, positive=training)
    for name, buf in (("running_mean", running_mean), ("running_var", running_var)):
        if buf is None:
            continue
        if training and not (isinstance(buf, np.ndarray) and buf.dtype.kind == "f"):
            raise TypeError(f"batch_norm {name} must be a float ndarray (it is updated in "
                            f"place in training), got {type(buf).__name__}")
        if np.shape(buf) != (c,):
            raise ValueError(f"batch_norm {name} has shape {np.shape(buf)} but the input "
                             f"{x.shape} has {c} channels")
    weight = _optional_vector("weight", weight, c, "batch_norm")
    bias = _optional_vector("bias", bias, c, "batch_norm")
    x3 = x.reshape(x.shape[0], c, math.prod(x.shape[2:]))  # (N, C, L): statistics over N, L
    if training:
        m = _check_values_per_channel(x)
        if m == 0:  # an empty batch: empty output, running statistics untouched (PyTorch)
            return np.empty_like(x), np.zeros(c), np.ones(c)
        mean, var = _channel_moments(x3)
        if running_mean is not None or running_var is not None:
            momentum = check_range("momentum", momentum, 0.0, 1.0)
            if running_mean is not None:
                running_mean *= 1.0 - momentum
                running_mean += momentum * mean
            if running_var is not None:
                running_var *= 1.0 - momentum
                running_var += momentum * var * (m / (m - 1))
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm needs running_mean and running_var in evaluation mode "
                             "(training=False), got None")
        mean, var = np.array(running_mean), np.array(running_var)  # copies: backward uses mean
    rstd = 1.0 / np.sqrt(var + eps)
    scale = rstd if weight is None else weight * rstd
    shift = -mean * scale if bias is None else bias - mean * scale
    # statistics in float64; the output in the input's dtype, as PyTorch returns it
    y = _affine_channels(x3, scale.astype(x.dtype), shift.astype(x.dtype))
    return y.reshape(x.shape), mean, rstd


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    r"""Batch normalisation, as ``torch.nn.functional.batch_norm``.

    Per channel :math:`c` of an ``(N, C, *)`` input, over the :math:`m = N \cdot \prod *`
    values of that channel: :math:`y = \gamma_c (x - \mu_c)/\sqrt{\sigma_c^2 + \epsilon} +
    \beta_c`. With ``training=True``, :math:`\mu_c, \sigma_c^2` are the batch mean and biased
    variance, and the running buffers (if given) are updated in place:
    :math:`r_\mu \leftarrow (1 - \text{momentum})\, r_\mu + \text{momentum}\, \mu_c`,
    :math:`r_{\sigma^2} \leftarrow (1 - \text{momentum})\, r_{\sigma^2} + \text{momentum}\,
    \frac{m}{m-1}\sigma_c^2` (the *unbiased* variance). With ``training=False`` the running
    buffers are used instead.

    Parameters
    ----------
    input : array of shape (N, C, *)
    running_mean, running_var : float arrays of shape (C,) or None
    weight, bias : arrays of shape (C,) or None
        :math:`\gamma` and :math:`\beta`.
    training : bool
    momentum : float in [0, 1]
        Weight of the new batch in the running average.
    eps : float
        Must be > 0 in training, >= 0 otherwise.

    Returns
    -------
    ndarray shaped like ``input``

    Examples
    --------
    >>> rm, rv = np.zeros(1), np.ones(1)
    >>> batch_norm(np.array([[1.0], [3.0]]), rm, rv, training=True, eps=1e-12).round(6)
    array([[-1.],
           [ 1.]])
    >>> rm, rv  # 0.9 * 0 + 0.1 * 2 and 0.9 * 1 + 0.1 * 2 (unbiased variance of {1, 3})
    (array([0.2]), array([1.1]))
    """
    return _batch_norm_forward(input, running_mean, running_var, weight, bias, training,
                               momentum, eps)[0]


# -- layer norm ------------------------------------------------------------------------------
def _as_shape(normalized_shape) -> tuple:
    if isinstance(normalized_shape, numbers.Integral) and not isinstance(normalized_shape, bool):
        normalized_shape = (normalized_shape,)
    try:
        shape = tuple(normalized_shape)
    except TypeError:
        raise TypeError("normalized_shape must be an int or a sequence of ints, got "
                        f"{normalized_shape!r}") from None
    if not shape:
        raise ValueError("normalized_shape must not be empty, got ()")
    return tuple(check_int(f"normalized_shape[{i}]", s, minimum=1) for i, s in enumerate(shape))


def _layer_norm_forward(input, normalized_shape, weight, bias, eps):
    """Layer norm; returns ``(y, x_hat, rstd, axes)``."""
    x = as_array("input", input)
    shape = _as_shape(normalized_shape)
    k = len(shape)
    if x.shape[x.ndim - k:] != shape or x.ndim < k:
        raise ValueError(f"layer_norm normalized_shape={shape} expects an input of shape "
                         f"(*, {', '.join(map(str, shape))}), got shape {x.shape}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and np.shape(p) != shape:
            raise ValueError(f"layer_norm {name} has shape {np.shape(p)}, expected "
                             f"normalized_shape {shape}")
    axes = tuple(range(x.ndim - k, x.ndim))
    x_hat, _, _, rstd = normalize(x, axes, _check_eps(eps))
    y = x_hat if weight is None else x_hat * weight
    if bias is not None:
        y = y + bias
    return y, x_hat, rstd, axes


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    r"""Layer normalisation, as ``torch.nn.functional.layer_norm``.

    Each sample is standardised over its trailing ``normalized_shape`` dimensions
    (:math:`m = \prod` ``normalized_shape`` values), independently of the rest of the batch:
    :math:`y = \gamma \odot (x - \mu)/\sqrt{\sigma^2 + \epsilon} + \beta`, with element-wise
    ``weight`` and ``bias`` of shape ``normalized_shape``. Same computation in training and
    evaluation; no running statistics.

    Examples
    --------
    >>> layer_norm(np.array([[1.0, 3.0], [0.0, 10.0]]), 2, eps=1e-12).round(6)
    array([[-1.,  1.],
           [-1.,  1.]])
    """
    return _layer_norm_forward(input, normalized_shape, weight, bias, eps)[0]


# -- group norm ------------------------------------------------------------------------------
def _group_norm_forward(input, num_groups, weight, bias, eps):
    """Group norm; returns ``(y, x_hat, rstd, grouped_shape)``."""
    x = as_array("input", input)
    g = check_int("num_groups", num_groups, minimum=1)
    if x.ndim < 2:
        raise ValueError(f"group_norm input must have shape (N, C, *), got shape {x.shape}")
    n, c = x.shape[:2]
    if c % g:
        raise ValueError(f"group_norm input has {c} channels (shape {x.shape}), which is not "
                         f"divisible by num_groups={g}")
    if n * (c // g) * math.prod(x.shape[2:]) == 1:  # torch's _verify_batch_size condition
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {x.shape}: one sample with one value per group")
    weight = _optional_vector("weight", weight, c, "group_norm")
    bias = _optional_vector("bias", bias, c, "group_norm")
    grouped = (n, g, (c // g) * math.prod(x.shape[2:]))  # not -1: N = 0 must reshape too
    x_hat, _, _, rstd = normalize(x.reshape(grouped), (2,), _check_eps(eps))
    x_hat = x_hat.reshape(x.shape)
    shape = _channel_shape(x.ndim)
    y = x_hat if weight is None else x_hat * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y, x_hat, rstd, grouped


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    r"""Group normalisation, as ``torch.nn.functional.group_norm``.

    The ``C`` channels of an ``(N, C, *)`` input are split into ``num_groups`` groups of
    ``C / num_groups`` consecutive channels; each (sample, group) is standardised over its
    channels and spatial positions, then scaled and shifted per channel by ``weight`` and
    ``bias`` (shape ``(C,)``). ``num_groups=1`` pools all channels (layer norm over
    ``(C, *)`` with per-channel affine), ``num_groups=C`` is instance normalisation.

    Examples
    --------
    >>> x = np.array([[1.0, 3.0, 0.0, 4.0]])
    >>> group_norm(x, 2, eps=1e-12).round(6)
    array([[-1.,  1., -1.,  1.]])
    """
    return _group_norm_forward(input, num_groups, weight, bias, eps)[0]


# -- RMS norm ----------------------------------------------------------------------------------
def _rms_norm_forward(input, normalized_shape, weight, eps):
    r"""RMS norm; returns ``(y, x_hat, rstd, axes)`` with :math:`\hat x = x\,\mathrm{rstd}`."""
    x = as_array("input", input)
    shape = _as_shape(normalized_shape)
    k = len(shape)
    if x.ndim < k or x.shape[x.ndim - k:] != shape:
        raise ValueError(f"rms_norm normalized_shape={shape} expects an input of shape "
                         f"(*, {', '.join(map(str, shape))}), got shape {x.shape}")
    if weight is not None and np.shape(weight) != shape:
        raise ValueError(f"rms_norm weight has shape {np.shape(weight)}, expected "
                         f"normalized_shape {shape}")
    eps = float(np.finfo(x.dtype).eps) if eps is None else _check_eps(eps)
    axes = tuple(range(x.ndim - k, x.ndim))
    rstd = 1.0 / np.sqrt(np.mean(x * x, axis=axes, keepdims=True) + x.dtype.type(eps))
    x_hat = x * rstd
    return (x_hat if weight is None else x_hat * weight), x_hat, rstd, axes


def rms_norm_backward(grad_x_hat, x_hat, rstd, axes):
    r"""Gradient through :math:`\hat x = x / \sqrt{\overline{x^2} + \epsilon}`:
    :math:`\mathrm{rstd}\,(g - \hat x\,\overline{g \hat x})` (no mean path: nothing is
    subtracted).

    Examples
    --------
    >>> x_hat, rstd = np.array([[1.0, -1.0]]), np.array([[1.0]])
    >>> rms_norm_backward(np.array([[1.0, -1.0]]), x_hat, rstd, axes=(1,))  # along x: 0
    array([[0., 0.]])
    """
    out = x_hat * np.mean(grad_x_hat * x_hat, axis=axes, keepdims=True)
    np.subtract(grad_x_hat, out, out=out)
    out *= rstd
    return out


def rms_norm(input, normalized_shape, weight=None, eps=None):
    r"""Root-mean-square normalisation, as ``torch.nn.functional.rms_norm``
    (Zhang and Sennrich, 2019): :math:`y = \gamma \odot x / \sqrt{\overline{x^2} + \epsilon}`
    over the trailing ``normalized_shape`` axes; layer norm without the centring and the
    bias. ``eps=None`` takes the machine epsilon of the input's dtype, as PyTorch does.

    Examples
    --------
    >>> rms_norm(np.array([[3.0, -4.0]]), 2, eps=0.0).round(6)    # RMS = sqrt(12.5)
    array([[ 0.848528, -1.131371]])
    """
    return _rms_norm_forward(input, normalized_shape, weight, eps)[0]


# -- instance norm -----------------------------------------------------------------------------
def _instance_norm_forward(input, running_mean, running_var, weight, bias, use_input_stats,
                           momentum, eps):
    """Instance norm on an ``(N, C, *)`` input; returns ``(y, x_hat, rstd)`` and updates the
    running statistics in place when they are given and the instance statistics are used."""
    x = as_array("input", input)
    if x.ndim < 3:
        raise ValueError(f"instance_norm input must have shape (N, C, *spatial), got {x.shape}")
    c = x.shape[1]
    weight = _optional_vector("weight", weight, c, "instance_norm")
    bias = _optional_vector("bias", bias, c, "instance_norm")
    shape, spatial = _channel_shape(x.ndim), tuple(range(2, x.ndim))
    eps = _check_eps(eps)
    if use_input_stats:
        m = math.prod(x.shape[2:])
        if m <= 1:
            raise ValueError("Expected more than 1 spatial element when training, got input "
                             f"size {x.shape}")
        x_hat, mean, var, rstd = normalize(x, spatial, eps)
        if running_mean is not None and momentum and len(x):
            running_mean *= 1 - momentum
            running_mean += momentum * mean.reshape(len(x), c).mean(axis=0)
        if running_var is not None and momentum and len(x):
            running_var *= 1 - momentum
            running_var += momentum * (var.reshape(len(x), c) * (m / (m - 1))).mean(axis=0)
    else:
        rstd = (1.0 / np.sqrt(running_var + eps)).reshape(shape).astype(x.dtype)
        x_hat = (x - running_mean.reshape(shape)) * rstd
    y = x_hat if weight is None else x_hat * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y, x_hat, rstd


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5):
    r"""Instance normalisation, as ``torch.nn.functional.instance_norm``: each (sample,
    channel) of an ``(N, C, *)`` input is standardised over its spatial positions
    (``group_norm`` with one channel per group, without the per-sample pooling). With
    ``use_input_stats=False`` the running statistics are used instead; with it, given
    running buffers are updated in place by ``momentum`` towards the batch averages of the
    instance means and *unbiased* variances.

    Examples
    --------
    >>> instance_norm(np.array([[[1.0, 3.0], [0.0, 10.0]]]), eps=0.0)
    array([[[-1.,  1.],
            [-1.,  1.]]])
    """
    return _instance_norm_forward(input, running_mean, running_var, weight, bias,
                                  use_input_stats, momentum, eps)[0]


# -- local response norm -------------------------------------------------------------------------
def _window_sum(a, before, after):
    r""":math:`s_c = \sum_{c' = c - \text{before}}^{c + \text{after}} a_{c'}` along axis 1, zero
    outside the channels."""
    c = a.shape[1]
    padded = np.zeros(a.shape[:1] + (c + before + after,) + a.shape[2:], dtype=a.dtype)
    padded[:, before:before + c] = a
    out = np.zeros_like(a)
    for offset in range(before + after + 1):
        out += padded[:, offset:offset + c]
    return out


def _local_response_norm_forward(input, size, alpha, beta, k):
    """LRN; returns ``(y, saved)`` with what :func:`_local_response_norm_backward` needs."""
    x = as_array("input", input)
    if x.ndim < 3:
        raise ValueError(f"local_response_norm expects an input of 3 or more dimensions "
                         f"(N, C, *), got shape {x.shape}")
    size = check_int("size", size, minimum=1)
    alpha, beta, k = (check_range(n, v, what="local_response_norm")
                      for n, v in (("alpha", alpha), ("beta", beta), ("k", k)))
    before, after = size // 2, (size - 1) // 2
    denom = _window_sum(x * x, before, after) * x.dtype.type(alpha / size) + x.dtype.type(k)
    scale = denom ** -beta
    return x * scale, {"x": x, "denom": denom, "scale": scale, "window": (before, after),
                       "coef": 2 * alpha * beta / size}


def _local_response_norm_backward(saved, grad_out):
    r""":math:`\partial L/\partial x_j = g_j D_j^{-\beta} - \frac{2\alpha\beta}{n} x_j
    \sum_{c:\, j \in W(c)} g_c x_c D_c^{-\beta - 1}` (the window reflected: :math:`j \in
    W(c)` iff :math:`c` is within ``after`` channels before :math:`j` or ``before`` after)."""
    x, denom, scale = saved["x"], saved["denom"], saved["scale"]
    before, after = saved["window"]
    inner = _window_sum(grad_out * x * scale / denom, after, before)
    return grad_out * scale - x.dtype.type(saved["coef"]) * x * inner


def local_response_norm(input, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0):
    r"""Local response normalisation across channels, as
    ``torch.nn.functional.local_response_norm`` (Krizhevsky et al., 2012):

    .. math:: y_c = x_c \Big(k + \frac{\alpha}{n} \sum_{c' \in W(c)} x_{c'}^2\Big)^{-\beta},

    with the window :math:`W(c)` of :math:`n` = ``size`` channels from
    :math:`c - \lfloor n/2 \rfloor` to :math:`c + \lfloor (n-1)/2 \rfloor` (zero beyond
    the edges; the divisor stays :math:`n`, as in PyTorch's average pool).

    Examples
    --------
    >>> local_response_norm(np.array([[[2.0], [0.0]]]), size=2, alpha=1.0, beta=1.0, k=1.0)
    array([[[0.66666667],
            [0.        ]]])
    """
    return _local_response_norm_forward(input, size, alpha, beta, k)[0]
