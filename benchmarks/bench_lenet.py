"""LeNet-5 training step on 1x28x28 images, batch 64, float32: neurona's nn layers against torch 2.13 CPU,
interleaved in one process. One step = forward, softmax cross-entropy, backward, plain SGD update.

    conv 6@5x5 pad 2 - ReLU - maxpool 2 - conv 16@5x5 - ReLU - maxpool 2 - flatten
    - linear 120 - ReLU - linear 84 - ReLU - linear 10

Both models start from the same weights (torch's state_dict loaded into neurona) and see the same
batch, so their parameters stay in lock-step; the drift after a few steps is printed as a check.

    python benchmarks/bench_lenet.py            # timing, peak memory, page faults
    python benchmarks/bench_lenet.py --profile  # where neurona's step spends its time (cProfile)
    python benchmarks/bench_lenet.py --malloc   # the same with glibc told to keep freed memory

A step allocates tens of megabytes of short-lived arrays (im2col columns alone are 9 MB). glibc
returns big freed blocks to the OS, so each step pays a page fault per 4 KiB it touches again;
``--malloc`` raises glibc's mmap and trim thresholds (``mallopt``) to show what that costs.
"""

from __future__ import annotations

import ctypes
import resource
import sys
import tracemalloc

import numpy as np
import torch

import neurona as nr
import neurona.functional as F
from common import blas_info, interleaved, neurona_sgd_update, peak_rss_mib, torch_sgd_update
from neurona import nn

BATCH, LR = 64, 0.01


def neurona_lenet() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )


def torch_lenet() -> torch.nn.Module:
    tnn = torch.nn
    return tnn.Sequential(
        tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(6, 16, 5), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Flatten(),
        tnn.Linear(16 * 5 * 5, 120), tnn.ReLU(), tnn.Linear(120, 84), tnn.ReLU(), tnn.Linear(84, 10),
    )


def neurona_step_fn(model: nn.Module, x: np.ndarray, y: np.ndarray):
    params = list(model.parameters())
    xt, yt = nr.tensor(x), nr.tensor(y)

    def step():
        loss = F.cross_entropy(model(xt), yt)
        neurona_sgd_update(loss, params, LR)

    return step


def torch_step_fn(model: torch.nn.Module, x: np.ndarray, y: np.ndarray):
    params = list(model.parameters())
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        loss = torch.nn.functional.cross_entropy(model(xt), yt)
        torch_sgd_update(loss, params, LR)

    return step


def peak_traced_mib(step) -> float:
    """Peak NumPy/Python memory allocated during one step, in MiB (torch's allocator is invisible to it)."""
    tracemalloc.start()
    step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def page_faults_per_step(step, steps: int = 20) -> float:
    """Minor page faults per call: fresh memory the OS had to map in."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(steps):
        step()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / steps


def keep_freed_memory() -> None:
    """glibc: serve blocks up to 64 MiB from the heap and return memory to the OS only past 128 MiB free."""
    libc = ctypes.CDLL("libc.so.6")
    libc.mallopt(-3, 64 << 20)  # M_MMAP_THRESHOLD
    libc.mallopt(-1, 128 << 20)  # M_TRIM_THRESHOLD


def main() -> None:
    if "--malloc" in sys.argv:
        keep_freed_memory()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, BATCH)
    torch.manual_seed(0)
    reference = torch_lenet()
    model = neurona_lenet()
    model.load_state_dict(reference.state_dict())
    nr_step, torch_step = neurona_step_fn(model, x, y), torch_step_fn(reference, x, y)
    for _ in range(3):  # same weights, same batch: the two models stay in lock-step
        nr_step()
        torch_step()
    drift = max(float(np.abs(p.data - q.detach().numpy()).max())
                for p, q in zip(model.parameters(), reference.parameters()))

    if "--profile" in sys.argv:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(50):
            nr_step()
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return

    times = interleaved({"neurona": nr_step, "torch": torch_step}, rounds=21, inner=10)
    nr_faults, torch_faults = page_faults_per_step(nr_step), page_faults_per_step(torch_step)
    nr_peak = peak_traced_mib(nr_step)
    print(f"BLAS: {blas_info()}; torch threads: {torch.get_num_threads()}")
    print(f"parameter drift after 3 steps vs torch: {drift:.2e}")
    print(f"LeNet-5 train step, batch {BATCH}: neurona {times['neurona'] * 1e3:.2f} ms, "
          f"torch {times['torch'] * 1e3:.2f} ms, ratio {times['neurona'] / times['torch']:.2f}x (median of 21)")
    print(f"peak memory of one neurona step (tracemalloc): {nr_peak:.1f} MiB; "
          f"process peak RSS (both libraries): {peak_rss_mib():.0f} MiB")
    print(f"minor page faults per step: neurona {nr_faults:.0f}, torch {torch_faults:.0f}"
          + (" (glibc thresholds raised)" if "--malloc" in sys.argv else ""))


if __name__ == "__main__":
    main()
