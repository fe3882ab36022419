"""Every integer argument of every dlcore layer and scheduler refuses a string or a float with
a ``TypeError`` that names the argument (PyTorch refuses them too); nothing is silently
converted. A layer or scheduler added to the package without an entry in ``REQUIRED`` fails
``test_every_constructor_is_swept``."""

import inspect

import numpy as np
import pytest

import dlcore.nn as nn
import dlcore.optim as optim
import dlcore.optim.lr_scheduler as S

# required positional arguments of each constructor (None: nothing integer to sweep)
REQUIRED = {
    "Linear": (3, 2), "Conv1d": (2, 3, 3), "Conv2d": (2, 3, 3), "ConvTranspose2d": (2, 4, 3),
    "MaxPool2d": (2,),
    "AvgPool2d": (2,), "MaxPool1d": (2,), "AvgPool1d": (2,), "AdaptiveAvgPool1d": (2,),
    "AdaptiveAvgPool2d": (2,), "AdaptiveMaxPool1d": (2,), "AdaptiveMaxPool2d": (2,),
    "BatchNorm1d": (3,), "BatchNorm2d": (3,), "LayerNorm": (3,), "GroupNorm": (1, 3),
    "RMSNorm": (3,), "InstanceNorm1d": (3,), "InstanceNorm2d": (3,), "LocalResponseNorm": (2,),
    "Embedding": (5, 3), "RNNCell": (3, 4), "LSTMCell": (3, 4), "GRUCell": (3, 4), "RNN": (3, 4),
    "EmbeddingBag": (5, 3),
    "LSTM": (3, 4), "GRU": (3, 4), "MultiheadAttention": (4, 2), "TransformerEncoderLayer": (4, 2),
    "Softmax": (1,), "LogSoftmax": (1,), "Softmin": (1,), "PixelShuffle": (2,),
    "PixelUnshuffle": (2,), "Unflatten": (1, (2, 3)), "Flatten": (), "GLU": (), "PReLU": (),
    "Dropout": (), "CosineSimilarity": (), "Upsample": (), "CrossEntropyLoss": (),
    "NLLLoss": (), "MultiMarginLoss": (),
    **{f"{kind}Pad{d}d": (1,) for kind in ("Zero", "Reflection", "Replication", "Circular")
       for d in (1, 2, 3)},
    **{f"ConstantPad{d}d": (1, 0.0) for d in (1, 2, 3)},
}
# string-valued options: a string there is a (refused) choice, not a type error
STRING_OPTIONS = {("Conv1d", "padding"), ("Conv2d", "padding")}


def _integer_parameters(cls, required):
    params = [p for p in inspect.signature(cls.__init__).parameters.values() if p.name != "self"]
    for i, p in enumerate(params):
        value = p.default if p.default is not inspect.Parameter.empty else (
            required[i] if i < len(required) else None)
        if isinstance(value, int) and not isinstance(value, bool):
            yield i, p.name


def _cases():
    for name in sorted(REQUIRED):
        for i, param in _integer_parameters(getattr(nn, name), REQUIRED[name]):
            yield name, i, param


def test_every_constructor_is_swept():
    classes = {n for n in nn.__all__ if isinstance(getattr(nn, n), type)}
    no_int_args = {n for n in classes
                   if not any(isinstance(p.default, int) and not isinstance(p.default, bool)
                              for p in inspect.signature(getattr(nn, n).__init__).parameters.values())}
    swept_elsewhere = {"TransformerEncoder", "LoRALinear", "Checkpoint", "Concat", "Sequential",
                       "ModuleList", "ModuleDict", "Threshold", "Dropout1d", "Dropout2d",
                       "Dropout3d", "LockedDropout", "PairwiseDistance", "Parameter"}
    assert classes - set(REQUIRED) - no_int_args - swept_elsewhere == set()


@pytest.mark.parametrize("name, index, param", list(_cases()))
@pytest.mark.parametrize("bad", ["2", 2.5], ids=["str", "float"])
def test_integer_layer_arguments_refuse_other_types_by_name(name, index, param, bad):
    if isinstance(bad, str) and (name, param) in STRING_OPTIONS:
        pytest.skip("a string is a choice here ('same', 'valid')")
    args, kwargs = list(REQUIRED[name]), {}
    if index < len(args):
        args[index] = bad
    else:
        kwargs[param] = bad
    with pytest.raises(TypeError, match=param):
        getattr(nn, name)(*args, **kwargs)


def _optimizer():
    return optim.SGD([nn.Parameter(np.ones(2))], lr=0.1, momentum=0.9)


SCHEDULERS = {"StepLR": (2,), "MultiStepLR": ([2],), "ExponentialLR": (0.9,),
              "CosineAnnealingLR": (5,), "LinearLR": (), "ConstantLR": (), "PolynomialLR": (),
              "CosineAnnealingWarmRestarts": (5,), "CyclicLR": (0.01, 0.1),
              "OneCycleLR": (0.1, 10), "ReduceLROnPlateau": ()}


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
@pytest.mark.parametrize("bad", ["2", 2.5], ids=["str", "float"])
def test_integer_scheduler_arguments_refuse_other_types_by_name(name, bad):
    cls = getattr(S, name)
    params = [p for p in inspect.signature(cls.__init__).parameters.values()
              if p.name not in ("self", "optimizer")]
    required = SCHEDULERS[name]
    for i, p in enumerate(params):
        value = p.default if p.default is not inspect.Parameter.empty else (
            required[i] if i < len(required) else None)
        if not isinstance(value, int) or isinstance(value, bool) or p.name == "min_lr":
            continue
        args, kwargs = list(required), {}
        if i < len(args):
            args[i] = bad
        else:
            kwargs[p.name] = bad
        with pytest.raises(TypeError, match=p.name):
            cls(_optimizer(), *args, **kwargs)


def test_real_arguments_refuse_strings():
    with pytest.raises(TypeError, match="min_lr"):
        S.ReduceLROnPlateau(_optimizer(), min_lr="0.1")
    with pytest.raises(TypeError, match="min_lr"):
        S.ReduceLROnPlateau(_optimizer(), min_lr=["0.1"])
    with pytest.raises(TypeError, match="padding"):
        nn.ZeroPad2d(1.5)
    with pytest.raises(TypeError, match=r"padding\[1\]"):
        nn.ZeroPad1d((1, 2.0))
