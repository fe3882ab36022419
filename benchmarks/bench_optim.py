"""One optimizer step (and one clip_grad_norm_) on an MLP's worth of parameters."""

import numpy as np
import torch

from dlcore.nn import Parameter
from dlcore.nn.utils import clip_grad_norm_
from dlcore.optim import SGD, Adagrad, Adam, AdamW, RMSprop
from harness import Case

SHAPES = [(512, 256), (512,), (512, 512), (512,), (10, 512), (10,)]


def _params(rng):
    arrays = [rng.standard_normal(s) for s in SHAPES]
    grads = [rng.standard_normal(s) for s in SHAPES]
    ours = [Parameter(a.copy()) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    for p, q, g in zip(ours, theirs, grads):
        p.grad, q.grad = g.copy(), torch.tensor(g)
    return ours, theirs


def _step(name, ours_cls, torch_cls, **kw):
    ours, theirs = _params(np.random.default_rng(0))
    opt_a = ours_cls(ours, **kw)
    opt_b = torch_cls(theirs, foreach=False, **kw)
    shape = f"{sum(int(np.prod(s)) for s in SHAPES)} params, {len(SHAPES)} tensors"
    return Case(f"{name} step", shape, opt_a.step, opt_b.step)


def _clip():
    ours, theirs = _params(np.random.default_rng(1))
    return Case("clip_grad_norm_", f"{len(SHAPES)} tensors",
                lambda: clip_grad_norm_(ours, 1e9),
                lambda: torch.nn.utils.clip_grad_norm_(theirs, 1e9))


CASES = [
    _step("SGD", SGD, torch.optim.SGD, lr=1e-6),
    _step("SGD momentum", SGD, torch.optim.SGD, lr=1e-6, momentum=0.9, nesterov=True),
    _step("Adagrad", Adagrad, torch.optim.Adagrad, lr=1e-6),
    _step("RMSprop", RMSprop, torch.optim.RMSprop, lr=1e-6, momentum=0.9, centered=True),
    _step("Adam", Adam, torch.optim.Adam, lr=1e-6),
    _step("AdamW amsgrad", AdamW, torch.optim.AdamW, lr=1e-6, amsgrad=True),
    _clip(),
]
