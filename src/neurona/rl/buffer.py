"""Experience replay: a preallocated ring buffer of transitions, sampled uniformly with its own seeded RNG.

DQN learns from random mini-batches of past transitions instead of the one it just saw. That breaks
the correlation between consecutive updates (neighbouring states look alike) and reuses every
transition many times. The buffer keeps the newest ``capacity`` transitions: once full, each ``add``
overwrites the oldest one.

    buffer = ReplayBuffer(capacity=50_000, obs_shape=(4,), seed=0)
    buffer.add(obs, action, reward, next_obs, done)
    batch = buffer.sample(64)         # batch.obs (64, 4), batch.actions (64,), ...
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from neurona.errors import ConfigError, ShapeError, fmt_shape


class Batch(NamedTuple):
    """A mini-batch of transitions, as NumPy arrays with the batch on the first axis."""

    obs: np.ndarray  # (B, *obs_shape) float32
    actions: np.ndarray  # (B,) int64
    rewards: np.ndarray  # (B,) float32
    next_obs: np.ndarray  # (B, *obs_shape) float32
    dones: np.ndarray  # (B,) float32: 1.0 where the episode terminated, so the target does not bootstrap


class ReplayBuffer:
    """Ring buffer of ``(obs, action, reward, next_obs, done)`` in preallocated NumPy arrays.

    Parameters
    ----------
    capacity : int
        How many transitions it holds; when full, the oldest is overwritten.
    obs_shape : tuple of int
        Shape of one observation, e.g. ``(4,)`` for CartPole.
    seed : int, optional
        Seed of the buffer's own generator, so ``sample`` is reproducible.

    Notes
    -----
    ``done`` must be *terminated* (the episode really ended), not *truncated* by a time limit: a
    truncated episode could have gone on, so its last transition should still bootstrap from
    ``next_obs``.

    Examples
    --------
    >>> buffer = ReplayBuffer(3, (2,), seed=0)
    >>> for i in range(5):
    ...     buffer.add([i, i], 0, float(i), [i + 1, i + 1], False)
    >>> len(buffer), sorted(buffer.rewards[: len(buffer)].tolist())   # the newest 3
    (3, [2.0, 3.0, 4.0])
    """

    def __init__(self, capacity: int, obs_shape: tuple[int, ...] | int, seed: int | None = None) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int | np.integer) or capacity < 1:
            raise ConfigError(f"ReplayBuffer: capacity must be a positive integer, got {capacity!r}")
        obs_shape = (int(obs_shape),) if isinstance(obs_shape, int | np.integer) else tuple(int(s) for s in obs_shape)
        self.capacity = int(capacity)
        self.obs_shape = obs_shape
        self.obs = np.zeros((self.capacity, *obs_shape), dtype=np.float32)
        self.next_obs = np.zeros((self.capacity, *obs_shape), dtype=np.float32)
        self.actions = np.zeros(self.capacity, dtype=np.int64)
        self.rewards = np.zeros(self.capacity, dtype=np.float32)
        self.dones = np.zeros(self.capacity, dtype=np.float32)
        self.position = 0  # where the next transition goes
        self.size = 0
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return f"ReplayBuffer(capacity={self.capacity}, obs_shape={self.obs_shape}, size={self.size})"

    def add(self, obs: Any, action: int, reward: float, next_obs: Any, done: bool) -> None:
        """Store one transition, overwriting the oldest when the buffer is full."""
        obs = np.asarray(obs, dtype=np.float32)
        if obs.shape != self.obs_shape:
            raise ShapeError(
                f"ReplayBuffer.add: obs has shape {fmt_shape(obs.shape)}, but the buffer was built for "
                f"observations of shape {fmt_shape(self.obs_shape)} (add one transition at a time)"
            )
        i = self.position
        self.obs[i] = obs
        self.next_obs[i] = next_obs
        self.actions[i] = action
        self.rewards[i] = reward
        self.dones[i] = float(done)
        self.position = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size: int) -> Batch:
        """``batch_size`` transitions drawn uniformly, with replacement, from those stored."""
        if self.size == 0:
            raise ValueError("ReplayBuffer.sample: the buffer is empty; add transitions before sampling")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer) or batch_size < 1:
            raise ConfigError(f"ReplayBuffer.sample: batch_size must be a positive integer, got {batch_size!r}")
        index = self.rng.integers(0, self.size, size=int(batch_size))
        return self.take(index)

    def take(self, index: np.ndarray) -> Batch:
        """The transitions at the given slots (copies)."""
        return Batch(self.obs[index], self.actions[index], self.rewards[index], self.next_obs[index], self.dones[index])

    def last(self, n: int) -> Batch:
        """The ``n`` newest transitions, oldest first."""
        n = min(int(n), self.size)
        index = (self.position - n + np.arange(n)) % self.capacity
        return self.take(index)
