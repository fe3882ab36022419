"""dlcore.parallel on a real gloo group: the launcher (twice in a row, and after a failing
rank), ring and parameter-server all-reduce against all_reduce, and DDP against
single-process large-batch SGD."""

import socket

import numpy as np
import pytest
import torch

from dlcore import parallel


def _ring_and_ddp(rank, world_size):
    import torch.distributed as dist

    gen = torch.Generator().manual_seed(rank)
    mine = torch.randn(1003, generator=gen, dtype=torch.float64)
    ref = mine.clone()
    dist.all_reduce(ref)
    ring, ring_bytes = parallel.ring_all_reduce(mine.clone())
    server, server_bytes = parallel.param_server_all_reduce(mine.clone())
    x = torch.linspace(0, 1, 640 * 64, dtype=torch.float64).reshape(640, 64).sin()
    y = (torch.arange(640) * 7) % 10
    ddp = parallel._ddp_run(x, y, world_size, rank, lr=0.1, momentum=0.9, steps=5)
    return dict(mine=mine.numpy(), ref=ref.numpy(), ring=ring.numpy(), server=server.numpy(),
                ring_bytes=ring_bytes, server_bytes=server_bytes, ddp=ddp)


def _fails_on_rank_one(rank, world_size):
    if rank == 1:
        raise ValueError("rank one refuses")
    import torch.distributed as dist

    dist.barrier()  # rank 0 would wait here forever without the launcher's clean-up
    return rank


def _ranks(rank, world_size):
    return (rank, world_size)


def _port_is_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_ring_server_and_ddp_on_four_ranks():
    out = parallel.launch(_ring_and_ddp, 4)
    m = 1003 * 8
    for r in out:
        np.testing.assert_allclose(r["ring"], r["ref"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(r["server"], r["ref"], rtol=0, atol=1e-12)
    sent = [r["ring_bytes"] for r in out]
    assert sum(sent) == 2 * 3 * m  # every chunk travels 2(N-1) hops in total
    assert max(abs(s - 2 * 3 / 4 * m) for s in sent) <= 2 * 3 * 8  # chunks differ by one item
    assert [r["server_bytes"] for r in out] == [3 * m, m, m, m]
    sims, sim_bytes = parallel.simulate_ring([r["mine"] for r in out])
    assert list(sim_bytes) == sent
    np.testing.assert_allclose(sims[0], out[0]["ref"], rtol=0, atol=1e-12)
    # DDP equals one process on the whole batch of 32
    x = torch.linspace(0, 1, 640 * 64, dtype=torch.float64).reshape(640, 64).sin()
    y = (torch.arange(640) * 7) % 10
    model = parallel.make_mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for step in range(5):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x[32 * step:32 * step + 32]),
                                          y[32 * step:32 * step + 32]).backward()
        opt.step()
    ddp = out[0]["ddp"]
    assert ddp["ranks_identical"]
    for p, q in zip(model.parameters(), ddp["params"]):
        assert np.max(np.abs(p.detach().numpy() - q)) <= 1e-12
    n_params = sum(p.numel() for p in model.parameters())
    assert ddp["bytes_per_step"] == [8 * n_params] * 5


def test_launcher_twice_in_a_row_and_after_a_failure():
    assert parallel.launch(_ranks, 2) == [(0, 2), (1, 2)]
    assert parallel.launch(_ranks, 3) == [(0, 3), (1, 3), (2, 3)]
    with pytest.raises(RuntimeError, match="rank 1 of 2 failed(.|\n)*rank one refuses"):
        parallel.launch(_fails_on_rank_one, 2, timeout=60)
    assert parallel.launch(_ranks, 2) == [(0, 2), (1, 2)]


def test_free_port_is_free_and_launch_checks_arguments():
    assert _port_is_free(parallel.free_port())
    with pytest.raises(ValueError, match="world_size"):
        parallel.launch(_ranks, 0)
    with pytest.raises(ValueError, match="backend"):
        parallel.launch(_ranks, 2, backend="nccl")
    with pytest.raises(TypeError, match="launch fn must be callable"):
        parallel.launch(3, 2)


@pytest.mark.parametrize("segments", [0, 1, 2, 4, 8])
def test_live_output_tracker_measures_checkpoint_peak(segments):
    # L blocks Linear+Tanh: plain training holds all L outputs (+ the input); s checkpointed
    # segments hold s segment inputs and the output, plus one rebuilt segment inside backward
    torch.manual_seed(0)
    n_blocks, width, batch = 8, 16, 4
    # float64 from the start: .double() would replace the parameters that `exclude` lists,
    # and the result would depend on the default dtype other test modules leave behind
    blocks = [torch.nn.Sequential(torch.nn.Linear(width, width, dtype=torch.float64),
                                  torch.nn.Tanh()) for _ in range(n_blocks)]
    params = [p for b in blocks for p in b.parameters()]
    one = batch * width * 8
    x = torch.randn(batch, width, dtype=torch.float64, requires_grad=True)
    with parallel.LiveOutputTracker([m for b in blocks for m in b], exclude=params) as live:
        live.track(x)
        h = x
        if segments == 0:
            for b in blocks:
                h = b(h)
        else:
            per = n_blocks // segments
            for i in range(0, n_blocks, per):
                seg = torch.nn.Sequential(*blocks[i:i + per])
                h = torch.utils.checkpoint.checkpoint(seg, h, use_reentrant=False)
        after_forward = live.current
        h.square().sum().backward()
        del h
    if segments == 0:
        assert after_forward == (n_blocks + 1) * one        # input + every Tanh output
        assert live.peak == (n_blocks + 2) * one            # + one pre-activation in flight
    else:
        assert after_forward == (segments + 1) * one
        assert live.peak == (segments + n_blocks // segments + 1) * one
    assert live.current == one                              # only x is left
