"""How an agent turns its network's outputs into actions: epsilon-greedy on Q-values, sampling from a softmax.

These work on NumPy arrays (the network's output under ``nr.no_grad()``), for one observation
(a 1-D row of scores) or a batch (2-D, one row per observation), and draw from a generator the caller
owns, so an agent with a seed acts the same way twice.

    q = qnet(nr.tensor(obs[None])).data            # (1, n_actions)
    action = epsilon_greedy(q, epsilon=0.1, rng=rng)[0]
    action = sample_categorical(logits, rng)        # policy-gradient agents
"""

from __future__ import annotations

import numpy as np

from neurona.errors import ConfigError


def greedy(scores: np.ndarray) -> np.ndarray:
    """argmax over the last axis: the action with the highest Q-value (or logit)."""
    return np.asarray(scores).argmax(axis=-1)


def epsilon_greedy(q_values: np.ndarray, epsilon: float, rng: np.random.Generator) -> np.ndarray:
    """With probability ``epsilon`` a uniformly random action, otherwise argmax_a Q(s, a).

    Parameters
    ----------
    q_values : ndarray of shape (n_actions,) or (batch, n_actions)
    epsilon : float in [0, 1]
    rng : numpy Generator

    Returns
    -------
    ndarray of int64, shape () or (batch,)

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> int(epsilon_greedy(np.array([0.1, 0.9, 0.3]), epsilon=0.0, rng=rng))
    1
    """
    if not 0.0 <= epsilon <= 1.0:
        raise ConfigError(f"epsilon_greedy: epsilon must be in [0, 1], got {epsilon}")
    q_values = np.asarray(q_values)
    actions = q_values.argmax(axis=-1)
    explore = rng.random(actions.shape) < epsilon
    random_actions = rng.integers(0, q_values.shape[-1], size=actions.shape)
    return np.where(explore, random_actions, actions).astype(np.int64)


def softmax_probs(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """pi(a|s) = exp(z_a / T) / sum_b exp(z_b / T), computed stably (the max is subtracted first)."""
    if temperature <= 0:
        raise ConfigError(f"softmax_probs: temperature must be > 0, got {temperature}")
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def sample_categorical(logits: np.ndarray, rng: np.random.Generator, temperature: float = 1.0) -> np.ndarray:
    """One action per row drawn from the softmax of ``logits`` (inverse-CDF sampling, vectorised).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> draws = sample_categorical(np.log(np.tile([[0.2, 0.8]], (10_000, 1))), rng)
    >>> round(float(draws.mean()), 1)        # P(action 1) = 0.8
    0.8
    """
    probs = softmax_probs(logits, temperature)
    cdf = probs.cumsum(axis=-1)
    u = rng.random((*probs.shape[:-1], 1))
    # the last column of the cdf may be 0.9999999; clip so a u above it still picks the last action
    return np.minimum((u > cdf).sum(axis=-1), probs.shape[-1] - 1).astype(np.int64)


class LinearSchedule:
    """A value that moves linearly from ``start`` to ``end`` over ``duration`` steps, then stays at ``end``.

    The usual epsilon schedule of DQN: explore a lot at first, little once the Q-values mean something.

    Examples
    --------
    >>> eps = LinearSchedule(1.0, 0.1, duration=100)
    >>> eps(0), eps(50), eps(100), eps(1000)
    (1.0, 0.55, 0.1, 0.1)
    """

    def __init__(self, start: float, end: float, duration: int) -> None:
        if duration < 0:
            raise ConfigError(f"LinearSchedule: duration must be >= 0, got {duration}")
        self.start, self.end, self.duration = float(start), float(end), int(duration)

    def __call__(self, step: int) -> float:
        if self.duration == 0 or step >= self.duration:
            return self.end
        return self.start + (self.end - self.start) * step / self.duration

    def __repr__(self) -> str:
        return f"LinearSchedule(start={self.start}, end={self.end}, duration={self.duration})"
