"""Print the benchmark table: every ``CASES`` entry of every ``bench_*.py`` beside this file.

Usage: ``python benchmarks/run.py [substring]`` (only kernels whose name contains it).
Both libraries run in float64 with the same number of threads.
"""

from __future__ import annotations

import importlib
import os
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

THREADS = int(os.environ.get("BENCH_THREADS", os.cpu_count() or 1))
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, str(THREADS))

import torch  # noqa: E402  (after the thread variables are set)

from harness import best_ms  # noqa: E402


def import_time_ms() -> float:
    code = "import time; s = time.perf_counter(); import dlcore; print(time.perf_counter() - s)"
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 check=True).stdout) for _ in range(5)]
    return 1000 * min(runs)


def main(selector: str = "") -> None:
    torch.set_num_threads(THREADS)
    rows = []
    for path in sorted(HERE.glob("bench_*.py")):
        module = importlib.import_module(path.stem)
        for case in module.CASES:
            if selector in case.kernel:
                ours, theirs = best_ms(case.dlcore), best_ms(case.torch)
                rows.append((case.kernel, case.shape, ours, theirs, ours / theirs))
    print(f"float64, {THREADS} thread(s), torch {torch.__version__}\n")
    print(f"{'kernel':28s} {'shape':30s} {'dlcore ms':>10s} {'torch ms':>10s} {'ratio':>6s}")
    for kernel, shape, ours, theirs, ratio in rows:
        print(f"{kernel:28s} {shape:30s} {ours:10.3f} {theirs:10.3f} {ratio:6.2f}")
    print(f"\nimport dlcore: {import_time_ms():.0f} ms (budget 200 ms)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "")
