"""gradcheck, argument checks, rng handling, the training loop and the datasets."""

import subprocess
import sys

import numpy as np
import pytest
import torch

import dlcore
import dlcore.nn as nn
from dlcore.checks import check_range
from dlcore.book.data import load_digits, make_moons, make_spirals, make_xor_blobs, truth_table
from dlcore.gradcheck import numerical_gradient, rel_error
from dlcore.optim import SGD
from dlcore.random import as_generator
from dlcore.book.train import batches, fit
from parity import close, copy_params, t


def test_import_is_cheap_and_pulls_no_heavy_packages():
    code = ("import sys, time; s = time.perf_counter(); import dlcore, dlcore.nn, "
            "dlcore.functional, dlcore.optim; d = time.perf_counter() - s; "
            "heavy = [m for m in ('torch', 'matplotlib', 'ipywidgets', 'scipy', 'sklearn') "
            "if m in sys.modules]; print(d, heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split(maxsplit=1)
    assert out[1].strip() == "[]", out
    assert float(out[0]) < 0.5, f"import dlcore took {out[0]} s"  # budget 0.2 s; CI noise


def test_numerical_gradient_is_second_order_accurate():
    x = np.array([0.3, -1.2, 2.0])
    exact = np.cos(x)
    errors = [rel_error(numerical_gradient(lambda v: float(np.sin(v).sum()), x, h), exact)
              for h in (1e-2, 5e-3)]
    assert 3.5 < errors[0] / errors[1] < 4.5  # halving h quarters the error


def test_numerical_gradient_refuses_arrays_it_cannot_perturb():
    with pytest.raises(TypeError, match="float64 ndarray"):
        numerical_gradient(lambda v: 0.0, np.ones(3, dtype=np.float32))


def test_rng_argument():
    g = np.random.default_rng(5)
    assert as_generator(g) is g
    assert as_generator(3).random() == np.random.default_rng(3).random()
    with pytest.raises(TypeError, match="rng must be"):
        as_generator("seed")
    with pytest.raises(ValueError, match="non-negative"):
        as_generator(-1)


def test_range_messages():
    with pytest.raises(ValueError, match=r"dropout p must be in \[0, 1\), got 1.2"):
        check_range("p", 1.2, 0, 1, high_open=True, what="dropout")
    with pytest.raises(ValueError, match="got nan"):
        check_range("lr", float("nan"), 0)


def test_batches_cover_every_index_once():
    seen = np.concatenate(list(batches(23, 5, rng=0)))
    assert sorted(seen) == list(range(23))
    assert [len(b) for b in batches(23, 5, rng=0)] == [5, 5, 5, 5, 3]


def test_training_run_matches_torch_step_for_step():
    """The same MLP, weights and mini-batches in dlcore and torch: the same trajectory."""
    X, y = make_moons(64, noise=0.2, rng=0)
    ours = nn.Sequential(nn.Linear(2, 16, rng=1), nn.ReLU(), nn.Linear(16, 2, rng=2))
    ref = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    copy_params(ours, ref)
    opt_a = SGD(ours.parameters(), lr=0.2, momentum=0.9)
    opt_b = torch.optim.SGD(ref.parameters(), lr=0.2, momentum=0.9)
    history = fit(ours, nn.CrossEntropyLoss(), opt_a, X, y, epochs=5, batch_size=16, rng=3)
    losses, gen = [], np.random.default_rng(3)  # fit draws each epoch's order from this stream
    for _ in range(5):
        total = 0.0
        for idx in batches(len(X), 16, rng=gen):
            opt_b.zero_grad()
            loss = torch.nn.functional.cross_entropy(ref(t(X[idx])), torch.tensor(y[idx]))
            loss.backward()
            opt_b.step()
            total += loss.item() * len(idx)
        losses.append(total / len(X))
    close(history.train_loss, losses, rtol=1e-9)
    for p, q in zip(ours.parameters(), ref.parameters()):
        close(p.data, q, rtol=1e-9)
    assert history.steps == 20


def test_fit_validation_and_callbacks():
    X, y = make_xor_blobs(100, rng=0)
    model = nn.Sequential(nn.Linear(2, 8, rng=0), nn.Tanh(), nn.Linear(8, 2, rng=1))

    class StopAfter:
        def on_epoch_end(self, epoch, history, model):
            return epoch == 2

    h = fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), X, y, epochs=10,
            batch_size=10, rng=0, validation=(X, y), callbacks=[StopAfter()],
            train_metrics=True)
    assert h.epochs == 3 and h.stopped_epoch == 2
    assert len(h.val_loss) == len(h.val_acc) == len(h.train_acc) == 3
    assert model.training
    with pytest.raises(ValueError, match="X has 100 samples but y has 99"):
        fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), X, y[:-1], epochs=1)


def test_datasets():
    X, y = truth_table("AND")
    assert X.shape == (4, 2) and y.tolist() == [0, 0, 0, 1]
    with pytest.raises(ValueError, match="gate must be one of"):
        truth_table("XNOR?")
    Xm, ym = make_moons(101, rng=0)
    assert Xm.shape == (101, 2) and set(ym) == {0, 1}
    np.testing.assert_array_equal(make_moons(50, rng=4)[0], make_moons(50, rng=4)[0])
    Xs, ys = make_spirals(300, 3, rng=0)
    assert Xs.shape == (300, 2) and np.bincount(ys).tolist() == [100, 100, 100]
    d = load_digits()
    n = len(d.y_train) + len(d.y_val) + len(d.y_test)
    assert n == 1797 and d.X_train.shape[1] == 64
    assert set(d.y_val) == set(range(10))
    np.testing.assert_allclose(d.X_train.mean(0), 0, atol=1e-12)
    again = load_digits()
    np.testing.assert_array_equal(again.y_test, d.y_test)
    assert load_digits(images=True, scale="unit").X_train.shape[1:] == (1, 8, 8)


def test_version():
    assert dlcore.__version__.count(".") == 2
