"""Samplers, as ``torch.utils.data.sampler``: the order of a DataLoader's indices, epoch by epoch.

A :class:`Sampler` yields the indices of one epoch; a :class:`BatchSampler` groups another sampler's
indices into lists, one per batch. Random samplers draw from a NumPy Generator of their own (seeded
from ``seed``, ``generator`` or, once at construction, from neurona's default generator), so
``neurona.manual_seed(n)`` fixes every epoch's order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from neurona.data.dataset import make_generator
from neurona.errors import ConfigError


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


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter unless ``drop_last``).

    Examples
    --------
    >>> list(BatchSampler(SequentialSampler(5), batch_size=2, drop_last=False))
    [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler: Sampler | Iterable[int], batch_size: int, drop_last: bool) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer) or batch_size < 1:
            raise ConfigError(f"BatchSampler: batch_size must be a positive integer, got {batch_size!r}")
        if not isinstance(drop_last, bool):
            raise ConfigError(f"BatchSampler: drop_last must be True or False, got {drop_last!r}")
        self.sampler, self.batch_size, self.drop_last = sampler, int(batch_size), drop_last

    def __iter__(self) -> Iterator[list[int]]:
        if isinstance(self.sampler, Sampler):
            indices = self.sampler.indices().tolist()
        else:
            indices = [int(i) for i in self.sampler]
        n, bs = len(indices), self.batch_size
        stop = n - n % bs if self.drop_last else n
        for start in range(0, stop, bs):
            yield indices[start : start + bs]

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def state_dict(self) -> dict:
        return self.sampler.state_dict() if isinstance(self.sampler, Sampler) else {}

    def load_state_dict(self, state: Mapping) -> None:
        if isinstance(self.sampler, Sampler):
            self.sampler.load_state_dict(state)
