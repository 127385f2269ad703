"""Datasets: what a :class:`~neurona.data.DataLoader` draws samples from.

A dataset is anything with ``len(ds)`` and ``ds[i]``, as in ``torch.utils.data``:

- :class:`Dataset` is the abstract base;
- :class:`TensorDataset` wraps arrays that share their first dimension (``X``, ``y``, ...);
- :class:`Subset` is a view of some indices of another dataset; :func:`random_split` makes several.

A dataset may also define ``get_batch(indices)``, returning a whole batch already collated (a tuple of
Tensors). The loader then fetches each batch with one fancy-indexing call per array instead of a
Python loop over samples; :class:`TensorDataset` does, and so does a :class:`Subset` of one (the loader
maps the batch's indices through the subset).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from neurona.errors import ConfigError, ShapeError, fmt_shape
from neurona.random import default_generator
from neurona.tensor import Tensor, _to_array


class Dataset:
    """Abstract dataset: subclasses define ``__len__`` and ``__getitem__(i)`` (one sample).

    Examples
    --------
    >>> class Squares(Dataset):
    ...     def __len__(self):
    ...         return 10
    ...     def __getitem__(self, i):
    ...         return np.float32(i), np.float32(i * i)
    >>> len(Squares())
    10
    """

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")


class IterableDataset(Dataset):
    """A stream of samples: subclasses define ``__iter__`` (and ``__len__`` only if they know it), for
    data read as it comes (lines of a file, a generator, an endless simulation). A DataLoader takes the
    samples in the stream's order, ``batch_size`` at a time; there are no indices, so no shuffle or sampler.
    ``a + b`` chains two streams (:class:`ChainDataset`).

    Examples
    --------
    >>> class Count(IterableDataset):
    ...     def __iter__(self):
    ...         return iter(np.arange(5, dtype=np.float32))
    >>> [float(v) for v in Count() + Count()][:7]
    [0.0, 1.0, 2.0, 3.0, 4.0, 0.0, 1.0]
    """

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __len__(self) -> int:
        raise TypeError(f"{type(self).__name__} is a stream without a length; define __len__ to give it one")

    def __getitem__(self, index: int) -> Any:
        raise TypeError(f"{type(self).__name__} is an IterableDataset: it has no [index]; iterate over it")

    def __add__(self, other: Any) -> ChainDataset:
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """Several iterable datasets one after another, as ``torch.utils.data.ChainDataset``."""

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = list(datasets)
        for i, d in enumerate(self.datasets):
            if not isinstance(d, IterableDataset):
                raise ConfigError(f"ChainDataset: datasets[{i}] is a {type(d).__name__}, not an IterableDataset; "
                                  "use ConcatDataset for indexable datasets")

    def __iter__(self) -> Iterator[Any]:
        for d in self.datasets:
            yield from d

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)


class TensorDataset(Dataset):
    """Samples are the rows of several arrays that share their first dimension: ``(X[i], y[i])``.

    Arrays and lists are converted once, like :func:`neurona.tensor` (floats to float32, integers to
    int64); a :class:`~neurona.Tensor` keeps its dtype. ``ds[i]`` returns a tuple of Tensors.

    Parameters
    ----------
    *tensors : Tensor or array-like
        One or more arrays with the same length along dimension 0.

    Raises
    ------
    ShapeError
        When the arrays differ in length (the message names each length).

    Examples
    --------
    >>> ds = TensorDataset(np.zeros((150, 4)), np.arange(150))
    >>> x, y = ds[0]
    >>> x.shape, y.dtype
    ((4,), dtype('int64'))
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ShapeError("TensorDataset needs at least one array, e.g. TensorDataset(X, y)")
        arrays = []
        for i, t in enumerate(tensors):
            a = t.data if isinstance(t, Tensor) else _to_array(t)
            if a.ndim == 0:
                raise ShapeError(
                    f"TensorDataset: array {i} is a scalar; each array needs a first (sample) dimension"
                )
            arrays.append(a)
        lengths = [len(a) for a in arrays]
        if len(set(lengths)) > 1:
            described = ", ".join(
                f"array {i} has {n} rows {fmt_shape(a.shape)}"
                for i, (n, a) in enumerate(zip(lengths, arrays))
            )
            raise ShapeError(
                f"TensorDataset: all arrays must have the same length along dimension 0, but {described}. "
                "Check that X and y come from the same split."
            )
        self.arrays: tuple[np.ndarray, ...] = tuple(arrays)

    @property
    def tensors(self) -> tuple[Tensor, ...]:
        """The whole arrays as Tensors (no copy), like ``torch.utils.data.TensorDataset.tensors``."""
        return tuple(Tensor._wrap(a) for a in self.arrays)

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(Tensor._wrap(np.asarray(a[index])) for a in self.arrays)

    def get_batch(self, indices: np.ndarray) -> tuple[Tensor, ...]:
        """The batch ``indices`` as a tuple of Tensors, one fancy-indexing call per array."""
        return tuple(Tensor._wrap(a[indices]) for a in self.arrays)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{fmt_shape(a.shape)} {a.dtype}" for a in self.arrays)
        return f"TensorDataset({shapes})"


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order (a view: nothing is copied).

    Examples
    --------
    >>> ds = TensorDataset(np.arange(10.0))
    >>> len(Subset(ds, [0, 2, 4]))
    3
    """

    def __init__(self, dataset: Dataset, indices: Sequence[int] | np.ndarray) -> None:
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        n = len(dataset)
        if idx.size and (idx.min() < -n or idx.max() >= n):
            bad = idx[(idx < -n) | (idx >= n)][0]
            raise IndexError(f"Subset: index {int(bad)} is out of range for a dataset of {n} samples")
        self.dataset = dataset
        self.indices = idx

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, int | np.integer):
            return self.dataset[int(self.indices[index])]
        return self.dataset[self.indices[index]]

    def __repr__(self) -> str:
        return f"Subset({len(self)} of {self.dataset!r})"


def _split_lengths(n: int, lengths: Sequence[float]) -> list[int]:
    """Integer lengths from ints (summing to n) or fractions (summing to 1), like torch."""
    if not len(lengths):
        raise ConfigError("random_split: lengths is empty")
    if all(isinstance(x, int | np.integer) for x in lengths):
        sizes = [int(x) for x in lengths]
        if any(s < 0 for s in sizes) or sum(sizes) != n:
            raise ConfigError(
                f"random_split: lengths {sizes} must be non-negative and sum to the dataset's "
                f"{n} samples (they sum to {sum(sizes)}); or give fractions that sum to 1"
            )
        return sizes
    fractions = [float(x) for x in lengths]
    if any(f < 0 or f > 1 for f in fractions) or not math.isclose(sum(fractions), 1.0, abs_tol=1e-6):
        raise ConfigError(
            f"random_split: fractions {fractions} must lie in [0, 1] and sum to 1 "
            f"(they sum to {sum(fractions):g})"
        )
    sizes = [math.floor(n * f) for f in fractions]
    for i in range(n - sum(sizes)):  # hand the remainder out round-robin, as torch does
        sizes[i % len(sizes)] += 1
    return sizes


def random_split(
    dataset: Dataset,
    lengths: Sequence[float],
    generator: np.random.Generator | None = None,
    seed: int | None = None,
) -> list[Subset]:
    """Split ``dataset`` at random into non-overlapping :class:`Subset` s of the given lengths.

    Parameters
    ----------
    dataset : Dataset
    lengths : sequence of int or float
        Sizes that sum to ``len(dataset)``, or fractions that sum to 1 (the rows left over by rounding
        down go one each to the first subsets, as in ``torch.utils.data.random_split``).
    generator : numpy.random.Generator, optional
        Source of the permutation.
    seed : int, optional
        Seed for a fresh generator, when ``generator`` is not given. With neither, the permutation comes
        from :func:`neurona.random.default_generator` (so ``neurona.manual_seed`` fixes it).

    Returns
    -------
    list of Subset

    Examples
    --------
    >>> ds = TensorDataset(np.arange(10.0))
    >>> train, val = random_split(ds, [0.8, 0.2], seed=0)
    >>> len(train), len(val)
    (8, 2)
    """
    sizes = _split_lengths(len(dataset), lengths)
    rng = make_generator(seed, generator)
    perm = rng.permutation(len(dataset))
    bounds = np.cumsum([0, *sizes])
    return [Subset(dataset, perm[a:b]) for a, b in itertools.pairwise(bounds)]


def make_generator(
    seed: int | None = None, generator: np.random.Generator | None = None
) -> np.random.Generator:
    """The generator to use: ``generator`` if given, else one seeded with ``seed``, else one whose seed
    is drawn (once, now) from neurona's default generator, so that ``neurona.manual_seed`` fixes it."""
    if generator is not None:
        return _numpy_generator(generator)
    if seed is None:
        seed = int(default_generator().integers(0, 2**63 - 1))
    elif not isinstance(seed, int | np.integer) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {seed!r}")
    return np.random.default_rng(int(seed))


def _numpy_generator(generator: Any) -> np.random.Generator:
    """The NumPy Generator behind ``generator``: itself, or the one a generator object wraps (a
    ``neurona.Generator`` made by ``torch.Generator().manual_seed(n)`` code keeps one as an attribute)."""
    if isinstance(generator, np.random.Generator):
        return generator
    for name in ("numpy_generator", "generator", "_generator", "rng", "_rng"):
        inner = getattr(generator, name, None)
        inner = inner() if callable(inner) and not isinstance(inner, np.random.Generator) else inner
        if isinstance(inner, np.random.Generator):
            return inner
    raise ConfigError(
        f"generator must be a numpy.random.Generator (or a neurona Generator), got {type(generator).__name__}"
    )


class ConcatDataset(Dataset):
    """Several datasets one after another: index ``i`` runs through the first, then the second, ...

    Examples
    --------
    >>> ds = ConcatDataset([TensorDataset(np.zeros(3)), TensorDataset(np.ones(2))])
    >>> len(ds), float(ds[4][0].item())
    (5, 1.0)
    """

    def __init__(self, datasets: Sequence[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ConfigError("ConcatDataset: datasets should not be an empty iterable")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"ConcatDataset: index {index} is out of range for {n} samples")
        index = int(index) % n
        which = int(np.searchsorted(self.cumulative_sizes, index, side="right"))
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]

    def __repr__(self) -> str:
        return f"ConcatDataset({len(self.datasets)} datasets, {len(self)} samples)"
