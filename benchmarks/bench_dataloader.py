"""DataLoader: one epoch over a dataset with a slow ``__getitem__``, loaded in the main process, in worker
processes (``num_workers``), and in threads (a thread pool over the same batches, for comparison), with
torch's DataLoader beside it.

Two kinds of slow sample: ``io`` waits (time.sleep, like reading a file: threads help as well as
processes) and ``cpu`` computes in pure Python (like decoding an image: the GIL serialises threads, so
only processes run in parallel, up to the number of cores).

    python benchmarks/bench_dataloader.py [--samples 96] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from neurona.data import DataLoader, Dataset, default_collate


def busy(iterations: int) -> int:
    """Pure-Python work that holds the GIL (a fixed amount, so every contender does the same)."""
    total = 0
    for k in range(iterations):
        total += k * k % 7
    return total


def iterations_for(seconds: float) -> int:
    n = 20_000
    t0 = time.perf_counter()
    busy(n)
    return max(1, int(n * seconds / (time.perf_counter() - t0)))


class SlowSamples(Dataset):
    def __init__(self, n: int, kind: str, cost: float) -> None:
        self.n, self.kind, self.cost = n, kind, cost
        self.iterations = iterations_for(cost) if kind == "cpu" else 0

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int):
        if self.kind == "io":
            time.sleep(self.cost)
        else:
            busy(self.iterations)
        return np.full(64, i, dtype=np.float32), i


def epoch_in_threads(ds: Dataset, batch_size: int, threads: int) -> int:
    batches = [range(s, min(s + batch_size, len(ds))) for s in range(0, len(ds), batch_size)]
    with ThreadPoolExecutor(threads) as pool:
        out = list(pool.map(lambda b: default_collate([ds[i] for i in b]), batches))
    return len(out)


def timed(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=96)
    parser.add_argument("--cost", type=float, default=0.004, help="seconds per sample")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    try:
        import torch.utils.data as tdata
    except ImportError:
        tdata = None
    print(f"{os.cpu_count()} CPUs; {args.samples} samples x {args.cost * 1e3:.0f} ms, batch {args.batch_size}; "
          f"median of {args.rounds} epochs (seconds per epoch)")
    for kind in ("io", "cpu"):
        ds = SlowSamples(args.samples, kind, args.cost)
        rows = {"main process (num_workers=0)": lambda ds=ds: list(DataLoader(ds, batch_size=args.batch_size))}
        for n in (2, 4):
            rows[f"{n} worker processes"] = lambda ds=ds, n=n: list(
                DataLoader(ds, batch_size=args.batch_size, num_workers=n))
            rows[f"{n} threads"] = lambda ds=ds, n=n: epoch_in_threads(ds, args.batch_size, n)
        persistent = DataLoader(ds, batch_size=args.batch_size, num_workers=2, persistent_workers=True)
        rows["2 worker processes, persistent"] = lambda loader=persistent: list(loader)
        if tdata is not None:
            rows["torch, 2 worker processes"] = lambda ds=ds: list(
                tdata.DataLoader(ds, batch_size=args.batch_size, num_workers=2))
        base = None
        print(f"\n{kind}-bound samples")
        for name, fn in rows.items():
            seconds = timed(fn, args.rounds)
            base = base or seconds
            print(f"  {name:32s} {seconds:6.3f} s   {base / seconds:4.2f}x")


if __name__ == "__main__":
    main()
