"""Returns and advantages: what the policy-gradient agents regress their critics on and weight log-probs by.

All functions take time on the first axis: ``rewards`` of shape ``(T,)`` for one stream of steps, or
``(T, N)`` for ``N`` environments stepped together. ``dones[t]`` is 1 where the episode ended *after*
step ``t``: nothing from later steps flows back across it, so several episodes can sit in one array.

=======================  ====================================================================
``discounted_returns``   G_t = r_t + gamma (1 - d_t) G_{t+1}                 (REINFORCE)
``n_step_returns``       G_t = r_t + ... + gamma^(n-1) r_{t+n-1} + gamma^n V(s_{t+n})   (A2C)
``gae``                  A_t = sum_k (gamma lam)^k delta_{t+k},  delta_t = r_t + gamma V_{t+1} - V_t
=======================  ====================================================================
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neurona.errors import ConfigError, ShapeError, fmt_shape


def _arrays(rewards: Any, dones: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    rewards = np.asarray(rewards, dtype=np.float64)
    if rewards.ndim not in (1, 2):
        raise ShapeError(f"{name}: rewards must have shape (T,) or (T, n_envs), got {fmt_shape(rewards.shape)}")
    dones = np.zeros_like(rewards) if dones is None else np.asarray(dones, dtype=np.float64)
    if dones.shape != rewards.shape:
        raise ShapeError(
            f"{name}: dones has shape {fmt_shape(dones.shape)} but rewards {fmt_shape(rewards.shape)}; "
            "give one done flag per reward"
        )
    return rewards, dones


def _check_gamma(gamma: float, name: str) -> None:
    if not 0.0 <= gamma <= 1.0:
        raise ConfigError(f"{name}: gamma must be in [0, 1], got {gamma}")


def _last(last_value: Any, rewards: np.ndarray) -> np.ndarray:
    last = np.broadcast_to(np.asarray(last_value, dtype=np.float64), rewards.shape[1:])
    return np.array(last)


def discounted_returns(rewards: Any, gamma: float, dones: Any = None, last_value: Any = 0.0) -> np.ndarray:
    """Discounted return-to-go of every step:  G_t = r_t + gamma (1 - d_t) G_{t+1},  G_T = ``last_value``.

    Parameters
    ----------
    rewards : array of shape (T,) or (T, N)
    gamma : float in [0, 1]
    dones : array like ``rewards``, optional
        1 where an episode ended after that step (the return restarts there).
    last_value : float or array of shape (N,), default 0
        Bootstrap value V(s_T) of the state after the last step (ignored where the last step is done).

    Returns
    -------
    ndarray of float32, the shape of ``rewards``

    Examples
    --------
    >>> discounted_returns([1.0, 1.0, 1.0, 1.0], gamma=0.5, dones=[0, 1, 0, 0]).tolist()
    [1.5, 1.0, 1.5, 1.0]
    """
    _check_gamma(gamma, "discounted_returns")
    rewards, dones = _arrays(rewards, dones, "discounted_returns")
    returns = np.empty_like(rewards)
    running = _last(last_value, rewards)
    for t in range(rewards.shape[0] - 1, -1, -1):
        running = rewards[t] + gamma * (1.0 - dones[t]) * running
        returns[t] = running
    return returns.astype(np.float32)


def n_step_returns(
    rewards: Any, values: Any, dones: Any, last_value: Any, gamma: float, n: int | None = None
) -> np.ndarray:
    """n-step bootstrapped returns:  G_t = sum_{k<m} gamma^k r_{t+k} + gamma^m V(s_{t+m}),  m = min(n, T - t).

    The sum stops early, without a bootstrap term, at the first step whose ``done`` is set. With
    ``n=None`` (or ``n >= T``) every step looks ahead to the end of the rollout, which is what A2C uses:
    the last step gets a 1-step return, the first a T-step one.

    Parameters
    ----------
    rewards : array of shape (T,) or (T, N)
    values : array like ``rewards``
        V(s_t), the critic's value of the state *before* step t.
    dones : array like ``rewards``
    last_value : float or array of shape (N,)
        V(s_T), the value of the state after the last step.
    gamma : float in [0, 1]
    n : int, optional
        Look-ahead; None for "to the end of the rollout".

    Returns
    -------
    ndarray of float32, the shape of ``rewards``

    Examples
    --------
    >>> n_step_returns([1.0, 1.0, 1.0], values=[5.0, 5.0, 5.0], dones=[0, 0, 0], last_value=5.0,
    ...                gamma=0.5, n=1).tolist()         # r_t + 0.5 V(s_{t+1})
    [3.5, 3.5, 3.5]
    """
    _check_gamma(gamma, "n_step_returns")
    rewards, dones = _arrays(rewards, dones, "n_step_returns")
    values = np.asarray(values, dtype=np.float64)
    if values.shape != rewards.shape:
        raise ShapeError(
            f"n_step_returns: values has shape {fmt_shape(values.shape)} but rewards "
            f"{fmt_shape(rewards.shape)}; give V(s_t) for every step"
        )
    T = rewards.shape[0]
    last = _last(last_value, rewards)
    if n is None or n >= T:
        return discounted_returns(rewards, gamma, dones, last)
    if n < 1:
        raise ConfigError(f"n_step_returns: n must be >= 1 (or None), got {n}")
    values_ext = np.concatenate([values, last[None]], axis=0)  # V(s_0) ... V(s_T)
    returns = np.empty_like(rewards)
    for t in range(T):
        m = min(n, T - t)
        total = np.zeros(rewards.shape[1:])
        alive = np.ones(rewards.shape[1:])  # 0 once an episode has ended inside the window
        for k in range(m):
            total += alive * gamma**k * rewards[t + k]
            alive = alive * (1.0 - dones[t + k])
        returns[t] = total + alive * gamma**m * values_ext[t + m]
    return returns.astype(np.float32)


def gae(
    rewards: Any, values: Any, dones: Any, last_value: Any, gamma: float = 0.99, lam: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Generalised advantage estimation (Schulman et al., 2016).

    delta_t = r_t + gamma (1 - d_t) V(s_{t+1}) - V(s_t)
    A_t     = delta_t + gamma lam (1 - d_t) A_{t+1}
    returns = A_t + V(s_t)                      (the critic's regression target)

    ``lam = 0`` gives the one-step TD error, ``lam = 1`` the rollout-to-the-end return minus V(s_t).

    Parameters
    ----------
    rewards, values, dones : arrays of shape (T,) or (T, N)
    last_value : float or array of shape (N,)
        V(s_T), the value of the state after the last step.
    gamma, lam : float in [0, 1]

    Returns
    -------
    (advantages, returns) : two float32 arrays the shape of ``rewards``

    Examples
    --------
    >>> adv, ret = gae([1.0, 1.0], values=[0.0, 0.0], dones=[0, 1], last_value=0.0, gamma=0.5, lam=1.0)
    >>> adv.tolist(), ret.tolist()
    ([1.5, 1.0], [1.5, 1.0])
    """
    _check_gamma(gamma, "gae")
    if not 0.0 <= lam <= 1.0:
        raise ConfigError(f"gae: lam must be in [0, 1], got {lam}")
    rewards, dones = _arrays(rewards, dones, "gae")
    values = np.asarray(values, dtype=np.float64)
    if values.shape != rewards.shape:
        raise ShapeError(f"gae: values has shape {fmt_shape(values.shape)} but rewards {fmt_shape(rewards.shape)}")
    next_value = _last(last_value, rewards)
    advantages = np.empty_like(rewards)
    running = np.zeros(rewards.shape[1:])
    for t in range(rewards.shape[0] - 1, -1, -1):
        not_done = 1.0 - dones[t]
        delta = rewards[t] + gamma * not_done * next_value - values[t]
        running = delta + gamma * lam * not_done * running
        advantages[t] = running
        next_value = values[t]
    return advantages.astype(np.float32), (advantages + values).astype(np.float32)
