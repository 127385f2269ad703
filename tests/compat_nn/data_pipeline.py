"""Data the PyTorch way: datasets, splits, samplers, collate, worker processes."""

import numpy as np
import torch
from torch.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    get_worker_info,
    random_split,
)


class Squares(Dataset):
    """Sample i is a dict: the input i (as a 2-vector), its square, and a name."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        info = get_worker_info()
        return {
            "x": np.array([i, -i], dtype=np.float32),
            "y": i * i,
            "name": f"s{i}",
            "worker": -1 if info is None else info.id,
        }


def epoch(loader):
    return [batch["y"].tolist() for batch in loader]


squares = Squares(10)
in_order = epoch(DataLoader(squares, batch_size=4))
with_workers = DataLoader(squares, batch_size=4, num_workers=2)
batches = list(with_workers)
workers_seen = sorted({w for b in batches for w in b["worker"].tolist()})
shuffled = epoch(DataLoader(squares, batch_size=3, shuffle=True))
dropped = epoch(DataLoader(squares, batch_size=4, drop_last=True))
by_batch_sampler = epoch(DataLoader(squares, batch_sampler=[[0, 9], [1, 2, 3]]))
batch_sampler = list(BatchSampler(SequentialSampler(range(7)), batch_size=3, drop_last=False))
unbatched = [b["y"] for b in DataLoader(squares, batch_size=None)][:3]

lengths = [len(s) for s in random_split(range(10), [0.5, 0.3, 0.2])]
odd_lengths = [len(s) for s in random_split(range(11), [0.5, 0.5])]
parts = random_split(squares, [7, 3])
covered = sorted(i for part in parts for i in part.indices)
concat = ConcatDataset([Subset(squares, [1, 2]), TensorDataset(torch.zeros(3, 2), torch.ones(3))])
collated = default_collate([{"a": (1, 2.5), "b": [np.zeros(2), np.ones(2)]}, {"a": (3, 4.5), "b": [np.ones(2), np.ones(2)]}])
weighted = list(WeightedRandomSampler([0.0, 0.0, 1.0], num_samples=5))
random_perm = sorted(RandomSampler(range(6)))
subset_perm = sorted(SubsetRandomSampler([4, 2, 8]))
first = next(iter(DataLoader(squares, batch_size=4, collate_fn=lambda samples: [s["name"] for s in samples])))

report = {
    "in_order": in_order,
    "workers_same_batches": epoch(with_workers) == in_order,
    "workers_x": batches[0]["x"].tolist(),
    "workers_seen": workers_seen,
    "main_process_info": get_worker_info() is None,
    "shuffled_is_permutation": sorted(i for b in shuffled for i in b) == sorted(i for b in in_order for i in b),
    "shuffled_sizes": [len(b) for b in shuffled],
    "dropped": dropped,
    "by_batch_sampler": by_batch_sampler,
    "batch_sampler": batch_sampler,
    "unbatched": [int(u) for u in unbatched],
    "split_lengths": lengths,
    "odd_split_lengths": odd_lengths,
    "split_covers": covered == list(range(10)),
    "concat_len": len(concat),
    "concat_items": [concat[1]["y"], float(concat[3][1])],
    "collated_a0": collated["a"][0].tolist(),
    "collated_a1": collated["a"][1].tolist(),
    "collated_b": [t.tolist() for t in collated["b"]],
    "weighted": weighted,
    "random_perm": random_perm,
    "subset_perm": subset_perm,
    "names": first,
    "len_loader": len(DataLoader(squares, batch_size=4)),
    "len_loader_drop": len(DataLoader(squares, batch_size=4, drop_last=True)),
}
