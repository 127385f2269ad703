"""``DataLoader``: batches of samples from a dataset, in order or shuffled, in this process or in workers.

One epoch is one ``iter(loader)``: the sampler (:mod:`neurona.data.sampler`) gives the epoch's order of
indices, the loader cuts it into batches and turns each batch into Tensors (``collate``), here or in
worker processes (:mod:`neurona.data.workers`). Shuffling draws from a NumPy Generator
that belongs to the loader, seeded from ``seed`` or, once at construction, from
:func:`neurona.random.default_generator`; so ``neurona.manual_seed(n)`` fixes the data order, every
epoch gets a new permutation, and ``state_dict()`` / ``load_state_dict()`` resume it bit-identically.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from neurona.data.dataset import Dataset, IterableDataset, Subset, make_generator
from neurona.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler
from neurona.data.workers import WorkerPool
from neurona.errors import ConfigError, DTypeError, ShapeError, fmt_shape
from neurona.tensor import Tensor, _to_array


# --------------------------------------------------------------------------------------------------
# Collate: a list of samples -> one batch of Tensors
# --------------------------------------------------------------------------------------------------
def default_collate(samples: Sequence[Any]) -> Any:
    """Stack a list of samples into a batch, keeping the samples' structure.

    Tensors are stacked as they are; NumPy arrays and numbers become Tensors the way
    :func:`neurona.tensor` makes them (floats float32, integers int64, bools bool; torch makes Python
    floats float64). Tuples, namedtuples, lists and dicts are collated field by field and keep their
    type (torch turns tuples into lists); strings are returned as a list.

    Examples
    --------
    >>> x, y = default_collate([(np.zeros(3), 1), (np.ones(3), 0)])
    >>> x.shape, x.dtype, y.dtype
    ((2, 3), dtype('float32'), dtype('int64'))
    """
    if not len(samples):
        raise ShapeError("default_collate: got an empty batch")
    first = samples[0]
    if isinstance(first, Tensor):
        return Tensor._wrap(_stack([s.data for s in samples]))
    if isinstance(first, str | bytes):
        return list(samples)
    if isinstance(first, Mapping):
        fields = {key: default_collate([s[key] for s in samples]) for key in first}
        return type(first)(fields) if isinstance(first, dict) and type(first) is not dict else fields
    if isinstance(first, tuple | list):
        if any(len(s) != len(first) for s in samples):
            raise ShapeError(
                "default_collate: samples have different numbers of fields "
                f"({sorted({len(s) for s in samples})}); each sample must have the same structure"
            )
        fields = [default_collate(list(field)) for field in zip(*samples)]
        if hasattr(first, "_fields"):  # a namedtuple keeps its type and field names
            return type(first)(*fields)
        return fields if isinstance(first, list) else tuple(fields)
    if isinstance(first, np.ndarray | np.generic | int | float | bool):
        return Tensor._wrap(_to_array(_stack([np.asarray(s) for s in samples])))
    raise DTypeError(
        f"default_collate: cannot batch samples of type {type(first).__name__}; return arrays, "
        "numbers, Tensors, or tuples/dicts of them from __getitem__, or pass a collate_fn"
    )


def _stack(arrays: list[np.ndarray]) -> np.ndarray:
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise ShapeError(
            "default_collate: samples of one batch have different shapes "
            f"{', '.join(fmt_shape(s) for s in sorted(shapes))}; pad them to one shape or pass "
            "a collate_fn"
        )
    return np.stack(arrays)


def _batch_getter(dataset: Any) -> Callable[[np.ndarray], Any] | None:
    """A function fetching a whole batch at once, when the dataset (or the one a Subset views) has one."""
    if isinstance(dataset, Subset):
        inner = _batch_getter(dataset.dataset)
        return None if inner is None else (lambda idx: inner(dataset.indices[idx]))
    return getattr(dataset, "get_batch", None)


# --------------------------------------------------------------------------------------------------
# DataLoader
# --------------------------------------------------------------------------------------------------
class _Fetcher:
    """Fetches one batch by its indices: through the dataset's ``get_batch`` when it has one and the
    default collate applies, else sample by sample and ``collate_fn``. With ``batch_size=None`` a
    "batch" is one index, returned as that sample (arrays converted to Tensors)."""

    def __init__(self, dataset: Any, collate_fn: Callable | None, auto_batch: bool) -> None:
        self.dataset, self.collate_fn, self.auto_batch = dataset, collate_fn, auto_batch
        self.get_batch = _batch_getter(dataset) if collate_fn is None and auto_batch else None

    def __call__(self, indices: Any) -> Any:
        if self.get_batch is not None:  # the hot path: checked first
            return self.get_batch(indices if isinstance(indices, np.ndarray) else np.asarray(indices, dtype=np.int64))
        if not self.auto_batch:
            sample = self.dataset[int(indices)]
            return sample if self.collate_fn is None and isinstance(sample, Tensor) else (
                (self.collate_fn or default_convert)(sample))
        return (self.collate_fn or default_collate)([self.dataset[int(i)] for i in indices])


def default_convert(sample: Any) -> Any:
    """One sample with its NumPy arrays turned into Tensors, structure kept (``batch_size=None``)."""
    if isinstance(sample, np.ndarray):
        return Tensor._wrap(_to_array(sample))
    if isinstance(sample, Mapping):
        return {key: default_convert(v) for key, v in sample.items()}
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):
        return type(sample)(*(default_convert(v) for v in sample))
    if isinstance(sample, tuple | list):
        return type(sample)(default_convert(v) for v in sample)
    return sample


def _check_stream_options(shuffle: Any, sampler: Any, batch_sampler: Any, num_workers: int) -> None:
    """An IterableDataset has no indices: refuse the options that need them, as torch does."""
    for name, value in (("shuffle", shuffle), ("sampler", sampler), ("batch_sampler", batch_sampler)):
        if value:
            raise ConfigError(f"DataLoader: {name} needs indices, but the dataset is an IterableDataset (a stream "
                              f"in its own order); shuffle inside its __iter__ instead, or use a map-style Dataset")
    if num_workers:
        raise ConfigError("DataLoader: num_workers > 0 with an IterableDataset is not supported (each worker would "
                          "need its own share of the stream); use num_workers=0")


class DataLoader:
    """Iterate over a dataset in batches of Tensors, as ``torch.utils.data.DataLoader``.

    Parameters
    ----------
    dataset : Dataset
        Anything with ``len`` and ``[i]``; a :class:`TensorDataset` (or a Subset of one) is fetched a
        whole batch at a time.
    batch_size : int or None, default 1
        Samples per batch (the last batch may be smaller unless ``drop_last``). None turns batching off:
        the loader yields one sample at a time.
    shuffle : bool
        A new random order every epoch, drawn from the loader's own generator.
    sampler : Sampler or iterable of int, optional
        Gives each epoch's indices instead (mutually exclusive with ``shuffle``).
    batch_sampler : BatchSampler or iterable of lists of int, optional
        Gives each batch's indices (mutually exclusive with batch_size, shuffle, sampler, drop_last).
    num_workers : int, default 0
        Worker processes that load batches in parallel (:mod:`neurona.data.workers`); 0 loads in the
        main process. The batches come in the same order either way.
    collate_fn : callable, optional
        Turns a list of samples into a batch; defaults to :func:`default_collate`.
    pin_memory : bool
        Accepted for torch's signature; a no-op (there is no GPU to copy to).
    drop_last : bool
        Drop the last batch when it is smaller than ``batch_size``.
    timeout : float, default 0
        With workers, how long to wait for one batch before giving up (0: forever).
    worker_init_fn : callable, optional
        Called as ``worker_init_fn(worker_id)`` in each worker after it is seeded.
    multiprocessing_context : str or context, optional
        ``"fork"`` (the default where available), ``"spawn"`` or ``"forkserver"``.
    generator : numpy.random.Generator, optional
        Source of the shuffle order and of the workers' seeds.
    prefetch_factor : int, optional
        Batches each worker loads ahead (default 2; only with workers).
    persistent_workers : bool
        Keep the workers alive between epochs (only with workers).
    seed : int, optional
        Seed of the loader's generator. Without it (and without ``generator``), the seed is drawn once,
        at construction, from :func:`neurona.random.default_generator`, so ``neurona.manual_seed(n)``
        fixes the order.

    Examples
    --------
    >>> from neurona.data import TensorDataset
    >>> ds = TensorDataset(np.zeros((10, 3)), np.arange(10))
    >>> loader = DataLoader(ds, batch_size=4, shuffle=True, seed=0)
    >>> [len(y) for x, y in loader]
    [4, 4, 2]
    >>> len(loader)
    3
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = False,
        sampler: Sampler | Iterable[int] | None = None,
        batch_sampler: Iterable[list[int]] | None = None,
        num_workers: int = 0,
        collate_fn: Callable | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context: Any = None,
        generator: Any = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
        seed: int | None = None,
    ) -> None:
        if batch_size is not None and (
            isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer) or batch_size < 1
        ):
            raise ConfigError(f"DataLoader: batch_size must be a positive integer or None, got {batch_size!r}")
        if sampler is not None and shuffle:
            raise ConfigError(
                "DataLoader: sampler and shuffle=True are mutually exclusive; the sampler "
                "decides the order (use RandomSampler to shuffle)"
            )
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None or drop_last):
            raise ConfigError(
                "DataLoader: batch_sampler is mutually exclusive with batch_size, shuffle, sampler and "
                "drop_last; the batch sampler decides every batch"
            )
        if batch_size is None and drop_last:
            raise ConfigError("DataLoader: batch_size=None (no batching) is mutually exclusive with drop_last")
        if isinstance(num_workers, bool) or not isinstance(num_workers, int | np.integer) or num_workers < 0:
            raise ConfigError(f"DataLoader: num_workers must be a non-negative integer, got {num_workers!r}")
        if num_workers == 0 and (prefetch_factor is not None or persistent_workers):
            raise ConfigError(
                "DataLoader: prefetch_factor and persistent_workers apply to worker processes only; "
                "set num_workers > 0 to use them"
            )
        if prefetch_factor is not None and (not isinstance(prefetch_factor, int) or prefetch_factor < 1):
            raise ConfigError(f"DataLoader: prefetch_factor must be a positive integer, got {prefetch_factor!r}")
        if not isinstance(timeout, int | float) or timeout < 0:
            raise ConfigError(f"DataLoader: timeout must be a number >= 0, got {timeout!r}")
        if isinstance(dataset, IterableDataset):
            _check_stream_options(shuffle, sampler, batch_sampler, num_workers)
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        self.seed = seed
        self.num_workers = int(num_workers)
        self.pin_memory, self.pin_memory_device, self.in_order = pin_memory, pin_memory_device, in_order
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.prefetch_factor = 2 if prefetch_factor is None and num_workers else prefetch_factor
        self.persistent_workers = bool(persistent_workers)
        self.generator: np.random.Generator | None = None
        if isinstance(dataset, IterableDataset):  # a stream: no indices, so no sampler
            self.sampler, self.batch_sampler, self._worker_seeds, self._pool = None, None, None, None
            self.epochs_started = 0
            return
        if sampler is None and batch_sampler is None:
            if shuffle:
                self.generator = make_generator(seed, generator)
                sampler = RandomSampler(dataset, generator=self.generator)
            else:
                sampler = SequentialSampler(dataset)
        self.sampler = sampler
        if batch_sampler is None and self.batch_size is not None:
            batch_sampler = BatchSampler(sampler, self.batch_size, self.drop_last)
        self.batch_sampler = batch_sampler
        # the workers' seeds come from a generator of their own, so the order is the same with or without them
        self._worker_seeds = make_generator(None, generator if not shuffle else None) if num_workers else None
        self._pool: WorkerPool | None = None
        self.epochs_started = 0

    def _epoch_indices(self) -> np.ndarray:
        if isinstance(self.sampler, Sampler):
            return self.sampler.indices()
        return np.fromiter((int(i) for i in self.sampler), dtype=np.int64)

    def _epoch_batches(self) -> Iterator[Any]:
        """Each batch's indices (an array slice, a list, or one int without batching), drawn now."""
        if self.batch_sampler is None:
            return iter(self._epoch_indices().tolist())
        bs = self.batch_sampler
        if isinstance(bs, BatchSampler) and isinstance(bs.sampler, Sampler):
            indices = bs.sampler.indices()  # one draw as an array: no per-index Python loop
            stop = len(indices) - len(indices) % bs.batch_size if bs.drop_last else len(indices)
            return (indices[start : start + bs.batch_size] for start in range(0, stop, bs.batch_size))
        return iter([list(b) for b in self.batch_sampler])

    def __iter__(self) -> Iterator[Any]:
        if isinstance(self.dataset, IterableDataset):
            self.epochs_started += 1
            return self._from_stream()
        batches = self._epoch_batches()  # drawn now, so the generator advances once per epoch
        self.epochs_started += 1
        fetch = _Fetcher(self.dataset, self.collate_fn, auto_batch=self.batch_size is not None
                         or self.batch_sampler is not None)
        if not self.num_workers:
            return map(fetch, batches)
        return self._from_workers(fetch, batches)

    def _from_stream(self) -> Iterator[Any]:
        """Batches of consecutive samples of an IterableDataset, in the stream's order."""
        stream = iter(self.dataset)
        if self.batch_size is None:
            yield from map(self.collate_fn or default_convert, stream)
            return
        while batch := list(itertools.islice(stream, self.batch_size)):
            if self.drop_last and len(batch) < self.batch_size:
                return
            yield (self.collate_fn or default_collate)(batch)

    def _from_workers(self, fetch: _Fetcher, batches: Iterator[Any]) -> Iterator[Any]:
        base_seed = int(self._worker_seeds.integers(0, 2**62))
        pool = self._pool
        if pool is None:
            pool = WorkerPool(self.num_workers, self.dataset, fetch, base_seed, self.worker_init_fn,
                              self.multiprocessing_context, self.timeout)
            if self.persistent_workers:
                self._pool = pool
        else:
            pool.reseed(base_seed)
        try:
            yield from pool.run(batches, self.prefetch_factor or 2)
        except BaseException:
            if pool is self._pool:  # a failed epoch leaves no half-used persistent pool behind
                self._pool = None
            pool.shutdown()
            raise
        finally:
            if pool is not self._pool:
                pool.shutdown()

    def __len__(self) -> int:
        if isinstance(self.dataset, IterableDataset):  # only a stream that knows its length has one
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)  # type: ignore[arg-type]
        try:
            return len(self.sampler)  # type: ignore[arg-type]
        except TypeError:
            return len(self.dataset)

    def __del__(self) -> None:
        if getattr(self, "_pool", None) is not None:
            self._pool.shutdown()

    def state_dict(self) -> dict:
        """What resumes the data order: the generator's ``bit_generator.state`` (plain ints and strings,
        JSON-serialisable) and the number of epochs started.

        Taken between epochs, loading it into a loader over the same dataset makes the next epoch
        identical to the one the original loader would have produced.
        """
        state: dict[str, Any] = {"epochs_started": self.epochs_started}
        if self.generator is not None:
            state["generator"] = self.generator.bit_generator.state
        elif isinstance(self.sampler, Sampler) and self.sampler.state_dict():
            state["sampler"] = self.sampler.state_dict()
        return state

    def load_state_dict(self, state: Mapping) -> None:
        """Restore a state from :meth:`state_dict`."""
        if not isinstance(state, Mapping):
            raise ConfigError(f"DataLoader.load_state_dict expects a dict, got {type(state).__name__}")
        if "generator" in state:
            if self.generator is None:
                raise ConfigError(
                    "DataLoader.load_state_dict: the state holds a shuffle generator but this "
                    "loader does not shuffle; build it with shuffle=True"
                )
            self.generator.bit_generator.state = state["generator"]
        if "sampler" in state:
            if not isinstance(self.sampler, Sampler):
                raise ConfigError(
                    "DataLoader.load_state_dict: the state holds a sampler's state but this "
                    "loader's sampler cannot load one"
                )
            self.sampler.load_state_dict(state["sampler"])
        self.epochs_started = int(state.get("epochs_started", 0))

    def __repr__(self) -> str:
        if isinstance(self.dataset, IterableDataset):
            return f"DataLoader(stream {type(self.dataset).__name__}, batch_size={self.batch_size})"
        return (
            f"DataLoader({len(self.dataset)} samples, batch_size={self.batch_size}, shuffle={self.shuffle}, "
            f"drop_last={self.drop_last})"
        )
