"""Data-parallel training on MPI: throughput, Allreduce cost, scaling efficiency, and a cost model for 8-64 machines.

    python benchmarks/distributed.py            # everything; prints markdown tables (docs/distributed.md)

It launches itself as workers:

- ``--worker train``: the Digits MLP or ConvNet trained with DistributedDataParallel + DistributedSampler,
  per-rank batch 32; reports samples per second over all ranks, compute and Allreduce time per step.
  Run as 1 process with 2 BLAS threads, 1 process with 1 thread, and ``mpirun -n 2`` with 1 thread each.
- ``--worker allreduce``: ``Allreduce`` of float32 buffers from 1e3 to 4e6 values under ``mpirun -n 2``;
  a least-squares fit of t = 2 alpha + bytes / beta (the ring formula at N = 2) gives latency and bandwidth.

The cost model: a ring Allreduce of S bytes over N machines takes 2 (N - 1) alpha + 2 (N - 1) / N * S / beta.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BATCH = 32
NETWORKS = {  # (latency alpha in s, bandwidth beta in bytes/s)
    "10 Gb Ethernet (TCP)": (50e-6, 1.1e9),
    "100 Gb InfiniBand (RDMA)": (3e-6, 11e9),
}


# ---- workers ----------------------------------------------------------------------------------------
def train_worker(model_name: str, threads: int, epochs: int) -> dict:
    import neurona as nr
    import neurona.functional as F
    from neurona import distributed as dist
    from neurona import optim
    from neurona.data import DataLoader, TensorDataset
    from neurona.datasets import load
    from neurona.models import MLP, ConvNet

    dist.init(blas_threads=threads)
    dist.set_blas_threads(threads)  # also in a world of one
    nr.manual_seed(0)
    bundle = load("digits", as_images=model_name == "convnet")
    X = ((bundle.X - bundle.X.mean()) / bundle.X.std()).astype(np.float32)
    ds = TensorDataset(X, bundle.y.astype(np.int64))
    model = ConvNet() if model_name == "convnet" else MLP([64, 128, 64, 10])
    ddp = dist.DistributedDataParallel(model)
    opt = optim.Adam(model.parameters(), lr=1e-3)
    sampler = dist.DistributedSampler(ds, seed=0)
    loader = DataLoader(ds, batch_size=BATCH, sampler=sampler)

    def epoch(e: int) -> int:
        sampler.set_epoch(e)
        n = 0
        for x, y in loader:
            opt.zero_grad()
            F.cross_entropy(ddp(x), y).backward()
            opt.step()
            n += len(x)
        return n

    epoch(0)  # warm-up: first-touch allocations, kernel choices
    ddp.allreduce_seconds, ddp.allreduce_calls = 0.0, 0
    dist.barrier()
    start = time.perf_counter()
    samples = sum(epoch(e) for e in range(1, epochs + 1))
    wall = time.perf_counter() - start
    longest = float(dist.all_reduce(np.array([wall]), op="max")[0])
    total = int(dist.all_reduce(np.array([samples], dtype=np.int64))[0])
    steps = epochs * len(loader)
    allreduce = float(dist.all_reduce(np.array([ddp.allreduce_seconds]), op="mean")[0]) / steps
    return {"model": model_name, "params": model.num_parameters(), "world": dist.world_size(), "threads": threads,
            "samples_per_s": total / longest, "step_ms": 1e3 * longest / steps, "allreduce_ms": 1e3 * allreduce}


def allreduce_worker() -> dict:
    from neurona import distributed as dist

    dist.init()
    rows = []
    for n in (1_000, 10_000, 100_000, 1_000_000, 4_000_000):
        buf = np.ones(n, dtype=np.float32)
        repeats = 200 if n <= 100_000 else 20
        for _ in range(3):
            dist.all_reduce(buf)
        times = []
        for _ in range(repeats):
            dist.barrier()
            t = time.perf_counter()
            dist.all_reduce(buf)
            times.append(time.perf_counter() - t)
        med = float(dist.all_reduce(np.array([np.median(times)]), op="max")[0])
        rows.append({"values": n, "bytes": 4 * n, "ms": 1e3 * med})
    return {"world": dist.world_size(), "rows": rows}


# ---- driver -------------------------------------------------------------------------------------------
def _env(threads: int) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), *filter(None, [env.get("PYTHONPATH")])])
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", NEURONA_BLAS_THREADS=str(threads))
    return env


def launch(args: list[str], ranks: int, threads: int) -> dict:
    cmd = [sys.executable, __file__, *args]
    if ranks > 1:
        cmd = [shutil.which("mpirun") or "mpirun", "--oversubscribe", "-n", str(ranks), *cmd]
    out = subprocess.run(cmd, env=_env(threads), capture_output=True, text=True, timeout=900, check=False)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    return json.loads(lines[0])


def ring_ms(n: int, size_bytes: float, alpha: float, beta: float) -> float:
    return 1e3 * (2 * (n - 1) * alpha + 2 * (n - 1) / n * size_bytes / beta)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", choices=["train", "allreduce"])
    parser.add_argument("--model", default="mlp", choices=["mlp", "convnet"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=0, help="timed epochs (default: 6 MLP, 2 ConvNet)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the best of each is kept")
    a = parser.parse_args()
    if a.worker:
        from neurona import distributed as dist

        epochs = a.epochs or (6 if a.model == "mlp" else 2)
        result = train_worker(a.model, a.threads, epochs) if a.worker == "train" else allreduce_worker()
        if dist.rank() == 0:
            print(json.dumps(result), flush=True)
        return

    print(f"# data-parallel benchmark, {os.cpu_count()} cores, per-rank batch {BATCH}\n")
    print("| model | params | setup | samples/s | ms/step | Allreduce ms/step |")
    print("|---|---|---|---|---|---|")
    runs: dict = {}
    setups = [(model, ranks, threads) for model in ("mlp", "convnet") for ranks, threads in ((1, 2), (1, 1), (2, 1))]
    for _ in range(a.rounds):  # interleaved, so a slow phase of a shared machine hits every setup alike
        for model, ranks, threads in setups:
            r = launch(["--worker", "train", "--model", model, "--threads", str(threads)], ranks, threads)
            best = runs.get((model, ranks, threads))
            if best is None or r["samples_per_s"] > best["samples_per_s"]:
                runs[(model, ranks, threads)] = r
    for model, ranks, threads in setups:
        r = runs[(model, ranks, threads)]
        print(f"| {model} | {r['params']:,} | {ranks} proc x {threads} thread | {r['samples_per_s']:.0f} | "
              f"{r['step_ms']:.2f} | {r['allreduce_ms']:.3f} |", flush=True)
    print("\nScaling efficiency, 2 processes x 1 thread against 1 process x 1 thread (per-rank batch fixed):")
    for model in ("mlp", "convnet"):
        one, two, both = runs[(model, 1, 1)], runs[(model, 2, 1)], runs[(model, 1, 2)]
        eff = two["samples_per_s"] / (2 * one["samples_per_s"])
        print(f"- {model}: {eff:.0%}; against 1 process x 2 threads: {two['samples_per_s'] / both['samples_per_s']:.2f}x")

    sweeps = [launch(["--worker", "allreduce"], 2, 1) for _ in range(a.rounds)]
    ar = sweeps[0]
    for i, row in enumerate(ar["rows"]):  # the fastest of the rounds: the network, not the neighbours
        row["ms"] = min(s["rows"][i]["ms"] for s in sweeps)
    print("\n| values (float32) | bytes | Allreduce ms, N=2 |\n|---|---|---|")
    for row in ar["rows"]:
        print(f"| {row['values']:,} | {row['bytes']:,} | {row['ms']:.4f} |")
    sizes = np.array([r["bytes"] for r in ar["rows"]], dtype=float)
    times = np.array([r["ms"] for r in ar["rows"]]) / 1e3
    slope, intercept = np.polyfit(sizes, times, 1, w=1 / times)  # t = 2 alpha + S / beta (ring, N = 2); relative error
    alpha, beta = max(intercept / 2, 1e-7), 1 / slope
    print(f"\nFit at N=2 (this host, shared memory): alpha = {alpha * 1e6:.1f} us, beta = {beta / 1e9:.2f} GB/s")
    for row in ar["rows"]:
        print(f"  {row['bytes']:>10,} B: measured {row['ms']:.4f} ms, model {ring_ms(2, row['bytes'], alpha, beta):.4f} ms")

    print("\n## Cost model, per-rank batch 32 (weak scaling): efficiency = compute / (compute + Allreduce)\n")
    networks = {"this host (measured)": (alpha, beta), **NETWORKS}
    header = "| model | network | " + " | ".join(f"N={n}" for n in (2, 8, 16, 32, 64)) + " |"
    print(header + "\n|" + "---|" * (2 + 5))
    for model in ("mlp", "convnet"):
        compute = runs[(model, 1, 1)]["step_ms"]
        size = 4 * runs[(model, 1, 1)]["params"]
        for net, (al, be) in networks.items():
            cells = [f"{compute / (compute + ring_ms(n, size, al, be)):.0%}" for n in (2, 8, 16, 32, 64)]
            print(f"| {model} ({compute:.1f} ms compute) | {net} | " + " | ".join(cells) + " |")
    print("\n## Fixed global batch G: step = c*G/N + Allreduce(N); best N* = sqrt((c*G - 2 S/beta) / (2 alpha))\n")
    for model in ("mlp", "convnet"):
        c = runs[(model, 1, 1)]["step_ms"] / 1e3 / BATCH
        size = 4 * runs[(model, 1, 1)]["params"]
        for net, (al, be) in NETWORKS.items():
            for G in (1024, 8192):
                best = np.sqrt(max(c * G - 2 * size / be, 0) / (2 * al))
                print(f"- {model}, {net}, G={G}: compute {1e3 * c * G:.0f} ms on one machine; N* = {best:.0f}")


if __name__ == "__main__":
    main()
