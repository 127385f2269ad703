"""A2C (Mnih et al., 2016, synchronous): an actor-critic learning from short rollouts of several environments.

``num_envs`` copies of the task run side by side (``gymnasium.vector.SyncVectorEnv``); every
``n_steps`` steps the agent updates on the ``n_steps x num_envs`` transitions it just collected::

    G_t   = r_t + gamma r_{t+1} + ... + gamma^(T-t) V(s_T)     (n-step return, bootstrapped by the critic)
    A_t   = G_t - V(s_t)                                       (or GAE with gae_lambda)
    loss  = -mean log pi(a_t|s_t) A_t  +  value_coef mean (G_t - V(s_t))^2  -  entropy_coef mean H(pi(.|s_t))

Two details of gymnasium 1.x vector environments are handled in :func:`collect_rollout` and
:meth:`A2C.update`:

- *next-step autoreset*: the step after an episode ends only resets that environment (its action is
  ignored, its reward is 0). That transition belongs to no episode, so it is masked out of the loss.
- *truncation*: an episode cut by a time limit (CartPole's 500 steps) did not really end; its last
  reward is bootstrapped with gamma V(final observation), which the rollout holds as the next step's
  observation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neurona import optim
from neurona.errors import ConfigError
from neurona.nn.utils import clip_grad_norm_
from neurona.rl.base import ActorCritic, Agent, numpy_forward
from neurona.rl.policies import greedy as greedy_actions
from neurona.rl.policies import sample_categorical
from neurona.rl.reinforce import policy_terms
from neurona.rl.returns import gae, n_step_returns
from neurona.tensor import Tensor

OPTIMIZERS = ("adam", "rmsprop")


@dataclass
class Rollout:
    """``n_steps`` steps of ``num_envs`` environments; time on the first axis, environment on the second."""

    obs: np.ndarray  # (T, N, obs_dim): the observation each action was chosen on
    actions: np.ndarray  # (T, N)
    rewards: np.ndarray  # (T, N)
    terminated: np.ndarray  # (T, N) bool: the episode ended after this step
    truncated: np.ndarray  # (T, N) bool: the episode was cut by a time limit after this step
    valid: np.ndarray  # (T, N) bool: False for autoreset steps, which belong to no episode
    last_obs: np.ndarray  # (N, obs_dim): the observation after the last step


@dataclass
class RolloutState:
    """What carries over between rollouts: the current observations and the episodes under way."""

    obs: np.ndarray
    needs_reset: np.ndarray  # (N,) bool: the last step ended an episode, so the next step is an autoreset
    episode_return: np.ndarray
    episode_length: np.ndarray
    # (return, length, rollout step t) of the episodes that ended; the runner empties it
    finished: list[tuple[float, int, int]] = field(default_factory=list)

    @classmethod
    def start(cls, envs: Any, seed: int | None = None) -> RolloutState:
        obs, _ = envs.reset(seed=seed)
        n = len(obs)
        return cls(np.asarray(obs, dtype=np.float32), np.zeros(n, bool), np.zeros(n), np.zeros(n, np.int64))


def collect_rollout(agent: Any, envs: Any, state: RolloutState, n_steps: int) -> Rollout:
    """Step ``envs`` ``n_steps`` times with ``agent.act`` (sampling); finished episodes go to ``state.finished``."""
    n = len(state.obs)
    obs_dim = state.obs.shape[1]
    obs = np.empty((n_steps, n, obs_dim), np.float32)
    actions = np.empty((n_steps, n), np.int64)
    rewards = np.empty((n_steps, n), np.float32)
    terminated = np.empty((n_steps, n), bool)
    truncated = np.empty((n_steps, n), bool)
    valid = np.empty((n_steps, n), bool)
    for t in range(n_steps):
        obs[t] = state.obs
        actions[t] = agent.act(state.obs)
        next_obs, reward, term, trunc, _ = envs.step(actions[t])
        rewards[t], terminated[t], truncated[t] = reward, term, trunc
        valid[t] = ~state.needs_reset  # an autoreset step: reward 0, its action was ignored
        state.episode_return += np.where(valid[t], reward, 0.0)
        state.episode_length += valid[t]
        ended = valid[t] & (term | trunc)
        for i in np.flatnonzero(ended):
            state.finished.append((float(state.episode_return[i]), int(state.episode_length[i]), t))
            state.episode_return[i], state.episode_length[i] = 0.0, 0
        state.needs_reset = ended
        state.obs = np.asarray(next_obs, dtype=np.float32)
    return Rollout(obs, actions, rewards, terminated, truncated, valid, state.obs.copy())


class A2C(Agent):
    """Synchronous advantage actor-critic over vector environments.

    Parameters
    ----------
    obs_dim, n_actions : int
    hidden : tuple of int, default (64, 64)
    shared : bool, default False
        One body with a policy head and a value head (True), or separate actor and critic MLPs.
    lr : float, default 7e-4
    optimizer : {'adam', 'rmsprop'}, default 'adam'
    gamma : float, default 0.99
    num_envs : int, default 8
        Environments stepped together.
    n_steps : int, default 5
        Steps per environment between updates (the rollout length T).
    n_step : int, optional
        Look-ahead of the returns; None bootstraps every step from the end of the rollout.
    gae_lambda : float, optional
        Use GAE with this lambda instead of n-step returns.
    value_coef : float, default 0.5
    entropy_coef : float, default 0.01
    max_grad_norm : float, optional, default 0.5
    normalize_advantages : bool, default False
    activation : str, default 'tanh'
    seed : int, optional
        Seeds the weights (through ``neurona.manual_seed``) and action sampling.
    """

    name = "a2c"

    def __init__(
        self,
        obs_dim: int,
        n_actions: int,
        *,
        hidden: tuple[int, ...] = (64, 64),
        shared: bool = False,
        lr: float = 7e-4,
        optimizer: str = "adam",
        gamma: float = 0.99,
        num_envs: int = 8,
        n_steps: int = 5,
        n_step: int | None = None,
        gae_lambda: float | None = None,
        value_coef: float = 0.5,
        entropy_coef: float = 0.01,
        max_grad_norm: float | None = 0.5,
        normalize_advantages: bool = False,
        activation: str = "tanh",
        seed: int | None = 0,
    ) -> None:
        hidden = [int(h) for h in hidden]
        hparams = dict(
            hidden=hidden, shared=shared, lr=lr, optimizer=optimizer, gamma=gamma, num_envs=num_envs,
            n_steps=n_steps, n_step=n_step, gae_lambda=gae_lambda, value_coef=value_coef,
            entropy_coef=entropy_coef, max_grad_norm=max_grad_norm, normalize_advantages=normalize_advantages,
            activation=activation,
        )
        self._init_common(obs_dim, n_actions, hparams, seed)
        if optimizer not in OPTIMIZERS:
            raise ConfigError(f"A2C: optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
        if not 0.0 <= gamma <= 1.0:
            raise ConfigError(f"A2C: gamma must be in [0, 1], got {gamma}")
        if int(num_envs) < 1 or int(n_steps) < 1:
            raise ConfigError(f"A2C: num_envs and n_steps must be >= 1, got {num_envs} and {n_steps}")
        if gae_lambda is not None and not 0.0 <= gae_lambda <= 1.0:
            raise ConfigError(f"A2C: gae_lambda must be in [0, 1] (or None), got {gae_lambda}")
        self.gamma, self.num_envs, self.n_steps, self.n_step = float(gamma), int(num_envs), int(n_steps), n_step
        self.gae_lambda, self.value_coef, self.entropy_coef = gae_lambda, float(value_coef), float(entropy_coef)
        self.max_grad_norm, self.normalize_advantages = max_grad_norm, bool(normalize_advantages)
        self.model = ActorCritic(self.obs_dim, self.n_actions, hidden, activation, shared=shared)
        if optimizer == "adam":
            self.optimizer = optim.Adam(self.model.parameters(), lr=lr)
        else:  # the A2C paper's choice
            self.optimizer = optim.RMSprop(self.model.parameters(), lr=lr, alpha=0.99, eps=1e-5)
        self.updates = 0

    # ---- acting ---------------------------------------------------------------------------------
    def act(self, obs: Any, greedy: bool = False) -> int | np.ndarray:
        """Sampled (or, with ``greedy``, most likely) actions for one observation or a batch."""
        batch, single = self._batch(obs)
        logits = numpy_forward(self.model.logits, batch)
        actions = greedy_actions(logits) if greedy else sample_categorical(logits, self.rng)
        return int(actions[0]) if single else actions.astype(np.int64)

    def value(self, obs: Any) -> np.ndarray:
        """The critic's V(s) for a batch of observations (n,), without a graph."""
        batch, _ = self._batch(obs)
        return numpy_forward(self.model.value, batch)

    # ---- learning -------------------------------------------------------------------------------
    def targets(self, rollout: Rollout, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(returns, advantages), each (T, N), from the rollout and the critic's V(s_t) of shape (T, N)."""
        last_value = self.value(rollout.last_obs)
        # the observation after step t is obs[t + 1] (the final observation when step t ended an episode)
        next_values = np.concatenate([values[1:], last_value[None]], axis=0)
        time_limit = rollout.truncated & ~rollout.terminated
        rewards = rollout.rewards + self.gamma * next_values * time_limit
        dones = rollout.terminated | rollout.truncated
        if self.gae_lambda is not None:
            advantages, returns = gae(rewards, values, dones, last_value, self.gamma, self.gae_lambda)
        else:
            returns = n_step_returns(rewards, values, dones, last_value, self.gamma, self.n_step)
            advantages = returns - values
        return returns, advantages

    def losses(self, obs: np.ndarray, actions: np.ndarray, returns: np.ndarray, advantages: np.ndarray,
               mask: np.ndarray | None = None) -> dict[str, Tensor]:
        """Actor, critic and entropy terms on flat batches, averaged over the steps where ``mask`` is set."""
        obs = np.asarray(obs, dtype=np.float32)
        mask = np.ones(len(obs), np.float32) if mask is None else np.asarray(mask, np.float32)
        weights = Tensor._wrap((mask / max(mask.sum(), 1.0)).astype(np.float32))
        logits, values = self.model(Tensor._wrap(obs))
        log_prob, entropy = policy_terms(logits, actions)
        advantages = np.asarray(advantages, np.float32)
        if self.normalize_advantages:
            chosen = advantages[mask > 0]
            advantages = (advantages - chosen.mean()) / (chosen.std() + 1e-8)
        error = values - Tensor._wrap(np.asarray(returns, np.float32))
        policy_loss = -(log_prob * Tensor._wrap(advantages.astype(np.float32)) * weights).sum()
        value_loss = (error * error * weights).sum()
        entropy_mean = (entropy * weights).sum()
        total = policy_loss + self.value_coef * value_loss - self.entropy_coef * entropy_mean
        return {"loss": total, "policy_loss": policy_loss, "value_loss": value_loss, "entropy": entropy_mean}

    def update(self, rollout: Rollout) -> dict[str, float]:
        """One gradient step on a rollout from :func:`collect_rollout`; returns the loss terms."""
        T, N = rollout.actions.shape
        obs = rollout.obs.reshape(T * N, -1)
        values = numpy_forward(self.model.value, obs).reshape(T, N)
        returns, advantages = self.targets(rollout, values)
        terms = self.losses(obs, rollout.actions.reshape(-1), returns.reshape(-1), advantages.reshape(-1),
                            rollout.valid.reshape(-1))
        self.optimizer.zero_grad()
        terms["loss"].backward()
        if self.max_grad_norm is not None:
            clip_grad_norm_(self.model.parameters(), self.max_grad_norm)
        self.optimizer.step()
        self.updates += 1
        return {name: float(t.item()) for name, t in terms.items()}
