r"""The two-layer perceptron written out by hand, and the small facts about MLPs around it.

:class:`TwoLayerMLP` is ``Linear -> activation -> Linear`` with its forward and backward pass
spelled out as the equations of back-propagation (Rumelhart, Hinton & Williams 1986), rather
than chained from layer objects. :func:`merge_linear` shows why two linear layers with
nothing between them collapse into one; :func:`xor_relu_network` is a hand-set ReLU net for
XOR; :func:`fit_lbfgs` fits a small network to a curve to full precision (for the universal
approximation experiments).
"""

from __future__ import annotations

import numpy as np

from ..checks import as_array, check_choice, check_int, check_shape
from ..functional import activation as A
from ..nn.linear import Linear
from ..nn.module import Module, Sequential
from ..nn.activation import ReLU
from ..random import as_generator
from ..threads import single_threaded_blas

__all__ = ["TwoLayerMLP", "merge_linear", "xor_relu_network", "count_parameters",
           "fit_lbfgs", "output_jacobian", "fit_least_squares"]

# activation, and its derivative written in terms of the activation's output h
_ACTIVATIONS = {
    "relu": (A.relu, lambda h: (h > 0).astype(h.dtype)),
    "tanh": (A.tanh, lambda h: 1 - h * h),
    "sigmoid": (A.sigmoid, lambda h: h * (1 - h)),
}


class TwoLayerMLP(Module):
    r"""A one-hidden-layer network with a hand-written backward pass.

    Equivalent to ``torch.nn.Sequential(Linear(in, hidden), act, Linear(hidden, out))``,
    with the same parameters in the same order (``weight1, bias1, weight2, bias2``) and the
    same initialisation (the two ``Linear`` layers drawn one after the other from ``rng``).

    Parameters
    ----------
    in_features, hidden_features, out_features : int
    activation : {"relu", "tanh", "sigmoid"}, default "relu"
    bias : bool, default True
        Whether both layers learn a bias.
    rng : numpy.random.Generator, int or None

    Notes
    -----
    Forward, for a batch :math:`X` of shape ``(N, in)``:

    .. math::
        Z = X W_1^\top + b_1, \quad H = g(Z), \quad Y = H W_2^\top + b_2 .

    Backward, given :math:`G = \partial L/\partial Y` of shape ``(N, out)``:

    .. math::
        \frac{\partial L}{\partial W_2} = G^\top H,\;
        \frac{\partial L}{\partial b_2} = \textstyle\sum_n G_n,\;
        \Delta = (G W_2) \odot g'(Z),\;
        \frac{\partial L}{\partial W_1} = \Delta^\top X,\;
        \frac{\partial L}{\partial b_1} = \textstyle\sum_n \Delta_n,\;
        \frac{\partial L}{\partial X} = \Delta W_1 .

    Examples
    --------
    >>> net = TwoLayerMLP(3, 5, 2, rng=0)
    >>> [p.shape for p in net.parameters()]
    [(5, 3), (5,), (2, 5), (2,)]
    >>> y = net(np.ones((4, 3)))
    >>> net.backward(np.ones_like(y)).shape
    (4, 3)
    """

    def __init__(self, in_features: int, hidden_features: int, out_features: int,
                 activation: str = "relu", bias: bool = True, rng=None):
        super().__init__()
        self.activation = check_choice("activation", activation, tuple(_ACTIVATIONS))
        gen = as_generator(rng)
        first = Linear(in_features, hidden_features, bias, rng=gen)
        second = Linear(hidden_features, out_features, bias, rng=gen)
        self.in_features, self.hidden_features = first.in_features, first.out_features
        self.out_features = second.out_features
        self.weight1, self.bias1 = first.weight, first.bias
        self.weight2, self.bias2 = second.weight, second.bias

    def forward(self, x):
        x = as_array("input", x, dtype=np.float64)
        check_shape("input", x, (None, self.in_features), layer=self._name())
        g, _ = _ACTIVATIONS[self.activation]
        z = x @ self.weight1.data.T
        if self.bias1 is not None:
            z += self.bias1.data
        h = g(z)
        y = h @ self.weight2.data.T
        if self.bias2 is not None:
            y += self.bias2.data
        self._save(x=x, h=h)
        return y

    def backward(self, grad_out):
        x, h = self._saved("x", "h")
        G = as_array("grad_out", grad_out, dtype=np.float64)
        check_shape("grad_out", G, (len(x), self.out_features), layer=self._name())
        _, g_prime = _ACTIVATIONS[self.activation]
        self.weight2.accumulate(G.T @ h)
        if self.bias2 is not None:
            self.bias2.accumulate(G.sum(axis=0))
        delta = (G @ self.weight2.data) * g_prime(h)
        self.weight1.accumulate(delta.T @ x)
        if self.bias1 is not None:
            self.bias1.accumulate(delta.sum(axis=0))
        return delta @ self.weight1.data

    def _name(self) -> str:
        return f"TwoLayerMLP({self.in_features}, {self.hidden_features}, {self.out_features})"

    def extra_repr(self) -> str:
        return (f"{self.in_features}, {self.hidden_features}, {self.out_features}, "
                f"activation={self.activation!r}, bias={self.bias1 is not None}")


def merge_linear(first: Linear, second: Linear) -> Linear:
    r"""The single ``Linear`` equal to ``second(first(x))``.

    .. math::
        W_2 (W_1 x + b_1) + b_2 = (W_2 W_1)\,x + (W_2 b_1 + b_2)

    so the merged layer has weight :math:`W_2 W_1` of shape ``(out2, in1)`` and bias
    :math:`W_2 b_1 + b_2` (no bias if neither layer has one).

    Examples
    --------
    >>> a, b = Linear(3, 4, rng=0), Linear(4, 2, rng=1)
    >>> x = np.ones((5, 3))
    >>> np.allclose(merge_linear(a, b)(x), b(a(x)))
    True
    """
    for name, layer in (("first", first), ("second", second)):
        if not isinstance(layer, Linear):
            raise TypeError(f"{name} must be a dlcore Linear, got {type(layer).__name__}")
    if first.out_features != second.in_features:
        raise ValueError(f"first has out_features={first.out_features} but second has "
                         f"in_features={second.in_features}; they cannot be stacked")
    has_bias = first.bias is not None or second.bias is not None
    merged = Linear(first.in_features, second.out_features, bias=has_bias, rng=0)
    merged.weight.data[...] = second.weight.data @ first.weight.data
    if has_bias:
        b1 = np.zeros(first.out_features) if first.bias is None else first.bias.data
        b2 = np.zeros(second.out_features) if second.bias is None else second.bias.data
        merged.bias.data[...] = second.weight.data @ b1 + b2
    return merged


def xor_relu_network() -> Sequential:
    r"""A hand-set 2-2-1 ReLU network that outputs XOR of binary inputs exactly:
    :math:`y = \mathrm{relu}(x_1 + x_2) - 2\,\mathrm{relu}(x_1 + x_2 - 1)`.

    Examples
    --------
    >>> from dlcore.book.data import truth_table
    >>> X, y = truth_table("XOR")
    >>> xor_relu_network()(X).ravel()
    array([0., 1., 1., 0.])
    """
    hidden, out = Linear(2, 2, rng=0), Linear(2, 1, rng=0)
    hidden.weight.data[...] = [[1.0, 1.0], [1.0, 1.0]]
    hidden.bias.data[...] = [0.0, -1.0]
    out.weight.data[...] = [[1.0, -2.0]]
    out.bias.data[...] = [0.0]
    return Sequential(hidden, ReLU(), out)


def count_parameters(module: Module) -> int:
    """Number of trainable scalars, :math:`\\sum_p \\mathrm{size}(p)`.

    Examples
    --------
    >>> count_parameters(Linear(200, 512, rng=0))
    102912
    """
    if not isinstance(module, Module):
        raise TypeError(f"module must be a dlcore Module, got {type(module).__name__}")
    return int(sum(p.data.size for p in module.parameters()))


def _flat_setter(params):
    """A function writing one flat vector back into ``params`` (in order, each reshaped)."""
    cuts = np.cumsum([p.data.size for p in params])[:-1]

    def set_flat(theta):
        for p, chunk in zip(params, np.split(theta, cuts)):
            p.data[...] = chunk.reshape(p.data.shape)

    return set_flat


def fit_lbfgs(model: Module, loss_fn, X, y, maxiter: int = 1000, tol: float = 1e-12):
    """Minimise ``loss_fn(model(X), y)`` over all of ``model``'s parameters with full-batch
    L-BFGS (SciPy), using the model's own backward pass for the gradient.

    Small networks fitted this way reach the optimum that SGD would approach only slowly,
    which is what a universal-approximation experiment needs. The parameters are updated in
    place; returns SciPy's ``OptimizeResult`` (``fun`` is the final loss, ``nit`` the
    number of iterations).

    Examples
    --------
    >>> from dlcore.nn.loss import MSELoss
    >>> x = np.linspace(-1, 1, 20)[:, None]
    >>> net = TwoLayerMLP(1, 4, 1, activation="tanh", rng=0)
    >>> bool(fit_lbfgs(net, MSELoss(), x, x ** 2, maxiter=500).fun < 1e-4)
    True
    """
    from scipy.optimize import minimize  # lazy: SciPy is not needed at import time

    maxiter = check_int("maxiter", maxiter, minimum=1)
    params = model.parameters()
    set_flat = _flat_setter(params)

    def loss_and_grad(theta):
        set_flat(theta)
        model.zero_grad()
        loss = loss_fn(model(X), y)
        model.backward(loss_fn.backward())
        return loss, np.concatenate([p.grad.ravel() for p in params])

    theta0 = np.concatenate([p.data.ravel() for p in params])
    with single_threaded_blas():  # L-BFGS-B's BLAS calls are on short vectors
        result = minimize(loss_and_grad, theta0, jac=True, method="L-BFGS-B", tol=tol,
                          options={"maxiter": maxiter})
    set_flat(result.x)
    return result


def output_jacobian(model: "TwoLayerMLP", X) -> np.ndarray:
    r"""Jacobian of a one-output :class:`TwoLayerMLP`'s outputs with respect to its parameters.

    Row :math:`i` is the gradient of :math:`\hat y_i` alone: the backward pass of
    :meth:`TwoLayerMLP.backward` run with the upstream gradient :math:`e_i`, one example at
    a time. With :math:`h_i = g(z_i)` and :math:`\delta_i = w_2 \odot g'(z_i)`, the columns
    are, in ``parameters()`` order, :math:`\partial\hat y_i/\partial W_1 = \delta_i x_i^\top`,
    :math:`\partial\hat y_i/\partial b_1 = \delta_i`, :math:`\partial\hat y_i/\partial W_2 =
    h_i^\top` and :math:`\partial\hat y_i/\partial b_2 = 1`. Shapes: ``X`` (N, in_features),
    result (N, number of parameters). :math:`J^\top r` is the gradient of
    :math:`\tfrac12\lVert r\rVert^2`, which the tests check against ``backward``.

    Examples
    --------
    >>> net = TwoLayerMLP(1, 3, 1, rng=0)
    >>> output_jacobian(net, np.zeros((2, 1))).shape
    (2, 10)
    """
    if not isinstance(model, TwoLayerMLP) or model.weight2.data.shape[0] != 1:
        raise ValueError("output_jacobian model must be a TwoLayerMLP with one output, got "
                         f"{type(model).__name__}")
    x = as_array("X", X)
    g, g_prime = _ACTIVATIONS[model.activation]
    z = x @ model.weight1.data.T
    if model.bias1 is not None:
        z = z + model.bias1.data
    h = g(z)
    delta = model.weight2.data[0] * g_prime(h)                       # (N, hidden)
    blocks = [(delta[:, :, None] * x[:, None, :]).reshape(len(x), delta.shape[1] * x.shape[1])]
    if model.bias1 is not None:
        blocks.append(delta)
    blocks.append(h)
    if model.bias2 is not None:
        blocks.append(np.ones((len(x), 1), dtype=h.dtype))
    return np.concatenate(blocks, axis=1)


def fit_least_squares(model: "TwoLayerMLP", X, y, max_nfev: int = 200):
    r"""Minimise :math:`\sum_i (\hat y_i - y_i)^2` over a one-output :class:`TwoLayerMLP`'s
    parameters with Levenberg–Marquardt (SciPy's ``least_squares(method="lm")``).

    Levenberg–Marquardt uses the whole Jacobian (:func:`output_jacobian`), not only the
    gradient, so on a small network it reaches in a few hundred steps what L-BFGS reaches in
    thousands. It finds *a* stationary point, which may be a poor local minimum. Parameters
    are updated in place; returns SciPy's ``OptimizeResult`` (``nfev`` evaluations, ``fun``
    the final residuals).

    Examples
    --------
    >>> x = np.linspace(-1, 1, 20)[:, None]
    >>> net = TwoLayerMLP(1, 4, 1, activation="tanh", rng=0)
    >>> bool(np.abs(fit_least_squares(net, x, x ** 2, max_nfev=100).fun).max() < 1e-3)
    True
    """
    from scipy.optimize import least_squares  # lazy: SciPy is not needed at import time

    max_nfev = check_int("max_nfev", max_nfev, minimum=1)
    x, target = as_array("X", X), as_array("y", y).reshape(-1)
    output_jacobian(model, x[:0])  # validates the model
    params = model.parameters()
    set_flat = _flat_setter(params)

    def residuals(theta):
        set_flat(theta)
        return model(x)[:, 0] - target

    def jacobian(theta):
        set_flat(theta)
        return output_jacobian(model, x)

    theta0 = np.concatenate([p.data.ravel() for p in params])
    with single_threaded_blas():
        result = least_squares(residuals, theta0, jac=jacobian, method="lm", xtol=1e-15,
                               ftol=1e-15, gtol=1e-15, max_nfev=max_nfev)
    set_flat(result.x)
    return result
