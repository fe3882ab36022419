"""Freezing (Parameter.requires_grad, Module.requires_grad_), optimizers on frozen and added
parameters, and load_state_dict's strict semantics, each against PyTorch (chapter 12)."""

import numpy as np
import pytest
import torch

import dlcore.nn as nn
from dlcore.gradcheck import check_module_gradients
from dlcore.optim import SGD, AdamW
from parity import close, copy_params, t


def _pair(dtype=np.float64):
    """SCL-03's network Linear(4, 3)-ReLU-Linear(3, 3)-ReLU-Linear(3, 2), dlcore and torch."""
    ours = nn.Sequential(nn.Linear(4, 3, rng=0, dtype=dtype), nn.ReLU(),
                         nn.Linear(3, 3, rng=1, dtype=dtype), nn.ReLU(),
                         nn.Linear(3, 2, rng=2, dtype=dtype))
    ref = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 3),
                              torch.nn.ReLU(), torch.nn.Linear(3, 2))
    copy_params(ours, ref)
    return ours, ref


def _backward(ours, ref, x):
    """MSE against zeros, so dL/dy = 2y/numel; returns dlcore's and torch's input gradient."""
    y = ours(x)
    gx = ours.backward(2 * y / y.size)
    xt = t(x, grad=True)
    torch.nn.functional.mse_loss(ref(xt), torch.zeros(y.shape)).backward()
    return gx, xt.grad


def test_parameter_requires_grad_flag_and_errors():
    p = nn.Parameter(np.zeros(2))
    assert p.requires_grad and nn.Parameter(np.zeros(2), requires_grad=False).requires_grad is False
    assert p.requires_grad_(False) is p and not p.requires_grad
    p.accumulate(np.ones(2))
    assert p.grad is None
    with pytest.raises(ValueError, match="shape"):       # the shape is still checked when frozen
        p.accumulate(np.ones(3))
    with pytest.raises(TypeError, match="requires_grad"):
        p.requires_grad = 1
    with pytest.raises(TypeError, match="requires_grad"):
        nn.Linear(2, 2).requires_grad_("no")
    assert "requires_grad=False" in repr(p)


def test_frozen_middle_layer_like_torch_and_gradients_flow_through():
    x = np.random.default_rng(1).standard_normal((5, 4))
    ours, ref = _pair()
    free, free_ref = _pair()
    gx_free, _ = _backward(free, free_ref, x)
    assert ours[2].requires_grad_(False) is ours[2]
    ref[2].requires_grad_(False)
    assert [p.requires_grad for p in ours.parameters()] == \
           [p.requires_grad for p in ref.parameters()] == [True, True, False, False, True, True]
    gx, gxt = _backward(ours, ref, x)
    assert ours[2].weight.grad is None and ours[2].bias.grad is None
    assert ref[2].weight.grad is None and ref[2].bias.grad is None
    close(gx, gxt, rtol=1e-12, atol=1e-14)
    for p, q in zip(ours.parameters(), ref.parameters()):
        if q.grad is not None:
            close(p.grad, q.grad, rtol=1e-12, atol=1e-14)
    # the first layer below the frozen one gets exactly the unfrozen network's gradient
    np.testing.assert_array_equal(ours[0].weight.grad, free[0].weight.grad)
    np.testing.assert_array_equal(gx, gx_free)
    assert sum(p.data.size for p in ours.parameters() if p.requires_grad) == \
           sum(p.numel() for p in ref.parameters() if p.requires_grad) == 15 + 8


def test_frozen_network_gradcheck_on_what_still_trains():
    ours, _ = _pair()
    ours[2].requires_grad_(False)
    x = np.random.default_rng(1).standard_normal((5, 4))
    report = check_module_gradients(ours, x, rng=3)
    assert report.input < 1e-7
    for name, err in report.parameters.items():
        if not name.startswith("2."):
            assert err < 1e-7, (name, err)


def test_sgd_momentum_weight_decay_leaves_frozen_tensors_bit_identical():
    x = np.random.default_rng(1).standard_normal((5, 4))
    ours, ref = _pair()
    ours[2].requires_grad_(False)
    ref[2].requires_grad_(False)
    before = [p.data.copy() for p in ours.parameters()]
    opt = SGD(ours.parameters(), lr=0.1, momentum=0.9, weight_decay=0.1)
    opt_ref = torch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9, weight_decay=0.1)
    for _ in range(3):
        opt.zero_grad(); opt_ref.zero_grad()
        _backward(ours, ref, x)
        opt.step(); opt_ref.step()
    for i, (p, q, b) in enumerate(zip(ours.parameters(), ref.parameters(), before)):
        close(p.data, q, rtol=1e-12, atol=1e-14)
        if i in (2, 3):
            np.testing.assert_array_equal(p.data, b)
            assert p not in opt.state or not opt.state[p]
        else:
            assert not np.array_equal(p.data, b)


@pytest.mark.parametrize("zero_grads", [False, True])
def test_adamw_on_a_frozen_layer_against_zeroed_gradients(zero_grads):
    """Frozen (grad None): AdamW skips the layer. Zeroed grads: decay and momentum still move it."""
    x = np.random.default_rng(1).standard_normal((5, 4))
    ours, ref = _pair()
    opt = AdamW(ours.parameters(), lr=0.05, weight_decay=1e-2)
    opt_ref = torch.optim.AdamW(ref.parameters(), lr=0.05, weight_decay=1e-2)
    for step in range(6):
        if step == 3 and not zero_grads:
            ours[2].requires_grad_(False)
            ref[2].requires_grad_(False)
        opt.zero_grad(); opt_ref.zero_grad()
        _backward(ours, ref, x)
        if step >= 3 and zero_grads:
            for p, q in zip(ours[2].parameters(), ref[2].parameters()):
                p.grad[...] = 0.0
                q.grad.zero_()
        if step == 3:
            frozen_at = ours[2].weight.data.copy()
        opt.step(); opt_ref.step()
    for p, q in zip(ours.parameters(), ref.parameters()):
        close(p.data, q, rtol=1e-10, atol=1e-12)
    moved = not np.array_equal(ours[2].weight.data, frozen_at)
    assert moved == zero_grads
    for p, q in zip(ours[2].parameters(), ref[2].parameters()):
        for key in ("exp_avg", "exp_avg_sq"):
            close(opt.state[p][key], opt_ref.state[q][key], rtol=1e-10, atol=1e-14)


def test_batch_norm_running_stats_move_when_frozen_in_train_mode():
    x = np.random.default_rng(0).standard_normal((8, 3))
    ours, ref = nn.BatchNorm1d(3).requires_grad_(False), torch.nn.BatchNorm1d(3).requires_grad_(False)
    y = ours(x)
    ref(t(x))
    close(ours.running_mean, ref.running_mean)
    close(ours.running_var, ref.running_var)
    assert not np.allclose(ours.running_mean, 0)
    gx = ours.backward(np.ones_like(y))
    assert ours.weight.grad is None and gx.shape == x.shape


def test_add_param_group_like_torch():
    x = np.random.default_rng(1).standard_normal((5, 4))
    ours, ref = _pair()
    ours[4].requires_grad_(False)
    ref[4].requires_grad_(False)
    opt = SGD([p for p in ours.parameters() if p.requires_grad], lr=0.1)
    opt_ref = torch.optim.SGD([p for p in ref.parameters() if p.requires_grad], lr=0.1)
    ours[4].requires_grad_(True)
    ref[4].requires_grad_(True)
    head = ours[4].weight.data.copy()
    for phase in range(2):
        if phase == 1:
            opt.add_param_group({"params": ours[4].parameters(), "lr": 0.01})
            opt_ref.add_param_group({"params": ref[4].parameters(), "lr": 0.01})
        opt.zero_grad(); opt_ref.zero_grad()
        _backward(ours, ref, x)
        opt.step(); opt_ref.step()
        assert ours[4].weight.grad is not None
        assert np.array_equal(ours[4].weight.data, head) == (phase == 0)
    for p, q in zip(ours.parameters(), ref.parameters()):
        close(p.data, q, rtol=1e-12, atol=1e-14)
    assert opt.param_groups[1]["lr"] == opt_ref.param_groups[1]["lr"] == 0.01
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [ours[0].weight]})


def test_frozen_float32_and_empty_batch():
    ours, _ = _pair(np.float32)
    ours.requires_grad_(False)
    x = np.ones((0, 4), np.float32)
    y = ours(x)
    gx = ours.backward(np.zeros_like(y))
    assert gx.dtype == np.float32 and gx.shape == (0, 4)
    assert all(p.grad is None for p in ours.parameters())
    ours.requires_grad_()
    ours(np.ones((2, 4), np.float32))
    ours.backward(np.ones((2, 2), np.float32))
    assert all(p.grad.dtype == np.float32 for p in ours.parameters())


def _bn_mlp_pair():
    ours = nn.Sequential(nn.Linear(6, 5, rng=0), nn.BatchNorm1d(5), nn.ReLU(), nn.Dropout(0.2),
                         nn.Linear(5, 3, rng=1))
    ref = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.BatchNorm1d(5), torch.nn.ReLU(),
                              torch.nn.Dropout(0.2), torch.nn.Linear(5, 3))
    return ours, ref


def test_state_dict_keys_shapes_and_torch_weights_like_torch():
    ours, ref = _bn_mlp_pair()
    ref.train()
    ref(t(np.random.default_rng(0).standard_normal((16, 6))))      # move the running stats
    theirs = ref.state_dict()
    mine = ours.state_dict()
    assert list(mine) == list(theirs)
    assert "1.num_batches_tracked" in mine
    assert [np.shape(v) for v in mine.values()] == [tuple(v.shape) for v in theirs.values()]
    result = ours.load_state_dict(theirs)          # tensors, straight from torch
    assert result == ([], []) and repr(result) == repr(ref.load_state_dict(theirs))
    assert ours[1].num_batches_tracked == 1 and ours[1].num_batches_tracked.dtype == np.int64
    ours.eval(); ref.eval()
    x = np.random.default_rng(1).standard_normal((7, 6))
    close(ours(x), ref(t(x)))


def test_load_state_dict_strict_error_text_and_non_strict_keys_like_torch():
    ours, ref = _bn_mlp_pair()
    wrapped = {"module." + k: v for k, v in ref.state_dict().items()}
    with pytest.raises(RuntimeError) as theirs:
        ref.load_state_dict(wrapped)
    before = [p.data.copy() for p in ours.parameters()]
    with pytest.raises(RuntimeError) as mine:
        ours.load_state_dict({k: v.numpy() for k, v in wrapped.items()})
    assert str(mine.value) == str(theirs.value)
    assert str(mine.value).startswith("Error(s) in loading state_dict for Sequential:\n\t"
                                      'Missing key(s) in state_dict: "0.weight"')
    got, want = ours.load_state_dict(wrapped, strict=False), ref.load_state_dict(wrapped,
                                                                                strict=False)
    assert got.missing_keys == want.missing_keys and got.unexpected_keys == want.unexpected_keys
    assert repr(got) == repr(want)
    assert all(np.array_equal(p.data, b) for p, b in zip(ours.parameters(), before))
    # partial overlap: the matching keys load, the rest are reported
    part = {"0.weight": ref.state_dict()["0.weight"], "extra": torch.zeros(1)}
    got = ours.load_state_dict(part, strict=False)
    want = ref.load_state_dict(part, strict=False)
    assert got.missing_keys == want.missing_keys and got.unexpected_keys == ["extra"]
    close(ours[0].weight.data, ref[0].weight)


def test_load_state_dict_size_mismatch_raises_even_when_not_strict():
    ours, ref = _bn_mlp_pair()
    bad = {k: v.numpy() for k, v in ref.state_dict().items()}
    bad["4.weight"] = np.zeros((3, 4))
    for strict in (True, False):
        with pytest.raises(RuntimeError, match=r"size mismatch for 4\.weight: copying a param "
                           r"with shape \(3, 4\) from checkpoint, the shape in current model "
                           r"is \(3, 5\)\."):
            ours.load_state_dict(bad, strict=strict)
    with pytest.raises(TypeError, match="strict"):
        ours.load_state_dict({}, strict="yes")
    with pytest.raises(TypeError, match="state_dict"):
        ours.load_state_dict([1, 2])


def test_missing_num_batches_tracked_follows_torch_metadata_rule():
    ours, ref = _bn_mlp_pair()
    full = ref.state_dict()                        # carries torch's _metadata (BN version 2)
    del full["1.num_batches_tracked"]
    plain = dict(full)                             # the same keys without metadata
    for sd in (full, plain):
        got, want = ours.load_state_dict(sd, strict=False), ref.load_state_dict(sd, strict=False)
        assert got.missing_keys == want.missing_keys
    assert ref.load_state_dict(plain, strict=False).missing_keys == []
    assert ref.load_state_dict(full, strict=False).missing_keys == ["1.num_batches_tracked"]


def _cases_with_parameters():
    from test_layer_contract import CASES
    return {k: v for k, v in CASES.items() if v[0](np.float64).parameters()}


@pytest.mark.parametrize("name", sorted(_cases_with_parameters()))
def test_every_layer_skips_frozen_parameters_and_still_returns_the_input_gradient(name):
    make = _cases_with_parameters()[name][0]
    shape = _cases_with_parameters()[name][2]
    x = np.random.default_rng(0).standard_normal((3, *shape))
    free, frozen = make(np.float64), make(np.float64)
    assert frozen.requires_grad_(False) is frozen
    y = free(x)
    g = np.random.default_rng(1).standard_normal(np.shape(y))
    gx_free = free.backward(g)
    np.testing.assert_array_equal(frozen(x), y)
    gx = frozen.backward(g)
    np.testing.assert_array_equal(gx, gx_free)
    assert all(p.grad is None for p in frozen.parameters())
    assert all(p.grad is not None for p in free.parameters())
