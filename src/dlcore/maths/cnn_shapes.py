r"""A layer-by-layer shape tracer for CNNs (output shape, parameter count and receptive field
of every layer), and the VGG specs of chapter 3.

The output-size formulas it applies (:func:`~dlcore.functional.conv.conv2d_output_size`,
:func:`~dlcore.functional.conv.pool2d_output_size`, ...) live with the convolution in
:mod:`dlcore.functional.conv`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..checks import check_int, pair
from ..functional.conv import conv2d_output_size, pool2d_output_size

__all__ = ["TraceRow", "trace", "format_trace", "VGG_CONFIGS", "vgg_spec", "build"]


# -- the tracer -----------------------------------------------------------------------------

#: Layers that keep the shape (activations, dropout, normalisation): traced as identities.
_SHAPE_PRESERVING = {"ReLU", "ReLU6", "LeakyReLU", "PReLU", "ELU", "SELU", "CELU", "GELU",
                     "SiLU", "Mish", "Sigmoid", "Tanh", "Hardtanh", "Softplus", "Identity",
                     "Dropout", "Dropout2d", "AlphaDropout", "BatchNorm2d", "LayerNorm",
                     "GroupNorm", "Softmax", "LogSoftmax"}


@dataclass
class TraceRow:
    """One traced layer: its name, the shape it outputs, the parameters it owns, and the
    receptive field (height, width) of one output element on the network's input."""

    index: int
    layer: str
    output_shape: tuple
    params: int
    receptive_field: tuple


def _config(layer):
    """``(type name, attribute lookup)`` for a module (dlcore or torch) or a spec tuple."""
    if isinstance(layer, tuple):
        name, kwargs = layer
        return name, lambda key, default=None: kwargs.get(key, default)
    return type(layer).__name__, lambda key, default=None: getattr(layer, key, default)


def _spec_params(name, get):
    if name == "Conv2d":
        k = pair("kernel_size", get("kernel_size"))
        weights = get("out_channels") * get("in_channels") // get("groups", 1) * k[0] * k[1]
        return weights + (get("out_channels") if get("bias", True) else 0)
    if name == "Linear":
        return get("out_features") * (get("in_features") + (1 if get("bias", True) else 0))
    if name == "BatchNorm2d":
        return 2 * get("num_features") if get("affine", True) else 0
    return 0


def _param_count(layer, name, get):
    if isinstance(layer, tuple):
        return _spec_params(name, get)
    return int(sum(np.prod(tuple(p.shape)) for p in layer.parameters()))


def _window_step(name, get, shape, rf, jump):
    """Conv2d / MaxPool2d / AvgPool2d: the size formula, and the receptive-field update."""
    k = pair("kernel_size", get("kernel_size"))
    s = pair("stride", (1 if name == "Conv2d" else k) if get("stride") is None else get("stride"))
    d = pair("dilation", get("dilation", 1))
    c = shape[-3]
    if name == "Conv2d":
        if get("in_channels") != c:
            raise ValueError(f"Conv2d expects {get('in_channels')} input channels, got shape "
                             f"{tuple(shape)} ({c} channels)")
        c = get("out_channels")
        out = conv2d_output_size(tuple(shape[-2:]), k, s, get("padding", 0), d)
    else:
        out = pool2d_output_size(tuple(shape[-2:]), k, s, get("padding", 0), d,
                                 get("ceil_mode", False))
    rf = tuple(rf[i] + d[i] * (k[i] - 1) * jump[i] for i in range(2))
    return (*shape[:-3], c, *out), rf, tuple(jump[i] * s[i] for i in range(2))


def _head_shape(name, get, shape):
    """Output shape of adaptive pooling, Flatten and Linear."""
    if name.startswith("Adaptive"):
        return (*shape[:-2], *pair("output_size", get("output_size")))
    if name == "Flatten":
        start, end = get("start_dim", 1) % len(shape), get("end_dim", -1) % len(shape)
        return (*shape[:start], int(np.prod(shape[start:end + 1])), *shape[end + 1:])
    if shape[-1] != get("in_features"):
        raise ValueError(f"Linear expects {get('in_features')} input features, got shape "
                         f"{tuple(shape)}")
    return (*shape[:-1], get("out_features"))


def _adaptive_bin(size, out):
    """Largest bin of adaptive pooling from ``size`` to ``out``: bin ``i`` covers input
    indices ``floor(i*size/out) .. ceil((i+1)*size/out) - 1``, as in PyTorch."""
    return max(-(-(i + 1) * size // out) - (i * size // out) for i in range(out))


def _step(name, get, shape, rf, jump, input_hw, state):
    """Output shape, receptive field and jump (input pixels per output step) after a layer.

    ``state["flat_hw"]`` remembers the spatial size of a map that Flatten turned into
    features, so that a following Linear, which mixes all of them, sees their union.
    """
    if name in ("Conv2d", "MaxPool2d", "AvgPool2d"):
        return _window_step(name, get, shape, rf, jump)
    if name in ("AdaptiveAvgPool2d", "AdaptiveMaxPool2d"):
        out = _head_shape(name, get, shape)
        bins = [_adaptive_bin(int(shape[-2 + i]), int(out[-2 + i])) for i in range(2)]
        rf = tuple(min(rf[i] + (bins[i] - 1) * jump[i], input_hw[i]) for i in range(2))
        jump = tuple(jump[i] * shape[-2 + i] / out[-2 + i] for i in range(2))
        return out, rf, jump
    if name == "Flatten":
        start = get("start_dim", 1) % len(shape)
        if len(shape) >= 3 and start <= len(shape) - 2:   # the spatial dims become features
            state["flat_hw"] = tuple(shape[-2:]) if len(shape) >= 4 else (1, shape[-1])
        return _head_shape(name, get, shape), rf, jump   # each feature still sees rf
    if name == "Linear":
        out = _head_shape(name, get, shape)
        if len(shape) >= 4:          # on a feature map, Linear mixes along the last axis only
            mixed = (1, shape[-1])
        else:
            mixed = state.pop("flat_hw", (1, 1))
        rf = tuple(min(rf[i] + (mixed[i] - 1) * jump[i], input_hw[i]) for i in range(2))
        return out, rf, jump
    if name == "BatchNorm2d" and get("num_features") != shape[-3]:
        raise ValueError(f"BatchNorm2d({get('num_features')}) expects {get('num_features')} "
                         f"channels, got shape {tuple(shape)} ({shape[-3]} channels)")
    if name in _SHAPE_PRESERVING:
        return tuple(shape), rf, jump
    raise ValueError(f"trace does not know how layer type {name!r} changes a shape; known: "
                     f"Conv2d, MaxPool2d, AvgPool2d, Adaptive*Pool2d, Flatten, Linear, "
                     f"{', '.join(sorted(_SHAPE_PRESERVING))}")


def _leaves(layers):
    for layer in layers:
        children = [] if isinstance(layer, tuple) else list(getattr(layer, "children",
                                                                    lambda: [])())
        if type(layer).__name__ == "Sequential" and children:
            yield from _leaves(children)
        else:
            yield layer


def trace(layers, input_shape):
    r"""Walk ``layers`` from ``input_shape`` and report every layer's output shape, parameter
    count and receptive field.

    The receptive field :math:`r` and the jump :math:`j` (input pixels between neighbouring
    outputs) follow :math:`r \leftarrow r + d(k-1)\,j` and :math:`j \leftarrow j s` per
    conv/pool layer, starting from :math:`r = j = 1` (this counts zero padding, so it can
    exceed the input). Flatten changes no receptive field: each feature is one position of
    the map. Adaptive pooling widens it by its largest bin, and a Linear after Flatten mixes
    every position, so its outputs see the union of their receptive fields; both are capped
    at the input size, since there is nothing beyond the input to see.

    Parameters
    ----------
    layers : iterable
        dlcore or torch modules (``Sequential`` is walked into), or spec tuples
        ``(type name, kwargs)`` such as ``("Conv2d", {"in_channels": 3, ...})``
        (see :func:`vgg_spec`), or a mix.
    input_shape : tuple of int
        ``(N, C, H, W)`` or ``(C, H, W)``.

    Returns
    -------
    list of TraceRow

    Raises
    ------
    ValueError
        When a layer cannot take the shape it receives (no room for a window, a channel or
        feature mismatch, an unknown layer type); the message names the layer's index and type
        and the shape it received, e.g. ``layer 20 (MaxPool2d) on input (1, 512, 1, 1): ...``.

    Examples
    --------
    >>> for r in trace(vgg_spec("A")[:3], (1, 3, 224, 224)):
    ...     print(r.layer, r.output_shape, r.params, r.receptive_field)
    Conv2d (1, 64, 224, 224) 1792 (3, 3)
    ReLU (1, 64, 224, 224) 0 (3, 3)
    MaxPool2d (1, 64, 112, 112) 0 (4, 4)
    """
    shape = tuple(check_int(f"input_shape[{i}]", v, minimum=1) for i, v in
                  enumerate(input_shape))
    if len(shape) not in (3, 4):
        raise ValueError(f"input_shape must be (N, C, H, W) or (C, H, W), got {shape}")
    input_hw, rf, jump, state = shape[-2:], (1, 1), (1, 1), {}
    rows = []
    for i, layer in enumerate(_leaves(layers)):
        name, get = _config(layer)
        try:
            shape, rf, jump = _step(name, get, shape, rf, jump, input_hw, state)
        except ValueError as err:      # say which layer, on which input shape
            raise ValueError(f"layer {i} ({name}) on input {tuple(shape)}: {err}") from None
        rows.append(TraceRow(i, name, tuple(int(v) for v in shape),
                             _param_count(layer, name, get), tuple(int(v) for v in rf)))
    return rows


def format_trace(rows) -> str:
    """A fixed-width table of :func:`trace` rows, with the parameter total.

    Examples
    --------
    >>> print(format_trace(trace(vgg_spec("A")[:2], (3, 32, 32))))
     #  layer        output shape          params  receptive field
     0  Conv2d       (64, 32, 32)            1792  3x3
     1  ReLU         (64, 32, 32)               0  3x3
        total                                1792
    """
    lines = [f"{'#':>2s}  {'layer':12s} {'output shape':20s} {'params':>7s}  receptive field"]
    for r in rows:
        lines.append(f"{r.index:2d}  {r.layer:12s} {str(r.output_shape):20s} {r.params:7d}  "
                     f"{r.receptive_field[0]}x{r.receptive_field[1]}")
    lines.append(f"{'':2s}  {'total':12s} {'':20s} {sum(r.params for r in rows):7d}")
    return "\n".join(lines)


# -- VGG ------------------------------------------------------------------------------------

#: The VGG configurations of Simonyan & Zisserman (2015), Table 1: an int is a 3x3 convolution
#: (padding 1) with that many output channels followed by ReLU, "M" a 2x2 max-pool, stride 2.
VGG_CONFIGS = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
          512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
          512, 512, 512, 512, "M"],
}


def vgg_spec(config="A", in_channels: int = 3, batch_norm: bool = False):
    """The ``features`` part of a VGG network as spec tuples ``(type name, kwargs)``.

    ``config`` is a key of :data:`VGG_CONFIGS` ("A" = VGG11, "B" = VGG13, "D" = VGG16,
    "E" = VGG19) or a list in the same format. The layer order is torchvision's:
    Conv2d(3x3, padding 1) [BatchNorm2d] ReLU per number, MaxPool2d(2, 2) per "M".

    Examples
    --------
    >>> spec = vgg_spec("A")
    >>> len(spec), spec[0]
    (21, ('Conv2d', {'in_channels': 3, 'out_channels': 64, 'kernel_size': 3, 'padding': 1}))
    """
    if isinstance(config, str):
        if config not in VGG_CONFIGS:
            raise ValueError(f"config must be one of {sorted(VGG_CONFIGS)} or a list, "
                             f"got {config!r}")
        config = VGG_CONFIGS[config]
    channels = check_int("in_channels", in_channels, minimum=1)
    spec = []
    for item in config:
        if item == "M":
            spec.append(("MaxPool2d", {"kernel_size": 2, "stride": 2}))
            continue
        out = check_int("config entry", item, minimum=1)
        spec.append(("Conv2d", {"in_channels": channels, "out_channels": out,
                                "kernel_size": 3, "padding": 1}))
        if batch_norm:
            spec.append(("BatchNorm2d", {"num_features": out}))
        spec.append(("ReLU", {}))
        channels = out
    return spec


def build(spec, namespace, **common):
    """Instantiate spec tuples from a module namespace, e.g. ``dlcore.nn`` or ``torch.nn``.

    ``common`` keyword arguments (e.g. ``rng=0`` for dlcore) go to every layer whose
    constructor accepts them.

    Examples
    --------
    >>> import dlcore.nn as nn
    >>> net = build(vgg_spec("A")[:3], nn, rng=0)
    >>> net
    Sequential(
      (0): Conv2d(3, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
      (1): ReLU()
      (2): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
    )
    """
    import inspect

    from ..random import as_generator

    if "rng" in common:  # one stream for the whole network, not the same seed per layer
        common = {**common, "rng": as_generator(common["rng"])}
    layers = []
    for name, kwargs in spec:
        cls = getattr(namespace, name, None)
        if cls is None:
            raise ValueError(f"{getattr(namespace, '__name__', namespace)} has no layer {name!r}")
        accepted = inspect.signature(cls).parameters
        extra = {k: v for k, v in common.items() if k in accepted}
        layers.append(cls(**kwargs, **extra))
    return namespace.Sequential(*layers)
