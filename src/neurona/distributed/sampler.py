"""``DistributedSampler``: each rank's disjoint share of every epoch, with torch's rules."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from neurona.data.loader import Sampler
from neurona.errors import ConfigError


class DistributedSampler(Sampler):
    """The indices of one rank: every ``num_replicas``-th index of a seeded permutation, from ``rank``.

    As ``torch.utils.data.DistributedSampler``: every epoch is a permutation drawn from
    ``seed + epoch`` (call :meth:`set_epoch` at the start of each epoch, or every epoch repeats the
    same order); the ranks' shares are disjoint and equally long. When the dataset does not divide
    evenly, ``drop_last=False`` pads the permutation with its own first indices (a few samples are seen
    twice in an epoch) and ``drop_last=True`` drops its tail (a few are not seen that epoch).

    Parameters
    ----------
    dataset : Dataset
        Anything with ``len``.
    num_replicas, rank : int, optional
        The world size and this process's rank; default from :mod:`neurona.distributed`.
    shuffle : bool
        Permute each epoch (False: 0, 1, 2, ... split round-robin).
    seed : int
        The same on every rank, so the ranks agree on the permutation.
    drop_last : bool
        Drop the tail instead of padding.

    Examples
    --------
    >>> s = DistributedSampler(range(10), num_replicas=3, rank=0, shuffle=False)
    >>> s.indices().tolist(), len(s)
    ([0, 3, 6, 9], 4)
    """

    def __init__(self, dataset: Any, num_replicas: int | None = None, rank: int | None = None, shuffle: bool = True,
                 seed: int = 0, drop_last: bool = False) -> None:
        from neurona.distributed import comm

        num_replicas = comm.world_size() if num_replicas is None else num_replicas
        rank = comm.rank() if rank is None else rank
        if isinstance(num_replicas, bool) or not isinstance(num_replicas, int | np.integer) or num_replicas < 1:
            raise ConfigError(f"DistributedSampler: num_replicas must be an integer >= 1, got {num_replicas!r}")
        if isinstance(rank, bool) or not isinstance(rank, int | np.integer) or not 0 <= rank < num_replicas:
            raise ConfigError(f"DistributedSampler: rank must be an integer in [0, {num_replicas - 1}], got {rank!r}")
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
            raise ConfigError(f"DistributedSampler: seed must be an integer, got {seed!r}")
        n = len(dataset)
        if drop_last and n < num_replicas:
            raise ConfigError(f"DistributedSampler: {n} samples cannot give each of {num_replicas} ranks one "
                              "with drop_last=True; use fewer ranks or drop_last=False")
        if n == 0:
            raise ConfigError("DistributedSampler: the dataset is empty")
        self.dataset, self.num_replicas, self.rank = dataset, int(num_replicas), int(rank)
        self.shuffle, self.seed, self.drop_last = bool(shuffle), int(seed), bool(drop_last)
        self.epoch = 0
        if drop_last and n % self.num_replicas:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def set_epoch(self, epoch: int) -> None:
        """Use the permutation of epoch ``epoch`` (the same number on every rank)."""
        self.epoch = int(epoch)

    def global_indices(self) -> np.ndarray:
        """This epoch's padded (or cut) permutation of the whole dataset, before it is split over the ranks."""
        n = len(self.dataset)
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            order = np.arange(n)
        if self.drop_last:
            return order[: self.total_size]
        pad = self.total_size - n
        if pad:
            order = np.concatenate([order, np.resize(order, pad)])  # repeats the order as often as needed
        return order

    def indices(self) -> np.ndarray:
        return self.global_indices()[self.rank : self.total_size : self.num_replicas].astype(np.int64)

    def __len__(self) -> int:
        return self.num_samples

    def state_dict(self) -> dict:
        return {"epoch": self.epoch}

    def load_state_dict(self, state: Mapping) -> None:
        self.epoch = int(state.get("epoch", 0))
