"""DataLoader worker processes and torch's DataLoader arguments (neurona.data.loader, .workers, .sampler).

Semantics are compared with torch by the compat scripts; here: that N workers really are N other
processes, that the batches and their order do not depend on them, seeding, errors, clean-up.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections import namedtuple

import numpy as np
import pytest

import neurona
from neurona.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
    TensorDataset,
    default_collate,
    get_worker_info,
)
from neurona.errors import ConfigError


class Probe(Dataset):
    """Sample i: i, the pid that loaded it, the worker id, a draw from NumPy's global generator and one
    from neurona's, and what worker_init_fn left behind."""

    init_mark = -1

    def __init__(self, n=24, fail_at=None, exit_at=None, sleep=0.0):
        self.n, self.fail_at, self.exit_at, self.sleep = n, fail_at, exit_at, sleep

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.fail_at:
            raise ValueError(f"sample {i} is broken")
        if i == self.exit_at:
            os._exit(3)
        time.sleep(self.sleep)
        info = get_worker_info()
        return {
            "i": i,
            "pid": os.getpid(),
            "worker": -1 if info is None else info.id,
            "np_draw": int(np.random.randint(0, 2**30)),  # noqa: NPY002 - what augmentation code does
            "nr_draw": float(neurona.rand(1).item()),
            "mark": Probe.init_mark,
        }


def collect(loader):
    out = {k: [] for k in ("i", "pid", "worker", "np_draw", "nr_draw", "mark")}
    for batch in loader:
        for k in out:
            out[k] += batch[k].tolist()
    return out


@pytest.fixture(autouse=True)
def no_leftover_workers():
    yield
    deadline = time.monotonic() + 10
    while mp.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not mp.active_children(), "a DataLoader left worker processes running"


def test_workers_are_other_processes_and_keep_the_order():
    plain = collect(DataLoader(Probe(), batch_size=5, shuffle=True, seed=3))
    loader = DataLoader(Probe(), batch_size=5, shuffle=True, seed=3, num_workers=3, prefetch_factor=1)
    parallel = collect(loader)
    assert parallel["i"] == plain["i"] and sorted(plain["i"]) == list(range(24))
    assert set(plain["pid"]) == {os.getpid()} and set(plain["worker"]) == {-1}
    assert os.getpid() not in parallel["pid"] and len(set(parallel["pid"])) == 3
    assert sorted(set(parallel["worker"])) == [0, 1, 2]


def test_worker_seeds_differ_between_workers_and_repeat_with_the_seed():
    def run():
        neurona.manual_seed(11)
        return collect(DataLoader(Probe(n=12), batch_size=2, num_workers=2))

    first, second = run(), run()
    assert first["np_draw"] == second["np_draw"] and first["nr_draw"] == second["nr_draw"]
    by_worker = {w: [d for d, wk in zip(first["np_draw"], first["worker"]) if wk == w] for w in (0, 1)}
    assert by_worker[0][0] != by_worker[1][0]  # forked workers do not share one generator state


def test_worker_info_and_worker_init_fn():
    seen = []

    def init(worker_id):
        info = get_worker_info()
        assert info.id == worker_id and info.num_workers == 2 and isinstance(info.dataset, Probe)
        Probe.init_mark = 100 + worker_id

    out = collect(DataLoader(Probe(n=8), batch_size=2, num_workers=2, worker_init_fn=init))
    assert get_worker_info() is None and Probe.init_mark == -1 and not seen
    assert {m - w for m, w in zip(out["mark"], out["worker"])} == {100}


def test_persistent_workers_live_across_epochs_and_fresh_ones_do_not():
    persistent = DataLoader(Probe(n=8), batch_size=4, num_workers=2, persistent_workers=True)
    epochs = [set(collect(persistent)["pid"]) for _ in range(2)]
    assert epochs[0] == epochs[1] and len(epochs[0]) == 2
    draws = [collect(persistent)["np_draw"] for _ in range(2)]
    assert draws[0] != draws[1]  # reseeded every epoch, like fresh workers
    del persistent
    fresh = DataLoader(Probe(n=8), batch_size=4, num_workers=2)
    assert not set(collect(fresh)["pid"]) & set(collect(fresh)["pid"])


def test_an_error_in_a_worker_reaches_the_main_process_with_its_traceback():
    loader = DataLoader(Probe(n=10, fail_at=7), batch_size=2, num_workers=2)
    with pytest.raises(ValueError, match="DataLoader worker 1 raised ValueError: sample 7 is broken") as info:
        collect(loader)
    assert "Traceback in the worker" in str(info.value) and "__getitem__" in str(info.value)


def test_a_failing_worker_init_fn_is_reported():
    def init(worker_id):
        raise KeyError(f"no config for worker {worker_id}")

    with pytest.raises(KeyError, match="no config for worker"):
        collect(DataLoader(Probe(n=4), batch_size=2, num_workers=1, worker_init_fn=init))


def test_a_worker_that_dies_is_named():
    with pytest.raises(RuntimeError, match="exited unexpectedly with exit code 3"):
        collect(DataLoader(Probe(n=6, exit_at=0), batch_size=2, num_workers=1))


def test_timeout_bounds_the_wait_for_a_batch():
    with pytest.raises(RuntimeError, match="timed out after 1"):
        collect(DataLoader(Probe(n=2, sleep=4.0), batch_size=1, num_workers=1, timeout=1))


def test_leaving_an_epoch_early_stops_the_workers():
    loader = DataLoader(Probe(n=40), batch_size=2, num_workers=2)
    for n, _ in enumerate(loader):
        if n == 2:
            break
    # the no_leftover_workers fixture checks that they are gone


@pytest.mark.parametrize("kwargs, message", [
    ({"num_workers": -1}, "num_workers"),
    ({"prefetch_factor": 2}, "num_workers > 0"),
    ({"persistent_workers": True}, "num_workers > 0"),
    ({"num_workers": 1, "prefetch_factor": 0}, "prefetch_factor"),
    ({"timeout": -1}, "timeout"),
    ({"batch_sampler": [[0, 1]], "batch_size": 2}, "batch_sampler is mutually exclusive"),
    ({"batch_sampler": [[0, 1]], "shuffle": True}, "batch_sampler is mutually exclusive"),
    ({"batch_size": None, "drop_last": True}, "drop_last"),
    ({"generator": "seed 1", "shuffle": True}, "generator must be"),
])
def test_bad_arguments_are_refused_up_front(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        DataLoader(Probe(n=4), **kwargs)


def test_a_generator_fixes_the_shuffle_and_pin_memory_is_accepted():
    ds = TensorDataset(np.arange(20))

    def order(generator):
        loader = DataLoader(ds, batch_size=5, shuffle=True, generator=generator, pin_memory=True)
        return [y.tolist() for (y,) in loader]

    assert order(np.random.default_rng(4)) == order(np.random.default_rng(4))
    assert order(np.random.default_rng(4)) != order(np.random.default_rng(5))

    class Wrapped:  # a generator object that keeps a NumPy Generator inside (as neurona.Generator may)
        def __init__(self, seed):
            self.generator = np.random.default_rng(seed)

    assert order(Wrapped(4)) == order(np.random.default_rng(4))


def test_batch_sampler_and_unbatched_loading():
    ds = TensorDataset(np.arange(10) * 10)
    sampler = BatchSampler(RandomSampler(10, seed=0), batch_size=4, drop_last=True)
    batches = [y.tolist() for (y,) in DataLoader(ds, batch_sampler=sampler)]
    assert [len(b) for b in batches] == [4, 4] and len(DataLoader(ds, batch_sampler=sampler)) == 2
    assert len({v for b in batches for v in b}) == 8
    assert list(BatchSampler(SequentialSampler(5), 2, drop_last=False)) == [[0, 1], [2, 3], [4]]
    single = list(DataLoader(ds, batch_size=None))
    assert len(single) == 10 and single[3][0].shape == () and single[3][0].item() == 30
    with pytest.raises(ConfigError, match="batch_size"):
        BatchSampler(SequentialSampler(5), 0, drop_last=False)


def test_concat_dataset_indexes_through_its_parts():
    ds = ConcatDataset([TensorDataset(np.arange(3)), TensorDataset(np.arange(10, 12))])
    assert len(ds) == 5 and ds.cumulative_sizes == [3, 5]
    assert [ds[i][0].item() for i in range(5)] == [0, 1, 2, 10, 11] and ds[-1][0].item() == 11
    with pytest.raises(IndexError, match="out of range"):
        ds[5]
    with pytest.raises(ConfigError, match="empty"):
        ConcatDataset([])


def test_default_collate_keeps_namedtuples_lists_and_dict_types():
    Pair = namedtuple("Pair", "x y")
    batch = default_collate([Pair(np.zeros(2), 1), Pair(np.ones(2), 2)])
    assert isinstance(batch, Pair) and batch.x.shape == (2, 2) and batch.y.tolist() == [1, 2]
    lists = default_collate([[1, 2.0], [3, 4.0]])
    assert isinstance(lists, list) and lists[0].dtype == np.int64 and lists[1].dtype == np.float32
    from collections import OrderedDict

    ordered = default_collate([OrderedDict(b=1, a=2), OrderedDict(b=3, a=4)])
    assert isinstance(ordered, OrderedDict) and list(ordered) == ["b", "a"]
    flags = default_collate([True, False])
    assert flags.dtype == np.bool_


def test_a_stream_with_workers_is_refused_before_anything_is_read():
    from neurona.data import IterableDataset

    class Stream(IterableDataset):
        def __iter__(self):
            raise AssertionError("read before the error")

    with pytest.raises(ConfigError, match="num_workers > 0 with an IterableDataset is not supported"):
        DataLoader(Stream(), batch_size=2, num_workers=2)
    with pytest.raises(ConfigError, match="shuffle needs indices"):
        DataLoader(Stream(), batch_size=2, shuffle=True)
