"""DistributedSampler against torch.utils.data.DistributedSampler: the same lengths, the same unshuffled shares,
padding and dropping; shuffled shares are disjoint, cover the data, follow the seed and change with set_epoch."""

from __future__ import annotations

import numpy as np
import pytest
import torch.utils.data as tud

from neurona.distributed import DistributedSampler
from neurona.errors import ConfigError


@pytest.mark.parametrize("n", [1, 7, 10, 12, 23])
@pytest.mark.parametrize("world", [1, 2, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_unshuffled_shares_match_torch(n, world, drop_last):
    if drop_last and n < world:
        with pytest.raises(ConfigError, match="cannot give each of"):
            DistributedSampler(range(n), num_replicas=world, rank=0, shuffle=False, drop_last=True)
        return
    for rank in range(world):
        ours = DistributedSampler(range(n), num_replicas=world, rank=rank, shuffle=False, drop_last=drop_last)
        theirs = tud.DistributedSampler(range(n), num_replicas=world, rank=rank, shuffle=False, drop_last=drop_last)
        assert len(ours) == len(theirs)
        assert ours.indices().tolist() == list(theirs)


@pytest.mark.parametrize("drop_last", [False, True])
def test_shuffled_shares_are_disjoint_seeded_and_reshuffled(drop_last):
    n, world = 23, 3
    samplers = [DistributedSampler(range(n), num_replicas=world, rank=r, seed=4, drop_last=drop_last)
                for r in range(world)]
    shares = [s.indices() for s in samplers]
    assert len({len(s) for s in shares}) == 1  # every rank takes the same number of steps
    joined = np.concatenate(shares)
    if drop_last:
        assert len(set(joined.tolist())) == len(joined) == 21  # disjoint; 2 samples left out this epoch
    else:
        assert set(joined.tolist()) == set(range(n)) and len(joined) == 24  # all, one padded repeat
        assert len(set(np.concatenate(shares[:2]).tolist())) == 16  # padding repeats only at the tail
    again = DistributedSampler(range(n), num_replicas=world, rank=1, seed=4, drop_last=drop_last)
    assert np.array_equal(again.indices(), shares[1])
    for s in samplers:
        s.set_epoch(1)
    assert not np.array_equal(samplers[1].indices(), shares[1])
    other_seed = DistributedSampler(range(n), num_replicas=world, rank=1, seed=5, drop_last=drop_last)
    assert not np.array_equal(other_seed.indices(), shares[1])


def test_state_dict_keeps_the_epoch():
    s = DistributedSampler(range(10), num_replicas=2, rank=0, seed=1)
    s.set_epoch(3)
    t = DistributedSampler(range(10), num_replicas=2, rank=0, seed=1)
    t.load_state_dict(s.state_dict())
    assert np.array_equal(s.indices(), t.indices())


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"num_replicas": 0, "rank": 0}, "num_replicas must be an integer >= 1, got 0"),
    ({"num_replicas": 2, "rank": 2}, r"rank must be an integer in \[0, 1\], got 2"),
    ({"num_replicas": 2, "rank": 0, "seed": 1.5}, "seed must be an integer, got 1.5"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        DistributedSampler(range(10), **kwargs)
