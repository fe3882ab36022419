"""Gradient diagnostics for the book: what reaches each layer in the backward pass.

A weight gradient mixes two signals, :math:`\\partial L/\\partial W_l = \\delta_l^\\top h_{l-1}`:
the backpropagated signal :math:`\\delta_l = \\partial L/\\partial z_l` and the forward
activation :math:`h_{l-1}`. When the forward signal grows while the backward one shrinks (or the
reverse), weight-gradient norms can look flat across layers although the signal that carries the
loss back to the early layers has vanished. :func:`gradient_flow` therefore reports both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlcore.nn import Sequential

__all__ = ["GradientFlow", "gradient_flow"]


@dataclass(frozen=True)
class GradientFlow:
    """Per top-level layer of a :class:`~dlcore.nn.Sequential`, in forward order.

    Attributes
    ----------
    names : tuple of str
        ``"<index>:<ClassName>"`` of each layer.
    output_grad : numpy.ndarray, shape (L,)
        Frobenius norm of :math:`\\partial L/\\partial h_l`, the gradient of the loss with
        respect to the layer's output (the backpropagated signal).
    input_grad : numpy.ndarray, shape (L,)
        Frobenius norm of the gradient with respect to the layer's input.
    weight_grad : numpy.ndarray, shape (L,)
        Frobenius norm of the gradient of the layer's own ``weight`` (NaN if it has none).
    weight_norm : numpy.ndarray, shape (L,)
        Frobenius norm of the layer's ``weight`` (NaN if it has none).
    loss : float
    """

    names: tuple
    output_grad: np.ndarray
    input_grad: np.ndarray
    weight_grad: np.ndarray
    weight_norm: np.ndarray
    loss: float

    @property
    def has_weight(self) -> np.ndarray:
        """Boolean mask of the layers that own a ``weight``."""
        return ~np.isnan(self.weight_grad)


def gradient_flow(model, loss_fn, X, y) -> GradientFlow:
    """Forward and backward pass through ``model``, recording the backward signal per layer.

    The backward pass is the one :meth:`Sequential.backward` runs, written out so that the
    gradient arriving at each layer's output can be measured. Parameter gradients are
    accumulated into ``.grad`` as usual (call ``model.zero_grad()`` first if needed).

    Parameters
    ----------
    model : Sequential
    loss_fn : loss module with ``forward(output, y)`` and ``backward()``
    X, y : arrays

    Returns
    -------
    GradientFlow

    Examples
    --------
    >>> from dlcore import nn
    >>> net = nn.Sequential(nn.Linear(3, 4, rng=0), nn.Tanh(), nn.Linear(4, 1, rng=1))
    >>> flow = gradient_flow(net, nn.MSELoss(), np.ones((2, 3)), np.zeros((2, 1)))
    >>> flow.names
    ('0:Linear', '1:Tanh', '2:Linear')
    >>> bool(np.isclose(flow.weight_grad[0], np.linalg.norm(net[0].weight.grad)))
    True
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"gradient_flow model must be a dlcore Sequential, got {type(model).__name__}")
    layers = list(model)
    loss = float(loss_fn(model(X), y))
    grad = loss_fn.backward()
    out_g, in_g = np.empty(len(layers)), np.empty(len(layers))
    for i in range(len(layers) - 1, -1, -1):
        out_g[i] = np.linalg.norm(grad)
        grad = layers[i].backward(grad)
        in_g[i] = np.linalg.norm(grad)
    w = [getattr(layer, "weight", None) for layer in layers]
    weight_grad = np.array([np.linalg.norm(p.grad) if p is not None and p.grad is not None else np.nan
                            for p in w])
    weight_norm = np.array([np.linalg.norm(p.data) if p is not None else np.nan for p in w])
    names = tuple(f"{i}:{type(layer).__name__}" for i, layer in enumerate(layers))
    return GradientFlow(names, out_g, in_g, weight_grad, weight_norm, loss)
