r"""Recurrent layers: ``RNNCell``, ``LSTMCell``, ``GRUCell``, ``RNN``, ``LSTM``, ``GRU``, and the
time-tied ``LockedDropout``, with backpropagation through time written out by hand.

One direction of one layer is a *scan*: the same weights applied at every step,
:math:`s_t = \text{cell}(x_t, s_{t-1})`. Its forward pass keeps every step's state and gate
values; its backward pass walks the steps in reverse, carrying :math:`\partial L/\partial s_t`
from step to step (the *recurrent* gradient), adding the gradient that arrives from step
:math:`t`'s output, and turning it into the gradient of the step's pre-activations. The weight
gradients are then sums over steps of per-step outer products, computed as one matrix
product each, and the input gradient is one product with :math:`W_{ih}`. What is left at the
start of the scan is :math:`\partial L/\partial s_0`: the layers return it, so a caller that
runs a long sequence chunk by chunk *truncates* BPTT simply by not passing it on.

Equations (PyTorch's, gate order included; :math:`\sigma` is the logistic sigmoid):

- RNN: :math:`h_t = \phi(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})`, :math:`\phi` =
  tanh or ReLU.
- LSTM, gates ``(i, f, g, o)`` stacked in that order in ``weight_ih``/``weight_hh``:
  :math:`[i, f, g, o] = [\sigma, \sigma, \tanh, \sigma](W_{ih} x_t + b_{ih} + W_{hh} h_{t-1}
  + b_{hh})`, :math:`c_t = f \odot c_{t-1} + i \odot g`, :math:`h_t = o \odot \tanh c_t`
  (times ``weight_hr`` when ``proj_size > 0``).
- GRU, blocks ``(r, z, n)``: :math:`r = \sigma(W_{ir} x + b_{ir} + W_{hr} h + b_{hr})`,
  :math:`z = \sigma(W_{iz} x + b_{iz} + W_{hz} h + b_{hz})`,
  :math:`n = \tanh(W_{in} x + b_{in} + r \odot (W_{hn} h + b_{hn}))`,
  :math:`h' = (1 - z) \odot n + z \odot h`: the reset gate multiplies the *result* of the
  hidden matrix product, bias included.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..checks import as_array, check_choice, check_int, check_range
from ..random import as_generator
from .module import Module, Parameter
from .utils.rnn import PackedSequence

__all__ = ["RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU", "LockedDropout", "locked_mask"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _sigmoid(x):
    with np.errstate(over="ignore"):  # exp(-x) = inf for x < -709 gives the correct 0
        return 1.0 / (1.0 + np.exp(-x))


# --------------------------------------------------------------------------------------
# one direction of one layer: forward scan and BPTT
# --------------------------------------------------------------------------------------
def _scan_forward(mode, x, h0, c0, w, batch_sizes=None, reverse=False):
    """Run one cell over ``x`` (T, N, F) from state ``h0`` (N, P) [and ``c0`` (N, H)].

    ``w`` holds ``ih, hh, bih, bhh, hr`` (biases and ``hr`` may be None). ``batch_sizes[t]``
    rows are active at step t (packed input); the others keep their state. Returns the
    outputs (T, N, P), the final state(s) and the cache for :func:`_scan_backward`.
    """
    T, N, _ = x.shape
    Wih, Whh, bih, bhh, Whr = w["ih"], w["hh"], w["bih"], w["bhh"], w["hr"]
    H = Whh.shape[0] // _GATES[mode]
    P = Whh.shape[1]
    bs = [N] * T if batch_sizes is None else [int(b) for b in batch_sizes]
    xw = (x.reshape(-1, x.shape[2]) @ Wih.T).reshape(T, N, Wih.shape[0])  # input part, all steps at once
    if bih is not None:
        xw += bih if mode == "GRU" else bih + bhh
    out = np.zeros((T, N, P), dtype=x.dtype)
    hprev = np.empty((T, N, P), dtype=x.dtype)
    cache = dict(mode=mode, x=x, hprev=hprev, out=out, bs=bs, reverse=reverse)
    if mode == "LSTM":
        acts = np.zeros((T, N, 4 * H), dtype=x.dtype)
        cprev = np.empty((T, N, H), dtype=x.dtype)
        tanh_c = np.zeros((T, N, H), dtype=x.dtype)
        hraw = np.zeros((T, N, H), dtype=x.dtype) if Whr is not None else None
        cache.update(acts=acts, cprev=cprev, tanh_c=tanh_c, hraw=hraw)
        c = c0
    elif mode == "GRU":
        acts = np.zeros((T, N, 3 * H), dtype=x.dtype)
        ghn = np.zeros((T, N, H), dtype=x.dtype)
        cache.update(acts=acts, ghn=ghn)
    h = h0
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        b = bs[t]
        hprev[t] = h
        hb = h[:b]
        if mode == "LSTM":
            cprev[t] = c
            a = xw[t, :b] + hb @ Whh.T
            act = acts[t, :b]
            act[:, :2 * H] = _sigmoid(a[:, :2 * H])
            act[:, 2 * H:3 * H] = np.tanh(a[:, 2 * H:3 * H])
            act[:, 3 * H:] = _sigmoid(a[:, 3 * H:])
            i, f, g, o = act[:, :H], act[:, H:2 * H], act[:, 2 * H:3 * H], act[:, 3 * H:]
            cn = f * c[:b] + i * g
            tanh_c[t, :b] = np.tanh(cn)
            hn = o * tanh_c[t, :b]
            if Whr is not None:
                hraw[t, :b] = hn
                hn = hn @ Whr.T
            c = cn if b == N else np.concatenate([cn, c[b:]])
        elif mode == "GRU":
            gh = hb @ Whh.T
            if bhh is not None:
                gh += bhh
            act = acts[t, :b]
            act[:, :2 * H] = _sigmoid(xw[t, :b, :2 * H] + gh[:, :2 * H])
            r, z = act[:, :H], act[:, H:2 * H]
            ghn[t, :b] = gh[:, 2 * H:]
            act[:, 2 * H:] = np.tanh(xw[t, :b, 2 * H:] + r * gh[:, 2 * H:])
            n = act[:, 2 * H:]
            hn = n + z * (hb - n)
        else:
            a = xw[t, :b] + hb @ Whh.T
            hn = np.tanh(a) if mode == "RNN_TANH" else np.maximum(a, 0.0)
        out[t, :b] = hn
        h = out[t] if b == N else np.concatenate([hn, h[b:]])
    if mode == "LSTM":
        return out, h, c, cache
    return out, h, None, cache


def _scan_backward(cache, w, gout, gh_T, gc_T=None):
    """BPTT through one scan. ``gout`` (T, N, P) or None is the gradient arriving at each
    step's output, ``gh_T`` (N, P) or None [and ``gc_T``] the gradient of the final state.
    Returns ``gx`` (T, N, F), the gradient of the initial state(s) and the weight gradients.
    """
    mode, x, hprev, out, bs = (cache[k] for k in ("mode", "x", "hprev", "out", "bs"))
    T, N, P = out.shape
    Wih, Whh, Whr = w["ih"], w["hh"], w["hr"]
    H = Whh.shape[0] // _GATES[mode]
    dt = x.dtype
    dh = np.zeros((N, P), dtype=dt) if gh_T is None else np.array(gh_T, dtype=dt)
    dA = np.zeros((T, N, Whh.shape[0]), dtype=dt)  # gradient of the pre-activations
    if mode == "LSTM":
        acts, cprev, tanh_c, hraw = (cache[k] for k in ("acts", "cprev", "tanh_c", "hraw"))
        dc = np.zeros((N, H), dtype=dt) if gc_T is None else np.array(gc_T, dtype=dt)
        dHp = np.zeros((T, N, P), dtype=dt) if Whr is not None else None
    elif mode == "GRU":
        acts, ghn = cache["acts"], cache["ghn"]
        dAh = np.zeros_like(dA)  # the hidden-side pre-activations differ in the n block
    steps = range(T) if cache["reverse"] else range(T - 1, -1, -1)
    for t in steps:
        b = bs[t]
        dhb = dh[:b] if gout is None else dh[:b] + gout[t, :b]
        if mode == "LSTM":
            act = acts[t, :b]
            i, f, g, o = act[:, :H], act[:, H:2 * H], act[:, 2 * H:3 * H], act[:, 3 * H:]
            tc = tanh_c[t, :b]
            if Whr is not None:
                dHp[t, :b] = dhb
                dhb = dhb @ Whr
            dcb = dc[:b] + dhb * o * (1.0 - tc * tc)
            da = dA[t, :b]
            da[:, :H] = dcb * g * i * (1.0 - i)                       # input gate
            da[:, H:2 * H] = dcb * cprev[t, :b] * f * (1.0 - f)       # forget gate
            da[:, 2 * H:3 * H] = dcb * i * (1.0 - g * g)              # cell candidate
            da[:, 3 * H:] = dhb * tc * o * (1.0 - o)                  # output gate
            dh_b = da @ Whh
            dc_b = dcb * f                      # the additive path: one product with f_t
            dc = dc_b if b == N else np.concatenate([dc_b, dc[b:]])
        elif mode == "GRU":
            act = acts[t, :b]
            r, z, n = act[:, :H], act[:, H:2 * H], act[:, 2 * H:]
            dan = dhb * (1.0 - z) * (1.0 - n * n)
            da, dah = dA[t, :b], dAh[t, :b]
            da[:, :H] = dan * ghn[t, :b] * r * (1.0 - r)
            da[:, H:2 * H] = dhb * (hprev[t, :b] - n) * z * (1.0 - z)
            da[:, 2 * H:] = dan
            dah[:, :2 * H] = da[:, :2 * H]
            dah[:, 2 * H:] = dan * r
            dh_b = dhb * z + dah @ Whh
        else:
            hn = out[t, :b]
            da = dA[t, :b]
            da[...] = dhb * (1.0 - hn * hn) if mode == "RNN_TANH" else dhb * (hn > 0)
            dh_b = da @ Whh
        dh = dh_b if b == N else np.concatenate([dh_b, dh[b:]])
    flat = lambda a: a.reshape(-1, a.shape[-1])  # noqa: E731
    dAh = dAh if mode == "GRU" else dA
    grads = {"ih": flat(dA).T @ flat(x), "hh": flat(dAh).T @ flat(hprev)}
    if w["bih"] is not None:
        grads["bih"] = flat(dA).sum(0)
        grads["bhh"] = flat(dAh).sum(0)
    if mode == "LSTM" and Whr is not None:
        grads["hr"] = flat(dHp).T @ flat(hraw)
    gx = (flat(dA) @ Wih).reshape(T, N, Wih.shape[1])
    return gx, dh, (dc if mode == "LSTM" else None), grads


# --------------------------------------------------------------------------------------
# cells
# --------------------------------------------------------------------------------------
class _CellBase(Module):
    _mode = None

    def __init__(self, input_size, hidden_size, bias, gates, rng, dtype):
        super().__init__()
        self.input_size = check_int("input_size", input_size, minimum=1)
        self.hidden_size = check_int("hidden_size", hidden_size, minimum=1)
        self.bias = bool(bias)
        gen = as_generator(rng)
        k = 1.0 / math.sqrt(self.hidden_size)
        G, H = gates, self.hidden_size
        self.weight_ih = Parameter(gen.uniform(-k, k, (G * H, self.input_size)).astype(dtype))
        self.weight_hh = Parameter(gen.uniform(-k, k, (G * H, H)).astype(dtype))
        if self.bias:
            self.bias_ih = Parameter(gen.uniform(-k, k, G * H).astype(dtype))
            self.bias_hh = Parameter(gen.uniform(-k, k, G * H).astype(dtype))
        else:
            self.bias_ih = self.bias_hh = None
        self._stack = []

    def _weights(self):
        return {"ih": self.weight_ih.data, "hh": self.weight_hh.data,
                "bih": None if self.bias_ih is None else self.bias_ih.data,
                "bhh": None if self.bias_hh is None else self.bias_hh.data, "hr": None}

    def _state(self, name, value, batch, unbatched, size, dtype):
        want = (size,) if unbatched else (batch, size)
        if value is None:
            return np.zeros((batch, size), dtype=dtype)
        arr = as_array(name, value, dtype=dtype)
        if arr.shape != want:
            layout = "(hidden_size,) for unbatched input" if unbatched else "(N, hidden_size)"
            raise ValueError(f"{type(self).__name__} {name} has shape {arr.shape}, expected "
                             f"{layout} = {want} for input of batch size {batch}")
        return arr.reshape(batch, size)

    def _run(self, input, states):
        dtype = self.weight_ih.data.dtype
        x = as_array("input", input, dtype=dtype)
        name = type(self).__name__
        if x.ndim not in (1, 2):
            raise ValueError(f"{name} input must be 1-D (input_size,) or 2-D (N, input_size), "
                             f"got shape {x.shape}")
        if x.shape[-1] != self.input_size:
            raise ValueError(f"{name} input has shape {x.shape}, expected "
                             f"({'' if x.ndim == 1 else 'N, '}{self.input_size})")
        unbatched = x.ndim == 1
        x2 = x.reshape(1, -1) if unbatched else x
        N = x2.shape[0]
        s = [self._state(n, v, N, unbatched, self.hidden_size, dtype) for n, v in states]
        out, h, c, cache = _scan_forward(self._mode, x2[None], s[0],
                                         s[1] if len(s) > 1 else None, self._weights())
        self._stack.append((cache, unbatched))
        shape = (self.hidden_size,) if unbatched else (N, self.hidden_size)
        return h.reshape(shape), (None if c is None else c.reshape(shape))

    def _back(self, grad_h, grad_c):
        if not self._stack:
            raise RuntimeError(f"{type(self).__name__}.backward called more often than forward")
        cache, unbatched = self._stack.pop()
        N = cache["x"].shape[1]
        dtype = self.weight_ih.data.dtype
        shape = (self.hidden_size,) if unbatched else (N, self.hidden_size)

        def grad(name, g):
            if g is None:
                return None
            g = np.asarray(g, dtype=dtype)
            if g.shape != shape:
                raise ValueError(f"{type(self).__name__} {name} has shape {g.shape}, expected "
                                 f"{shape}")
            return g.reshape(N, self.hidden_size)

        gx, gh, gc, grads = _scan_backward(cache, self._weights(), None, grad("grad_h", grad_h),
                                           grad("grad_c", grad_c))
        self.weight_ih.accumulate(grads["ih"])
        self.weight_hh.accumulate(grads["hh"])
        if self.bias_ih is not None:
            self.bias_ih.accumulate(grads["bih"])
            self.bias_hh.accumulate(grads["bhh"])
        gx = gx[0].reshape(-1) if unbatched else gx[0]
        return gx, gh.reshape(shape), (None if gc is None else gc.reshape(shape))

    def clear(self) -> None:
        """Forget the cached forward steps (they pile up while no backward consumes them)."""
        self._stack.clear()

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s


_CELL_NOTES = r"""
    Parameters are ``weight_ih`` ``(G*hidden_size, input_size)``, ``weight_hh``
    ``(G*hidden_size, hidden_size)``, ``bias_ih`` and ``bias_hh`` ``(G*hidden_size,)``, all
    drawn from :math:`U(-1/\sqrt{h}, 1/\sqrt{h})` with ``rng``, as PyTorch does.
    Each ``forward`` pushes its cache on a stack and each ``backward`` pops the latest one,
    so a cell used in a loop over time is backpropagated by calling ``backward`` once per
    step in reverse order (BPTT by hand); ``clear()`` drops unused caches.
"""


class RNNCell(_CellBase):
    r"""One Elman step :math:`h' = \phi(W_{ih} x + b_{ih} + W_{hh} h + b_{hh})`, as
    ``torch.nn.RNNCell`` (G = 1).

    Parameters
    ----------
    input_size, hidden_size : int
    bias : bool, default True
    nonlinearity : {'tanh', 'relu'}
    rng : numpy.random.Generator, int or None
    dtype : numpy dtype, default float64

    Notes
    -----
    Shapes: input ``(N, input_size)`` or ``(input_size,)``; ``hx`` and the output
    ``(N, hidden_size)`` or ``(hidden_size,)``; ``hx=None`` means zeros.
    Backward: :math:`\delta = g \odot \phi'(a)`, :math:`\partial L/\partial x = \delta W_{ih}`,
    :math:`\partial L/\partial h = \delta W_{hh}`, :math:`\partial L/\partial W_{ih} =
    \delta^\top x`, :math:`\partial L/\partial W_{hh} = \delta^\top h`, bias gradients
    :math:`\sum_n \delta_n`.
    """ + _CELL_NOTES + r"""
    Examples
    --------
    >>> cell = RNNCell(3, 2, rng=0)
    >>> h = cell(np.ones((4, 3)))
    >>> gx, gh = cell.backward(np.ones_like(h))
    >>> gx.shape, gh.shape, cell.weight_hh.grad.shape
    ((4, 3), (4, 2), (2, 2))
    """

    _mode = "RNN_TANH"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", rng=None, dtype=np.float64):
        check_choice("nonlinearity", nonlinearity, ("tanh", "relu"))
        super().__init__(input_size, hidden_size, bias, 1, rng, dtype)
        self.nonlinearity = nonlinearity
        self._mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"

    def forward(self, input, hx=None):
        return self._run(input, [("hx", hx)])[0]

    def backward(self, grad_h):
        """Returns ``(grad_input, grad_hx)`` for the latest forward not yet backpropagated."""
        gx, gh, _ = self._back(grad_h, None)
        return gx, gh


class GRUCell(_CellBase):
    r"""One GRU step, as ``torch.nn.GRUCell`` (G = 3, blocks ``r, z, n``).

    Parameters
    ----------
    input_size, hidden_size : int
    bias : bool, default True
    rng : numpy.random.Generator, int or None
    dtype : numpy dtype, default float64

    Notes
    -----
    :math:`r = \sigma(W_{ir} x + b_{ir} + W_{hr} h + b_{hr})`,
    :math:`z = \sigma(W_{iz} x + b_{iz} + W_{hz} h + b_{hz})`,
    :math:`n = \tanh(W_{in} x + b_{in} + r \odot (W_{hn} h + b_{hn}))`,
    :math:`h' = (1 - z) \odot n + z \odot h`. Shapes as :class:`RNNCell`.
    """ + _CELL_NOTES + r"""
    Examples
    --------
    >>> cell = GRUCell(3, 2, rng=0)
    >>> h = cell(np.ones(3), np.zeros(2))      # unbatched
    >>> [g.shape for g in cell.backward(np.ones(2))]
    [(3,), (2,)]
    """

    _mode = "GRU"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, rng=None,
                 dtype=np.float64):
        super().__init__(input_size, hidden_size, bias, 3, rng, dtype)

    def forward(self, input, hx=None):
        return self._run(input, [("hx", hx)])[0]

    def backward(self, grad_h):
        """Returns ``(grad_input, grad_hx)`` for the latest forward not yet backpropagated."""
        gx, gh, _ = self._back(grad_h, None)
        return gx, gh


class LSTMCell(_CellBase):
    r"""One LSTM step, as ``torch.nn.LSTMCell`` (G = 4, gates ``i, f, g, o``).

    Parameters
    ----------
    input_size, hidden_size : int
    bias : bool, default True
    rng : numpy.random.Generator, int or None
    dtype : numpy dtype, default float64

    Notes
    -----
    :math:`c' = f \odot c + i \odot g`, :math:`h' = o \odot \tanh c'`. ``forward(input,
    hx=None)`` takes ``hx = (h, c)`` and returns ``(h', c')``; ``backward(grad_h,
    grad_c=None)`` (or ``backward((grad_h, grad_c))``) returns ``(grad_input, (grad_h,
    grad_c))``. Backward: :math:`\bar c = \partial L/\partial c' + \partial L/\partial h'
    \odot o \odot (1 - \tanh^2 c')`, and the cell-state gradient passed back is
    :math:`\bar c \odot f`: along that path only the forget gate multiplies it.
    """ + _CELL_NOTES + r"""
    Examples
    --------
    >>> cell = LSTMCell(3, 2, rng=0)
    >>> h, c = cell(np.ones((4, 3)))
    >>> gx, (gh, gc) = cell.backward(np.ones_like(h), np.zeros_like(c))
    >>> gx.shape, gc.shape, cell.weight_ih.shape
    ((4, 3), (4, 2), (8, 3))
    """

    _mode = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, rng=None,
                 dtype=np.float64):
        super().__init__(input_size, hidden_size, bias, 4, rng, dtype)

    def forward(self, input, hx=None):
        if hx is None:
            hx = (None, None)
        elif not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise TypeError("LSTMCell hx must be a tuple (h_0, c_0) or None, got "
                            f"{type(hx).__name__}")
        return self._run(input, [("hx[0] (h_0)", hx[0]), ("hx[1] (c_0)", hx[1])])

    def backward(self, grad_h, grad_c=None):
        """Returns ``(grad_input, (grad_h0, grad_c0))`` for the latest forward step."""
        if isinstance(grad_h, (tuple, list)):
            grad_h, grad_c = grad_h
        gx, gh, gc = self._back(grad_h, grad_c)
        return gx, (gh, gc)


# --------------------------------------------------------------------------------------
# full layers
# --------------------------------------------------------------------------------------
class _RNNBase(Module):
    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0, rng=None,
                 dtype=np.float64):
        super().__init__()
        name = type(self).__name__
        self.mode = mode
        self.input_size = check_int("input_size", input_size, minimum=1)
        self.hidden_size = check_int("hidden_size", hidden_size, minimum=1)
        self.num_layers = check_int("num_layers", num_layers, minimum=1)
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = check_range("dropout", dropout, 0.0, 1.0)
        self.bidirectional = bool(bidirectional)
        self.proj_size = check_int("proj_size", proj_size, minimum=0)
        if self.proj_size and mode != "LSTM":
            raise ValueError(f"proj_size argument is only supported for LSTM, not {name}")
        if self.proj_size >= self.hidden_size:
            raise ValueError(f"proj_size has to be smaller than hidden_size, got proj_size="
                             f"{self.proj_size} and hidden_size={self.hidden_size}")
        if self.dropout > 0 and self.num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", UserWarning,
                          stacklevel=3)
        self.generator = as_generator(rng)
        G, H = _GATES[mode], self.hidden_size
        P = self.proj_size or H
        D = 2 if self.bidirectional else 1
        k = 1.0 / math.sqrt(H)
        names = []
        for layer in range(self.num_layers):
            fan_in = self.input_size if layer == 0 else P * D
            for suffix in ("", "_reverse")[:D]:
                shapes = [("weight_ih", (G * H, fan_in)), ("weight_hh", (G * H, P))]
                if self.bias:
                    shapes += [("bias_ih", (G * H,)), ("bias_hh", (G * H,))]
                if self.proj_size:
                    shapes += [("weight_hr", (P, H))]
                for base, shape in shapes:
                    pname = f"{base}_l{layer}{suffix}"
                    setattr(self, pname, Parameter(
                        self.generator.uniform(-k, k, shape).astype(dtype)))
                    names.append(pname)
        self._flat_weights_names = names

    # -- helpers --------------------------------------------------------------------------
    @property
    def all_weights(self) -> list:
        """The parameters grouped per layer and direction, as PyTorch's ``all_weights``."""
        per = len(self._flat_weights_names) // (self.num_layers * (1 + self.bidirectional))
        ps = [getattr(self, n) for n in self._flat_weights_names]
        return [ps[i:i + per] for i in range(0, len(ps), per)]

    def _weights(self, layer, direction):
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        get = lambda base: (getattr(self, base + suffix).data  # noqa: E731
                            if hasattr(self, base + suffix) else None)
        return {"ih": get("weight_ih"), "hh": get("weight_hh"), "bih": get("bias_ih"),
                "bhh": get("bias_hh"), "hr": get("weight_hr")}

    def _params(self, layer, direction):
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        return {k: getattr(self, base + suffix) for k, base in
                (("ih", "weight_ih"), ("hh", "weight_hh"), ("bih", "bias_ih"),
                 ("bhh", "bias_hh"), ("hr", "weight_hr")) if hasattr(self, base + suffix)}

    def _dtype(self):
        return self.weight_ih_l0.data.dtype

    def _check_state(self, name, value, batch, size, unbatched):
        LD = self.num_layers * (2 if self.bidirectional else 1)
        want = (LD, size) if unbatched else (LD, batch, size)
        dtype = self._dtype()
        if value is None:
            return np.zeros((LD, batch, size), dtype=dtype)
        arr = as_array(name, value, dtype=dtype)
        if arr.shape != want:
            which = "proj_size" if (size == self.proj_size and self.proj_size) else "hidden_size"
            layout = (f"(num_layers * num_directions, {which})" if unbatched
                      else f"(num_layers * num_directions, N, {which})")
            extra = " for unbatched 2-D input" if unbatched else f" (N = {batch})"
            raise ValueError(f"{type(self).__name__} {name} has shape {arr.shape}, expected "
                             f"{layout} = {want}{extra}; hidden states are never batch-first")
        return arr.reshape(LD, batch, size)

    def _prepare_input(self, input):
        """Return the time-major padded input (T, N, F), batch sizes and layout info."""
        name = type(self).__name__
        dtype = self._dtype()
        if isinstance(input, PackedSequence):
            data = as_array("input.data", input.data, dtype=dtype)
            if data.ndim != 2 or data.shape[1] != self.input_size:
                raise ValueError(f"{name} PackedSequence data has shape {data.shape}, expected "
                                 f"(sum of lengths, {self.input_size})")
            bs = np.asarray(input.batch_sizes, dtype=np.int64)
            T, N = len(bs), int(bs[0]) if len(bs) else 0
            x = np.zeros((T, N, self.input_size), dtype=dtype)
            start = 0
            for t, b in enumerate(bs):
                x[t, :b] = data[start:start + b]
                start += b
            return x, bs, dict(packed=input, unbatched=False)
        x = as_array("input", input, dtype=dtype)
        if x.ndim not in (2, 3):
            raise ValueError(f"{name} input must be 2-D (unbatched) or 3-D, got shape {x.shape}")
        if x.shape[-1] != self.input_size:
            layout = "(T, input_size)" if x.ndim == 2 else (
                "(N, T, input_size)" if self.batch_first else "(T, N, input_size)")
            raise ValueError(f"{name} input has shape {x.shape}, expected {layout} with "
                             f"input_size = {self.input_size}, got last dimension {x.shape[-1]}")
        unbatched = x.ndim == 2
        steps = x.shape[1] if (self.batch_first and not unbatched) else x.shape[0]
        if steps == 0:
            raise ValueError(f"{name} input has shape {x.shape}: the sequence length must be "
                             "at least 1")
        if unbatched:
            x = x[:, None]
        elif self.batch_first:
            x = np.swapaxes(x, 0, 1)
        return x, None, dict(packed=None, unbatched=unbatched)

    # -- forward and backward ------------------------------------------------------------
    def _forward(self, input, h0, c0):
        x, bs, info = self._prepare_input(input)
        T, N, _ = x.shape
        H = self.hidden_size
        P = self.proj_size or H
        D = 2 if self.bidirectional else 1
        un = info["unbatched"]
        h0 = self._check_state("hx" if c0 is False else "hx[0] (h_0)", h0, N, P, un)
        c0 = None if c0 is False else self._check_state("hx[1] (c_0)", c0, N, H, un)
        packed = info["packed"]
        if packed is not None and packed.sorted_indices is not None:
            h0 = h0[:, packed.sorted_indices]
            c0 = None if c0 is None else c0[:, packed.sorted_indices]
        caches, masks, hn, cn = [], [], [], []
        inp = x
        for layer in range(self.num_layers):
            outs = []
            for d in range(D):
                k = layer * D + d
                out, h, c, cache = _scan_forward(self.mode, inp, h0[k],
                                                 None if c0 is None else c0[k],
                                                 self._weights(layer, d), bs, reverse=d == 1)
                outs.append(out)
                caches.append(cache)
                hn.append(h)
                cn.append(c)
            inp = outs[0] if D == 1 else np.concatenate(outs, axis=-1)
            mask = None
            if self.training and self.dropout > 0 and layer < self.num_layers - 1:
                keep = self.generator.random(inp.shape) >= self.dropout
                mask = (keep / (1.0 - self.dropout) if self.dropout < 1
                        else np.zeros(inp.shape)).astype(inp.dtype)
                inp = inp * mask
            masks.append(mask)
        self._save(caches=caches, masks=masks, bs=bs, info=info, N=N, T=T)
        c_n = None if c0 is None else np.stack(cn)
        return self._to_caller_layout(inp, np.stack(hn), c_n, info, bs)

    def _backward(self, grad_output, grad_h_n, grad_c_n):
        caches, masks, bs, info, N, T = self._saved("caches", "masks", "bs", "info", "N", "T")
        name = type(self).__name__
        dtype = self._dtype()
        H = self.hidden_size
        P = self.proj_size or H
        D = 2 if self.bidirectional else 1
        LD = self.num_layers * D
        packed, un = info["packed"], info["unbatched"]
        # upstream gradient of the output, to the internal (T, N, D*P) layout
        g = None
        if grad_output is not None:
            if packed is not None:
                gdata = grad_output.data if isinstance(grad_output, PackedSequence) \
                    else grad_output
                gdata = np.asarray(gdata, dtype=dtype)
                want = (int(np.sum(bs)), D * P)
                if gdata.shape != want:
                    raise ValueError(f"{name} grad_output has shape {gdata.shape}, expected "
                                     f"the packed output's shape {want}")
                g = np.zeros((T, N, D * P), dtype=dtype)
                start = 0
                for t, b in enumerate(bs):
                    g[t, :b] = gdata[start:start + b]
                    start += b
            else:
                g = np.asarray(grad_output, dtype=dtype)
                want = ((T, D * P) if un else (N, T, D * P) if self.batch_first
                        else (T, N, D * P))
                if g.shape != want:
                    raise ValueError(f"{name} grad_output has shape {g.shape}, expected the "
                                     f"output's shape {want}")
                g = g[:, None] if un else (np.swapaxes(g, 0, 1) if self.batch_first else g)

        def state_grad(label, value, size):
            if value is None:
                return None
            arr = np.asarray(value, dtype=dtype)
            want = (LD, size) if un else (LD, N, size)
            if arr.shape != want:
                raise ValueError(f"{name} {label} has shape {arr.shape}, expected {want}")
            arr = arr.reshape(LD, N, size)
            if packed is not None and packed.sorted_indices is not None:
                arr = arr[:, packed.sorted_indices]
            return arr

        gh = state_grad("grad_h_n", grad_h_n, P)
        gc = state_grad("grad_c_n", grad_c_n, H) if self.mode == "LSTM" else None
        gh0 = np.zeros((LD, N, P), dtype=dtype)
        gc0 = np.zeros((LD, N, H), dtype=dtype) if self.mode == "LSTM" else None
        for layer in range(self.num_layers - 1, -1, -1):
            g_in = None
            for d in range(D):
                k = layer * D + d
                gout = None if g is None else g[..., d * P:(d + 1) * P]
                gx, dh0, dc0, grads = _scan_backward(
                    caches[k], self._weights(layer, d), gout,
                    None if gh is None else gh[k], None if gc is None else gc[k])
                for key, p in self._params(layer, d).items():
                    p.accumulate(grads[key])
                gh0[k] = dh0
                if gc0 is not None:
                    gc0[k] = dc0
                g_in = gx if g_in is None else g_in + gx
            if layer > 0 and masks[layer - 1] is not None:
                g_in = g_in * masks[layer - 1]
            g = g_in
        return self._to_caller_layout(g, gh0, gc0, info, bs)

    def _to_caller_layout(self, seq, h, c, info, bs):
        """From the internal layout, ``seq`` (T, N, features) and states (L*D, N, size), to
        the caller's: packed (states back in the caller's batch order), unbatched, or
        ``batch_first``. Serves the forward outputs and the backward input gradients alike."""
        packed = info["packed"]
        if packed is not None:
            T = seq.shape[0]
            data = np.concatenate([seq[t, :b] for t, b in enumerate(bs)]) if T else seq[:0, 0]
            seq = PackedSequence(data, packed.batch_sizes, packed.sorted_indices,
                                 packed.unsorted_indices)
            if packed.unsorted_indices is not None:
                h = h[:, packed.unsorted_indices]
                c = None if c is None else c[:, packed.unsorted_indices]
        elif info["unbatched"]:
            seq, h = seq[:, 0], h[:, 0]
            c = None if c is None else c[:, 0]
        elif self.batch_first:
            seq = np.swapaxes(seq, 0, 1)
        return seq, h, c

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout != 0:
            s += f", dropout={self.dropout:g}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


_LAYER_DOC = r"""
    Parameters
    ----------
    input_size, hidden_size : int
    num_layers : int, default 1
        Stacked layers; layer k > 0 reads layer k - 1's output (both directions
        concatenated).
    bias : bool, default True
    batch_first : bool, default False
        Input and output are ``(N, T, *)`` instead of ``(T, N, *)``. The hidden states keep
        the layout ``(num_layers * num_directions, N, H)`` either way.
    dropout : float, default 0.0
        Dropout on the output of every layer except the last (training mode only); nothing
        on the recurrent connections. With ``num_layers=1`` it does nothing and warns.
    bidirectional : bool, default False
    rng : numpy.random.Generator, int or None
        Source of the initial weights and of the dropout masks.
    dtype : numpy dtype, default float64

    Notes
    -----
    Shapes: input ``(T, N, input_size)`` (``(N, T, input_size)`` if ``batch_first``),
    ``(T, input_size)`` unbatched, or a :class:`~dlcore.nn.utils.rnn.PackedSequence`;
    output ``(T, N, D * H_out)`` (packed in, packed out); ``h_n``
    ``(num_layers * D, N, H_out)`` ordered layer 0 forward, layer 0 reverse, layer 1 ...
    Parameters per layer k and direction (suffix ``_reverse``), in PyTorch's order:
    ``weight_ih_l{k}`` ``(G*H, in)``, ``weight_hh_l{k}`` ``(G*H, H_out)``, ``bias_ih_l{k}``,
    ``bias_hh_l{k}`` ``(G*H,)``, all :math:`U(-1/\sqrt{H}, 1/\sqrt{H})` from ``rng``.
    ``backward`` runs BPTT through every layer and direction, accumulates every parameter
    gradient and returns the gradient of the input (same layout as the input) and of the
    initial state, whether ``hx`` was given or defaulted to zeros; dropping the latter at a
    chunk boundary is truncated BPTT.
"""


class RNN(_RNNBase):
    r"""Elman RNN, as ``torch.nn.RNN``: :math:`h_t = \phi(W_{ih} x_t + b_{ih} + W_{hh}
    h_{t-1} + b_{hh})` with :math:`\phi` = ``nonlinearity`` (``'tanh'`` or ``'relu'``), G = 1.
    """ + _LAYER_DOC + r"""
    ``forward(input, hx=None) -> (output, h_n)``;
    ``backward(grad_output, grad_h_n=None) -> (grad_input, grad_hx)``.

    Examples
    --------
    >>> rnn = RNN(3, 5, num_layers=2, rng=0)
    >>> out, h_n = rnn(np.ones((7, 2, 3)))
    >>> out.shape, h_n.shape
    ((7, 2, 5), (2, 2, 5))
    >>> gx, gh0 = rnn.backward(np.ones_like(out))
    >>> gx.shape, gh0.shape
    ((7, 2, 3), (2, 2, 5))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, rng=None,
                 dtype=np.float64):
        check_choice("nonlinearity", nonlinearity, ("tanh", "relu"))
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         0, rng, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        output, h_n, _ = self._forward(input, hx, False)
        return output, h_n

    def backward(self, grad_output, grad_h_n=None):
        gx, gh, _ = self._backward(grad_output, grad_h_n, None)
        return gx, gh


class GRU(_RNNBase):
    r"""Gated recurrent unit, as ``torch.nn.GRU`` (G = 3, blocks ``r, z, n``; the reset gate
    multiplies :math:`W_{hn} h + b_{hn}`, PyTorch's formulation).
    """ + _LAYER_DOC + r"""
    ``forward(input, hx=None) -> (output, h_n)``;
    ``backward(grad_output, grad_h_n=None) -> (grad_input, grad_hx)``.

    Examples
    --------
    >>> gru = GRU(3, 4, bidirectional=True, batch_first=True, rng=0)
    >>> out, h_n = gru(np.ones((2, 6, 3)))
    >>> out.shape, h_n.shape
    ((2, 6, 8), (2, 2, 4))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, rng=None, dtype=np.float64):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, 0, rng, dtype)

    def forward(self, input, hx=None):
        output, h_n, _ = self._forward(input, hx, False)
        return output, h_n

    def backward(self, grad_output, grad_h_n=None):
        gx, gh, _ = self._backward(grad_output, grad_h_n, None)
        return gx, gh


class LSTM(_RNNBase):
    r"""Long short-term memory, as ``torch.nn.LSTM`` (G = 4, gates ``i, f, g, o``).

    With ``proj_size = P > 0`` each layer also has ``weight_hr_l{k}`` ``(P, H)``:
    :math:`h_t = W_{hr}(o_t \odot \tanh c_t)` has size P, ``weight_hh`` becomes ``(4H, P)``,
    the output and ``h_n`` have P (not H) features while ``c_n`` keeps H.
    """ + _LAYER_DOC + r"""
    ``forward(input, hx=None) -> (output, (h_n, c_n))`` with ``hx = (h_0, c_0)``;
    ``backward(grad_output, grad_h_n=None, grad_c_n=None)`` (or with the pair
    ``(grad_h_n, grad_c_n)`` as second argument) ``-> (grad_input, (grad_h_0, grad_c_0))``.

    Examples
    --------
    >>> lstm = LSTM(4, 6, num_layers=2, proj_size=3, rng=0)
    >>> out, (h_n, c_n) = lstm(np.ones((5, 2, 4)))
    >>> out.shape, h_n.shape, c_n.shape
    ((5, 2, 3), (2, 2, 3), (2, 2, 6))
    >>> gx, (gh0, gc0) = lstm.backward(np.ones_like(out))
    >>> gx.shape, gc0.shape
    ((5, 2, 4), (2, 2, 6))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, rng=None, dtype=np.float64):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, rng, dtype)

    def forward(self, input, hx=None):
        if hx is None:
            hx = (None, None)
        elif not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise TypeError("LSTM hx must be a tuple (h_0, c_0) or None, got "
                            f"{type(hx).__name__}")
        output, h_n, c_n = self._forward(input, hx[0], hx[1] if hx[1] is not None else None)
        return output, (h_n, c_n)

    def backward(self, grad_output, grad_h_n=None, grad_c_n=None):
        if isinstance(grad_h_n, (tuple, list)):
            grad_h_n, grad_c_n = grad_h_n
        gx, gh, gc = self._backward(grad_output, grad_h_n, grad_c_n)
        return gx, (gh, gc)


class LockedDropout(Module):
    r"""Time-tied ("variational") dropout: one keep mask per sequence, reused at every step.

    Gal & Ghahramani (2016): in training, :math:`y_{t,n,:} = x_{t,n,:} \odot m_{n,:}/(1-p)`
    with :math:`m_{n,j} \sim \text{Bernoulli}(1-p)` drawn once per forward pass and shared
    by all time steps; eval mode is the identity. No PyTorch counterpart.

    Parameters
    ----------
    p : float in [0, 1)
    batch_first : bool, default False
        Input ``(N, T, *)`` instead of ``(T, N, *)``.
    rng : numpy.random.Generator, int or None

    Notes
    -----
    ``forward(x, keep=None)``: ``keep`` (bool, shape ``(N, *)``) replaces the random mask.
    The mask of the last forward is ``self.mask`` (shape ``(N, *)``, values 0 or 1/(1-p)).
    Backward multiplies by the same mask. :func:`locked_mask` draws such a mask for a hidden
    state inside a cell loop.

    Examples
    --------
    >>> drop = LockedDropout(0.5, rng=0)
    >>> y = drop(np.ones((4, 2, 3)))              # T = 4
    >>> bool(np.all(y == y[0]))                    # the same mask at every step
    True
    """

    def __init__(self, p: float = 0.5, batch_first: bool = False, rng=None):
        super().__init__()
        self.p = check_range("p", p, 0.0, 1.0, high_open=True, what="dropout")
        self.batch_first = bool(batch_first)
        self.generator = as_generator(rng)
        self.mask = None

    def forward(self, x, keep=None):
        x = as_array("input", x, min_ndim=2)
        if not self.training or self.p == 0:
            self.mask = np.ones((), dtype=x.dtype)
            return x
        per_seq = x.shape[:1] + x.shape[2:] if self.batch_first else x.shape[1:]
        if keep is None:
            keep = locked_mask(per_seq, self.p, self.generator, dtype=x.dtype) > 0
        keep = np.asarray(keep, dtype=bool)
        if keep.shape != per_seq:
            raise ValueError(f"keep has shape {keep.shape}, expected one mask per sequence "
                             f"{per_seq} for input of shape {x.shape}")
        self.mask = keep.astype(x.dtype) / (1.0 - self.p)
        return x * (self.mask[:, None] if self.batch_first else self.mask[None])

    def backward(self, grad_out):
        grad_out = np.asarray(grad_out)
        if self.mask is None:
            raise RuntimeError("LockedDropout.backward called before forward")
        if self.mask.ndim == 0:
            return grad_out
        return grad_out * (self.mask[:, None] if self.batch_first else self.mask[None])

    def extra_repr(self) -> str:
        return f"p={self.p:g}"


def locked_mask(shape, p: float, rng=None, dtype=np.float64) -> np.ndarray:
    r"""One inverted-dropout mask of ``shape`` (values 0 or :math:`1/(1-p)`), to be reused at
    every time step of a recurrent loop.

    Examples
    --------
    >>> m = locked_mask((2, 3), 0.5, rng=0)
    >>> sorted(set(m.ravel().tolist())) == [0.0, 2.0] or set(m.ravel().tolist()) <= {0.0, 2.0}
    True
    """
    p = check_range("p", p, 0.0, 1.0, high_open=True, what="dropout")
    keep = as_generator(rng).random(shape) >= p
    return keep.astype(dtype) / (1.0 - p)
