"""neurona.rl.buffer: the replay buffer keeps the newest transitions, samples uniformly and seeded."""

import numpy as np
import pytest

from neurona import rl
from neurona.errors import ConfigError, ShapeError


def _fill(buffer, n, start=0):
    for i in range(start, start + n):
        buffer.add(np.full(buffer.obs_shape, i), i % 3, float(i), np.full(buffer.obs_shape, i + 0.5), i % 7 == 0)


def test_buffer_wraps_around_keeping_the_newest_capacity_items():
    buffer = rl.ReplayBuffer(5, (2,), seed=0)
    _fill(buffer, 3)
    assert len(buffer) == 3
    _fill(buffer, 9, start=3)  # 12 transitions in all
    assert len(buffer) == 5 and buffer.position == 12 % 5
    assert sorted(buffer.rewards.tolist()) == [7.0, 8.0, 9.0, 10.0, 11.0]
    for slot in range(5):  # every field of a slot belongs to the same transition
        i = buffer.rewards[slot]
        assert np.all(buffer.obs[slot] == i) and np.all(buffer.next_obs[slot] == i + 0.5)
        assert buffer.actions[slot] == int(i) % 3 and buffer.dones[slot] == float(int(i) % 7 == 0)
    assert buffer.last(3).rewards.tolist() == [9.0, 10.0, 11.0]
    assert buffer.sample(100).rewards.min() >= 7.0


def test_buffer_sampling_is_uniform_and_seeded():
    buffer = rl.ReplayBuffer(10, (1,), seed=3)
    _fill(buffer, 10)
    draws = np.concatenate([buffer.sample(1000).rewards for _ in range(50)]).astype(int)
    counts = np.bincount(draws, minlength=10)
    expected = len(draws) / 10
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 27.9  # chi-square, 9 degrees of freedom, p = 0.001
    a, b, c = (rl.ReplayBuffer(10, (1,), seed=s) for s in (7, 7, 8))
    for buf in (a, b, c):
        _fill(buf, 10)
    assert np.array_equal(a.sample(32).rewards, b.sample(32).rewards)
    assert not np.array_equal(a.sample(32).rewards, c.sample(32).rewards)


def test_buffer_samples_only_filled_slots_and_checks_its_input():
    buffer = rl.ReplayBuffer(100, (3,), seed=0)
    with pytest.raises(ValueError, match="empty"):
        buffer.sample(4)
    _fill(buffer, 4)
    assert set(buffer.sample(200).rewards.tolist()) == {0.0, 1.0, 2.0, 3.0}
    batch = buffer.sample(8)
    assert batch.obs.shape == (8, 3) and batch.obs.dtype == np.float32 and batch.actions.dtype == np.int64
    with pytest.raises(ShapeError, match=r"\(3,\)"):
        buffer.add(np.zeros(4), 0, 0.0, np.zeros(4), False)
    with pytest.raises(ConfigError, match="capacity"):
        rl.ReplayBuffer(0, (3,))
    with pytest.raises(ConfigError, match="batch_size"):
        buffer.sample(0)
