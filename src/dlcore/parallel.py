"""Data-parallel training on a real engine: a process launcher for ``torch.distributed``,
ring and parameter-server all-reduce written with point-to-point messages, and the maths of
stale (asynchronous) gradients.

This is the one dlcore module that uses PyTorch at run time, and it imports torch lazily, inside
the functions that need it, so ``import dlcore`` stays NumPy-only. The NumPy parts
(:func:`simulate_ring`, :func:`stale_gradient_descent`, :func:`delay_stability_limit`) need no
torch at all.

The processes of :func:`launch` run on this machine and meet at ``tcp://127.0.0.1:<port>``.
Across machines the same worker code runs unchanged: ``torchrun --nnodes=2 --nproc-per-node=4
--rdzv-backend=c10d --rdzv-id=<job> --rdzv-endpoint=<host>:<port> script.py`` sets ``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR`` and
``MASTER_PORT`` for every process, and ``init_process_group(backend)`` reads them
(``init_method="env://"``).

Worker functions live here, in an importable module, because a process started with the
``spawn`` method unpickles its target by module and name, which a notebook's own functions do
not have.
"""

from __future__ import annotations

import math
import socket
import traceback

import numpy as np

from .checks import check_choice, check_int

__all__ = ["free_port", "launch", "ring_all_reduce", "param_server_all_reduce",
           "simulate_ring", "byte_count_hook", "stale_gradient_descent",
           "delay_stability_limit", "saved_tensor_bytes", "LiveOutputTracker", "make_mlp",
           "chapter_worker"]


# -- launcher ---------------------------------------------------------------------------------
def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that nobody listens on at the moment of the call."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _run_rank(rank, world_size, port, backend, fn, args, queue):
    """Body of one spawned process: join the group, run ``fn``, report, always leave."""
    import torch
    import torch.distributed as dist

    torch.set_num_threads(1)
    status, payload = "ok", None
    try:
        dist.init_process_group(backend, init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                                world_size=world_size)
        payload = fn(rank, world_size, *args)
    except BaseException:  # noqa: BLE001 - reported to the parent, which re-raises
        status, payload = "error", traceback.format_exc()
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
    queue.put((rank, status, payload))


def launch(fn, world_size: int, *args, backend: str = "gloo", start_method: str = "fork",
           timeout: float = 120.0) -> list:
    """Run ``fn(rank, world_size, *args)`` in ``world_size`` processes joined by
    ``torch.distributed`` and return the results, ordered by rank.

    Parameters
    ----------
    fn : callable
        The worker. With ``start_method="spawn"`` or ``"forkserver"`` it must be importable
        (defined at the top level of a module); its return value must be picklable.
    world_size : int
        Number of processes (>= 1).
    *args
        Passed to every rank after ``rank`` and ``world_size``.
    backend : {"gloo"}
        The ``torch.distributed`` backend; gloo runs on CPUs.
    start_method : {"fork", "spawn", "forkserver"}
        How the processes are started (:mod:`multiprocessing`).
    timeout : float
        Seconds to wait for all ranks before they are terminated.

    Returns
    -------
    list
        ``fn``'s return value of rank 0, 1, ...

    Notes
    -----
    The rendezvous is ``tcp://127.0.0.1:<port>`` on a port that was free a moment before; every
    process uses one intra-op thread. Whatever happens (a rank raises, a rank hangs past
    ``timeout``) every process is joined, or terminated and joined, before ``launch`` returns
    or raises, so the port is released and no process is left behind. A failure is re-raised
    in the caller as ``RuntimeError`` carrying every failing rank's traceback (a rank blocked in a
    collective fails too when its peer dies, and which report arrives first is a race).

    Examples
    --------
    >>> def hello(rank, world_size):
    ...     return rank * 10 + world_size
    >>> launch(hello, 2)  # doctest: +SKIP
    [2, 12]
    """
    import multiprocessing as mp
    import queue as queue_module

    # imported once here, so that forked ranks inherit the modules instead of each importing
    # them at the same time (several seconds on a busy machine)
    import torch  # noqa: F401
    import torch.distributed  # noqa: F401
    import torch.nn.parallel  # noqa: F401
    if start_method == "fork":
        import torch._dynamo  # noqa: F401 - DistributedDataParallel's constructor imports it

    world_size = check_int("world_size", world_size, minimum=1)
    check_choice("backend", backend, ("gloo",))
    check_choice("start_method", start_method, ("fork", "spawn", "forkserver"))
    if not callable(fn):
        raise TypeError(f"launch fn must be callable, got {type(fn).__name__}")
    ctx = mp.get_context(start_method)
    port = free_port()
    results = ctx.Queue()
    procs = [ctx.Process(target=_run_rank, args=(r, world_size, port, backend, fn, args, results),
                         daemon=True) for r in range(world_size)]
    collected, errors = {}, {}
    try:
        for p in procs:
            p.start()
        import time
        deadline = time.monotonic() + timeout
        while len(collected) + len(errors) < world_size:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"launch: ranks {sorted(set(range(world_size)) - collected.keys() - errors.keys())} "
                                   f"did not finish within timeout={timeout} s")
            try:
                rank, status, payload = results.get(timeout=min(left, 0.5))
            except queue_module.Empty:
                dead = [r for r, p in enumerate(procs)
                        if not p.is_alive() and r not in collected and r not in errors
                        and p.exitcode not in (None, 0)]
                if dead:  # a rank died without reporting (killed, segfault)
                    errors.update({r: f"exit code {procs[r].exitcode}" for r in dead})
                    break
                continue
            (collected if status == "ok" else errors)[rank] = payload
            if errors:  # a failing rank leaves the others blocked in collectives
                break
    finally:
        for p in procs:
            p.join(timeout=2.0 if errors or len(collected) < world_size else 30.0)
        for p in procs:
            if p.is_alive():
                p.terminate()
                p.join()
        if errors:  # the other ranks' reports: which rank failed first is a race, so keep all
            while True:
                try:
                    rank, status, payload = results.get(timeout=0.2)
                except queue_module.Empty:
                    break
                if status != "ok":
                    errors.setdefault(rank, payload)
        results.close()
        results.join_thread()
    if errors:
        raise RuntimeError("\n".join(f"launch: rank {r} of {world_size} failed:\n{errors[r]}"
                                     for r in sorted(errors)))
    return [collected[r] for r in range(world_size)]


# -- collectives from point-to-point messages -------------------------------------------------
def ring_all_reduce(tensor):
    """Sum ``tensor`` over all ranks in place with the ring algorithm; return it and the bytes
    this rank sent.

    Parameters
    ----------
    tensor : torch.Tensor
        The same shape and dtype on every rank (a process group must be initialised).

    Returns
    -------
    (torch.Tensor, int)
        ``tensor`` (now the sum) and the number of bytes this rank sent.

    Notes
    -----
    The flattened tensor is cut into :math:`N` chunks. Reduce-scatter: in step
    :math:`s = 0, \\dots, N-2` rank :math:`r` sends chunk :math:`(r - s) \\bmod N` to rank
    :math:`r+1` and adds the chunk :math:`(r - s - 1) \\bmod N` it receives from rank
    :math:`r-1`; afterwards rank :math:`r` holds the full sum of chunk :math:`(r+1) \\bmod N`.
    All-gather: :math:`N-1` more steps pass the finished chunks round the ring. Each rank sends
    :math:`2(N-1)` chunks, :math:`2(N-1)/N \\cdot M` bytes for a message of :math:`M` bytes
    (when :math:`N` divides its length), independent of :math:`N` for large :math:`N`.
    """
    import torch.distributed as dist

    n, rank = dist.get_world_size(), dist.get_rank()
    flat = tensor.view(-1)
    if n == 1:
        return tensor, 0
    bounds = np.linspace(0, flat.numel(), n + 1).round().astype(int)
    chunk = [flat[bounds[i]:bounds[i + 1]] for i in range(n)]
    right, left = (rank + 1) % n, (rank - 1) % n
    sent = 0

    def step(out, inc):
        """Send ``out`` to the right neighbour while receiving the left one's chunk."""
        buf = inc.clone()
        req = dist.isend(out.contiguous(), right)
        dist.recv(buf, left)
        req.wait()
        return buf, out.numel() * out.element_size()

    for s in range(n - 1):  # reduce-scatter: add the incoming partial sums
        inc = chunk[(rank - s - 1) % n]
        buf, nbytes = step(chunk[(rank - s) % n], inc)
        inc.add_(buf)
        sent += nbytes
    for s in range(n - 1):  # all-gather: pass the finished sums on
        inc = chunk[(rank - s) % n]
        buf, nbytes = step(chunk[(rank + 1 - s) % n], inc)
        inc.copy_(buf)
        sent += nbytes
    return tensor, sent


def param_server_all_reduce(tensor):
    """Sum ``tensor`` over all ranks through rank 0 (a parameter server); return it and the
    bytes this rank sent.

    Every other rank sends its whole tensor to rank 0, which adds them and sends the sum back:
    rank 0 receives and sends :math:`(N-1) M` bytes, each worker :math:`M` in each direction.
    """
    import torch.distributed as dist

    n, rank = dist.get_world_size(), dist.get_rank()
    nbytes = tensor.numel() * tensor.element_size()
    if rank == 0:
        buf = tensor.clone()
        for src in range(1, n):
            dist.recv(buf, src)
            tensor.add_(buf)
        for dst in range(1, n):
            dist.send(tensor, dst)
        return tensor, (n - 1) * nbytes
    dist.send(tensor, 0)
    dist.recv(tensor, 0)
    return tensor, nbytes


def simulate_ring(arrays):
    """The ring all-reduce of :func:`ring_all_reduce`, simulated in NumPy.

    Parameters
    ----------
    arrays : sequence of numpy.ndarray
        One array per rank, all of the same shape.

    Returns
    -------
    (list of numpy.ndarray, numpy.ndarray)
        Each rank's result (the element-wise sum, accumulated in the ring's order) and the
        bytes each rank sent, shape ``(N,)``.

    Examples
    --------
    >>> sums, sent = simulate_ring([np.arange(4.0), np.ones(4), np.full(4, 2.0), np.zeros(4)])
    >>> sums[2]
    array([3., 4., 5., 6.])
    >>> sent  # 2 (N - 1) / N * 32 bytes each
    array([48, 48, 48, 48])
    """
    if len(arrays) == 0:
        raise ValueError("simulate_ring arrays must hold at least one array, got 0")
    shapes = {np.shape(a) for a in arrays}
    if len(shapes) != 1:
        raise ValueError(f"simulate_ring arrays must share one shape, got {sorted(shapes)}")
    n = len(arrays)
    data = [np.array(a, copy=True).reshape(-1) for a in arrays]
    bounds = np.linspace(0, data[0].size, n + 1).round().astype(int)
    chunks = [[d[bounds[i]:bounds[i + 1]] for i in range(n)] for d in data]
    sent = np.zeros(n, dtype=np.int64)
    for s in range(n - 1):
        msgs = [chunks[r][(r - s) % n].copy() for r in range(n)]
        for r in range(n):
            sent[r] += msgs[r].nbytes
            chunks[(r + 1) % n][(r - s) % n] += msgs[r]
    for s in range(n - 1):
        msgs = [chunks[r][(r + 1 - s) % n].copy() for r in range(n)]
        for r in range(n):
            sent[r] += msgs[r].nbytes
            chunks[(r + 1) % n][(r + 1 - s) % n][...] = msgs[r]
    shape = np.shape(arrays[0])
    return [d.reshape(shape) for d in data], sent


def byte_count_hook(state, bucket):
    """A ``DistributedDataParallel`` communication hook that averages the gradient bucket
    with ``all_reduce``, as DDP's default, and adds the bucket's size in bytes to
    ``state["bytes"]``.

    Use ``ddp.register_comm_hook({"bytes": 0}, byte_count_hook)``. Bytes counted are those
    handed to the all-reduce (what the collective reduces), not wire traffic, which depends on
    the algorithm (:func:`ring_all_reduce`).
    """
    import torch.distributed as dist

    buf = bucket.buffer()
    state["bytes"] = state.get("bytes", 0) + buf.numel() * buf.element_size()
    buf.div_(dist.get_world_size())
    fut = dist.all_reduce(buf, async_op=True).get_future()
    return fut.then(lambda f: f.value()[0])


# -- stale gradients --------------------------------------------------------------------------
def stale_gradient_descent(grad_fn, w0, lr: float, tau: int, steps: int) -> np.ndarray:
    r"""Gradient descent with a gradient that is ``tau`` steps old:
    :math:`w_{t+1} = w_t - \eta \nabla L(w_{t-\tau})`, with :math:`w_t = w_0` for
    :math:`t < 0`.

    Parameters
    ----------
    grad_fn : callable
        ``grad_fn(w) -> gradient`` shaped like ``w``.
    w0 : array_like
    lr : float
        Learning rate :math:`\eta > 0`.
    tau : int
        Staleness (>= 0); ``tau = 0`` is ordinary gradient descent.
    steps : int
        Number of updates (>= 0).

    Returns
    -------
    numpy.ndarray, shape (steps + 1, *w0.shape)
        The iterates :math:`w_0, \dots, w_{steps}`.

    Examples
    --------
    >>> w = stale_gradient_descent(lambda w: w, [1.0], lr=0.5, tau=1, steps=3)
    >>> w[:, 0]
    array([ 1.  ,  0.5 ,  0.  , -0.25])
    """
    tau = check_int("tau", tau, minimum=0)
    steps = check_int("steps", steps, minimum=0)
    if not (isinstance(lr, (int, float, np.floating)) and lr > 0 and math.isfinite(lr)):
        raise ValueError(f"stale_gradient_descent lr must be a finite number > 0, got {lr!r}")
    w = np.array(w0, dtype=np.float64)
    out = np.empty((steps + 1,) + w.shape)
    out[0] = w
    for t in range(steps):
        stale = out[max(t - tau, 0)]
        with np.errstate(over="ignore", invalid="ignore"):
            out[t + 1] = out[t] - lr * np.asarray(grad_fn(stale))
    return out


def _spectral_radius(tau, c):
    """Largest root modulus of z^(tau+1) - z^tau + c."""
    coeffs = np.zeros(tau + 2)
    coeffs[0], coeffs[1], coeffs[-1] = 1.0, -1.0, c
    if tau == 0:
        coeffs = np.array([1.0, c - 1.0])
    return float(np.max(np.abs(np.roots(coeffs))))


def delay_stability_limit(tau: int, tol: float = 1e-13) -> float:
    r"""Largest :math:`\eta\lambda` for which gradient descent with staleness ``tau`` converges
    on a quadratic of curvature :math:`\lambda`.

    The error obeys :math:`e_{t+1} = e_t - \eta\lambda\, e_{t-\tau}`, whose characteristic
    polynomial is :math:`z^{\tau+1} - z^\tau + \eta\lambda`. The iteration is stable while every
    root lies inside the unit circle; this function finds the threshold by bisection on the
    largest root modulus (computed with :func:`numpy.roots`). It equals
    :math:`2\sin\big(\pi / (2(2\tau+1))\big)`, about :math:`\pi/(2\tau)` for large
    :math:`\tau`.

    Examples
    --------
    >>> round(delay_stability_limit(0), 9), round(delay_stability_limit(1), 9)
    (2.0, 1.0)
    """
    tau = check_int("tau", tau, minimum=0)
    lo, hi = 0.0, 2.0  # stable just above 0 for every tau; unstable at 2 for every tau
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        if _spectral_radius(tau, mid) < 1.0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


# -- memory of autograd --------------------------------------------------------------------
def saved_tensor_bytes(fn, exclude=()):
    """Run ``fn()`` and count the bytes autograd saves for backward while it runs.

    Every tensor saved for backward passes through the pack hook of
    ``torch.autograd.graph.saved_tensors_hooks``; its storage is counted once (a tensor saved
    by two operations, or two views of one buffer, are one storage). Storages of the tensors in
    ``exclude`` (typically ``model.parameters()``, which exist anyway) are left out.

    Returns
    -------
    (object, int)
        ``fn``'s result (keep it alive until backward) and the bytes.

    Notes
    -----
    This function lives in :mod:`dlcore.parallel` because it is dlcore's only module that may
    use torch; the NumPy side of the accounting is :mod:`dlcore.maths.memory`.
    """
    import torch

    skip = {t.untyped_storage().data_ptr() for t in exclude}
    seen = {}

    def pack(t):
        storage = t.untyped_storage()
        if storage.data_ptr() not in skip:
            seen[storage.data_ptr()] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = fn()
    return out, int(sum(seen.values()))


class LiveOutputTracker:
    """Count the bytes of module outputs that are alive, and their peak, while a block runs.

    Inside ``with LiveOutputTracker(modules) as live:`` a forward hook on each of ``modules``
    records the storage of every output it produces (also during the recomputation that
    activation checkpointing runs inside backward), and a ``weakref.finalize`` on that storage
    subtracts its bytes when the storage is freed, whoever held it (autograd's saved tensors,
    a checkpoint frame, a Python variable). ``live.current`` is the number of bytes alive now and
    ``live.peak`` the largest value seen, checked at every new output; ``live.track(t)`` adds a
    tensor that is no module's output (the network input). Storages of ``exclude`` are ignored.

    Examples
    --------
    >>> import torch
    >>> lin = torch.nn.Linear(4, 4).double()
    >>> with LiveOutputTracker([lin]) as live:
    ...     y = lin(torch.ones(2, 4, dtype=torch.float64))
    ...     alive = live.current
    ...     del y
    >>> alive, live.current, live.peak
    (64, 0, 64)
    """

    def __init__(self, modules, exclude=()):
        self.modules = list(modules)
        self._skip = {t.untyped_storage().data_ptr() for t in exclude}
        self._live = {}
        self.current = 0
        self.peak = 0
        self._handles = []

    def track(self, tensor):
        import weakref

        storage = tensor.untyped_storage()
        ptr = storage.data_ptr()
        if ptr in self._skip or ptr in self._live:
            return
        self._live[ptr] = storage.nbytes()
        self.current += storage.nbytes()
        self.peak = max(self.peak, self.current)
        weakref.finalize(storage, self._free, ptr)

    def _free(self, ptr):
        self.current -= self._live.pop(ptr)

    def __enter__(self):
        self._handles = [m.register_forward_hook(lambda mod, args, out: self.track(out))
                         for m in self.modules]
        return self

    def __exit__(self, *exc):
        for h in self._handles:
            h.remove()
        self._handles = []
        return False


# -- the chapter's one launch -----------------------------------------------------------------
def make_mlp(bn: bool = False, dtype=None, seed: int = 0):
    """Chapter 12's MLP 64-32-10 (tanh), optionally with a BatchNorm1d after the hidden Linear,
    in ``dtype`` (float64 by default), initialised from ``torch.manual_seed(seed)``."""
    import torch

    torch.manual_seed(seed)
    layers = [torch.nn.Linear(64, 32)] + ([torch.nn.BatchNorm1d(32)] if bn else [])
    layers += [torch.nn.Tanh(), torch.nn.Linear(32, 10)]
    return torch.nn.Sequential(*layers).to(dtype or torch.float64)


def _ddp_run(x, y, world_size, rank, lr, momentum=0.0, bn=False, dtype=None, steps=20,
             micro=1, no_sync=True):
    """SGD on DDP(make_mlp) where rank r takes rows 8r..8r+7 of each global batch of 32.

    With ``micro`` > 1 each rank accumulates its rows in ``micro`` equal micro-batches (loss
    divided by ``micro``), the first ``micro - 1`` under ``model.no_sync()`` if ``no_sync``.
    """
    import contextlib

    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel as DDP

    model = DDP(make_mlp(bn=bn, dtype=dtype))
    state = {"bytes": 0}
    model.register_comm_hook(state, byte_count_hook)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    per = 32 // world_size
    per_step = []
    for t in range(steps):
        rows = slice(32 * t + per * rank, 32 * t + per * (rank + 1))
        opt.zero_grad()
        before = state["bytes"]
        xs, ys = x[rows].to(dtype or x.dtype), y[rows]
        size = per // micro
        for j in range(micro):
            part = slice(j * size, (j + 1) * size)
            quiet = no_sync and j < micro - 1
            with model.no_sync() if quiet else contextlib.nullcontext():
                loss = torch.nn.functional.cross_entropy(model(xs[part]), ys[part])
                (loss / micro if micro > 1 else loss).backward()
        per_step.append(state["bytes"] - before)
        opt.step()
    flat = torch.cat([p.detach().reshape(-1) for p in model.module.parameters()])
    gathered = [torch.empty_like(flat) for _ in range(world_size)]
    dist.all_gather(gathered, flat)
    same = all(torch.equal(g, gathered[0]) for g in gathered)
    return {"params": [p.detach().numpy().copy() for p in model.module.parameters()],
            "bytes_per_step": per_step, "ranks_identical": same,
            "buffers": {k: v.numpy().copy() for k, v in model.module.state_dict().items()
                        if "running" in k}}


def chapter_worker(rank, world_size, data):
    """Everything chapter 12 runs on ``torch.distributed``, in one launch.

    ``data`` holds ``x`` (640, 64) float64 and ``y`` (640,) int64 digits, ``ring_numel``,
    ``sizes`` (message sizes in bytes for the timing) and ``mp_batches`` (batch sizes of the
    model-parallel check). Returns a dict of NumPy results for this rank.
    """
    import time

    import torch
    import torch.distributed as dist

    x = torch.as_tensor(data["x"], dtype=torch.float64)
    y = torch.as_tensor(data["y"], dtype=torch.int64)
    out = {"rank": rank}
    # SCL-12: synchronous data parallelism
    out["sgd"] = _ddp_run(x, y, world_size, rank, lr=0.1)
    out["momentum"] = _ddp_run(x, y, world_size, rank, lr=0.1, momentum=0.9)
    out["float32"] = _ddp_run(x, y, world_size, rank, lr=0.1, dtype=torch.float32, steps=1)
    out["bn"] = _ddp_run(x, y, world_size, rank, lr=0.1, bn=True)
    out["accum_no_sync"] = _ddp_run(x, y, world_size, rank, lr=0.1, steps=5, micro=4)
    out["accum_sync"] = _ddp_run(x, y, world_size, rank, lr=0.1, steps=5, micro=4,
                                 no_sync=False)
    try:
        sync = torch.nn.SyncBatchNorm.convert_sync_batchnorm(make_mlp(bn=True))
        sync(x[:8]).sum().backward()
        out["syncbn_error"] = None
    except Exception as exc:  # noqa: BLE001 - the message is the evidence
        out["syncbn_error"] = f"{type(exc).__name__}: {exc}"
    # SCL-13 (a): ring and parameter server against all_reduce
    gen = torch.Generator().manual_seed(100 + rank)
    mine = torch.randn(data["ring_numel"], generator=gen, dtype=torch.float64)
    reference = mine.clone()
    dist.all_reduce(reference)
    ring, ring_bytes = ring_all_reduce(mine.clone())
    server, server_bytes = param_server_all_reduce(mine.clone())
    out["ring"] = {"mine": mine.numpy(), "ring": ring.numpy(), "server": server.numpy(),
                   "all_reduce": reference.numpy(), "ring_bytes": ring_bytes,
                   "server_bytes": server_bytes}
    # SCL-13 (b): all_reduce time against message size (median of 5 after one warm-up)
    times = []
    for nbytes in data["sizes"]:
        buf = torch.zeros(nbytes // 8, dtype=torch.float64)
        dist.all_reduce(buf)
        runs = []
        for _ in range(5):
            dist.barrier()
            t0 = time.perf_counter()
            dist.all_reduce(buf)
            runs.append(time.perf_counter() - t0)
        times.append(float(np.median(runs)))
    out["times"] = times
    # SCL-13 (c): model parallelism, MLP 64-256-10 split after the ReLU over ranks 0 and 1
    if rank < 2:
        torch.manual_seed(0)
        first, second = torch.nn.Linear(64, 256).double(), torch.nn.Linear(256, 10).double()
        out["mp"] = {}
        for b in data["mp_batches"]:
            xb, yb = x[:b], y[:b]
            crossed = 0
            if rank == 0:
                first.zero_grad()
                h = torch.relu(first(xb))
                dist.send(h.detach().contiguous(), 1)
                crossed += h.numel() * h.element_size()
                g = torch.empty_like(h)
                dist.recv(g, 1)
                h.backward(g)
                grads = [p.grad.numpy().copy() for p in first.parameters()]
            else:
                second.zero_grad()
                h = torch.empty(b, 256, dtype=torch.float64)
                dist.recv(h, 0)
                h.requires_grad_(True)
                torch.nn.functional.cross_entropy(second(h), yb).backward()
                dist.send(h.grad.contiguous(), 0)
                crossed += h.grad.numel() * h.grad.element_size()
                grads = [p.grad.numpy().copy() for p in second.parameters()]
            out["mp"][b] = {"grads": grads, "bytes_sent": crossed}
    dist.barrier()
    return out
