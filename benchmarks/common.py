"""Shared timing helpers: neurona and torch run interleaved in one process, medians, ratios."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import neurona

# The benchmarks time training steps directly, without the Trainer that turns this on in a run: keep
# freed activation memory between steps, as a training loop does (neurona/_malloc.py).
neurona.tune_malloc()


def interleaved(fns: dict[str, Callable[[], None]], rounds: int = 15, inner: int = 5, warmup: int = 3,
                pause: float = 0.5, settle: float = 0.1) -> dict[str, float]:
    """Median seconds per call of each function, alternating between them round by round so that
    machine noise hits every contender alike. ``pause`` (untimed) lets the previous contender's BLAS/OpenMP
    worker threads stop spinning before the next one is timed (otherwise each slows the other). Then the
    contender runs untimed for ``settle`` seconds (at least one call): after a pause the first calls of
    both libraries are slow and speed up over 20-40 ms (presumably the VM's cores waking up), and a training loop
    runs in the steady state, so that is what is timed."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            time.sleep(pause)
            settled = time.perf_counter() + settle
            fn()  # untimed: wakes the sleeping BLAS/OpenMP workers and refills the caches
            while time.perf_counter() < settled:
                fn()
            t0 = time.perf_counter()
            for _ in range(inner):
                fn()
            samples[name].append((time.perf_counter() - t0) / inner)
    return {name: statistics.median(s) for name, s in samples.items()}


def neurona_sgd_update(loss, params, lr: float) -> None:
    """One plain SGD step in neurona: fresh gradients of ``loss``, then p <- p - lr * grad."""
    import neurona as nr

    for p in params:
        p.grad = None
    loss.backward()
    with nr.no_grad():
        for p in params:
            p.data -= lr * p.grad.data


def torch_sgd_update(loss, params, lr: float) -> None:
    """The same step in torch."""
    import torch

    for p in params:
        p.grad = None
    loss.backward()
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad


def peak_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def blas_info() -> str:
    try:
        from threadpoolctl import threadpool_info

        return ", ".join(f"{i['internal_api']} {i.get('architecture', '')} x{i['num_threads']}" for i in threadpool_info())
    except Exception:  # threadpoolctl is optional
        return "unknown"
