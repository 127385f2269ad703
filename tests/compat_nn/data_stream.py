"""Streams the PyTorch way: an IterableDataset (no indices) batched by a DataLoader, chained with `+`."""

import numpy as np
import torch
from torch.utils.data import ChainDataset, DataLoader, IterableDataset


class Readings(IterableDataset):
    """A sensor stream: reading i is (a 2-vector, its label), made as it is asked for."""

    def __init__(self, start, n):
        self.start, self.n = start, n

    def __iter__(self):
        for i in range(self.start, self.start + self.n):
            yield np.array([i, i * 0.5], dtype=np.float32), i % 3

    def __len__(self):
        return self.n


class Endless(IterableDataset):
    """No length: a loader over it has none either."""

    def __iter__(self):
        i = 0
        while True:
            yield np.float32(i)
            i += 1


def batches(loader):
    return [(x.tolist(), y.tolist()) for x, y in loader]


chained = Readings(0, 4) + Readings(10, 3)
endless = iter(DataLoader(Endless(), batch_size=4))
errors = {}
for name, kwargs in (("shuffle", {"shuffle": True}), ("sampler", {"sampler": [0, 1]})):
    try:
        DataLoader(Readings(0, 4), **kwargs)
        errors[name] = "none"
    except ValueError:
        errors[name] = "ValueError"
try:
    len(DataLoader(Endless(), batch_size=2))
    errors["len"] = "none"
except TypeError:
    errors["len"] = "TypeError"

report = {
    "batched": batches(DataLoader(Readings(0, 7), batch_size=3)),
    "dropped": batches(DataLoader(Readings(0, 7), batch_size=3, drop_last=True)),
    "len": len(DataLoader(Readings(0, 7), batch_size=3)),
    "len_drop": len(DataLoader(Readings(0, 7), batch_size=3, drop_last=True)),
    "unbatched": [(x.tolist(), y) for x, y in DataLoader(Readings(5, 2), batch_size=None)],
    "chained": batches(DataLoader(chained, batch_size=5)),
    "chain_len": len(chained),
    "explicit_chain": [int(y) for _, y in ChainDataset([Readings(0, 2), Readings(7, 2)])],
    "endless_first_two": [next(endless).tolist(), next(endless).tolist()],
    "dtypes": [t.dtype == d for t, d in zip(next(iter(DataLoader(Readings(0, 2), batch_size=2))),
                                            (torch.float32, torch.int64))],
    "errors": errors,
}
