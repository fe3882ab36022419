"""Shared helpers for the PyTorch parity tests (imported by the test modules)."""

import numpy as np
import torch

RTOL, ATOL = 1e-7, 1e-9  # the book-wide tolerance (DESIGN.md); most checks pass far tighter

torch.set_default_dtype(torch.float64)


def t(x, grad=False):
    """A float64 torch tensor copy of a NumPy array."""
    out = torch.tensor(np.asarray(x), dtype=torch.float64)
    return out.requires_grad_(grad)


def close(ours, theirs, rtol=RTOL, atol=ATOL):
    """Assert that a dlcore result equals a torch (or NumPy) reference."""
    if isinstance(theirs, torch.Tensor):
        theirs = theirs.detach().numpy()
    np.testing.assert_allclose(np.asarray(ours, dtype=np.float64), theirs, rtol=rtol, atol=atol)


def copy_params(dl_module, torch_module):
    """Copy dlcore parameters into a torch module with the same parameter order and shapes."""
    theirs = list(torch_module.parameters())
    ours = dl_module.parameters()
    assert len(ours) == len(theirs), (len(ours), len(theirs))
    with torch.no_grad():
        for p, q in zip(ours, theirs):
            assert p.data.shape == tuple(q.shape), (p.data.shape, q.shape)
            q.copy_(torch.from_numpy(p.data))
