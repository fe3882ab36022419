r"""The residual (skip) connection of He et al. (2016): :math:`y = x + F(x)`.

:math:`F` (the *body*) is any stack of layers whose output has the input's shape. The
identity shortcut adds its input back, so the backward pass is

.. math::

    \frac{\partial L}{\partial x} = G + \frac{\partial L}{\partial x}\Big|_{F},

the upstream gradient :math:`G` itself plus whatever flows through the body: however small
the body's Jacobian, the gradient reaches earlier layers undiminished. And with the body's last
layer set to zero, the block is exactly the identity, so adding blocks cannot make the best
reachable function worse.
"""

from __future__ import annotations

import numpy as np

from ..nn.module import Module

__all__ = ["Residual"]


class Residual(Module):
    """``y = x + body(x)``, the body's output shape must equal its input shape.

    Parameters
    ----------
    body : Module
        :math:`F`, e.g. ``Sequential(Conv2d(c, c, 3, padding=1), ReLU(),
        Conv2d(c, c, 3, padding=1))``. Its parameters are this block's parameters
        (``body.*`` in ``named_parameters``).

    Examples
    --------
    >>> from dlcore.nn import Linear
    >>> block = Residual(Linear(3, 3, rng=0))
    >>> block.body.weight.data[...] = 0; block.body.bias.data[...] = 0
    >>> x = np.arange(6.0).reshape(2, 3)
    >>> bool((block(x) == x).all())
    True
    >>> block.backward(np.ones((2, 3)))  # the shortcut passes the gradient straight through
    array([[1., 1., 1.],
           [1., 1., 1.]])
    """

    def __init__(self, body: Module):
        super().__init__()
        if not isinstance(body, Module):
            raise TypeError(f"body must be a dlcore Module, got {type(body).__name__}")
        self.body = body

    def forward(self, x):
        x = np.asarray(x, dtype=np.float64)
        fx = self.body(x)
        if fx.shape != x.shape:
            raise ValueError(f"Residual body output shape {fx.shape} does not match input "
                             f"shape {x.shape}; the shortcut needs equal shapes")
        return x + fx

    def backward(self, grad_out):
        grad_out = np.asarray(grad_out, dtype=np.float64)
        return grad_out + self.body.backward(grad_out)
