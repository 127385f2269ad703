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
