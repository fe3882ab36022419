"""The recurrent chapter's explorers, driven headlessly."""

import numpy as np

from dlcore.book.widgets.recurrent import (gate_values_to_cell, gradient_through_time_explorer,
                                           jacobian_norms, lstm_gate_explorer)


def test_jacobian_norms_match_the_product_of_step_jacobians():
    """The Frobenius norms from dlcore's cell backward equal those of prod diag(1 - h^2) W."""
    norms = jacobian_norms("RNN", scale=1.5, T=12, hidden=5, rng=3)
    from dlcore.book.widgets import recurrent as R
    gen = np.random.default_rng(3)
    cell = R.RNNCell(1, 5, rng=gen)
    W = 1.5 * R._orthogonal(5, gen)
    x = gen.standard_normal((12, 1, 1))
    # reference: the product of step Jacobians diag(1 - h_t^2) W computed from a NumPy loop
    h, states = np.zeros(5), []
    for t in range(12):
        h = np.tanh(cell.weight_ih.data @ x[t, 0] + cell.bias_ih.data + W @ h + cell.bias_hh.data)
        states.append(h)
    J = np.eye(5)
    ref = [np.linalg.norm(J)]
    for t in range(11, -1, -1):
        J = J @ (np.diag(1 - states[t] ** 2) @ W)
        ref.append(np.linalg.norm(J))
    np.testing.assert_allclose(norms[::-1], ref, rtol=1e-10)


def test_gradient_explorer_follows_its_controls():
    e = gradient_through_time_explorer(T=30, hidden=8)
    first = e.image.value
    small = e.artists["RNN"].get_ydata()[0]
    e.controls["scale"].value = 3.0
    big = e.artists["RNN"].get_ydata()[0]
    assert big > 1e3 * small and e.image.value != first
    lstm_before = e.artists["LSTM"].get_ydata().copy()
    e.controls["nonlinearity"].value = "relu"
    np.testing.assert_array_equal(e.artists["LSTM"].get_ydata(), lstm_before)
    times = []
    for v in (1.0, 3.0) * 4:  # revisited settings come from the memo
        e.controls["scale"].value = v
        times.append(e.last_callback_ms)
    assert np.median(times) < 50, times


def test_gate_explorer_matches_closed_form():
    e = lstm_gate_explorer(T=20)
    for f, i, g in [(1.0, 0.0, 0.5), (0.8, 0.5, 0.6), (0.0, 1.0, -0.4)]:
        e.controls["f"].value = f
        e.controls["i"].value = i
        e.controls["g"].value = g
        np.testing.assert_allclose(e.artists["c"].get_ydata(), e.artists["closed_form"].get_ydata(),
                                   rtol=1e-9, atol=1e-9)
    e.controls["f"].value = 1.0
    e.controls["i"].value = 0.0
    np.testing.assert_allclose(e.artists["c"].get_ydata(), 2.0)  # c_0 carried unchanged
    times = []
    for f in np.linspace(0.2, 1.0, 8):  # the budget as a median over eight changes
        e.controls["f"].value = float(f)
        times.append(e.last_callback_ms)
    assert np.median(times) < 50, times


def test_gate_values_to_cell():
    cell = gate_values_to_cell(0.3, 0.6, -0.2, 0.7)
    h, c = cell(np.zeros((1, 1)), (np.zeros((1, 1)), np.full((1, 1), 1.5)))
    np.testing.assert_allclose(c, 0.6 * 1.5 + 0.3 * -0.2, rtol=1e-10)
    np.testing.assert_allclose(h, 0.7 * np.tanh(c), rtol=1e-10)


def _lstm_final_state(cell, x, h0, c0):
    """(h_T, c_T) of a dlcore LSTMCell run from (h0, c0) over the inputs x, caches cleared."""
    h, c = h0[None], c0[None]
    for t in range(x.shape[0]):
        h, c = cell(x[t], (h, c))
    cell.clear()
    return np.concatenate([h[0], c[0]])


def test_lstm_jacobian_norms_match_finite_differences_with_and_without_the_cell_state():
    """For the LSTM, norms[0] is ||d h_T / d h_0||_F by default and ||d (h_T, c_T) / d (h_0, c_0)||_F
    with cell_state=True; both against central differences of the cell's forward pass."""
    from dlcore.book.widgets import recurrent as R
    T, hid = 8, 3
    only_h = jacobian_norms("LSTM", scale=1.0, T=T, hidden=hid, rng=2)
    full = jacobian_norms("LSTM", scale=1.0, T=T, hidden=hid, rng=2, cell_state=True)
    cell, x = R._setup("LSTM", 1.0, "tanh", T, hid, 2)
    eps, z = 1e-6, np.zeros(2 * hid)
    J = np.empty((2 * hid, 2 * hid))
    for j in range(2 * hid):
        e = z.copy()
        e[j] = eps
        up = _lstm_final_state(cell, x, e[:hid], e[hid:])
        down = _lstm_final_state(cell, x, -e[:hid], -e[hid:])
        J[:, j] = (up - down) / (2 * eps)
    np.testing.assert_allclose(only_h[0], np.linalg.norm(J[:hid, :hid]), rtol=1e-6)
    np.testing.assert_allclose(full[0], np.linalg.norm(J), rtol=1e-6)
    assert full[0] > only_h[0] * (1 + 1e-3)          # the c_0 columns carry signal of their own
    np.testing.assert_allclose(full[-1], np.sqrt(2 * hid), rtol=1e-12)


def test_cell_state_needs_an_lstm():
    import pytest
    with pytest.raises(ValueError, match="cell_state"):
        jacobian_norms("GRU", cell_state=True)
