"""What the Trainer and ``neurona train`` do differently under ``mpirun``, kept in one place.

- Each rank reads its own share of every epoch (:class:`DistributedSampler`, reshuffled per epoch).
- The model is wrapped in :class:`DistributedDataParallel`: weights broadcast from rank 0 at the start,
  gradients averaged with one Allreduce per step.
- The epoch's loss and metrics are computed over every rank's samples (the loss sums and the model
  outputs are gathered), and BatchNorm's running statistics are copied from rank 0, so every rank logs the
  same numbers and callbacks such as EarlyStopping take the same decision everywhere.
- Only rank 0 writes: the run folder, the checkpoints, the history, the report. On ``--resume`` rank 0
  reads the checkpoint and broadcasts its bytes, so the other hosts need no copy of the run folder.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from neurona.distributed import comm
from neurona.distributed.ddp import DistributedDataParallel
from neurona.distributed.sampler import DistributedSampler


def active() -> bool:
    """True when this process runs as one of several ranks under ``mpirun``."""
    if not comm.launched_under_mpi():
        return False
    comm.init()
    return comm.world_size() > 1


class TrainerLink:
    """The Trainer's side of data-parallel training (created by :func:`attach`)."""

    def __init__(self, trainer: Any) -> None:
        self.trainer = trainer
        self.rank, self.world_size = comm.rank(), comm.world_size()
        self.ddp = DistributedDataParallel(trainer.model)
        self.batch_size = 0

    @property
    def is_writer(self) -> bool:
        return self.rank == 0

    def describe(self) -> dict[str, Any]:
        """World size, per-rank and global batch, for the report and status.json."""
        return {"world_size": self.world_size, "batch_size_per_rank": self.batch_size,
                "global_batch_size": self.batch_size * self.world_size, "ranks_on_this_host": comm.local_size()}

    def loader(self, data: Any, batch_size: int, shuffle: bool, seed: int | None) -> Any:
        """This rank's DataLoader over ``data`` (a DataLoader given by the caller is used as it is)."""
        from neurona.data import DataLoader

        self.batch_size = batch_size
        if isinstance(data, DataLoader):
            self.batch_size = data.batch_size
            return data
        dataset = self.trainer._as_dataset(data, "train")
        sampler = DistributedSampler(dataset, shuffle=shuffle, seed=seed or 0)
        return DataLoader(dataset, batch_size=batch_size, sampler=sampler)

    def begin_epoch(self, epoch: int) -> None:
        sampler = getattr(self.trainer.train_loader, "sampler", None)
        if hasattr(sampler, "set_epoch"):
            sampler.set_epoch(epoch)

    def reduce_epoch(self, total: float, count: int, outputs: list, targets: list) -> tuple[float, int, list, list]:
        """The epoch's loss sum, sample count, outputs and targets over every rank; BatchNorm's running
        statistics from rank 0 (DDP copies them before each forward; this covers the last step)."""
        sums = comm.all_reduce(np.array([total, float(count)]), op="sum")
        if outputs:
            outputs = [comm.all_gather_array(np.concatenate(outputs))]
            targets = [comm.all_gather_array(np.concatenate(targets))]
        buffers = [b for b in self.trainer.model.buffers() if b is not None]
        if buffers:
            DistributedDataParallel._broadcast(buffers)
        return float(sums[0]), int(sums[1]), outputs, targets

    def restore(self, path: str | Path) -> int:
        """Resume every rank from rank 0's checkpoint file (its bytes are broadcast)."""
        from neurona.train.checkpointing import restore

        data = Path(path).read_bytes() if self.is_writer else None
        blob = comm.broadcast_bytes(data, src=0)
        if self.is_writer:
            return restore(self.trainer, path)
        with tempfile.TemporaryDirectory(prefix="neurona-resume-") as tmp:
            copy = Path(tmp) / "checkpoint.safetensors"
            copy.write_bytes(blob)
            return restore(self.trainer, copy)


def attach(trainer: Any) -> TrainerLink | None:
    """A :class:`TrainerLink` when launched under ``mpirun`` with several ranks, else None."""
    return TrainerLink(trainer) if active() else None


class QuietFolder:
    """What ranks other than 0 use in place of the run folder: the same methods, nothing written."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.console = Console(quiet=True)
        self._tmp = tempfile.TemporaryDirectory(prefix="neurona-rank-")

    def file(self, name: str) -> Path:
        return Path(self._tmp.name) / name

    def status(self, state: str, **info: Any) -> None:
        pass

    def write_text(self, name: str, text: str) -> Path:
        return self.file(name)

    def write_json(self, name: str, data: Any) -> Path:
        return self.file(name)

    def __enter__(self) -> QuietFolder:
        return self

    def __exit__(self, *exc: Any) -> None:
        self._tmp.cleanup()
