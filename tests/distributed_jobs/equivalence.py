"""An MPI job (run by tests/test_distributed_ddp.py under ``mpirun -n 2`` or ``-n 3``): data-parallel training
against one process on the global batches, in float64.

Every rank trains its DDP model on its DistributedSampler share and, on its own, a reference model on the
global batches (the union of every rank's batch of that step, mean loss). It writes, per case, the largest
difference between the two and between the ranks; rank 0 writes the JSON file named by argv[1].
"""

from __future__ import annotations

import json
import sys

import numpy as np

import neurona as nr
import neurona.functional as F
from neurona import distributed as dist
from neurona import nn, optim
from neurona.data import DataLoader, TensorDataset


def mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3)).double()


def convnet() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(12, 3)).double()


def data(kind: str, n: int) -> TensorDataset:
    rng = np.random.default_rng(7)
    X = rng.normal(size=(n, 6)) if kind == "mlp" else rng.normal(size=(n, 1, 6, 6))
    return TensorDataset(X, rng.integers(0, 3, size=n))


def make(kind: str, opt: str, perturb: bool):
    nr.manual_seed(0)
    model = mlp() if kind == "mlp" else convnet()
    if perturb:  # ranks other than 0 start elsewhere: DDP's broadcast must fix that
        for p in model.parameters():
            p.data += 1.0
    return model


def optimizer(opt: str, params):
    return optim.SGD(params, lr=0.1, momentum=0.9) if opt == "sgd" else optim.Adam(params, lr=0.01)


def flat(model: nn.Module) -> np.ndarray:
    return np.concatenate([p.data.reshape(-1) for p in model.parameters()])


def rank_spread(values: np.ndarray) -> float:
    everyone = dist.all_gather_array(values[None, :])
    return float(np.abs(everyone - everyone[0]).max())


def equivalence(kind: str, opt: str, n: int, batch: int, epochs: int, drop_last: bool) -> dict:
    ds = data(kind, n)
    world, me = dist.world_size(), dist.rank()
    model = dist.DistributedDataParallel(make(kind, opt, perturb=me != 0))
    opt_ddp = optimizer(opt, model.parameters())
    sampler = dist.DistributedSampler(ds, shuffle=True, seed=5, drop_last=drop_last)
    loader = DataLoader(ds, batch_size=batch, sampler=sampler)
    ref = make(kind, opt, perturb=False)
    opt_ref = optimizer(opt, ref.parameters())
    shares = [dist.DistributedSampler(ds, num_replicas=world, rank=r, shuffle=True, seed=5, drop_last=drop_last)
              for r in range(world)]
    X, y = ds.tensors
    steps = 0
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        for s in shares:
            s.set_epoch(epoch)
        per_rank = [s.indices() for s in shares]
        for step, (xb, yb) in enumerate(loader):
            opt_ddp.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt_ddp.step()
            idx = np.concatenate([r[step * batch:(step + 1) * batch] for r in per_rank])
            opt_ref.zero_grad()
            F.cross_entropy(ref(nr.tensor(X.data[idx])), nr.tensor(y.data[idx])).backward()
            opt_ref.step()
            steps += 1
    mine = flat(model.module)
    return {"max_diff": float(np.abs(mine - flat(ref)).max()), "rank_spread": rank_spread(mine), "steps": steps,
            "allreduce_calls": model.allreduce_calls}


def no_sync_accumulation() -> dict:
    """Two micro-batches under no_sync and a third synced equal one step on the 3x larger global batch."""
    ds = data("mlp", 36)
    world, me = dist.world_size(), dist.rank()
    model = dist.DistributedDataParallel(make("mlp", "sgd", perturb=False))
    ref = make("mlp", "sgd", perturb=False)
    X, y = ds.tensors
    micro = 2
    mine = [np.arange(36)[me::world][k * micro:(k + 1) * micro] for k in range(3)]
    with model.no_sync():
        for k in range(2):
            (F.cross_entropy(model(nr.tensor(X.data[mine[k]])), nr.tensor(y.data[mine[k]])) / 3).backward()
    local_before = model.allreduce_calls
    (F.cross_entropy(model(nr.tensor(X.data[mine[2]])), nr.tensor(y.data[mine[2]])) / 3).backward()
    everyone = np.concatenate([np.arange(36)[r::world][: 3 * micro] for r in range(world)])
    F.cross_entropy(ref(nr.tensor(X.data[everyone])), nr.tensor(y.data[everyone])).backward()
    grads = np.concatenate([p.grad.data.reshape(-1) for p in model.module.parameters()])
    ref_grads = np.concatenate([p.grad.data.reshape(-1) for p in ref.parameters()])
    return {"max_diff": float(np.abs(grads - ref_grads).max()), "rank_spread": rank_spread(grads),
            "calls_inside_no_sync": local_before, "calls_after": model.allreduce_calls}


def sync_batchnorm() -> dict:
    """SyncBatchNorm over the ranks' batches equals BatchNorm1d over the global batch (output and grads)."""
    rng = np.random.default_rng(3)
    world, me = dist.world_size(), dist.rank()
    X = rng.normal(size=(4 * world, 5))
    nr.manual_seed(1)
    net = nn.Sequential(nn.Linear(5, 4), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 2)).double()
    nr.manual_seed(1)
    ref = nn.Sequential(nn.Linear(5, 4), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 2)).double()
    model = dist.DistributedDataParallel(dist.SyncBatchNorm.convert_sync_batchnorm(net))
    out = model(nr.tensor(X[me * 4:(me + 1) * 4]))
    (out * out).mean().backward()
    out_ref = ref(nr.tensor(X))
    (out_ref * out_ref).mean().backward()
    grads = np.concatenate([p.grad.data.reshape(-1) for p in net.parameters()])
    ref_grads = np.concatenate([p.grad.data.reshape(-1) for p in ref.parameters()])
    stats = np.concatenate([net[1].running_mean.data, net[1].running_var.data])
    ref_stats = np.concatenate([ref[1].running_mean.data, ref[1].running_var.data])
    return {"output_diff": float(np.abs(out.data - out_ref.data[me * 4:(me + 1) * 4]).max()),
            "grad_diff": float(np.abs(grads - ref_grads).max()),
            "stats_diff": float(np.abs(stats - ref_stats).max()), "is_sync": type(net[1]).__name__}


def collectives() -> dict:
    me, world = dist.rank(), dist.world_size()
    summed = dist.all_reduce(np.array([me + 1.0, 2.0]))
    mean = dist.all_reduce(nr.tensor(np.array([float(me)])), op="mean")
    top = dist.all_reduce(np.array([me], dtype=np.int64), op="max")
    shared = dist.broadcast(np.full(3, float(me)), src=world - 1)
    dist.barrier()
    return {"sum": summed.tolist(), "mean": mean.data.tolist(), "max": top.tolist(), "broadcast": shared.tolist(),
            "json": dist.broadcast_json({"from": me}), "gathered": dist.all_gather_array(np.full((me + 1, 2), me)).tolist()}


def main() -> None:
    dist.init()
    world = dist.world_size()
    results: dict = {"world_size": world, "collectives": collectives()}
    if world == 2:
        for kind in ("mlp", "convnet"):
            for opt in ("sgd", "adam"):
                results[f"{kind}-{opt}"] = equivalence(kind, opt, n=32, batch=4, epochs=2, drop_last=False)
        results["no_sync"] = no_sync_accumulation()
        results["sync_batchnorm"] = sync_batchnorm()
    else:  # uneven: 23 samples over 3 ranks, padded (8 each) or dropped (7 each); last batches smaller
        for kind in ("mlp", "convnet"):
            results[f"{kind}-adam-padded"] = equivalence(kind, "adam", n=23, batch=3, epochs=2, drop_last=False)
        results["mlp-sgd-dropped"] = equivalence("mlp", "sgd", n=23, batch=3, epochs=2, drop_last=True)
        results["no_sync"] = no_sync_accumulation()
    if dist.rank() == 0:
        with open(sys.argv[1], "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
