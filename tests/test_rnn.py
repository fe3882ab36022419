"""Recurrent layers and cells against torch.nn in float64 over sequences long enough for BPTT
to matter (T = 25): outputs, final states, input / initial-state / every parameter gradient;
packed input; numerical gradient checks; float32; N = 0; bad input; LockedDropout; the
padding and packing utilities."""

import itertools
import warnings

import numpy as np
import pytest
import torch
from torch.nn.utils import rnn as trnn

import dlcore.nn as nn
from dlcore.gradcheck import check_module_gradients, numerical_gradient, rel_error
from dlcore.nn.utils import rnn as drnn
from parity import close, t

T_LONG = 25


def twin(kind, *args, **kw):
    """A dlcore layer and a torch layer holding the same weights."""
    ours = getattr(nn, kind)(*args, rng=0, **kw)
    theirs = getattr(torch.nn, kind)(*args, **kw)
    ours_named = list(ours.named_parameters())
    theirs_named = list(theirs.named_parameters())
    assert [n for n, _ in ours_named] == [n for n, _ in theirs_named]
    with torch.no_grad():
        for (_, p), (_, q) in zip(ours_named, theirs_named):
            assert p.shape == tuple(q.shape)
            q.copy_(torch.from_numpy(p.data))
    return ours, theirs


def states(kind, out):
    """(output, [states]) for either (output, h) or (output, (h, c))."""
    o, s = out
    return o, (list(s) if isinstance(s, tuple) else [s])


def compare_layer(kind, args, kw, x_shape, give_hx, seed=0, rtol=1e-7, atol=1e-9):
    rng = np.random.default_rng(seed)
    ours, theirs = twin(kind, *args, **kw)
    x = rng.standard_normal(x_shape)
    xt = t(x, grad=True)
    hx = hxt = None
    if give_hx:
        _, s_shape = states(kind, ours(x))
        hx = [rng.standard_normal(s.shape) for s in s_shape]
        hxt = [t(h, grad=True) for h in hx]
        hx = tuple(hx) if kind == "LSTM" else hx[0]
        hxt_arg = tuple(hxt) if kind == "LSTM" else hxt[0]
    out, st = states(kind, ours(x, hx))
    out_t, st_t = states(kind, theirs(xt, hxt_arg if give_hx else None))
    close(out, out_t, rtol, atol)
    for a, b in zip(st, st_t):
        close(a, b, rtol, atol)
    g = rng.standard_normal(out.shape)
    gs = [rng.standard_normal(s.shape) for s in st]
    loss = (out_t * t(g)).sum() + sum((s * t(gg)).sum() for s, gg in zip(st_t, gs))
    loss.backward()
    gx, ghx = ours.backward(g, *gs)
    close(gx, xt.grad, rtol, atol)
    if give_hx:
        for a, b in zip(ghx if kind == "LSTM" else [ghx], hxt):
            close(a, b.grad, rtol, atol)
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        close(p.grad, q.grad, rtol, atol)
    return ours


LAYER_OPTIONS = [
    dict(),
    dict(num_layers=2),
    dict(bidirectional=True),
    dict(num_layers=3, bidirectional=True, batch_first=True),
    dict(bias=False, batch_first=True),
]


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("kw", LAYER_OPTIONS, ids=lambda kw: ",".join(kw) or "default")
@pytest.mark.parametrize("give_hx", [False, True])
def test_layer_matches_torch_with_bptt(kind, kw, give_hx):
    shape = (3, T_LONG, 4) if kw.get("batch_first") else (T_LONG, 3, 4)
    compare_layer(kind, (4, 5), kw, shape, give_hx)


@pytest.mark.parametrize("kw", [dict(nonlinearity="relu"),
                                dict(nonlinearity="relu", num_layers=2, bidirectional=True)])
def test_relu_rnn_matches_torch(kw):
    compare_layer("RNN", (4, 5), kw, (T_LONG, 3, 4), True)


@pytest.mark.parametrize("kw", [dict(proj_size=2), dict(proj_size=3, num_layers=2,
                                                       bidirectional=True, batch_first=True)])
def test_lstm_projection_matches_torch(kw):
    shape = (2, T_LONG, 4) if kw.get("batch_first") else (T_LONG, 2, 4)
    compare_layer("LSTM", (4, 6), kw, shape, True)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("give_hx", [False, True])
def test_unbatched_input_matches_torch(kind, give_hx):
    compare_layer(kind, (4, 5), dict(num_layers=2, bidirectional=True), (T_LONG, 4), give_hx)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_empty_batch(kind):
    ours = compare_layer(kind, (3, 4), dict(num_layers=2), (6, 0, 3), False)
    assert ours.weight_hh_l1.grad.shape == ours.weight_hh_l1.shape
    assert np.all(ours.weight_hh_l1.grad == 0)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_float32_in_float32_out(kind):
    ours = getattr(nn, kind)(3, 4, num_layers=2, rng=0, dtype=np.float32)
    x = np.random.default_rng(0).standard_normal((6, 2, 3)).astype(np.float32)
    out, st = states(kind, ours(x))
    gx, ghx = ours.backward(np.ones_like(out))
    assert out.dtype == np.float32 and all(s.dtype == np.float32 for s in st)
    assert gx.dtype == np.float32 and all(p.grad.dtype == np.float32 for p in ours.parameters())
    ref = getattr(nn, kind)(3, 4, num_layers=2, rng=0)
    close(out, states(kind, ref(x.astype(np.float64)))[0], rtol=1e-5, atol=1e-6)


# -- packed input ----------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("enforce_sorted, lengths", [(True, [9, 6, 6, 2]), (False, [3, 9, 1, 6])])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_packed_sequence_matches_torch(kind, enforce_sorted, lengths, bidirectional):
    rng = np.random.default_rng(3)
    ours, theirs = twin(kind, 3, 4, num_layers=2, bidirectional=bidirectional)
    x = rng.standard_normal((max(lengths), len(lengths), 3))
    xt = t(x, grad=True)
    packed = drnn.pack_padded_sequence(x, lengths, enforce_sorted=enforce_sorted)
    packed_t = trnn.pack_padded_sequence(xt, torch.tensor(lengths), enforce_sorted=enforce_sorted)
    close(packed.data, packed_t.data)
    np.testing.assert_array_equal(packed.batch_sizes, packed_t.batch_sizes.numpy())
    D = 2 if bidirectional else 1
    hx = [rng.standard_normal((2 * D, len(lengths), 4)) for _ in range(2 if kind == "LSTM"
                                                                         else 1)]
    hxt = [t(h, grad=True) for h in hx]
    out, st = states(kind, ours(packed, tuple(hx) if kind == "LSTM" else hx[0]))
    out_t, st_t = states(kind, theirs(packed_t, tuple(hxt) if kind == "LSTM" else hxt[0]))
    assert isinstance(out, drnn.PackedSequence)
    close(out.data, out_t.data)
    for a, b in zip(st, st_t):
        close(a, b)
    g = rng.standard_normal(out.data.shape)
    gs = [rng.standard_normal(s.shape) for s in st]
    ((out_t.data * t(g)).sum() + sum((s * t(gg)).sum() for s, gg in zip(st_t, gs))).backward()
    gx, ghx = ours.backward(out._replace(data=g), *gs)
    padded, _ = drnn.pad_packed_sequence(gx)
    close(padded, xt.grad)
    for a, b in zip(ghx if kind == "LSTM" else [ghx], hxt):
        close(a, b.grad)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        close(p.grad, q.grad)


def test_packed_final_state_is_each_sequences_own_last_step():
    rng = np.random.default_rng(0)
    lstm = nn.LSTM(3, 4, rng=0)
    seqs = [rng.standard_normal((n, 3)) for n in (5, 3, 2)]
    _, (h_n, c_n) = lstm(drnn.pack_sequence(seqs))
    for i, s in enumerate(seqs):
        _, (h, c) = lstm(s)
        close(h_n[:, i], h, rtol=1e-13, atol=1e-15)
        close(c_n[:, i], c, rtol=1e-13, atol=1e-15)


# -- cells -----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("bias", [True, False])
def test_cell_loop_bptt_matches_torch(kind, bias):
    """A cell unrolled by hand over T_LONG steps; backward called once per step, in reverse."""
    rng = np.random.default_rng(1)
    ours, theirs = twin(kind, 3, 5, bias=bias)
    xs = rng.standard_normal((T_LONG, 2, 3))
    lstm = kind == "LSTMCell"
    h0 = [rng.standard_normal((2, 5)) for _ in range(2 if lstm else 1)]
    xst = t(xs, grad=True)
    h0t = [t(h, grad=True) for h in h0]
    s, st = (tuple(h0) if lstm else h0[0]), (tuple(h0t) if lstm else h0t[0])
    outs, outs_t = [], []
    for k in range(T_LONG):
        s, st = ours(xs[k], s), theirs(xst[k], st)
        outs.append(s[0] if lstm else s)
        outs_t.append(st[0] if lstm else st)
    g = rng.standard_normal((T_LONG, 2, 5))
    torch.stack([o * t(gg) for o, gg in zip(outs_t, g)]).sum().backward()
    close(np.stack(outs), torch.stack(outs_t))
    gh = np.zeros((2, 5))
    gc = np.zeros((2, 5))
    gxs = np.zeros_like(xs)
    for k in range(T_LONG - 1, -1, -1):
        if lstm:
            gxs[k], (gh, gc) = ours.backward(gh + g[k], gc)
        else:
            gxs[k], gh = ours.backward(gh + g[k])
    close(gxs, xst.grad)
    close(gh, h0t[0].grad)
    if lstm:
        close(gc, h0t[1].grad)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        close(p.grad, q.grad)
    with pytest.raises(RuntimeError, match="more often than forward"):
        ours.backward(gh)


@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_unbatched_and_empty(kind):
    rng = np.random.default_rng(2)
    ours, theirs = twin(kind, 3, 4)
    for x in (rng.standard_normal(3), np.zeros((0, 3))):
        out = ours(x)
        out_t = theirs(t(x))
        for a, b in zip(out if kind == "LSTMCell" else [out],
                        out_t if kind == "LSTMCell" else [out_t]):
            close(a, b)
        ours.clear()


# -- numerical gradients ---------------------------------------------------------------
class OutputOnly(nn.Module):
    """Expose a recurrent layer as x -> output for dlcore.gradcheck."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x):
        return self.layer(x)[0]

    def backward(self, g):
        return self.layer.backward(g)[0]


@pytest.mark.parametrize("kind, kw", [("RNN", dict(num_layers=2, bidirectional=True)),
                                      ("LSTM", dict(num_layers=2, proj_size=2)),
                                      ("GRU", dict(bidirectional=True, batch_first=True))])
def test_gradcheck(kind, kw):
    layer = getattr(nn, kind)(2, 3, rng=0, **kw)
    report = check_module_gradients(OutputOnly(layer), np.random.default_rng(0)
                                    .standard_normal((4, 3, 2)), rng=1)
    assert report.passed(1e-7), str(report)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_initial_state_gradient_is_numerical(kind):
    rng = np.random.default_rng(4)
    layer = getattr(nn, kind)(2, 3, num_layers=2, rng=0)
    x = rng.standard_normal((6, 2, 2))
    h0 = rng.standard_normal((2, 2, 3))
    c0 = rng.standard_normal((2, 2, 3))
    g = rng.standard_normal((6, 2, 3))
    hx = lambda: (h0, c0) if kind == "LSTM" else h0  # noqa: E731
    loss = lambda _: float((layer(x, hx())[0] * g).sum())  # noqa: E731
    layer(x, hx())
    _, ghx = layer.backward(g)
    ghx = list(ghx) if kind == "LSTM" else [ghx]
    for analytic, point in zip(ghx, [h0, c0]):
        assert rel_error(analytic, numerical_gradient(loss, point)) < 1e-7


# -- parameters, initialisation, repr --------------------------------------------------
@pytest.mark.parametrize("kind, kw", [("RNN", dict(num_layers=2, bidirectional=True)),
                                      ("LSTM", dict(num_layers=2, bidirectional=True,
                                                    proj_size=5)),
                                      ("GRU", dict(bias=False, num_layers=3)),
                                      ("LSTM", dict(bias=False))])
def test_names_shapes_and_counts_match_torch(kind, kw):
    ours = getattr(nn, kind)(10, 20, rng=0, **kw)
    theirs = getattr(torch.nn, kind)(10, 20, **kw)
    assert [(n, p.shape) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert repr(ours) == repr(theirs)
    assert len(ours.all_weights) == len(theirs.all_weights)


def test_cell_repr_matches_torch():
    for kind, kw in itertools.product(["RNNCell", "LSTMCell", "GRUCell"],
                                      [dict(), dict(bias=False)]):
        assert repr(getattr(nn, kind)(3, 4, rng=0, **kw)) == repr(getattr(torch.nn, kind)(3, 4,
                                                                                          **kw))
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu", rng=0)) == \
        repr(torch.nn.RNNCell(3, 4, nonlinearity="relu"))


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"])
def test_default_init_is_uniform_over_one_over_sqrt_hidden(kind):
    h = 64
    m = getattr(nn, kind)(8, h, rng=5)
    w = np.concatenate([p.data.ravel() for p in m.parameters()])
    k = 1 / np.sqrt(h)
    assert np.all(np.abs(w) <= k)
    # U(-k, k): mean 0 and variance k^2/3, within 5 standard errors
    assert abs(w.mean()) < 5 * k / np.sqrt(3 * w.size)
    assert abs(w.var() - k * k / 3) < 5 * k * k * np.sqrt(4 / 45 / w.size)
    again = getattr(nn, kind)(8, h, rng=5)
    assert all(np.array_equal(p.data, q.data) for p, q in zip(m.parameters(), again.parameters()))


def test_lstm_weights_follow_the_hidden_size_not_the_projection():
    w = nn.LSTM(4, 100, proj_size=2, rng=0).weight_hr_l0.data
    assert w.shape == (2, 100) and np.abs(w).max() <= 0.1 and np.abs(w).max() > 0.09


# -- dropout between layers ------------------------------------------------------------
def test_dropout_warning_at_one_layer_like_torch():
    with pytest.warns(UserWarning, match="num_layers greater than 1") as ours:
        nn.LSTM(3, 5, dropout=0.5, rng=0)
    with pytest.warns(UserWarning) as theirs:
        torch.nn.LSTM(3, 5, dropout=0.5)
    assert str(ours[0].message) == str(theirs[0].message)


def test_dropout_sits_between_layers_only():
    rng = np.random.default_rng(0)
    lstm = nn.LSTM(3, 5, num_layers=2, dropout=0.5, batch_first=True, rng=0)
    x = rng.standard_normal((4, 7, 3))
    out_tr, (h_tr, c_tr) = lstm(x)
    masks = lstm._saved("masks")[0]
    assert masks[0] is not None and masks[1] is None
    # the same computation by hand: layer 0, the mask, layer 1; forward and backward
    l0, l1 = nn.LSTM(3, 5, rng=0), nn.LSTM(5, 5, rng=0)
    for (n, p) in lstm.named_parameters():
        target = l0 if n.endswith("l0") else l1
        getattr(target, n[:-1] + "0").data[...] = p.data
    y0, _ = l0(np.swapaxes(x, 0, 1))
    y1, (h1, _) = l1(y0 * masks[0])
    close(np.swapaxes(out_tr, 0, 1), y1, rtol=1e-13, atol=1e-15)
    g = rng.standard_normal(out_tr.shape)
    gx, _ = lstm.backward(g)
    g1, _ = l1.backward(np.swapaxes(g, 0, 1))
    g0, _ = l0.backward(g1 * masks[0])
    close(gx, np.swapaxes(g0, 0, 1), rtol=1e-13, atol=1e-15)
    lstm.eval()
    out_ev, (h_ev, c_ev) = lstm(x)
    np.testing.assert_array_equal(h_tr[0], h_ev[0])  # layer 0 untouched: no recurrent dropout
    assert not np.allclose(h_tr[1], h_ev[1])


def test_locked_dropout_uses_one_mask_per_sequence():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 3, 4))
    keep = rng.random((3, 4)) > 0.25
    drop = nn.LockedDropout(0.25, rng=1)
    y = drop(x, keep=keep)
    close(y, x * keep[None] / 0.75, rtol=1e-15, atol=0)
    g = rng.standard_normal(x.shape)
    close(drop.backward(g), g * keep[None] / 0.75, rtol=1e-15, atol=0)
    y = drop(x)  # random mask: shared by all steps
    assert drop.mask.shape == (3, 4) and set(np.unique(drop.mask)) <= {0.0, 1 / 0.75}
    np.testing.assert_array_equal(y == 0, np.broadcast_to(drop.mask == 0, x.shape))
    close(y, x * drop.mask[None], rtol=1e-15, atol=0)
    bf = nn.LockedDropout(0.25, batch_first=True, rng=1)
    yb = bf(np.swapaxes(x, 0, 1), keep=keep)
    close(np.swapaxes(yb, 0, 1), x * keep[None] / 0.75, rtol=1e-15, atol=0)
    drop.eval()
    assert drop(x) is x or np.array_equal(drop(x), x)
    frac = np.mean([nn.locked_mask((1000,), 0.25, rng=s) > 0 for s in range(5)])
    assert abs(frac - 0.75) < 5 * np.sqrt(0.75 * 0.25 / 5000)


# -- bad input -------------------------------------------------------------------------
@pytest.mark.parametrize("make, match", [
    (lambda: nn.RNN(3, 4, nonlinearity="sigmoid"), "nonlinearity must be one of 'tanh', 'relu'"),
    (lambda: nn.RNNCell(3, 4, nonlinearity="gelu"), "nonlinearity"),
    (lambda: nn.LSTM(3, 4, num_layers=0), "num_layers must be an integer >= 1, got 0"),
    (lambda: nn.GRU(3, 0), "hidden_size"),
    (lambda: nn.GRU(3, 4, dropout=1.5), r"dropout must be in \[0, 1\], got 1.5"),
    (lambda: nn.LSTM(3, 4, proj_size=4), "proj_size has to be smaller than hidden_size"),
    (lambda: nn.LockedDropout(1.0), r"dropout p must be in \[0, 1\)"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_bad_input_shapes_name_both_shapes(kind):
    m = getattr(nn, kind)(3, 4, num_layers=2, batch_first=True, rng=0)
    with pytest.raises(ValueError, match=r"input has shape \(2, 5, 6\), expected \(N, T, "
                                         r"input_size\) with input_size = 3"):
        m(np.zeros((2, 5, 6)))
    with pytest.raises(ValueError, match=r"2-D \(unbatched\) or 3-D, got shape \(2, 2, 5, 3\)"):
        m(np.zeros((2, 2, 5, 3)))
    with pytest.raises(ValueError, match="sequence length must be at least 1"):
        m(np.zeros((2, 0, 3)))
    h_bad = np.zeros((3, 2, 4))  # batch-first hidden state: (N, num_layers, H) with N = 3
    hx = (h_bad, np.zeros((2, 3, 4))) if kind == "LSTM" else h_bad
    with pytest.raises(ValueError, match=r"has shape \(3, 2, 4\), expected \(num_layers \* "
                                         r"num_directions, N, hidden_size\) = \(2, 3, 4\)"):
        m(np.zeros((3, 5, 3)), hx)
    hx2 = (np.zeros((2, 4)), np.zeros((2, 4))) if kind == "LSTM" else np.zeros((2, 4))
    with pytest.raises(ValueError, match=r"\(2, 4\), expected .* = \(2, 3, 4\)"):
        m(np.zeros((3, 5, 3)), hx2)
    with pytest.raises(ValueError, match=r"\(2, 1, 4\), expected .* = \(2, 4\) for unbatched"):
        m(np.zeros((5, 3)), (np.zeros((2, 1, 4)),) * 2 if kind == "LSTM" else np.zeros((2, 1, 4)))
    out = m(np.zeros((3, 5, 3)))[0]
    with pytest.raises(ValueError, match=r"grad_output has shape \(5, 3, 4\), expected .*"
                                         r"\(3, 5, 4\)"):
        m.backward(np.zeros((5, 3, 4)))
    assert out.shape == (3, 5, 4)


def test_bad_cell_input():
    cell = nn.GRUCell(3, 4, rng=0)
    with pytest.raises(ValueError, match=r"input has shape \(2, 5\), expected \(N, 3\)"):
        cell(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"hx has shape \(3, 4\), expected \(N, hidden_size\) = "
                                         r"\(2, 4\)"):
        cell(np.zeros((2, 3)), np.zeros((3, 4)))
    with pytest.raises(TypeError, match=r"tuple \(h_0, c_0\)"):
        nn.LSTMCell(3, 4, rng=0)(np.zeros((2, 3)), np.zeros((2, 4)))


# -- utils.rnn -------------------------------------------------------------------------
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_matches_torch(batch_first, side):
    rng = np.random.default_rng(0)
    seqs = [rng.standard_normal((n, 2)) for n in (4, 1, 3)]
    ours = drnn.pad_sequence(seqs, batch_first=batch_first, padding_value=-1.0,
                             padding_side=side)
    theirs = trnn.pad_sequence([t(s) for s in seqs], batch_first=batch_first, padding_value=-1.0,
                               padding_side=side)
    close(ours, theirs, rtol=0, atol=0)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths", [[2, 3, 2, 1], [5, 5, 1], [3]])
def test_pack_and_unpack_match_torch(batch_first, lengths):
    rng = np.random.default_rng(1)
    shape = (len(lengths), 5, 2) if batch_first else (5, len(lengths), 2)
    x = rng.standard_normal(shape)
    ours = drnn.pack_padded_sequence(x, lengths, batch_first, enforce_sorted=False)
    theirs = trnn.pack_padded_sequence(t(x), torch.tensor(lengths), batch_first,
                                       enforce_sorted=False)
    close(ours.data, theirs.data, rtol=0, atol=0)
    for a, b in zip(ours[1:], theirs[1:]):
        np.testing.assert_array_equal(a, b.numpy())
    for total in (None, 7):
        pad, lens = drnn.pad_packed_sequence(ours, batch_first, padding_value=9.0,
                                             total_length=total)
        pad_t, lens_t = trnn.pad_packed_sequence(theirs, batch_first, padding_value=9.0,
                                                 total_length=total)
        close(pad, pad_t, rtol=0, atol=0)
        np.testing.assert_array_equal(lens, lens_t.numpy())
    seqs = [x[i, :n] if batch_first else x[:n, i] for i, n in enumerate(lengths)]
    packed = drnn.pack_sequence(seqs, enforce_sorted=False)
    packed_t = trnn.pack_sequence([t(s) for s in seqs], enforce_sorted=False)
    close(packed.data, packed_t.data, rtol=0, atol=0)


def test_pack_errors():
    with pytest.raises(ValueError, match="sorted in decreasing order.*enforce_sorted=False"):
        drnn.pack_padded_sequence(np.zeros((3, 2)), [2, 3])
    with pytest.raises(ValueError, match="every length must be > 0"):
        drnn.pack_padded_sequence(np.zeros((3, 2)), [3, 0])
    with pytest.raises(ValueError, match=r"lengths has shape \(3,\), expected \(2,\)"):
        drnn.pack_padded_sequence(np.zeros((3, 2)), [3, 2, 1])
    p = drnn.pack_padded_sequence(np.zeros((3, 2)), [3, 2])
    with pytest.raises(ValueError, match="total_length=2 is shorter"):
        drnn.pad_packed_sequence(p, total_length=2)
    with pytest.raises(ValueError, match=r"sequences\[1\] has shape \(2, 3\)"):
        drnn.pad_sequence([np.zeros((2, 2)), np.zeros((2, 3))])


def test_no_warnings_for_extreme_preactivations():
    lstm = nn.LSTM(1, 2, rng=0)
    for p in lstm.parameters():
        p.data[...] = 800.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out, _ = lstm(np.full((3, 1, 1), -1.0))
        lstm.backward(np.ones_like(out))
    assert np.all(np.isfinite(out))


# -- sequence-task generators ----------------------------------------------------------
def test_sequence_tasks():
    from dlcore.maths import sequence_tasks as st
    x, y = st.adding_problem(2000, 30, rng=0)
    marks = x[..., 1]
    assert np.all(marks[:, :15].sum(1) == 1) and np.all(marks[:, 15:].sum(1) == 1)
    close(y, (x[..., 0] * marks).sum(1), rtol=0, atol=0)
    assert abs(y.mean() - 1.0) < 5 * np.sqrt(1 / 6 / 2000)  # Var(U + U') = 1/6
    np.testing.assert_array_equal(st.adding_problem(5, 30, rng=3)[0], st.adding_problem(5, 30,
                                                                                        rng=3)[0])
    x, y = st.copy_task(500, 5, 4, 10, rng=0)
    assert x.shape == y.shape == (500, 20)
    assert np.all(x[:, :5] < 4) and np.all(x[:, 5:14] == 4) and np.all(x[:, 14] == 5)
    assert np.all(x[:, 15:] == 4) and np.all(y[:, :15] == 4)
    np.testing.assert_array_equal(y[:, 15:], x[:, :5])
    x, y, mask = st.echo_task(4, 32, 6, rng=0)
    np.testing.assert_array_equal(y[:, 6:], x[:, :26])
    assert mask.sum() == 26
    x, y = st.reversal_task(3, 8, 10, rng=0)
    np.testing.assert_array_equal(y, x[:, ::-1])
    X, yy = st.sliding_windows(np.arange(10.0), 4, horizon=2)
    assert X.shape == (5, 4) and yy[0] == 5.0
    with pytest.raises(ValueError, match="too short"):
        st.sliding_windows(np.arange(3.0), 4)
    text, vocab = st.zen_of_python()
    assert len(text) == 856 and "".join(sorted(set(text))) == "".join(vocab)
