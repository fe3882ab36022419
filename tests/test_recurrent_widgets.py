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
