"""Conv1d against torch.nn.Conv1d in float64: every argument (stride, padding including
'same' and 'valid', dilation, groups, bias, each padding mode), unbatched input, parameter
gradients, the initialisation bound, repr and errors."""

import numpy as np
import pytest
import torch

import dlcore.nn as nn
from parity import close, copy_params, t

CASES = [dict(), dict(stride=2), dict(padding=2, dilation=2), dict(padding="same", dilation=3),
         dict(padding="valid"), dict(groups=2, padding=1), dict(groups=4, bias=False),
         dict(padding=1, padding_mode="reflect"), dict(padding=2, padding_mode="replicate"),
         dict(padding=1, padding_mode="circular", stride=3), dict(kernel_size=1),
         dict(kernel_size=(5,), stride=(2,), padding=(1,))]


@pytest.mark.parametrize("kwargs", CASES, ids=[str(c) for c in CASES])
@pytest.mark.parametrize("batched", [True, False])
def test_conv1d_matches_torch(kwargs, batched):
    kwargs = {"kernel_size": 3, **kwargs}
    ours, theirs = nn.Conv1d(4, 8, rng=0, **kwargs), torch.nn.Conv1d(4, 8, **kwargs)
    copy_params(ours, theirs)
    assert repr(ours) == repr(theirs)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 4, 13) if batched else (4, 13))
    xt = t(x, grad=True)
    yt = theirs(xt)
    g = rng.standard_normal(tuple(yt.shape))
    yt.backward(t(g))
    close(ours(x), yt, rtol=1e-12)
    close(ours.backward(g), xt.grad, rtol=1e-12)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        close(p.grad, q.grad, rtol=1e-12)
    assert ours.weight.shape == tuple(theirs.weight.shape)


def test_conv1d_init_bound_dtype_and_errors():
    m = nn.Conv1d(6, 4, 5, groups=2, rng=0)
    bound = 1 / np.sqrt(3 * 5)
    assert np.abs(m.weight.data).max() <= bound and np.abs(m.weight.data).max() > 0.8 * bound
    m32 = nn.Conv1d(2, 3, 3, rng=0, dtype=np.float32)
    y = m32(np.ones((2, 2, 7), np.float32))
    assert y.dtype == np.float32 and m32.backward(np.ones_like(y)).dtype == np.float32
    with pytest.raises(ValueError, match=r"input must be \(N, C, L\) or \(C, L\)"):
        nn.Conv1d(2, 3, 3)(np.ones((1, 2, 4, 4)))
    with pytest.raises(ValueError, match="expected input with 2 channels"):
        nn.Conv1d(2, 3, 3)(np.ones((1, 5, 8)))
    with pytest.raises(ValueError, match="kernel_size must be an int or a 1-tuple"):
        nn.Conv1d(2, 3, (3, 3))
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        nn.Conv1d(2, 3, 3, stride=2, padding="same")
    with pytest.raises(ValueError):
        nn.Conv1d(2, 3, 5)(np.ones((1, 2, 3)))                    # input shorter than kernel
