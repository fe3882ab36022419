r"""Normalisation layers: ``BatchNorm1d``, ``BatchNorm2d``, ``LayerNorm``, ``GroupNorm``,
``RMSNorm``, ``InstanceNorm1d``, ``InstanceNorm2d`` and ``LocalResponseNorm``.

The forward maths is in :mod:`dlcore.functional.normalization`. Layer and group norm keep
:math:`\hat x` and :math:`1/\sqrt{\sigma^2 + \epsilon}` and run the compact backward pass
(:func:`dlcore.functional.normalization.normalize_backward`); batch norm keeps its input, the
mean and :math:`1/\sqrt{\sigma^2 + \epsilon}` and recomputes :math:`\hat x` in its backward pass
(``_batch_norm_backward``), which saves a full-size array. With :math:`G = \partial L/\partial y`:

.. math::

    \frac{\partial L}{\partial \gamma} = \sum G \odot \hat x, \qquad
    \frac{\partial L}{\partial \beta} = \sum G, \qquad
    \frac{\partial L}{\partial x} = \mathrm{rstd}\,\big(g - \bar g - \hat x\,
    \overline{g \hat x}\big),\ g = \gamma G,

the sums running over every axis a parameter is shared across, the bars over the normalised
axes. When batch norm uses its running statistics (evaluation mode) they are constants and
:math:`\partial L/\partial x = \gamma G / \sqrt{r_{\sigma^2} + \epsilon}`.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..checks import as_array, check_int, check_range
from ..functional.normalization import (_as_shape, _batch_norm_backward, _batch_norm_forward,
                                        _channel_shape, _check_values_per_channel,
                                        _group_norm_forward, _instance_norm_forward,
                                        _layer_norm_forward, _local_response_norm_backward,
                                        _local_response_norm_forward, _rms_norm_forward,
                                        normalize_backward, rms_norm_backward)
from .module import Module, Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm", "RMSNorm", "InstanceNorm1d",
           "InstanceNorm2d", "LocalResponseNorm"]


def _affine_parameters(module, shape, affine, bias, dtype):
    """Assign ``weight`` (ones) and ``bias`` (zeros) of ``shape``, or ``None``, as torch does."""
    module.weight = Parameter(np.ones(shape, dtype)) if affine else None
    module.bias = Parameter(np.zeros(shape, dtype)) if affine and bias else None


def _accumulate_affine(module, grad_out, x_hat, sum_axes, shape):
    """Add the gamma/beta gradients; return the gradient with respect to ``x_hat``."""
    if module.bias is not None:
        module.bias.accumulate(grad_out.sum(axis=sum_axes).reshape(module.bias.shape))
    if module.weight is None:
        return grad_out
    module.weight.accumulate((grad_out * x_hat).sum(axis=sum_axes).reshape(module.weight.shape))
    return grad_out * module.weight.data.reshape(shape)


def _grad_like(module, grad_out, x_hat):
    grad_out = as_array("grad_out", grad_out)
    if grad_out.shape != x_hat.shape:
        raise ValueError(f"{type(module).__name__} grad_out has shape {grad_out.shape}, "
                         f"expected the output shape {x_hat.shape}")
    return grad_out


def _data(p):
    return None if p is None else p.data


_BATCH_NORM_PARAMETERS = r"""Parameters
    ----------
    num_features : int
        :math:`C`, the channel count of the input's dimension 1.
    eps : float, default 1e-5
        Added to the variance before the square root.
    momentum : float in [0, 1] or None, default 0.1
        Weight of the *new* batch in the running averages,
        :math:`r \leftarrow (1 - \text{momentum})\,r + \text{momentum}\,s`; ``None`` gives the
        cumulative average (momentum :math:`1/t` at the :math:`t`-th training batch).
    affine : bool, default True
        Learn :math:`\gamma` (``weight``, ones) and :math:`\beta` (``bias``, zeros).
    track_running_stats : bool, default True
        Keep ``running_mean`` (zeros), ``running_var`` (ones) and ``num_batches_tracked``
        buffers and use them in evaluation mode; without them the batch statistics are used in
        both modes.
    bias : bool, default True (keyword-only)
        With ``affine``, whether to learn :math:`\beta`.
    dtype : numpy dtype, default float64 (keyword-only)

    Notes
    -----
    Training mode normalises with the batch mean and *biased* variance over the
    :math:`m = N \cdot L` (or :math:`N H W`) values of each channel and folds the *unbiased*
    variance :math:`\frac{m}{m-1}\sigma^2_B` into ``running_var``. A training batch with
    :math:`m = 1` raises ``ValueError``: its variance is undefined.

"""


class _ChannelStatsNorm(Module):
    """Arguments, parameters and running-statistics buffers shared by batch and instance
    norm (per-channel ``weight``/``bias``, ``running_mean``/``running_var``)."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, *, bias: bool = True,
                 dtype=np.float64):
        super().__init__()
        self.num_features = check_int("num_features", num_features, minimum=1)
        self.eps = check_range("eps", eps, 0.0)
        self.momentum = None if momentum is None else check_range("momentum", momentum, 0, 1)
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        _affine_parameters(self, (self.num_features,), self.affine, bias, dtype)
        if self.track_running_stats:
            self.register_buffer("running_mean", np.zeros(self.num_features, dtype))
            self.register_buffer("running_var", np.ones(self.num_features, dtype))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def reset_running_stats(self) -> None:
        """Running mean back to 0, running variance to 1, the batch counter to 0."""
        if self.track_running_stats:
            self.running_mean[...] = 0.0
            self.running_var[...] = 1.0
            self.num_batches_tracked[...] = 0

    def reset_parameters(self) -> None:
        """Reset the running statistics, :math:`\\gamma` to 1 and :math:`\\beta` to 0."""
        self.reset_running_stats()
        if self.weight is not None:
            self.weight.data[...] = 1.0
        if self.bias is not None:
            self.bias.data[...] = 0.0


class _BatchNorm(_ChannelStatsNorm):
    """Shared code of ``BatchNorm1d`` and ``BatchNorm2d`` (they differ only in input rank)."""

    _ranks: tuple = ()
    _layout: str = ""

    def _check_input(self, x: np.ndarray) -> None:
        name = f"{type(self).__name__}({self.num_features})"
        if x.ndim not in self._ranks:
            raise ValueError(f"{name} expects input of shape {self._layout}, got {x.ndim}-D "
                             f"input of shape {x.shape}")
        if x.shape[1] != self.num_features:
            raise ValueError(f"{name} expects {self.num_features} channels in dimension 1, got "
                             f"{x.shape[1]} (input shape {x.shape}); num_features must equal "
                             "the channel count of the layer before")

    def forward(self, x):
        x = as_array("input", x)
        self._check_input(x)
        use_batch_stats = self.training or self.running_mean is None
        if use_batch_stats:
            _check_values_per_channel(x)  # before the counter moves
        factor = 0.0 if self.momentum is None else self.momentum
        update = self.training and self.track_running_stats
        if update:
            self.num_batches_tracked[...] += 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked)
        keep = not self.training or self.track_running_stats
        y, mean, rstd = _batch_norm_forward(
            x, self.running_mean if keep else None, self.running_var if keep else None,
            _data(self.weight), _data(self.bias), use_batch_stats, factor, self.eps)
        # x itself, not x_hat: backward recomputes x_hat block by block, in cache
        self._save(x=x, mean=mean, rstd=rstd, batch_stats=use_batch_stats)
        return y

    def backward(self, grad_out):
        x, mean, rstd, batch_stats = self._saved("x", "mean", "rstd", "batch_stats")
        grad_out = _grad_like(self, grad_out, x)
        dx, dweight, dbias = _batch_norm_backward(grad_out, x, mean, rstd, _data(self.weight),
                                                  batch_stats)
        if self.weight is not None:
            self.weight.accumulate(dweight)
        if self.bias is not None:
            self.bias.accumulate(dbias)
        return dx

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    r"""Batch normalisation over ``(N, C)`` or ``(N, C, L)`` input, as ``torch.nn.BatchNorm1d``.

    Each of the :math:`C` features is normalised with statistics pooled over the batch (and
    the length :math:`L`): :math:`y = \gamma (x - \mu_B)/\sqrt{\sigma_B^2 + \epsilon} + \beta`.

    Examples
    --------
    >>> bn = BatchNorm1d(2)
    >>> y = bn(np.array([[1.0, 10.0], [3.0, 30.0]]))
    >>> y.round(4)
    array([[-1., -1.],
           [ 1.,  1.]])
    >>> bn.running_mean, bn.running_var  # 0.1 * mean, 0.9 + 0.1 * unbiased variance
    (array([0.2, 2. ]), array([ 1.1, 20.9]))
    >>> dx = bn.backward(np.array([[1.0, 0.0], [0.0, 0.0]]))
    >>> bool(np.abs(dx).max() < 1e-5)  # two samples give y = -1 or +1 (up to eps): dx ~ 0
    True
    """

    __doc__ = __doc__.replace("    Examples\n", "    " + _BATCH_NORM_PARAMETERS + "    Examples\n")
    _ranks = (2, 3)
    _layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    r"""Batch normalisation over ``(N, C, H, W)`` images, as ``torch.nn.BatchNorm2d``.

    One mean and variance per channel, pooled over the batch and every pixel (:math:`m = N H
    W`), not one per pixel: :math:`2C` running statistics for any image size.

    Examples
    --------
    >>> bn = BatchNorm2d(3)
    >>> x = np.arange(2 * 3 * 2 * 2, dtype=float).reshape(2, 3, 2, 2)
    >>> y = bn(x)
    >>> y.shape, y.mean(axis=(0, 2, 3)).round(12), y.var(axis=(0, 2, 3)).round(4)
    ((2, 3, 2, 2), array([0., 0., 0.]), array([1., 1., 1.]))
    """

    __doc__ = __doc__.replace("    Examples\n", "    " + _BATCH_NORM_PARAMETERS + "    Examples\n")
    _ranks = (4,)
    _layout = "(N, C, H, W)"


class LayerNorm(Module):
    r"""Layer normalisation over the trailing ``normalized_shape`` dimensions, as
    ``torch.nn.LayerNorm``.

    Every sample (every position, for sequences) is standardised on its own:
    :math:`y = \gamma \odot (x - \mu)/\sqrt{\sigma^2 + \epsilon} + \beta`, with the mean and
    biased variance over the last ``len(normalized_shape)`` axes. No batch statistics, so
    training and evaluation compute the same thing and the batch size does not matter.

    Parameters
    ----------
    normalized_shape : int or tuple of ints
        The trailing shape of the input, e.g. ``d_model`` for ``(N, T, d_model)``.
    eps : float, default 1e-5
    elementwise_affine : bool, default True
        Learn element-wise ``weight`` (ones) and ``bias`` (zeros) of shape ``normalized_shape``.
    bias : bool, default True
        With ``elementwise_affine``, whether to learn the bias.
    dtype : numpy dtype, default float64 (keyword-only)

    Examples
    --------
    >>> ln = LayerNorm(3)
    >>> ln(np.array([[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]])).round(4)
    array([[-1.2247,  0.    ,  1.2247],
           [-1.2247,  0.    ,  1.2247]])
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, *, dtype=np.float64):
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps = check_range("eps", eps, 0.0)
        self.elementwise_affine = bool(elementwise_affine)
        _affine_parameters(self, self.normalized_shape, self.elementwise_affine, bias, dtype)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            self.weight.data[...] = 1.0
        if self.bias is not None:
            self.bias.data[...] = 0.0

    def forward(self, x):
        y, x_hat, rstd, axes = _layer_norm_forward(x, self.normalized_shape, _data(self.weight),
                                                   _data(self.bias), self.eps)
        self._save(x_hat=x_hat, rstd=rstd, axes=axes)
        return y

    def backward(self, grad_out):
        x_hat, rstd, axes = self._saved("x_hat", "rstd", "axes")
        grad_out = _grad_like(self, grad_out, x_hat)
        lead = tuple(range(x_hat.ndim - len(axes)))
        g = _accumulate_affine(self, grad_out, x_hat, lead, self.normalized_shape)
        return normalize_backward(g, x_hat, rstd, axes)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    r"""Group normalisation, as ``torch.nn.GroupNorm``: per sample, over groups of channels.

    The :math:`C` channels of an ``(N, C, *)`` input form ``num_groups`` groups of
    :math:`C/G` consecutive channels; each (sample, group) is standardised over its channels
    and positions, then each channel gets its own :math:`\gamma_c, \beta_c`. Independent of
    the batch, like layer norm; ``num_groups=1`` pools all channels, ``num_groups=C`` is
    instance normalisation.

    Parameters
    ----------
    num_groups : int
        :math:`G`; must divide ``num_channels``.
    num_channels : int
        :math:`C`.
    eps : float, default 1e-5
    affine : bool, default True
        Learn per-channel ``weight`` (ones) and ``bias`` (zeros) of shape ``(C,)``.
    bias : bool, default True (keyword-only)
    dtype : numpy dtype, default float64 (keyword-only)

    Examples
    --------
    >>> gn = GroupNorm(2, 4)
    >>> gn(np.array([[1.0, 3.0, 10.0, 30.0]])).round(4)
    array([[-1., 1., -1., 1.]])
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, *, bias: bool = True, dtype=np.float64):
        super().__init__()
        self.num_groups = check_int("num_groups", num_groups, minimum=1)
        self.num_channels = check_int("num_channels", num_channels, minimum=1)
        if self.num_channels % self.num_groups:
            raise ValueError(f"num_channels ({self.num_channels}) must be divisible by "
                             f"num_groups ({self.num_groups})")
        self.eps = check_range("eps", eps, 0.0)
        self.affine = bool(affine)
        _affine_parameters(self, (self.num_channels,), self.affine, bias, dtype)

    reset_parameters = LayerNorm.reset_parameters

    def forward(self, x):
        x = as_array("input", x)
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(f"GroupNorm({self.num_groups}, {self.num_channels}) expects input "
                             f"of shape (N, {self.num_channels}, *), got shape {x.shape}"
                             + (f" with {x.shape[1]} channels" if x.ndim >= 2 else ""))
        y, x_hat, rstd, grouped = _group_norm_forward(x, self.num_groups, _data(self.weight),
                                                      _data(self.bias), self.eps)
        self._save(x_hat=x_hat, rstd=rstd, grouped=grouped)
        return y

    def backward(self, grad_out):
        x_hat, rstd, grouped = self._saved("x_hat", "rstd", "grouped")
        grad_out = _grad_like(self, grad_out, x_hat)
        shared = (0,) + tuple(range(2, x_hat.ndim))
        g = _accumulate_affine(self, grad_out, x_hat, shared, _channel_shape(x_hat.ndim))
        grad = normalize_backward(g.reshape(grouped), x_hat.reshape(grouped), rstd, (2,))
        return grad.reshape(x_hat.shape)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")


class RMSNorm(Module):
    r"""Root-mean-square normalisation over the trailing ``normalized_shape`` dimensions, as
    ``torch.nn.RMSNorm``: :math:`y = \gamma \odot x / \sqrt{\overline{x^2} + \epsilon}`.

    No centring and no bias (the T5/LLaMA normalisation); ``eps=None`` takes the machine
    epsilon of the input's dtype. Backward: :math:`\partial L/\partial x = \mathrm{rstd}\,
    (g - \hat x\,\overline{g \hat x})` with :math:`g = \gamma G`, and
    :math:`\partial L/\partial\gamma = \sum G \odot \hat x`.

    Examples
    --------
    >>> RMSNorm(2, eps=0.0)(np.array([[3.0, -4.0]])).round(6)
    array([[ 0.848528, -1.131371]])
    """

    def __init__(self, normalized_shape, eps=None, elementwise_affine: bool = True, *,
                 dtype=np.float64):
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps = None if eps is None else check_range("eps", eps, 0.0)
        self.elementwise_affine = bool(elementwise_affine)
        _affine_parameters(self, self.normalized_shape, self.elementwise_affine, False, dtype)
        del self.bias

    def reset_parameters(self) -> None:
        if self.weight is not None:
            self.weight.data[...] = 1.0

    def forward(self, x):
        y, x_hat, rstd, axes = _rms_norm_forward(x, self.normalized_shape, _data(self.weight),
                                                 self.eps)
        self._save(x_hat=x_hat, rstd=rstd, axes=axes)
        return y

    def backward(self, grad_out):
        x_hat, rstd, axes = self._saved("x_hat", "rstd", "axes")
        grad_out = _grad_like(self, grad_out, x_hat)
        g = grad_out
        if self.weight is not None:
            lead = tuple(range(x_hat.ndim - len(axes)))
            self.weight.accumulate((grad_out * x_hat).sum(axis=lead))
            g = grad_out * self.weight.data
        return rms_norm_backward(g, x_hat, rstd, axes)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class _InstanceNorm(_ChannelStatsNorm):
    r"""Instance normalisation: every (sample, channel) standardised over its positions.

    Defaults as PyTorch: no affine, no running statistics. With ``track_running_stats`` the
    running mean and variance (of the instance statistics, unbiased variance, averaged over
    the batch) are updated in training and used in evaluation; ``num_batches_tracked`` is
    kept but, as in PyTorch, not incremented, and ``momentum=None`` leaves the running
    statistics unchanged. Unbatched input (without the N axis) is accepted. With
    ``affine=False`` a channel count different from ``num_features`` only warns, as in
    PyTorch (the statistics do not depend on it).
    """

    _spatial_dims = None

    def __init__(self, num_features: int, eps: float = 1e-5, momentum=0.1, affine: bool = False,
                 track_running_stats: bool = False, *, bias: bool = True, dtype=np.float64):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, bias=bias,
                         dtype=dtype)

    def forward(self, x):
        x = as_array("input", x)
        d = self._spatial_dims
        if x.ndim not in (d + 1, d + 2):
            raise ValueError(f"{type(self).__name__} expects a {d + 2}-D (N, C, ...) or "
                             f"{d + 1}-D unbatched input, got shape {x.shape}")
        unbatched = x.ndim == d + 1
        x4 = x[None] if unbatched else x
        c = x4.shape[1]
        if c != self.num_features:
            if self.affine or self.track_running_stats:
                raise ValueError(f"expected input's size at dim={1 - unbatched} to match "
                                 f"num_features ({self.num_features}), but got: {c}.")
            warnings.warn("input's size at dim=1 does not match num_features; it is not used "
                          "because affine=False", UserWarning, stacklevel=2)
        use_input_stats = self.training or not self.track_running_stats
        y, x_hat, rstd = _instance_norm_forward(
            x4, self.running_mean, self.running_var, _data(self.weight), _data(self.bias),
            use_input_stats, self.momentum, self.eps)
        self._save(x_hat=x_hat, rstd=rstd, batch_stats=use_input_stats, unbatched=unbatched)
        return y[0] if unbatched else y

    def backward(self, grad_out):
        x_hat, rstd, batch_stats, unbatched = self._saved("x_hat", "rstd", "batch_stats",
                                                          "unbatched")
        grad_out = as_array("grad_out", grad_out)
        grad_out = _grad_like(self, grad_out[None] if unbatched else grad_out, x_hat)
        spatial = tuple(range(2, x_hat.ndim))
        g = _accumulate_affine(self, grad_out, x_hat, (0,) + spatial, _channel_shape(x_hat.ndim))
        grad = normalize_backward(g, x_hat, rstd, spatial) if batch_stats else g * rstd
        return grad[0] if unbatched else grad

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class InstanceNorm1d(_InstanceNorm):
    r"""Instance normalisation of ``(N, C, L)`` or ``(C, L)`` input, as
    ``torch.nn.InstanceNorm1d``; equal to ``GroupNorm(C, C)`` per sample when untracked.

    Examples
    --------
    >>> InstanceNorm1d(2, eps=0.0)(np.array([[[1.0, 3.0], [0.0, 10.0]]]))
    array([[[-1.,  1.],
            [-1.,  1.]]])
    """

    _spatial_dims = 1


class InstanceNorm2d(_InstanceNorm):
    r"""Instance normalisation of ``(N, C, H, W)`` or ``(C, H, W)`` input, as
    ``torch.nn.InstanceNorm2d`` (style transfer's normalisation: each image's channel
    statistics, its "style", are removed).

    Examples
    --------
    >>> InstanceNorm2d(1, eps=0.0)(np.array([[[[1.0, 3.0]]]]))
    array([[[[-1.,  1.]]]])
    """

    _spatial_dims = 2


class LocalResponseNorm(Module):
    r"""Local response normalisation across neighbouring channels, as
    ``torch.nn.LocalResponseNorm`` (AlexNet's normaliser; see
    :func:`dlcore.functional.normalization.local_response_norm`). No parameters.

    Examples
    --------
    >>> m = LocalResponseNorm(2, alpha=1.0, beta=1.0, k=1.0)
    >>> m(np.array([[[2.0], [0.0]]]))
    array([[[0.66666667],
            [0.        ]]])
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        self.size = check_int("size", size, minimum=1)
        self.alpha, self.beta, self.k = (check_range(n, v, what="LocalResponseNorm")
                                         for n, v in (("alpha", alpha), ("beta", beta), ("k", k)))

    def forward(self, x):
        y, saved = _local_response_norm_forward(x, self.size, self.alpha, self.beta, self.k)
        self._save(saved=saved)
        return y

    def backward(self, grad_out):
        (saved,) = self._saved("saved")
        return _local_response_norm_backward(saved, _grad_like(self, grad_out, saved["x"]))

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
