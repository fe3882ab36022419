"""Activation checkpointing: keep a block's input, recompute its forward inside backward."""

from __future__ import annotations

import copy

import numpy as np

from .module import Module

__all__ = ["Checkpoint"]


class Checkpoint(Module):
    r"""Wrap ``module`` so that its forward keeps only the input; ``backward`` runs the forward
    again to rebuild the intermediate values and then back-propagates through them
    (``torch.utils.checkpoint.checkpoint(module, x, use_reentrant=False)``).

    Parameters
    ----------
    module : Module
        The block to checkpoint.

    Notes
    -----
    Memory for backward drops from every intermediate activation of the block to its input;
    the price is one extra forward of the block per training step. With :math:`L` equal blocks
    in :math:`s` checkpointed segments, the peak holds about :math:`s + L/s` block activations
    (the segment inputs plus one recomputed segment), smallest near :math:`s = \sqrt L`
    (Chen et al., 2016). Random layers inside (Dropout) draw the same masks in the recomputation:
    the generators' states are saved in forward and restored before it, as torch preserves the
    RNG state.

    Examples
    --------
    >>> from dlcore.nn import Linear, Sequential, Tanh
    >>> block = Checkpoint(Sequential(Linear(3, 3, rng=0), Tanh()))
    >>> y = block(np.ones((2, 3)))
    >>> block.backward(np.ones_like(y)).shape
    (2, 3)
    """

    def __init__(self, module: Module):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"Checkpoint module must be a dlcore Module, got "
                            f"{type(module).__name__}")
        self.module = module

    def _generators(self):
        return [m.generator for m in self.module.modules()
                if isinstance(getattr(m, "generator", None), np.random.Generator)]

    @staticmethod
    def _drop_caches(module):
        for m in module.modules():
            m.__dict__.pop("_cache", None)

    def forward(self, x):
        states = [copy.deepcopy(g.bit_generator.state) for g in self._generators()]
        y = self.module(x)
        self._drop_caches(self.module)
        self._save(x=x, states=states)
        return y

    def backward(self, grad_out):
        x, states = self._saved("x", "states")
        gens = self._generators()
        after = [copy.deepcopy(g.bit_generator.state) for g in gens]
        for g, s in zip(gens, states):
            g.bit_generator.state = s
        self.module(x)  # recompute, filling the caches again
        for g, s in zip(gens, after):
            g.bit_generator.state = s
        grad_in = self.module.backward(grad_out)
        self._drop_caches(self.module)
        return grad_in
