"""REINFORCE (Williams, 1992): the Monte-Carlo policy gradient, with a learned value baseline.

Play whole episodes with the stochastic policy pi(a|s) = softmax(logits(s)), then push up the
log-probability of each action in proportion to how much better than expected things went::

    G_t   = r_t + gamma r_{t+1} + ...                  (discounted return to go)
    A_t   = G_t - V(s_t)                               (the baseline V lowers the variance, not the mean)
    A_t  <- (A_t - mean A) / (std A + 1e-8)            (normalised over the batch)
    loss  = -mean_t log pi(a_t|s_t) A_t  +  value_coef mean_t (V(s_t) - G_t)^2  -  entropy_coef mean_t H(pi(.|s_t))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neurona import functional as F
from neurona import optim
from neurona.errors import ConfigError, ShapeError
from neurona.nn.utils import clip_grad_norm_
from neurona.rl.base import ActorCritic, Agent, numpy_forward
from neurona.rl.policies import greedy as greedy_actions
from neurona.rl.policies import sample_categorical
from neurona.rl.returns import discounted_returns
from neurona.tensor import Tensor


def policy_terms(logits: Tensor, actions: np.ndarray) -> tuple[Tensor, Tensor]:
    """log pi(a_t|s_t) of the actions taken, and the entropy H(pi(.|s_t)) = -sum_a pi log pi, per row."""
    log_probs = F.log_softmax(logits, dim=-1)
    log_prob_taken = log_probs[np.arange(len(actions)), np.asarray(actions, dtype=np.int64)]
    entropy = -(log_probs.exp() * log_probs).sum(dim=-1)
    return log_prob_taken, entropy


class REINFORCE(Agent):
    """Monte-Carlo policy gradient with a value baseline and normalised advantages.

    Parameters
    ----------
    obs_dim, n_actions : int
    hidden : tuple of int, default (64, 64)
        Hidden widths of the policy network and of the (separate) value network.
    lr : float, default 1e-3
        Adam learning rate (policy and value).
    gamma : float, default 0.99
    batch_episodes : int, default 4
        Episodes played per update.
    baseline : bool, default True
        Subtract the learned V(s_t) from the return (False: plain REINFORCE, advantages = returns).
    normalize_advantages : bool, default True
    value_coef : float, default 0.5
    entropy_coef : float, default 0.0
    max_grad_norm : float, optional
    activation : str, default 'tanh'
    seed : int, optional
        Seeds the weights (through ``neurona.manual_seed``) and action sampling.
    """

    name = "reinforce"

    def __init__(
        self,
        obs_dim: int,
        n_actions: int,
        *,
        hidden: tuple[int, ...] = (64, 64),
        lr: float = 1e-3,
        gamma: float = 0.99,
        batch_episodes: int = 4,
        baseline: bool = True,
        normalize_advantages: bool = True,
        value_coef: float = 0.5,
        entropy_coef: float = 0.0,
        max_grad_norm: float | None = None,
        activation: str = "tanh",
        seed: int | None = 0,
    ) -> None:
        hidden = [int(h) for h in hidden]
        hparams = dict(
            hidden=hidden, lr=lr, gamma=gamma, batch_episodes=batch_episodes, baseline=baseline,
            normalize_advantages=normalize_advantages, value_coef=value_coef, entropy_coef=entropy_coef,
            max_grad_norm=max_grad_norm, activation=activation,
        )
        self._init_common(obs_dim, n_actions, hparams, seed)
        if not 0.0 <= gamma <= 1.0:
            raise ConfigError(f"REINFORCE: gamma must be in [0, 1], got {gamma}")
        if int(batch_episodes) < 1:
            raise ConfigError(f"REINFORCE: batch_episodes must be >= 1, got {batch_episodes}")
        self.gamma, self.batch_episodes, self.baseline = float(gamma), int(batch_episodes), bool(baseline)
        self.normalize_advantages = bool(normalize_advantages)
        self.value_coef, self.entropy_coef, self.max_grad_norm = float(value_coef), float(entropy_coef), max_grad_norm
        self.model = ActorCritic(self.obs_dim, self.n_actions, hidden, activation, shared=False)
        self.optimizer = optim.Adam(self.model.parameters(), lr=lr)
        self._episode: list[tuple[np.ndarray, int, float]] = []
        self._finished: list[list[tuple[np.ndarray, int, float]]] = []
        self.updates = 0

    # ---- acting ---------------------------------------------------------------------------------
    def act(self, obs: Any, greedy: bool = False) -> int | np.ndarray:
        """A sample from pi(.|s), or its most likely action when ``greedy``; an int for one observation."""
        batch, single = self._batch(obs)
        logits = numpy_forward(self.model.logits, batch)
        actions = greedy_actions(logits) if greedy else sample_categorical(logits, self.rng)
        return int(actions[0]) if single else actions.astype(np.int64)

    # ---- learning -------------------------------------------------------------------------------
    def observe(self, obs: Any, action: int, reward: float, next_obs: Any, terminated: bool,
                truncated: bool = False) -> dict[str, float] | None:
        """Record one step; after every ``batch_episodes`` finished episodes, update and return the losses."""
        del next_obs
        self._episode.append((np.asarray(obs, dtype=np.float32), int(action), float(reward)))
        if not (terminated or truncated):
            return None
        self._finished.append(self._episode)
        self._episode = []
        if len(self._finished) < self.batch_episodes:
            return None
        steps = [step for episode in self._finished for step in episode]
        dones = np.concatenate([np.arange(len(e)) == len(e) - 1 for e in self._finished]).astype(np.float32)
        self._finished = []
        obs_batch = np.stack([s[0] for s in steps])
        return self.update(obs_batch, np.array([s[1] for s in steps]), np.array([s[2] for s in steps]), dones)

    def losses(self, obs: np.ndarray, actions: np.ndarray, returns: np.ndarray) -> dict[str, Tensor]:
        """The loss terms on a batch of steps with their returns G_t (see the module docstring)."""
        obs = np.asarray(obs, dtype=np.float32)
        returns = np.asarray(returns, dtype=np.float32)
        if not len(obs) == len(actions) == len(returns):
            raise ShapeError(
                f"REINFORCE.losses: obs, actions and returns must have the same length, got "
                f"{len(obs)}, {len(actions)} and {len(returns)}"
            )
        logits, values = self.model(Tensor._wrap(obs))
        log_prob, entropy = policy_terms(logits, actions)
        advantages = returns - values.data if self.baseline else returns.copy()
        if self.normalize_advantages and len(advantages) > 1:
            advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
        policy_loss = -(log_prob * Tensor._wrap(advantages.astype(np.float32))).mean()
        value_loss = F.mse_loss(values, Tensor._wrap(returns)) if self.baseline else values.sum() * 0.0
        entropy_mean = entropy.mean()
        total = policy_loss + self.value_coef * value_loss - self.entropy_coef * entropy_mean
        return {"loss": total, "policy_loss": policy_loss, "value_loss": value_loss, "entropy": entropy_mean}

    def update(self, obs: np.ndarray, actions: np.ndarray, rewards: np.ndarray, dones: np.ndarray) -> dict[str, float]:
        """One gradient step on whole episodes laid end to end (``dones`` marks each episode's last step)."""
        dones = np.asarray(dones, dtype=np.float32)
        if len(dones) == 0 or dones[-1] != 1:
            raise ValueError("REINFORCE.update: the batch must end with a finished episode (dones[-1] == 1)")
        returns = discounted_returns(rewards, self.gamma, dones)
        terms = self.losses(obs, actions, returns)
        self.optimizer.zero_grad()
        terms["loss"].backward()
        if self.max_grad_norm is not None:
            clip_grad_norm_(self.model.parameters(), self.max_grad_norm)
        self.optimizer.step()
        self.updates += 1
        return {name: float(t.item()) for name, t in terms.items()}
