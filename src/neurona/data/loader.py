"""``DataLoader``: batches of samples from a dataset, in order or shuffled, and the samplers behind it.

One epoch is one ``iter(loader)``: the sampler gives the epoch's order of indices, the loader cuts it
into batches and turns each batch into Tensors (``collate``). Shuffling draws from a NumPy Generator
that belongs to the loader, seeded from ``seed`` or, once at construction, from
:func:`neurona.random.default_generator`; so ``neurona.manual_seed(n)`` fixes the data order, every
epoch gets a new permutation, and ``state_dict()`` / ``load_state_dict()`` resume it bit-identically.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from neurona.data.dataset import Dataset, Subset, make_generator
from neurona.errors import ConfigError, DTypeError, ShapeError, fmt_shape
from neurona.tensor import Tensor, _to_array


# --------------------------------------------------------------------------------------------------
# Samplers: each epoch's order of indices
# --------------------------------------------------------------------------------------------------
def _length(data_source: Any) -> int:
    return int(data_source) if isinstance(data_source, int | np.integer) else len(data_source)


class Sampler:
    """Base of the samplers: ``iter(sampler)`` yields the indices of one epoch.

    Subclasses define ``indices()``, returning the epoch's indices as one int64 array (the loader
    uses it to avoid a Python loop), and ``__len__``.
    """

    def indices(self) -> np.ndarray:
        raise NotImplementedError

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices().tolist())

    def __len__(self) -> int:
        raise NotImplementedError

    def state_dict(self) -> dict:
        """The generator's state (empty for samplers that draw nothing)."""
        gen = getattr(self, "generator", None)
        return {} if gen is None else {"generator": gen.bit_generator.state}

    def load_state_dict(self, state: Mapping) -> None:
        if "generator" in state:
            self.generator.bit_generator.state = state["generator"]


class SequentialSampler(Sampler):
    """0, 1, ..., n-1 every epoch.

    Examples
    --------
    >>> list(SequentialSampler(3))
    [0, 1, 2]
    """

    def __init__(self, data_source: Any) -> None:
        self.n = _length(data_source)

    def indices(self) -> np.ndarray:
        return np.arange(self.n, dtype=np.int64)

    def __len__(self) -> int:
        return self.n


class RandomSampler(Sampler):
    """A new random permutation each epoch (or ``num_samples`` draws with replacement).

    Parameters
    ----------
    data_source : Dataset or int
        The dataset, or its length.
    replacement : bool
        Draw with replacement (then ``num_samples`` may exceed the length).
    num_samples : int, optional
        Indices per epoch; defaults to the dataset's length.
    generator : numpy.random.Generator, optional
    seed : int, optional
        Seed for a new generator; with neither, its seed is drawn from neurona's default generator.

    Examples
    --------
    >>> sorted(RandomSampler(4, seed=0))
    [0, 1, 2, 3]
    """

    def __init__(
        self,
        data_source: Any,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: np.random.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        self.n = _length(data_source)
        self.replacement = bool(replacement)
        self.num_samples = self.n if num_samples is None else int(num_samples)
        if self.num_samples < 0 or (not self.replacement and self.num_samples > self.n):
            raise ConfigError(
                f"RandomSampler: num_samples={num_samples} must lie in [0, {self.n}] without "
                "replacement; pass replacement=True to draw more"
            )
        self.generator = make_generator(seed, generator)

    def indices(self) -> np.ndarray:
        if self.replacement:
            return self.generator.integers(0, self.n, size=self.num_samples, dtype=np.int64)
        return self.generator.permutation(self.n)[: self.num_samples].astype(np.int64, copy=False)

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices, in a new random order each epoch (e.g. a validation fold).

    Examples
    --------
    >>> sorted(SubsetRandomSampler([5, 7, 9], seed=0))
    [5, 7, 9]
    """

    def __init__(
        self, indices: Sequence[int], generator: np.random.Generator | None = None, seed: int | None = None
    ) -> None:
        self.subset = np.asarray(indices, dtype=np.int64).reshape(-1)
        self.generator = make_generator(seed, generator)

    def indices(self) -> np.ndarray:
        return self.subset[self.generator.permutation(len(self.subset))]

    def __len__(self) -> int:
        return len(self.subset)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probability proportional to ``weights`` (e.g. to rebalance
    classes: weight each sample by 1 / its class count).

    Examples
    --------
    >>> s = WeightedRandomSampler([0.0, 1.0, 0.0], num_samples=4, seed=0)
    >>> list(s)
    [1, 1, 1, 1]
    """

    def __init__(
        self,
        weights: Sequence[float],
        num_samples: int,
        replacement: bool = True,
        generator: np.random.Generator | None = None,
        seed: int | None = None,
    ) -> None:
        w = np.asarray(weights, dtype=np.float64).reshape(-1)
        if w.size == 0 or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ConfigError("WeightedRandomSampler: weights must be finite, non-negative and not all zero")
        self.probabilities = w / w.sum()
        self.num_samples = int(num_samples)
        self.replacement = bool(replacement)
        if not self.replacement and self.num_samples > np.count_nonzero(w):
            raise ConfigError(
                f"WeightedRandomSampler: cannot draw {self.num_samples} samples without replacement "
                f"from {np.count_nonzero(w)} non-zero weights"
            )
        self.generator = make_generator(seed, generator)

    def indices(self) -> np.ndarray:
        return self.generator.choice(
            len(self.probabilities), size=self.num_samples, replace=self.replacement, p=self.probabilities
        ).astype(np.int64)

    def __len__(self) -> int:
        return self.num_samples


# --------------------------------------------------------------------------------------------------
# Collate: a list of samples -> one batch of Tensors
# --------------------------------------------------------------------------------------------------
def default_collate(samples: Sequence[Any]) -> Any:
    """Stack a list of samples into a batch, keeping the samples' structure.

    Tensors are stacked as they are; NumPy arrays and numbers become Tensors the way
    :func:`neurona.tensor` makes them (floats float32, integers int64). Tuples, lists and dicts are
    collated field by field; strings are returned as a list.

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
        return {key: default_collate([s[key] for s in samples]) for key in first}
    if isinstance(first, tuple | list):
        if any(len(s) != len(first) for s in samples):
            raise ShapeError(
                "default_collate: samples have different numbers of fields "
                f"({sorted({len(s) for s in samples})}); each sample must have the same structure"
            )
        return tuple(default_collate(list(field)) for field in zip(*samples))
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
class DataLoader:
    """Iterate over a dataset in batches of Tensors.

    Parameters
    ----------
    dataset : Dataset
        Anything with ``len`` and ``[i]``; a :class:`TensorDataset` (or a Subset of one) is fetched a
        whole batch at a time.
    batch_size : int
        Samples per batch (the last batch may be smaller unless ``drop_last``).
    shuffle : bool
        A new random order every epoch, drawn from the loader's own generator.
    drop_last : bool
        Drop the last batch when it is smaller than ``batch_size``.
    sampler : Sampler or iterable of int, optional
        Gives each epoch's indices instead (mutually exclusive with ``shuffle``).
    collate_fn : callable, optional
        Turns a list of samples into a batch; defaults to :func:`default_collate`.
    seed : int, optional
        Seed of the loader's generator. Without it, the seed is drawn once, at construction, from
        :func:`neurona.random.default_generator`, so ``neurona.manual_seed(n)`` fixes the order.

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
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        sampler: Sampler | Iterable[int] | None = None,
        collate_fn: Callable | None = None,
        seed: int | None = None,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer) or batch_size < 1:
            raise ConfigError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
        if sampler is not None and shuffle:
            raise ConfigError(
                "DataLoader: sampler and shuffle=True are mutually exclusive; the sampler "
                "decides the order (use RandomSampler to shuffle)"
            )
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        self.seed = seed
        self.generator: np.random.Generator | None = None
        if sampler is None:
            if shuffle:
                self.generator = make_generator(seed)
                sampler = RandomSampler(dataset, generator=self.generator)
            else:
                sampler = SequentialSampler(dataset)
        self.sampler = sampler
        self.epochs_started = 0

    def _epoch_indices(self) -> np.ndarray:
        if isinstance(self.sampler, Sampler):
            return self.sampler.indices()
        return np.fromiter((int(i) for i in self.sampler), dtype=np.int64)

    def __iter__(self) -> Iterator[Any]:
        indices = self._epoch_indices()  # drawn now, so the generator advances once per epoch
        self.epochs_started += 1
        return self._batches(indices)

    def _batches(self, indices: np.ndarray) -> Iterator[Any]:
        n, bs = len(indices), self.batch_size
        stop = n - n % bs if self.drop_last else n
        get_batch = _batch_getter(self.dataset) if self.collate_fn is None else None
        collate = self.collate_fn or default_collate
        for start in range(0, stop, bs):
            batch = indices[start : start + bs]
            if get_batch is not None:
                yield get_batch(batch)
            else:
                yield collate([self.dataset[int(i)] for i in batch])

    def __len__(self) -> int:
        try:
            n = len(self.sampler)  # type: ignore[arg-type]
        except TypeError:
            n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

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
        return (
            f"DataLoader({len(self.dataset)} samples, batch_size={self.batch_size}, shuffle={self.shuffle}, "
            f"drop_last={self.drop_last})"
        )
