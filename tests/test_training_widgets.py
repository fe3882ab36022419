"""Chapter 8 explorers: robust line fits, the batched MLP trainer and the training dashboard."""

import numpy as np
import pytest

import dlcore.nn as nn
from dlcore.optim import SGD
from dlcore.book.widgets.training import (noisy_xor, outlier_data, outlier_explorer,
                                          robust_line_fit, train_mlp_grid, training_dashboard)


def _objective(loss, x, y, w, b):
    return loss(w * x + b, y)


@pytest.mark.parametrize("n_outliers", [0, 3])
def test_robust_line_fit_minimises_each_loss(n_outliers):
    x, y = outlier_data(n_outliers=n_outliers, size=12.0, rng=1)
    w, b = robust_line_fit(x, y, nn.MSELoss("sum"))
    np.testing.assert_allclose([w, b], np.polyfit(x, y, 1), rtol=1e-10)
    # Huber: the gradient of the loss vanishes at the fit
    huber = nn.HuberLoss("sum", delta=1.0)
    w, b = robust_line_fit(x, y, huber)
    huber(w * x + b, y)
    g = huber.backward()
    assert abs(g @ x) < 1e-8 and abs(g.sum()) < 1e-8
    # MAE: no nearby line does better (the L1 objective is convex, so this is the minimum)
    l1 = nn.L1Loss("sum")
    w, b = robust_line_fit(x, y, l1)
    best = _objective(l1, x, y, w, b)
    rng = np.random.default_rng(0)
    for dw, db in rng.normal(0, 1e-3, (200, 2)):
        assert _objective(l1, x, y, w + dw, b + db) >= best - 1e-6
    with pytest.raises(ValueError, match="reduction='sum'"):
        robust_line_fit(x, y, nn.L1Loss())


def test_outlier_explorer_follows_its_sliders():
    e = outlier_explorer(rng=0)
    e.controls["n_outliers"].value = 5
    e.controls["size"].value = 15.0
    e.controls["delta"].value = 2.0
    x, y = outlier_data(n_outliers=5, size=15.0, rng=0)
    np.testing.assert_allclose(e.artists["points"].get_offsets(), np.column_stack([x, y]))
    for name, loss in [("MSE", nn.MSELoss("sum")), ("MAE", nn.L1Loss("sum")),
                       ("Huber", nn.HuberLoss("sum", 2.0))]:
        w, b = robust_line_fit(x, y, loss)
        np.testing.assert_allclose(e.artists[name].get_ydata(), [b - w, b + w])
    r = e.artists["huber_curve"].get_xdata()
    np.testing.assert_allclose(e.artists["huber_curve"].get_ydata(),
                               np.where(np.abs(r) < 2, r ** 2 / 2, 2 * (np.abs(r) - 1)))
    # the outliers drag the MSE slope far above the true 1.5, MAE stays close
    slope = {n: np.diff(e.artists[n].get_ydata())[0] / 2 for n in ["MSE", "MAE"]}
    assert slope["MSE"] > 3 and abs(slope["MAE"] - 1.5) < 0.5
    assert "slope" in e.status.value


def test_outlier_explorer_delta_reaches_the_mse_regime():
    # the slider must reach a delta beyond the largest MSE residual of the default state, where
    # Huber is MSE and the two fitted slopes coincide (the chapter's exercise 1 needs it)
    e = outlier_explorer(rng=0)
    x, y = outlier_data(n_outliers=3, size=10.0, rng=0)
    w, b = robust_line_fit(x, y, nn.MSELoss("sum"))
    largest = np.abs(y - (w * x + b)).max()
    assert e.controls["delta"].max > largest
    e.controls["delta"].value = float(np.ceil(largest))
    slope = {n: np.diff(e.artists[n].get_ydata())[0] / 2 for n in ["MSE", "Huber"]}
    assert abs(slope["Huber"] - slope["MSE"]) < 1e-6
    e.controls["delta"].value = 5.0
    slope5 = np.diff(e.artists["Huber"].get_ydata())[0] / 2
    assert slope["MSE"] - slope5 > 0.1          # at 5, the old maximum, it is still far off


def test_outlier_explorer_callback_budget():
    e = outlier_explorer(rng=0)
    times = []
    for d in np.linspace(0.2, 4.0, 6):
        e.controls["delta"].value = float(d)
        times.append(e.last_callback_ms)
    assert np.median(times) < 50, times


def _dlcore_run(X, y, X_val, y_val, width, lr, wd, epochs, gen):
    net = nn.Sequential(nn.Linear(2, width, rng=gen), nn.ReLU(), nn.Linear(width, 1, rng=gen))
    loss = nn.BCEWithLogitsLoss()
    opt = SGD(net.parameters(), lr=lr, momentum=0.9, weight_decay=wd)
    train, val = [], []
    for _ in range(epochs):
        opt.zero_grad()
        train.append(loss(net(X)[:, 0], y.astype(float)))
        net.backward(loss.backward()[:, None])
        opt.step()
        val.append(loss(net(X_val)[:, 0], y_val.astype(float)))
    return np.array(train), np.array(val)


def test_batched_trainer_matches_dlcore_modules_and_sgd():
    X, y = noisy_xor(40, rng=0)
    X_val, y_val = noisy_xor(30, rng=1)
    widths, lrs, wds = [3, 7], [0.05, 0.5], [0.0, 0.01]
    out = train_mlp_grid(X, y, X_val, y_val, widths, lrs, wds, epochs=25, rng=5)
    assert out["val_loss"].shape == (2, 2, 2, 25)
    gen = np.random.default_rng(5)
    inits = [(nn.Linear(2, w, rng=gen), nn.Linear(w, 1, rng=gen)) for w in widths]
    for a, width in enumerate(widths):
        for b, lr in enumerate(lrs):
            for c, wd in enumerate(wds):
                state = np.random.default_rng(5)
                for w in widths[:a]:  # replay the draws of the earlier widths
                    nn.Linear(2, w, rng=state), nn.Linear(w, 1, rng=state)
                train, val = _dlcore_run(X, y, X_val, y_val, width, lr, wd, 25, state)
                np.testing.assert_allclose(out["train_loss"][a, b, c], train, rtol=1e-10)
                np.testing.assert_allclose(out["val_loss"][a, b, c], val, rtol=1e-10)
    assert inits  # the draws above consumed the generator in the documented order


def test_batched_trainer_freezes_diverging_runs():
    X, y = noisy_xor(40, rng=0)
    out = train_mlp_grid(X, y, X, y, [4], [0.1, 1e5], [0.0], epochs=30, rng=0)
    assert np.isfinite(out["train_loss"][0, 0, 0]).all()
    diverged = out["train_loss"][0, 1, 0]
    assert np.isnan(diverged[-1]) and np.isfinite(diverged[0])


SMALL = {"lr": (0.03, 0.3, 1000.0), "width": (2, 8), "weight_decay": (0.0, 0.03)}


def test_dashboard_follows_its_controls():
    e = training_dashboard(epochs=30, n_train=60, n_val=50, rng=0, grid=SMALL)
    assert len(e.runs) == 12
    e.controls["lr"].value = 0.3
    e.controls["width"].value = 8
    e.controls["weight_decay"].value = 0.03
    run = e.runs[(0.3, 8, 0.03)]
    for name in ["train_loss", "val_loss", "train_acc", "val_acc"]:
        np.testing.assert_array_equal(e.artists[name].get_ydata(), run[name])
    best = int(np.nanargmin(run["val_loss"])) + 1
    assert list(e.artists["best"].get_xdata()) == [best, best]
    assert f"epoch {best}" in e.status.value
    e.controls["lr"].value = 1000.0
    assert "diverged" in e.status.value


def test_dashboard_callback_budget():
    e = training_dashboard(epochs=30, n_train=60, n_val=50, rng=0, grid=SMALL)
    times = []
    for lr in [0.03, 0.3, 0.03, 0.3]:
        e.controls["lr"].value = lr
        times.append(e.last_callback_ms)
    assert np.median(times) < 50, times
