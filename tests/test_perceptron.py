"""The perceptron, its learning rule, gate helpers and the XOR step networks."""

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcore.book.data import truth_table
from dlcore.maths.perceptron import (GATE_NAMES, Perceptron, StepNetwork, check_binary_labels,
                                     gate_name, gate_table, step, xor_step_network)
from parity import close, t


# -- the step function ------------------------------------------------------------------
@pytest.mark.parametrize("values", [0.0, 1.0, 0.5])
def test_step_matches_torch_heaviside(values):
    z = np.array([-2.0, -1e-300, 0.0, -0.0, 1e-300, 3.0, np.nan, np.inf, -np.inf])
    np.testing.assert_array_equal(step(z, values), torch.heaviside(t(z), torch.tensor(values)))


def test_step_broadcasts_values_like_torch_and_keeps_dtype():
    z = np.array([[0.0, 1.0], [0.0, -1.0]])
    values = np.array([0.25, 0.75])
    close(step(z, values), torch.heaviside(t(z), t(values)), rtol=0, atol=0)
    assert step(z.astype(np.float32)).dtype == np.float32
    assert step(np.array([0, 2])).dtype == np.float64
    with pytest.raises(ValueError, match=r"values of shape \(3,\).*input shape \(2, 2\)"):
        step(z, np.ones(3))


# -- the learning rule ------------------------------------------------------------------
@pytest.mark.parametrize("gate", ["AND", "OR", "NAND", "NOR"])
def test_perceptron_learns_separable_gates_in_bounded_epochs(gate):
    X, y = truth_table(gate)
    p = Perceptron(2)
    mistakes = p.fit(X, y, epochs=100)
    assert mistakes[-1] == 0 and len(mistakes) <= 10, mistakes
    np.testing.assert_array_equal(p.predict(X), y)


def test_perceptron_never_learns_xor():
    X, y = truth_table("XOR")
    mistakes = Perceptron(2).fit(X, y, epochs=1000)
    assert len(mistakes) == 1000 and min(mistakes) >= 1


def test_and_run_from_zero_is_the_hand_computed_one():
    X, y = truth_table("AND")
    p = Perceptron(2, lr=1.0)
    assert p.fit(X, y, epochs=50) == [1, 3, 3, 2, 1, 0]
    np.testing.assert_array_equal(p.weight, [2.0, 1.0])
    assert p.bias == -2.0


def test_each_update_follows_rosenblatts_rule():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((15, 3))
    y = (X @ [1.0, -2.0, 0.5] > 0.1).astype(int)
    p = Perceptron(3, lr=0.3, weight=[0.1, 0.2, 0.3], bias=-0.1)
    w, b = p.weight.copy(), p.bias
    for u in p.updates(X, y, epochs=3):
        x = X[u.index]
        assert u.prediction == int(x @ w + b > 0)
        w = w + 0.3 * (u.target - u.prediction) * x
        b = b + 0.3 * (u.target - u.prediction)
        close(u.weight, w, rtol=1e-15, atol=0)
        assert u.bias == pytest.approx(b, rel=1e-15, abs=0)
    assert u.epoch == 2


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), n=st.integers(5, 40), dim=st.integers(1, 4))
def test_mistakes_respect_novikoffs_bound(seed, n, dim):
    """On data separated with margin gamma inside radius R (bias folded into the inputs),
    the rule makes at most (R / gamma)^2 mistakes in total."""
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(dim + 1)
    u /= np.linalg.norm(u)
    X = rng.uniform(-1, 1, (n, dim))
    Xa = np.hstack([X, np.ones((n, 1))])
    margin = Xa @ u
    keep = np.abs(margin) > 0.05
    if keep.sum() < 2:
        return
    X, Xa, y = X[keep], Xa[keep], (margin[keep] > 0).astype(int)
    gamma, R = np.abs(Xa @ u).min(), np.linalg.norm(Xa, axis=1).max()
    p = Perceptron(dim)
    mistakes = p.fit(X, y, epochs=10_000, shuffle=True, rng=seed)
    assert mistakes[-1] == 0
    assert sum(mistakes) <= (R / gamma) ** 2


def test_shuffle_is_reproducible_and_leaves_global_state_alone():
    X, y = truth_table("OR")
    state = np.random.get_state()[1].copy()
    a = Perceptron(2).fit(X, y, epochs=20, shuffle=True, rng=3)
    b = Perceptron(2).fit(X, y, epochs=20, shuffle=True, rng=3)
    assert a == b
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_in_features_can_come_from_the_data_or_the_weights():
    X, y = truth_table("OR")
    p = Perceptron()
    assert p.fit(X, y) == Perceptron(2).fit(X, y)
    assert p.in_features == 2 and p.weight.shape == (2,)
    assert Perceptron(weight=[1.0, 2.0, 3.0]).in_features == 3
    with pytest.raises(ValueError, match="no weights yet"):
        Perceptron().predict(X)
    with pytest.raises(ValueError, match="no weights yet"):
        Perceptron().signed_distance(X)
    assert repr(Perceptron(lr=0.5)) == "Perceptron(in_features=None, lr=0.5, weight=None, bias=0)"
    assert repr(p).startswith("Perceptron(in_features=2, lr=1, weight=[")


def test_fit_can_run_all_epochs():
    X, y = truth_table("AND")
    assert len(Perceptron(2).fit(X, y, epochs=12, stop_when_perfect=False)) == 12


def test_signed_distance():
    p = Perceptron(2, weight=[3.0, 4.0], bias=-5.0)
    X = np.array([[0.0, 0.0], [3.0, 4.0]])
    close(p.signed_distance(X), [-1.0, 4.0], rtol=1e-15)
    with pytest.raises(ValueError, match="non-zero weight"):
        Perceptron(2).signed_distance(X)


def test_perceptron_bad_input():
    X, y = truth_table("AND")
    with pytest.raises(ValueError, match=r"y must hold labels in \{0, 1\}, got -1 at index 2"):
        Perceptron(2).fit(X, [0, 0, -1, 1])
    with pytest.raises(ValueError, match="y has 3 labels but X has 4 samples"):
        Perceptron(2).fit(X, y[:3])
    with pytest.raises(ValueError,
                       match=r"Perceptron\(3\) X has shape \(4, 2\), expected \(N, 3\)"):
        Perceptron(3).predict(X)
    with pytest.raises(ValueError, match=r"Perceptron lr must be in \(0, inf\), got 0"):
        Perceptron(2, lr=0.0)
    with pytest.raises(ValueError, match=r"weight has shape \(3,\), expected \(2\)"):
        Perceptron(2, weight=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="y must be a vector"):
        check_binary_labels("y", np.zeros((2, 2)))
    with pytest.raises(TypeError, match="in_features must be an integer"):
        Perceptron(2.5)


# -- gates and the XOR networks ---------------------------------------------------------
def test_gate_names_cover_all_sixteen_functions():
    assert len(GATE_NAMES) == 16 and len(set(GATE_NAMES.values())) == 16
    for gate in ("AND", "OR", "NAND", "NOR", "XOR"):
        assert gate_name(truth_table(gate)[1]) == gate


@pytest.mark.parametrize("bias, expected", [(-2.5, "FALSE"), (-0.25, "OR"), (-1.5, "AND"),
                                            (0.5, "TRUE")])
def test_gate_table(bias, expected):
    z, out = gate_table([1.0, 1.0], bias)
    close(z, np.array([0, 1, 1, 2]) + bias, rtol=0, atol=0)
    assert gate_name(out) == expected


def test_no_single_threshold_unit_computes_xor():
    """Every (w1, w2, b) on a grid realises one of 14 gates; XOR and XNOR never appear."""
    grid = np.arange(-3, 3.25, 0.25)
    seen = {gate_name(gate_table([w1, w2], b)[1])
            for w1, w2, b in itertools.product(grid, grid, grid)}
    assert len(seen) == 14 and not {"XOR", "XNOR"} & seen


@pytest.mark.parametrize("skip, units", [(False, 3), (True, 2)])
def test_xor_step_networks(skip, units):
    X, y = truth_table("XOR")
    net = xor_step_network(skip=skip)
    np.testing.assert_array_equal(net(X), y)
    assert net.units == units
    trace = net.trace(X)
    if not skip:  # the hidden units are OR and NAND
        assert [gate_name(trace["h"][:, j]) for j in range(2)] == ["OR", "NAND"]
    else:
        assert gate_name(trace["h"][:, 0]) == "AND"


def test_step_network_bad_shapes():
    with pytest.raises(ValueError, match=r"b1 has shape \(1,\), expected \(2\)"):
        StepNetwork(W1=np.ones((2, 2)), b1=[0.0], w2=[1.0, 1.0], b2=0.0)
    with pytest.raises(ValueError, match=r"skip has shape \(3,\), expected \(2\)"):
        StepNetwork(W1=np.ones((2, 2)), b1=[0.0, 0.0], w2=[1.0, 1.0], b2=0.0, skip=np.ones(3))
    with pytest.raises(ValueError, match=r"X has shape \(4, 3\), expected \(N, 2\)"):
        xor_step_network()(np.ones((4, 3)))


# -- the explorers ------------------------------------------------------------------------
def test_boundary_segment():
    from dlcore.book.widgets.perceptron import boundary_segment
    xs, ys = boundary_segment([1.0, 2.0], -1.0, limit=3.0)
    close(np.array(xs) + 2 * np.array(ys) - 1.0, [0.0, 0.0], atol=1e-15)
    xs, ys = boundary_segment([5.0, 0.0], 2.0, limit=3.0)  # vertical line x1 = -0.4
    assert xs == [-0.4, -0.4] and ys == [-3.0, 3.0]
    assert boundary_segment([0.0, 0.0], 1.0) == ([], [])


def test_perceptron_rule_explorer_replays_the_rule():
    from dlcore.book.widgets.perceptron import perceptron_rule_explorer, separable_points
    e = perceptron_rule_explorer(epochs=8, start=0, rng=0)
    assert e.artists["line"].get_xdata() == [] and "nothing visited" in e.status.value
    X, y = separable_points(30, rng=0)
    p = Perceptron(2, lr=1.0)
    steps = list(p.updates(X, y, epochs=8))
    times = []
    for k in (1, 7, 45, 240):
        e.controls["update"].value = k
        times.append(e.last_callback_ms)
        u = steps[k - 1]
        xs, ys = (np.array(v) for v in (e.artists["line"].get_xdata(),
                                        e.artists["line"].get_ydata()))
        expected_zero = [] if not u.weight.any() else [0.0, 0.0]  # w = 0: no line to draw
        close(u.weight[0] * xs + u.weight[1] * ys + u.bias, expected_zero, atol=1e-12)
        close(e.artists["current"].get_xdata(), [X[u.index, 0]], rtol=0, atol=0)
        wrong = (X @ u.weight + u.bias > 0).astype(int) != y
        assert len(e.artists["wrong"].get_xdata()) == wrong.sum()
        assert f"epoch {u.epoch + 1}, sample {u.index}" in e.status.value
    # separable data: the last epochs are mistake-free and nothing is misclassified
    assert e.artists["mistakes"].get_ydata()[-1] == 0 and len(e.artists["wrong"].get_xdata()) == 0
    e.controls["data"].value = "XOR blobs"
    times.append(e.last_callback_ms)
    assert e.artists["points"].get_offsets().shape == (40, 2)
    assert min(e.artists["mistakes"].get_ydata()) > 0  # XOR: never a clean epoch
    e.controls["lr"].value = 0.1
    assert "b = " in e.status.value
    assert np.median(times) < 50, times


def test_mlp_boundary_explorer_follows_training():
    from dlcore.book.data import make_moons
    from dlcore.book.widgets.perceptron import mlp_boundary_explorer
    e = mlp_boundary_explorer(max_epochs=40, every=10, grid=20, rng=0)
    surface = np.asarray(e.artists["surface"].get_array())
    assert surface.shape == (20, 20) and 0 <= surface.min() and surface.max() <= 1
    losses = np.asarray(e.artists["loss"].get_ydata())
    assert len(losses) == 40 and losses[-1] < losses[0]
    X, _ = make_moons(200, noise=0.15, rng=0)
    close(e.artists["points"].get_offsets(), X, rtol=0, atol=0)
    times = []
    for epochs in (0, 10, 30, 20):
        e.controls["epochs"].value = epochs
        times.append(e.last_callback_ms)
        assert len(e.artists["loss"].get_xdata()) == epochs
    assert np.median(times) < 50, times  # cached snapshots: no training in these callbacks
    untrained = np.asarray(e.artists["surface"].get_array()).copy()
    e.controls["epochs"].value = 0
    first = np.asarray(e.artists["surface"].get_array())
    assert not np.allclose(first, untrained)  # epoch 0 shows the untrained network
    e.controls["width"].value = 2
    assert "width 2" in e.status.value
    e.controls["data"].value = "XOR blobs"
    assert "XOR blobs" in e.status.value


def test_mlp_boundary_explorer_width_one_is_a_dead_relu_on_moons():
    # The chapter's explorer text: with rng=0 the single ReLU of width 1 is off on every moon
    # at initialisation, so no learning rate moves it (loss ln 2, 50 %); width 8 at the
    # smallest lr does move its boundary, only more slowly than at lr 0.1.
    from dlcore.book.widgets.perceptron import boundary_data, mlp_boundary_explorer
    from dlcore.maths.mlp import TwoLayerMLP
    X, y = boundary_data("moons", rng=0)
    net = TwoLayerMLP(2, 1, 2, rng=0)
    assert (X @ net.weight1.data.T + net.bias1.data).max() < 0
    e = mlp_boundary_explorer(max_epochs=200, every=50, grid=10, rng=0)
    e.controls["lr"].value = 0.01
    e.controls["lr"].value = 0.1
    e.controls["width"].value = 1
    runs = e.trained
    assert set(runs) == {("moons", 8, 0.1), ("moons", 8, 0.01), ("moons", 1, 0.1)}
    losses_1, acc_1 = runs["moons", 1, 0.1][3], runs["moons", 1, 0.1][4]
    close(losses_1[-1], np.log(2), rtol=0, atol=1e-3)
    assert acc_1 == 0.5 and int(y.sum()) == 100
    slow, fast = runs["moons", 8, 0.01], runs["moons", 8, 0.1]
    assert slow[3][-1] < 0.6 * slow[3][0] and 0.75 < slow[4] < fast[4]
    with pytest.raises(ValueError, match="boundary_data name"):
        boundary_data("spirals")
