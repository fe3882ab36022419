"""Norms, penalties, weight decay, ridge/lasso/elastic net, label smoothing, ensembles and
early stopping, against PyTorch, NumPy and scikit-learn."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import dlcore.nn as nn
from dlcore.gradcheck import numerical_gradient, rel_error
from dlcore.optim import SGD
from dlcore.maths.regularization import (EarlyStopping, elastic_net, ensemble_error, l1_penalty,
                                         l1_penalty_backward, l2_penalty, l2_penalty_backward,
                                         lasso, penalized_parameters, ridge, smooth_labels,
                                         soft_threshold, vector_norm, vector_norm_backward)
from dlcore.book.train import fit
from parity import close, copy_params, t

ORDS = [2, 1, float("inf"), -float("inf"), 0, 3, 0.5, 1.5, -1, -2.5]


# -- vector_norm ----------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(shape=st.sampled_from([(5,), (3, 4), (2, 3, 4), ()]), ord=st.sampled_from(ORDS),
       dim_choice=st.integers(0, 3), keepdim=st.booleans(), zeros=st.booleans(),
       ties=st.booleans(), seed=st.integers(0, 2**16))
def test_vector_norm_and_gradient_match_torch(shape, ord, dim_choice, keepdim, zeros, ties,
                                              seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    if ties:
        x = np.round(x)  # repeated magnitudes: the +-inf gradient splits between the ties
    if zeros and x.size:
        x.flat[rng.integers(0, x.size)] = 0.0
    dims = [None, 0, -1, (0, -1)] if len(shape) >= 2 else [None, 0, -1] if shape else [None]
    dim = dims[dim_choice % len(dims)]
    xt = t(x, grad=True)
    ref = torch.linalg.vector_norm(xt, ord=ord, dim=dim, keepdim=keepdim)
    ours = vector_norm(x, ord, dim, keepdim)
    assert ours.shape == tuple(ref.shape)
    close(ours, ref, rtol=1e-12, atol=1e-14)
    g = rng.standard_normal(ref.shape)
    if ord != 0:
        ref.backward(t(g))
        close(vector_norm_backward(g, x, ord, dim, keepdim), xt.grad, rtol=1e-10, atol=1e-12)
    else:
        assert np.all(vector_norm_backward(g, x, ord, dim, keepdim) == 0)


def test_vector_norm_is_stable_and_checks_its_arguments():
    assert vector_norm(np.array([1e200, 1e200])) == pytest.approx(np.sqrt(2) * 1e200)
    for p in (-2, -0.5, 0.5, 3):  # no overflow or underflow at extreme magnitudes
        for scale in (1e-200, 1e200):
            x = scale * np.array([1.0, 2.0])
            assert vector_norm(x, p) == pytest.approx(scale * vector_norm(x / scale, p), rel=1e-13)
            close(vector_norm_backward(1.0, x, p), vector_norm_backward(1.0, x / scale, p),
                  rtol=1e-13, atol=0)
    with pytest.raises(ValueError, match="dim 2 is out of range"):
        vector_norm(np.ones((2, 3)), dim=2)
    with pytest.raises(TypeError, match="ord must be a real number"):
        vector_norm(np.ones(3), ord="fro")
    with pytest.raises(ValueError, match="same dimension twice"):
        vector_norm(np.ones((2, 3)), dim=(1, -1))
    x32 = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    ours = vector_norm(x32, 3, dim=1, dtype=np.float64)
    ref = torch.linalg.vector_norm(torch.from_numpy(x32), 3, dim=1, dtype=torch.float64)
    assert ours.dtype == np.float64 and vector_norm(x32).dtype == np.float32
    close(ours, ref, rtol=1e-13, atol=0)
    with pytest.raises(ValueError, match="would narrow the input dtype float64"):
        vector_norm(np.ones(3), dtype=np.float32)


def test_vector_norm_gradient_is_the_numerical_derivative():
    x = np.array([0.3, -1.2, 2.0, 0.7])
    for p in (2, 1, 3, 0.5, -1.5):
        numeric = numerical_gradient(lambda v: float(vector_norm(v, p)), x)
        assert rel_error(vector_norm_backward(1.0, x, p), numeric) < 1e-7


# -- penalties and weight decay -------------------------------------------------------------
def _mlp(seed=0, bias=True):
    return nn.Sequential(nn.Linear(4, 5, bias=bias, rng=seed), nn.Tanh(),
                         nn.Linear(5, 3, bias=bias, rng=seed + 1))


def _torch_mlp(ours):
    ref = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3))
    copy_params(ours, ref)
    return ref


def test_penalized_parameters_exclude_biases_by_name():
    net = _mlp()
    assert [n for n, _ in penalized_parameters(net)] == ["0.weight", "2.weight"]
    assert [n for n, _ in penalized_parameters(net, include_bias=True)] == \
        ["0.weight", "0.bias", "2.weight", "2.bias"]
    with pytest.raises(TypeError, match="model must be a dlcore Module"):
        penalized_parameters([np.ones(3)])

def test_penalized_parameters_decide_by_module_type():
    # A rule based on names would penalize BatchNorm's and LayerNorm's gamma and PReLU's slopes,
    # all called "weight"; the owning module's type decides instead.
    net = nn.Sequential(nn.Linear(3, 4, rng=0), nn.BatchNorm1d(4), nn.PReLU(), nn.Linear(4, 2, rng=1),
                        nn.LayerNorm(2))
    assert [n for n, _ in penalized_parameters(net)] == ["0.weight", "3.weight"]
    assert [n for n, _ in penalized_parameters(net, include_norm=True)] == \
        ["0.weight", "1.weight", "2.weight", "3.weight", "4.weight"]
    assert [n for n, _ in penalized_parameters(net, include_bias=True)] == \
        ["0.weight", "0.bias", "3.weight", "3.bias"]
    grouped = nn.Sequential(nn.Linear(3, 4, rng=0), nn.GroupNorm(2, 4))
    assert [n for n, _ in penalized_parameters(grouped)] == ["0.weight"]
    # the L2 penalty's gradient therefore leaves gamma alone
    l2_penalty_backward(net, 0.1)
    assert net[1].weight.grad is None and net[2].weight.grad is None and net[0].weight.grad is not None


@pytest.mark.parametrize("include_bias", [False, True])
@pytest.mark.parametrize("kind", ["l1", "l2"])
def test_penalty_value_and_gradient_match_torch_autograd(kind, include_bias):
    net = _mlp()
    net[0].weight.data[0, 0] = 0.0  # the L1 subgradient at 0 must be autograd's 0
    ref = _torch_mlp(net)
    alpha = 0.3
    value, backward = {"l1": (l1_penalty, l1_penalty_backward),
                       "l2": (l2_penalty, l2_penalty_backward)}[kind]
    terms = [p.abs().sum() if kind == "l1" else 0.5 * (p ** 2).sum()
             for name, p in ref.named_parameters() if include_bias or not name.endswith("bias")]
    ref_value = alpha * sum(terms)
    ref_value.backward()
    assert value(net, alpha, include_bias) == pytest.approx(ref_value.item(), rel=1e-13)
    backward(net, alpha, include_bias)
    for (name, p), q in zip(net.named_parameters(), ref.parameters()):
        if not include_bias and name.endswith("bias"):
            assert p.grad is None and q.grad is None
        else:
            close(p.grad, q.grad, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("kind", ["l1", "l2"])
def test_penalty_gradient_by_central_differences(kind):
    net = _mlp(3)
    value, backward = {"l1": (l1_penalty, l1_penalty_backward),
                       "l2": (l2_penalty, l2_penalty_backward)}[kind]
    backward(net, 0.7)
    for name, p in penalized_parameters(net):
        numeric = numerical_gradient(lambda _: value(net, 0.7), p.data)
        assert rel_error(p.grad, numeric) < 1e-8, name


def test_penalty_arguments_are_checked():
    with pytest.raises(ValueError, match="l2 penalty alpha must be in"):
        l2_penalty(_mlp(), alpha=-1.0)


def _mse_grads(net, X, Y):
    loss_fn = nn.MSELoss()
    net.zero_grad()
    loss = loss_fn(net(X), Y)
    net.backward(loss_fn.backward())
    return loss


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_weight_decay_equals_step_on_l2_penalised_loss_and_torch(momentum):
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((16, 4)), rng.standard_normal((16, 3))
    lam, lr = 0.05, 0.1
    decayed, penalised = _mlp(5), _mlp(5)
    ref = _torch_mlp(decayed)
    opt_a = SGD(decayed.parameters(), lr=lr, momentum=momentum, weight_decay=lam)
    opt_b = SGD(penalised.parameters(), lr=lr, momentum=momentum)
    opt_t = torch.optim.SGD(ref.parameters(), lr=lr, momentum=momentum, weight_decay=lam)
    for _ in range(5 if momentum else 1):
        _mse_grads(decayed, X, Y)
        opt_a.step()
        _mse_grads(penalised, X, Y)
        l2_penalty_backward(penalised, lam, include_bias=True)  # SGD decays every parameter
        opt_b.step()
        opt_t.zero_grad()
        torch.nn.functional.mse_loss(ref(t(X)), t(Y)).backward()
        opt_t.step()
    for p, q, r in zip(decayed.parameters(), penalised.parameters(), ref.parameters()):
        close(p.data, q.data, rtol=1e-13, atol=1e-15)
        close(p.data, r, rtol=1e-12, atol=1e-14)


def test_weight_decay_on_weights_only_through_parameter_groups():
    rng = np.random.default_rng(1)
    X, Y = rng.standard_normal((8, 4)), rng.standard_normal((8, 3))
    grouped, penalised = _mlp(7), _mlp(7)
    weights = [p for _, p in penalized_parameters(grouped)]
    biases = [p for n, p in grouped.named_parameters() if n.endswith("bias")]
    opt_a = SGD([{"params": weights, "weight_decay": 0.1}, {"params": biases}], lr=0.2)
    opt_b = SGD(penalised.parameters(), lr=0.2)
    _mse_grads(grouped, X, Y)
    opt_a.step()
    _mse_grads(penalised, X, Y)
    l2_penalty_backward(penalised, 0.1)
    opt_b.step()
    for p, q in zip(grouped.parameters(), penalised.parameters()):
        close(p.data, q.data, rtol=1e-14, atol=1e-15)


# -- ridge, lasso, elastic net --------------------------------------------------------------
def _regression(n=40, p=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    w = np.array([3.0, -2.0, 0.0, 0.0, 1.5, 0.0][:p])
    return X, X @ w + 0.7 + rng.standard_normal(n)


@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("alpha", [0.0, 0.5, 10.0])
def test_ridge_equals_lstsq_on_the_augmented_system_and_sklearn(alpha, fit_intercept):
    from sklearn.linear_model import Ridge

    X, y = _regression()
    fit = ridge(X, y, alpha, fit_intercept)
    n, p = X.shape
    A = np.hstack([X, np.ones((n, 1))]) if fit_intercept else X
    pen = np.sqrt(alpha) * np.eye(p, A.shape[1])  # the intercept column gets no penalty row
    sol = np.linalg.lstsq(np.vstack([A, pen]), np.concatenate([y, np.zeros(p)]), rcond=None)[0]
    close(fit.coef, sol[:p], rtol=1e-10, atol=1e-12)
    if fit_intercept:
        assert fit.intercept == pytest.approx(sol[p], rel=1e-10)
    sk = Ridge(alpha=alpha, fit_intercept=fit_intercept, solver="cholesky").fit(X, y)
    close(fit.coef, sk.coef_, rtol=1e-10, atol=1e-12)
    close(fit.predict(X), sk.predict(X), rtol=1e-10, atol=1e-12)


def test_ridge_toward_a_prior_mean_and_multi_output():
    from scipy.optimize import minimize

    X, y = _regression()
    w0 = np.linspace(-1, 1, X.shape[1])
    fit = ridge(X, y, 3.0, fit_intercept=False, prior_mean=w0)

    def objective(w):
        r = y - X @ w
        return r @ r + 3.0 * (w - w0) @ (w - w0), -2 * X.T @ r + 6.0 * (w - w0)

    num = minimize(objective, np.zeros(X.shape[1]), jac=True, method="BFGS",
                   options={"gtol": 1e-11})
    close(fit.coef, num.x, rtol=1e-6, atol=1e-8)
    Y = np.stack([y, 2 * y + 1], axis=1)
    both = ridge(X, Y, 2.0)
    assert both.coef.shape == (2, X.shape[1]) and both.intercept.shape == (2,)
    close(both.coef[1], 2 * ridge(X, y, 2.0).coef, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="prior_mean must have shape"):
        ridge(X, y, prior_mean=np.zeros(2))


@pytest.mark.parametrize("solver", ["cd", "ista"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("alpha", [0.2, 0.5, 1.0])
def test_lasso_matches_sklearn_coefficients_and_zero_pattern(alpha, fit_intercept, solver):
    from sklearn.linear_model import Lasso

    X, y = _regression(seed=2)
    iters = 200_000 if solver == "ista" else 50_000
    fit = lasso(X, y, alpha, fit_intercept, max_iter=iters, tol=1e-14, solver=solver)
    sk = Lasso(alpha=alpha, fit_intercept=fit_intercept, tol=1e-14, max_iter=100_000).fit(X, y)
    assert fit.converged
    close(fit.coef, sk.coef_, rtol=1e-7, atol=1e-9)
    assert fit.intercept == pytest.approx(sk.intercept_, rel=1e-7, abs=1e-9)
    np.testing.assert_array_equal(fit.coef == 0, sk.coef_ == 0)
    assert (fit.coef == 0).any()


@pytest.mark.parametrize("l1_ratio", [0.0, 0.3, 0.8])
def test_elastic_net_matches_sklearn(l1_ratio):
    from sklearn.linear_model import ElasticNet

    X, y = _regression(seed=4)
    fit = elastic_net(X, y, 0.2, l1_ratio, max_iter=50_000, tol=1e-14)
    sk = ElasticNet(alpha=0.2, l1_ratio=l1_ratio, tol=1e-14, max_iter=100_000).fit(X, y)
    close(fit.coef, sk.coef_, rtol=1e-7, atol=1e-9)
    assert fit.intercept == pytest.approx(sk.intercept_, rel=1e-7)


def test_lasso_on_an_orthonormal_design_is_soft_thresholding():
    rng = np.random.default_rng(0)
    Q = np.linalg.qr(rng.standard_normal((30, 4)))[0]
    w_ls = np.array([3.0, -0.4, 1.2, 0.05])
    y = Q @ w_ls
    for solver in ("cd", "ista"):
        fit = lasso(Q, y, alpha=0.5 / 30, fit_intercept=False, tol=1e-14, max_iter=10_000,
                    solver=solver)
        close(fit.coef, soft_threshold(w_ls, 0.5), rtol=1e-10, atol=1e-12)
        assert (fit.coef == 0).sum() == 2


def test_fixed_step_budget_and_bad_arguments():
    X, y = _regression()
    fit = lasso(X, y, 0.1, max_iter=3, tol=0.0, solver="ista")
    assert fit.n_iter == 3 and not fit.converged
    with pytest.raises(ValueError, match="solver must be one of"):
        lasso(X, y, solver="newton")
    with pytest.raises(ValueError, match="l1_ratio must be in"):
        elastic_net(X, y, l1_ratio=1.5)
    with pytest.raises(ValueError, match=r"y must have shape \(40,\)"):
        ridge(X, y[:5])
    with pytest.raises(ValueError, match="threshold must be in"):
        soft_threshold(np.ones(2), -1.0)


# -- label smoothing ------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("eps", [0.0, 0.1, 0.35, 1.0])
def test_smoothed_targets_reproduce_torch_label_smoothing(eps, reduction):
    rng = np.random.default_rng(0)
    logits, target = rng.standard_normal((7, 5)), rng.integers(0, 5, 7)
    q = smooth_labels(target, 5, eps)
    close(q.sum(axis=1), np.ones(7), rtol=1e-15, atol=1e-15)
    ours = nn.CrossEntropyLoss(reduction=reduction)(logits, q)
    xt = t(logits, grad=True)
    ref = torch.nn.CrossEntropyLoss(reduction=reduction, label_smoothing=eps)(
        xt, torch.tensor(target))
    close(ours, ref, rtol=1e-13, atol=1e-14)
    # torch's own soft-target path with label_smoothing smooths probabilities the same way
    onehot = smooth_labels(target, 5, 0.0)
    close(smooth_labels(onehot, 5, eps), q, rtol=1e-15, atol=1e-15)
    soft = torch.nn.functional.cross_entropy(t(logits), t(onehot), reduction=reduction,
                                             label_smoothing=eps)
    close(ours, soft, rtol=1e-13, atol=1e-14)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 4), c=st.integers(1, 6), extra=st.sampled_from([(), (3,), (2, 2)]),
       eps=st.floats(0.0, 1.0), seed=st.integers(0, 2**16))
def test_smooth_labels_for_spatial_targets_match_torch(n, c, extra, eps, seed):
    rng = np.random.default_rng(seed)
    logits, target = rng.standard_normal((n, c) + extra), rng.integers(0, c, (n,) + extra)
    q = np.moveaxis(smooth_labels(target, c, eps), -1, 1)    # classes last -> NC... layout
    ref = torch.nn.functional.cross_entropy(t(logits), torch.tensor(target), label_smoothing=eps,
                                            reduction="sum")
    soft = torch.nn.functional.cross_entropy(t(logits), t(q), reduction="sum")
    close(soft, ref, rtol=1e-12, atol=1e-12)


def test_smooth_labels_layout_and_errors():
    q = smooth_labels(np.array([[0, 1], [2, 2]]), 3, 0.3)
    assert q.shape == (2, 2, 3)
    close(q[1, 0], [0.1, 0.1, 0.8], rtol=1e-15, atol=1e-15)
    with pytest.raises(ValueError, match=r"class indices in \[0, 2\], got 3"):
        smooth_labels(np.array([3]), 3, 0.1)
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        smooth_labels(np.array([0]), 3, 1.5)
    with pytest.raises(ValueError, match=r"shape \(\*, 3\)"):
        smooth_labels(np.ones((2, 4)) / 4, 3, 0.1)


# -- ensembles ------------------------------------------------------------------------------
@pytest.mark.parametrize("c", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("k", [1, 5, 20])
def test_ensemble_error_against_monte_carlo(c, k):
    rng = np.random.default_rng(0)
    cov = np.full((k, k), c) + (1.0 - c) * np.eye(k)
    errors = rng.multivariate_normal(np.zeros(k), cov, size=200_000, method="eigh")
    mc = np.mean(errors.mean(axis=1) ** 2)
    assert mc == pytest.approx(ensemble_error(1.0, c, k), rel=0.01)


def test_ensemble_error_rejects_impossible_covariances():
    with pytest.raises(ValueError, match="covariance must lie in"):
        ensemble_error(1.0, 1.5, 3)
    with pytest.raises(ValueError, match="covariance must lie in"):
        ensemble_error(1.0, -0.6, 3)  # below -v/(k-1): not positive semi-definite
    with pytest.raises(ValueError, match="k must be a positive integer"):
        ensemble_error(1.0, 0.0, 0)


# -- early stopping -------------------------------------------------------------------------
TRN17 = [0.92, 0.71, 0.60, 0.55, 0.53, 0.535, 0.52, 0.525, 0.53, 0.54, 0.55, 0.56, 0.58, 0.61]


def _replay(stopper, values, model=None):
    for value in values:
        if stopper.step(value, model):
            break
    return stopper


@pytest.mark.parametrize("patience, best, stop", [(1, 4, 5), (3, 6, 9), (5, 6, 11),
                                                  (10, 6, None)])
def test_early_stopping_on_a_scripted_validation_curve(patience, best, stop):
    s = _replay(EarlyStopping(patience=patience), TRN17)
    assert (s.best_epoch, s.stopped_epoch) == (best, stop)
    assert s.best_value == TRN17[best]


def test_min_delta_and_max_mode():
    s = _replay(EarlyStopping(patience=2, min_delta=0.02), TRN17)
    assert (s.best_epoch, s.stopped_epoch) == (3, 5)  # 0.53 and 0.52 beat 0.55 by < 0.02+
    acc = [0.5, 0.6, 0.6, 0.7, 0.65, 0.66]
    s = _replay(EarlyStopping(monitor="val_acc", mode="max", patience=2), acc)
    assert (s.best_epoch, s.stopped_epoch, s.best_value) == (3, 5, 0.7)


def test_early_stopping_restores_the_best_weights_when_replayed():
    layer = nn.Linear(2, 1, rng=0)
    s = EarlyStopping(patience=5)
    snapshots = []
    for epoch, value in enumerate(TRN17):
        layer.weight.data[...] = epoch  # a different "model" at every epoch
        snapshots.append(layer.state_dict())
        if s.step(value, layer):
            break
    assert s.stopped_epoch == 11
    np.testing.assert_array_equal(layer.weight.data, snapshots[6]["weight"])


def test_without_restore_the_model_keeps_its_last_weights():
    layer = nn.Linear(2, 1, rng=0)
    s = EarlyStopping(patience=2, restore_best_weights=False)
    for epoch, value in enumerate([0.5, 0.4, 0.6, 0.7]):
        layer.weight.data[...] = epoch
        if s.step(value, layer):
            break
    assert s.stopped_epoch == 3 and s.best_state is None
    np.testing.assert_array_equal(layer.weight.data, 3.0)
    s.reset()
    assert (s.best_epoch, s.stopped_epoch, s.best_value, s.wait) == (None, None, np.inf, 0)


def test_early_stopping_inside_fit_stops_and_restores():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20, 8)), rng.integers(0, 3, 20)
    Xv, yv = rng.standard_normal((200, 8)), rng.integers(0, 3, 200)  # pure noise: overfits
    model = nn.Sequential(nn.Linear(8, 32, rng=1), nn.Tanh(), nn.Linear(32, 3, rng=2))
    stopper = EarlyStopping(patience=4)
    states = []

    class Recorder:
        def on_epoch_end(self, epoch, history, model):
            states.append(model.state_dict())
            return False

    hist = fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=0.5), X, y,
               epochs=300, validation=(Xv, yv), callbacks=[Recorder(), stopper], rng=0)
    assert hist.stopped_epoch == stopper.stopped_epoch < 299
    assert stopper.best_epoch == int(np.argmin(hist.val_loss))
    assert stopper.stopped_epoch - stopper.best_epoch == 4
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, states[stopper.best_epoch][key])


def test_early_stopping_arguments_are_checked():
    with pytest.raises(ValueError, match="mode must be one of"):
        EarlyStopping(mode="lowest")
    with pytest.raises(ValueError, match="patience must be an integer >= 1"):
        EarlyStopping(patience=0)
    with pytest.raises(ValueError, match="min_delta must be in"):
        EarlyStopping(min_delta=-0.1)

    class Empty:
        val_loss = []

    with pytest.raises(ValueError, match="monitor='val_loss' has no value"):
        EarlyStopping().on_epoch_end(0, Empty(), None)


# -- widgets --------------------------------------------------------------------------------
def test_gd_learning_curves_equal_explicit_gradient_descent():
    from dlcore.book.widgets.regularization import gd_learning_curves

    rng = np.random.default_rng(0)
    x, xv = rng.uniform(-1, 1, 12), rng.uniform(-1, 1, 30)
    Phi, Phi_val = np.polynomial.legendre.legvander(x, 5), np.polynomial.legendre.legvander(xv, 5)
    y, yv = np.sin(3 * x), np.sin(3 * xv)
    epochs = [1, 2, 7, 40]
    train, val, W = gd_learning_curves(Phi, y, Phi_val, yv, 1e-2, epochs)
    D = np.eye(6)
    D[0, 0] = 0
    H = Phi.T @ Phi / 12 + 1e-2 * D
    eta, w = 1 / np.linalg.eigvalsh(H)[-1], np.zeros(6)
    for t in range(1, 41):
        w = w - eta * (Phi.T @ (Phi @ w - y) / 12 + 1e-2 * D @ w)
        if t in epochs:
            k = epochs.index(t)
            close(W[k], w, rtol=1e-9, atol=1e-11)
            assert train[k] == pytest.approx(np.mean((Phi @ w - y) ** 2), rel=1e-9)
            assert val[k] == pytest.approx(np.mean((Phi_val @ w - yv) ** 2), rel=1e-9)


def test_coefficient_path_explorer_shows_sparsity():
    from dlcore.book.widgets.regularization import coefficient_path_explorer

    e = coefficient_path_explorer(rng=0)
    options = [v for _, v in e.controls["alpha"].options]
    times = []
    for alpha in options[::5] + [options[-1]]:
        e.controls["alpha"].value = alpha
        times.append(e.last_callback_ms)
        assert e.artists["l1_at"].get_xdata()[0] == pytest.approx(alpha)
    l1 = e.artists["l1_points"].get_offsets()[:, 1]
    l2 = e.artists["l2_points"].get_offsets()[:, 1]
    assert np.all(l1 == 0) and np.all(l2 != 0)          # alpha = 10: lasso empty, ridge not
    assert "10 of 10 coefficients exactly 0, ridge has 0" in e.status.value
    e.controls["alpha"].value = options[0]
    assert np.all(e.artists["l1_points"].get_offsets()[:, 1] != 0)
    assert np.median(times) < 50, times


def test_overfitting_explorer_marks_the_early_stopping_epoch():
    from dlcore.book.widgets.regularization import overfitting_explorer

    e = overfitting_explorer(rng=0, patience=10)
    times = []
    for degree, n in [(15, 10), (3, 80), (9, 20)]:
        e.controls["degree"].value = degree
        times.append(e.last_callback_ms)
        e.controls["n_train"].value = n
        times.append(e.last_callback_ms)
        assert len(e.artists["points"].get_offsets()) == n
        val = e.artists["val_curve"].get_ydata()
        epochs = e.artists["val_curve"].get_xdata()
        (x_stop,), (y_stop,) = e.artists["stop"].get_data()
        k = int(np.flatnonzero(epochs == x_stop)[0])
        assert y_stop == val[k] and val[k] <= val[:k + 1].min()   # the best epoch seen so far
        assert val[k + 1:k + 11].min() >= val[k] or "never stops" in e.status.value
    assert val[-1] > 3 * val[k]          # degree 9 on 20 points: the last epoch over-fits
    e.controls["alpha"].value = 0.01    # an L2 penalty removes most of the over-fitting
    times.append(e.last_callback_ms)
    assert e.artists["val_curve"].get_ydata()[-1] < val[-1] / 3
    assert np.median(times) < 50, times
