"""Cross-check of the interleaved ratios: each library timed alone, in its own process.

    python benchmarks/standalone.py mlp|lenet|lstm neurona|torch

Interleaving in one process is the fair default (same machine noise for both), but the two libraries'
BLAS/OpenMP worker threads can slow each other; this runs one contender per process instead.
"""

from __future__ import annotations

import statistics
import sys
import time


def _median_time(fn, rounds: int = 21, inner: int = 10) -> float:
    for _ in range(3):
        fn()
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - t0) / inner)
    return statistics.median(samples)


def main() -> None:
    bench, lib = sys.argv[1], sys.argv[2]
    if bench == "mlp":
        import bench_mlp as m

        x, y, w = m.make_data()
        fn = (m.neurona_step_fn if lib == "neurona" else m.torch_step_fn)(x, y, w)[0]
    elif bench == "lenet":
        import numpy as np

        import bench_lenet as m

        rng = np.random.default_rng(0)
        x = rng.standard_normal((m.BATCH, 1, 28, 28)).astype(np.float32)
        y = rng.integers(0, 10, m.BATCH)
        fn = m.neurona_step_fn(m.neurona_lenet(), x, y) if lib == "neurona" else m.torch_step_fn(m.torch_lenet(), x, y)
    else:
        import bench_lstm as m

        fn = m.contenders()[0][lib]
    print(f"{bench} {lib}: {_median_time(fn) * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
