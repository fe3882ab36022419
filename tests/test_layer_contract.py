"""The layer contract, swept over every single-input layer of ``dlcore.nn``: for float32 and
float64 input and batch sizes N = 0, 1 and 3, the output and the input gradient keep the
input's dtype and match PyTorch (values, shapes), and parameter gradients keep the
parameters' dtype. A layer added to ``dlcore.nn`` without an entry here fails
``test_every_layer_is_swept``."""

import inspect

import numpy as np
import pytest
import torch

import dlcore.nn as nn
from parity import copy_params

F32, F64 = np.float32, np.float64


def _with_dtype(cls, *args, **kwargs):
    """``cls(*args, **kwargs)`` in the requested dtype, where the layer takes one."""
    def make(dtype):
        extra = {"dtype": dtype} if "dtype" in inspect.signature(cls.__init__).parameters else {}
        return cls(*args, **kwargs, **extra)
    return make


# dlcore factory (dtype -> layer), torch factory, input shape without N, mode
LAYERS = {
    "Linear": (_with_dtype(nn.Linear, 4, 3, rng=0), lambda: torch.nn.Linear(4, 3), (4,)),
    "Identity": (lambda d: nn.Identity(), torch.nn.Identity, (3, 2)),
    "Flatten": (lambda d: nn.Flatten(), torch.nn.Flatten, (3, 2)),
    "Unflatten": (lambda d: nn.Unflatten(1, (2, 3)), lambda: torch.nn.Unflatten(1, (2, 3)), (6,)),
    "PReLU": (_with_dtype(nn.PReLU, 3), lambda: torch.nn.PReLU(3), (3, 2)),
    "Softmax": (lambda d: nn.Softmax(1), lambda: torch.nn.Softmax(1), (4,)),
    "LogSoftmax": (lambda d: nn.LogSoftmax(1), lambda: torch.nn.LogSoftmax(1), (4,)),
    "Softmin": (lambda d: nn.Softmin(1), lambda: torch.nn.Softmin(1), (4,)),
    "GLU": (lambda d: nn.GLU(), torch.nn.GLU, (4,)),
    "Threshold": (lambda d: nn.Threshold(0.1, -2.0), lambda: torch.nn.Threshold(0.1, -2.0), (4,)),
    "RReLU": (lambda d: nn.RReLU().eval(), lambda: torch.nn.RReLU().eval(), (4,)),
    "Conv2d": (_with_dtype(nn.Conv2d, 2, 3, 3, padding=1, rng=0),
               lambda: torch.nn.Conv2d(2, 3, 3, padding=1), (2, 5, 5)),
    "Conv1d": (_with_dtype(nn.Conv1d, 2, 3, 3, padding=1, rng=0),
               lambda: torch.nn.Conv1d(2, 3, 3, padding=1), (2, 7)),
    "ConvTranspose2d": (_with_dtype(nn.ConvTranspose2d, 2, 3, 3, stride=2, padding=1,
                                    output_padding=1, rng=0),
                        lambda: torch.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1,
                                                         output_padding=1), (2, 4, 4)),
    "MaxPool2d": (lambda d: nn.MaxPool2d(2), lambda: torch.nn.MaxPool2d(2), (2, 4, 4)),
    "AvgPool2d": (lambda d: nn.AvgPool2d(3, 2, 1, count_include_pad=False),
                  lambda: torch.nn.AvgPool2d(3, 2, 1, count_include_pad=False), (2, 5, 5)),
    "MaxPool1d": (lambda d: nn.MaxPool1d(3, 2, 1), lambda: torch.nn.MaxPool1d(3, 2, 1), (2, 7)),
    "AvgPool1d": (lambda d: nn.AvgPool1d(3, 2, 1), lambda: torch.nn.AvgPool1d(3, 2, 1), (2, 7)),
    "AdaptiveAvgPool1d": (lambda d: nn.AdaptiveAvgPool1d(3), lambda: torch.nn.AdaptiveAvgPool1d(3),
                          (2, 7)),
    "AdaptiveAvgPool2d": (lambda d: nn.AdaptiveAvgPool2d((2, 3)),
                          lambda: torch.nn.AdaptiveAvgPool2d((2, 3)), (2, 5, 5)),
    "AdaptiveMaxPool1d": (lambda d: nn.AdaptiveMaxPool1d(3), lambda: torch.nn.AdaptiveMaxPool1d(3),
                          (2, 7)),
    "AdaptiveMaxPool2d": (lambda d: nn.AdaptiveMaxPool2d(2), lambda: torch.nn.AdaptiveMaxPool2d(2),
                          (2, 5, 5)),
    "BatchNorm1d": (_with_dtype(nn.BatchNorm1d, 3), lambda: torch.nn.BatchNorm1d(3), (3,)),
    "BatchNorm2d": (_with_dtype(nn.BatchNorm2d, 2), lambda: torch.nn.BatchNorm2d(2), (2, 3, 3)),
    "LayerNorm": (_with_dtype(nn.LayerNorm, 3), lambda: torch.nn.LayerNorm(3), (2, 3)),
    "GroupNorm": (_with_dtype(nn.GroupNorm, 2, 4), lambda: torch.nn.GroupNorm(2, 4), (4, 3)),
    "RMSNorm": (_with_dtype(nn.RMSNorm, 3), lambda: torch.nn.RMSNorm(3), (2, 3)),
    "InstanceNorm1d": (_with_dtype(nn.InstanceNorm1d, 2, affine=True),
                       lambda: torch.nn.InstanceNorm1d(2, affine=True), (2, 5)),
    "InstanceNorm2d": (_with_dtype(nn.InstanceNorm2d, 2), lambda: torch.nn.InstanceNorm2d(2),
                       (2, 3, 3)),
    "LocalResponseNorm": (lambda d: nn.LocalResponseNorm(3), lambda: torch.nn.LocalResponseNorm(3),
                          (4, 3)),
    "Upsample": (lambda d: nn.Upsample(scale_factor=2), lambda: torch.nn.Upsample(scale_factor=2),
                 (2, 3, 3)),
    "PixelShuffle": (lambda d: nn.PixelShuffle(2), lambda: torch.nn.PixelShuffle(2), (4, 2, 2)),
    "PixelUnshuffle": (lambda d: nn.PixelUnshuffle(2), lambda: torch.nn.PixelUnshuffle(2),
                       (1, 4, 4)),
    "Dropout": (lambda d: nn.Dropout(0.5).eval(), lambda: torch.nn.Dropout(0.5).eval(), (4,)),
    "LockedDropout": None,  # (T, N, C) sequences: tests/test_rnn.py
}
for name in ["ReLU", "ReLU6", "LeakyReLU", "Hardtanh", "Hardsigmoid", "Hardswish", "ELU", "SELU",
             "CELU", "Sigmoid", "Tanh", "LogSigmoid", "Softplus", "SiLU", "Mish", "GELU",
             "Softsign", "Softshrink", "Hardshrink", "Tanhshrink"]:
    LAYERS[name] = (lambda d, n=name: getattr(nn, n)(), getattr(torch.nn, name), (3, 2))
for name, shape in [("ZeroPad1d", (2, 5)), ("ZeroPad2d", (2, 4, 4)), ("ZeroPad3d", (1, 3, 3, 3)),
                    ("ReflectionPad1d", (2, 5)), ("ReflectionPad2d", (2, 4, 4)),
                    ("ReflectionPad3d", (1, 3, 3, 3)), ("ReplicationPad1d", (2, 5)),
                    ("ReplicationPad2d", (2, 4, 4)), ("ReplicationPad3d", (1, 3, 3, 3)),
                    ("CircularPad1d", (2, 5)), ("CircularPad2d", (2, 4, 4)),
                    ("CircularPad3d", (1, 3, 3, 3))]:
    LAYERS[name] = (lambda d, n=name: getattr(nn, n)(1), lambda n=name: getattr(torch.nn, n)(1),
                    shape)
for name in ["ConstantPad1d", "ConstantPad2d", "ConstantPad3d"]:
    shape = {"1": (2, 5), "2": (2, 4, 4), "3": (1, 3, 3, 3)}[name[-2]]
    LAYERS[name] = (lambda d, n=name: getattr(nn, n)(1, 2.5),
                    lambda n=name: getattr(torch.nn, n)(1, 2.5), shape)
# covered by their own test modules (several inputs, sequences, tuples, or no computation)
ELSEWHERE = {"Parameter", "Module", "Sequential", "ModuleList", "ModuleDict", "LoRALinear",
             "Checkpoint", "Dropout1d", "Dropout2d", "Dropout3d", "Concat", "Embedding",
             "EmbeddingBag",  # integer ids: tests/test_embedding_bag.py
             "RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU", "MultiheadAttention",
             "TransformerEncoderLayer", "TransformerEncoder", "LockedDropout",
             "PairwiseDistance", "CosineSimilarity"}  # two inputs: tests/test_distance.py
CASES = {k: v for k, v in LAYERS.items() if v is not None}
# PyTorch's own N = 0 results are wrong here: InstanceNorm raises IndexError from select(),
# PixelUnshuffle returns its input's shape. dlcore returns the N = 1 shape with N = 0.
TORCH_EMPTY_BUGS = {"InstanceNorm1d", "InstanceNorm2d", "PixelUnshuffle"}
# PyTorch evaluates hardsigmoid with 1/6 rounded to float32 even in float64 (chapter 2)
LOOSE_FLOAT64 = {"Hardsigmoid": 1e-7}


def test_every_layer_is_swept():
    layers = {n for n in nn.__all__ if isinstance(getattr(nn, n), type)
              and not n.endswith("Loss")}
    assert layers - set(CASES) - ELSEWHERE == set()


@pytest.mark.parametrize("dtype", [F32, F64], ids=["float32", "float64"])
@pytest.mark.parametrize("n", [0, 1, 3])
@pytest.mark.parametrize("name", sorted(CASES))
def test_dtype_and_batch_size_follow_torch(name, n, dtype):
    make_ours, make_theirs, shape = CASES[name]
    ours = make_ours(dtype)
    theirs = make_theirs().to(torch.float32 if dtype == F32 else torch.float64)
    if ours.parameters():
        copy_params(ours, theirs)
    x = np.random.default_rng(n).standard_normal((n,) + shape).astype(dtype)
    if n == 0 and name in TORCH_EMPTY_BUGS:
        expected = make_ours(dtype)(np.ones((1,) + shape, dtype)).shape[1:]
        y = ours(x)
        assert y.dtype == dtype and y.shape == (0,) + expected
        assert ours.backward(np.zeros_like(y)).shape == x.shape
        return
    xt = torch.tensor(x, requires_grad=True)
    try:
        yt = theirs(xt)
    except (RuntimeError, ValueError) as exc:        # PyTorch refuses: so must dlcore
        with pytest.raises(ValueError):
            ours(x)
        return pytest.skip(f"torch refuses: {exc}"[:80])
    y = ours(x)
    assert y.dtype == dtype and y.shape == tuple(yt.shape)
    tol = (dict(rtol=2e-5, atol=2e-6) if dtype == F32 else
           dict(rtol=LOOSE_FLOAT64.get(name, 1e-10), atol=1e-12))
    np.testing.assert_allclose(y, yt.detach().numpy(), **tol)
    g = np.random.default_rng(9).standard_normal(y.shape).astype(dtype)
    if yt.numel():
        yt.backward(torch.tensor(g))
    dx = ours.backward(g)
    assert dx.dtype == dtype and dx.shape == x.shape
    if yt.numel():
        np.testing.assert_allclose(dx, xt.grad.numpy(), **tol)
    for p in ours.parameters():
        assert p.grad is None or p.grad.dtype == p.data.dtype
