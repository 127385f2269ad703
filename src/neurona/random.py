"""The global random number generator behind ``manual_seed``: init, dropout, randn and data order."""

from __future__ import annotations

import numpy as np

_state = {"generator": np.random.default_rng(0), "seed": 0}


def manual_seed(seed: int) -> np.random.Generator:
    """Seed everything neurona draws at random, so the same run twice gives bit-identical results."""
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"manual_seed: seed must be a non-negative integer, got {seed!r}")
    _state["generator"] = np.random.default_rng(int(seed))
    _state["seed"] = int(seed)
    return _state["generator"]


def default_generator() -> np.random.Generator:
    """The generator seeded by :func:`manual_seed` (a PCG64 NumPy Generator)."""
    return _state["generator"]


def initial_seed() -> int:
    return _state["seed"]


def seed() -> int:
    """Seed the global generator from the operating system's entropy and return the seed used."""
    value = int(np.random.SeedSequence().entropy % 2**63)
    manual_seed(value)
    return value


class Generator:
    """A random number generator object, as ``torch.Generator``: pass it as ``generator=`` to
    ``rand``, ``randn``, ``randint``, ``randperm``, ``multinomial``, ``normal``, ``bernoulli``,
    ``Tensor.uniform_``... so one stream of numbers is independent of the global one.

    ``Generator().manual_seed(0)`` returns the generator, as in torch."""

    def __init__(self, device: object = "cpu") -> None:
        from neurona.device import check_device

        check_device(device)
        self.device = "cpu"
        self.manual_seed(0)

    def manual_seed(self, seed: int) -> Generator:
        if not isinstance(seed, int | np.integer) or seed < 0:
            raise ValueError(f"Generator.manual_seed: seed must be a non-negative integer, got {seed!r}")
        self._seed, self._rng = int(seed), np.random.default_rng(int(seed))
        return self

    def initial_seed(self) -> int:
        return self._seed

    def seed(self) -> int:
        value = int(np.random.SeedSequence().entropy % 2**63)
        self.manual_seed(value)
        return value

    def get_state(self) -> dict:
        return self._rng.bit_generator.state

    def set_state(self, state: dict) -> Generator:
        self._rng.bit_generator.state = state
        return self


def rng(generator: Generator | np.random.Generator | None = None) -> np.random.Generator:
    """The NumPy generator to draw from: ``generator``'s if given, else the global one."""
    if generator is None:
        return _state["generator"]
    if isinstance(generator, Generator):
        return generator._rng
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(f"generator must be a neurona.Generator, got {type(generator).__name__}")
