"""RMSNorm, InstanceNorm1d/2d and LocalResponseNorm against PyTorch: every constructor
argument in float64 (outputs, input and parameter gradients, running statistics over several
steps, state_dict keys), float32 dtypes, unbatched and empty inputs, numerical gradients and
the argument errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import dlcore.functional as F
import dlcore.nn as nn
from dlcore.gradcheck import check_module_gradients
from parity import close, copy_params, t

RTOL = 1e-12


def _run_pair(ours, theirs, x, rng, steps=1):
    """Forward/backward both modules ``steps`` times on fresh upstream gradients; compare."""
    copy_params(ours, theirs)
    for _ in range(steps):
        xt = t(x, grad=True)
        yt = theirs(xt)
        g = rng.standard_normal(tuple(yt.shape))
        yt.backward(t(g))
        close(ours(x), yt, rtol=RTOL, atol=1e-13)
        close(ours.backward(g), xt.grad, rtol=RTOL, atol=1e-13)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        close(p.grad, q.grad, rtol=RTOL, atol=1e-12)
    a, b = ours.state_dict(), theirs.state_dict()
    assert list(a) == list(b)
    for key in a:
        close(a[key], b[key], rtol=RTOL)


@pytest.mark.parametrize("shape, normalized", [((4, 6), 6), ((2, 3, 4, 5), (4, 5)),
                                               ((7,), [7]), ((0, 3), 3)])
@pytest.mark.parametrize("eps", [None, 1e-3])
@pytest.mark.parametrize("affine", [True, False])
def test_rms_norm_matches_torch(shape, normalized, eps, affine):
    rng = np.random.default_rng(0)
    ours = nn.RMSNorm(normalized, eps=eps, elementwise_affine=affine)
    theirs = torch.nn.RMSNorm(normalized, eps=eps, elementwise_affine=affine)
    if affine:
        ours.weight.data[...] = rng.standard_normal(ours.weight.data.shape)
    assert repr(ours) == repr(theirs)
    _run_pair(ours, theirs, rng.standard_normal(shape) * 3, rng)
    dims = list(np.atleast_1d(normalized))
    close(F.rms_norm(np.ones(shape), normalized, eps=eps),
          TF.rms_norm(t(np.ones(shape)), dims, eps=eps))


@pytest.mark.parametrize("cls", ["InstanceNorm1d", "InstanceNorm2d"])
@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("track", [False, True])
@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_instance_norm_matches_torch_in_train_and_eval(cls, affine, track, momentum):
    rng = np.random.default_rng(1)
    shape = (3, 4, 6) if cls == "InstanceNorm1d" else (3, 4, 3, 5)
    kwargs = dict(eps=1e-4, momentum=momentum, affine=affine, track_running_stats=track)
    ours, theirs = getattr(nn, cls)(4, **kwargs), getattr(torch.nn, cls)(4, **kwargs)
    if affine:
        ours.weight.data[...] = rng.standard_normal(4)
        ours.bias.data[...] = rng.standard_normal(4)
    assert repr(ours) == repr(theirs)
    x = rng.standard_normal(shape) * 2 + 1
    _run_pair(ours, theirs, x, rng, steps=3)          # running statistics over three steps
    ours.eval()
    theirs.eval()
    _run_pair(ours, theirs, x + 0.5, rng)
    unbatched = x[0]
    close(ours(unbatched), theirs(t(unbatched)), rtol=RTOL)


def test_instance_norm_edge_cases_match_torch():
    m = nn.InstanceNorm1d(3)
    assert m(np.zeros((0, 3, 5))).shape == (0, 3, 5)
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        m(np.zeros((2, 3, 1)))
    with pytest.raises(ValueError, match="to match num_features \\(3\\), but got: 4"):
        nn.InstanceNorm1d(3, affine=True)(np.zeros((2, 4, 5)))
    with pytest.warns(UserWarning, match="does not match num_features"):
        y = nn.InstanceNorm1d(3)(np.arange(40.0).reshape(2, 4, 5))
    close(y, torch.nn.InstanceNorm1d(4)(t(np.arange(40.0).reshape(2, 4, 5))))
    tracked = nn.InstanceNorm2d(2, track_running_stats=True).eval()
    assert tracked(np.ones((1, 2, 1, 1))).shape == (1, 2, 1, 1)      # running stats: fine
    with pytest.raises(ValueError, match="expects a 4-D"):
        nn.InstanceNorm2d(2)(np.zeros((2, 3)))
    x = np.random.default_rng(2).standard_normal((2, 4, 6))
    close(F.instance_norm(x), TF.instance_norm(t(x)))
    close(F.instance_norm(x), nn.GroupNorm(4, 4, affine=False)(x), rtol=1e-13)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8])
@pytest.mark.parametrize("shape", [(2, 6, 4), (2, 6, 3, 4), (1, 6, 2, 2, 2), (0, 6, 3)])
@pytest.mark.parametrize("params", [dict(), dict(alpha=0.5, beta=0.3, k=2.0),
                                    dict(alpha=2.0, beta=1.5, k=0.5)])
def test_local_response_norm_matches_torch(size, shape, params):
    rng = np.random.default_rng(3)
    ours, theirs = nn.LocalResponseNorm(size, **params), torch.nn.LocalResponseNorm(size, **params)
    assert repr(ours) == repr(theirs)
    _run_pair(ours, theirs, rng.standard_normal(shape) * 3, rng)


def test_float32_keeps_dtype():
    x = np.random.default_rng(4).standard_normal((2, 4, 5)).astype(np.float32)
    f32 = torch.float32
    for ours, theirs in [(nn.RMSNorm(5, dtype=np.float32), torch.nn.RMSNorm(5, dtype=f32)),
                         (nn.InstanceNorm1d(4, affine=True, dtype=np.float32),
                          torch.nn.InstanceNorm1d(4, affine=True, dtype=f32)),
                         (nn.LocalResponseNorm(3, alpha=0.5), torch.nn.LocalResponseNorm(3, 0.5))]:
        y = ours(x)
        dx = ours.backward(np.ones_like(y))
        assert y.dtype == np.float32 and dx.dtype == np.float32, type(ours).__name__
        xt = torch.tensor(x, requires_grad=True)
        yt = theirs(xt)
        yt.backward(torch.ones_like(yt))
        np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("make", [lambda: nn.RMSNorm(4, eps=1e-3), lambda: nn.RMSNorm((3, 4)),
                                  lambda: nn.InstanceNorm1d(3, affine=True),
                                  lambda: nn.LocalResponseNorm(3, alpha=0.8, beta=0.6, k=1.5)])
def test_numerical_gradients(make):
    x = np.random.default_rng(5).standard_normal((2, 3, 4))
    report = check_module_gradients(make(), x, rng=6)
    assert report.passed(1e-7), str(report)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="rms_norm normalized_shape=\\(4,\\) expects"):
        nn.RMSNorm(4)(np.ones((2, 3)))
    with pytest.raises(ValueError, match="eps must be in"):
        nn.RMSNorm(4, eps=-1.0)
    with pytest.raises(TypeError, match="num_features must be an integer"):
        nn.InstanceNorm1d(3.0)
    with pytest.raises(ValueError, match="momentum must be in"):
        nn.InstanceNorm2d(3, momentum=2.0)
    with pytest.raises(ValueError, match="size must be an integer >= 1"):
        nn.LocalResponseNorm(0)
    with pytest.raises(ValueError, match="3 or more dimensions"):
        nn.LocalResponseNorm(2)(np.ones((2, 4)))
    with pytest.raises(TypeError, match="LocalResponseNorm beta must be a real number"):
        nn.LocalResponseNorm(2, beta="1")
