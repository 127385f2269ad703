"""DQN (Mnih et al., 2015): Q-learning with an MLP, experience replay and a target network.

The Q-network maps an observation to one value per action, Q(s, a). Each gradient step fits
Q(s, a) to the one-step target on a mini-batch drawn from the replay buffer::

    y = r + gamma (1 - terminated) max_a' Q_target(s', a')              (DQN)
    y = r + gamma (1 - terminated) Q_target(s', argmax_a' Q(s', a'))    (double DQN, van Hasselt 2016)
    loss = Huber(Q(s, a) - y)

The target network is a lagging copy of the Q-network (copied every ``target_update`` gradient steps,
or nudged by ``tau`` each step), so the target does not chase the estimate it is fitting. Both tricks
can be switched off (``use_target_network=False``, ``use_replay=False``) to see why they are there.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neurona import functional as F
from neurona import optim
from neurona.errors import ConfigError
from neurona.nn.utils import clip_grad_norm_
from neurona.rl.base import Agent, mlp, numpy_forward
from neurona.rl.buffer import Batch, ReplayBuffer
from neurona.rl.policies import LinearSchedule, epsilon_greedy
from neurona.tensor import Tensor

LOSSES = ("huber", "mse")


class DQN(Agent):
    """Deep Q-network agent for a flat observation and a Discrete action space.

    Parameters
    ----------
    obs_dim, n_actions : int
        Observation length and number of actions (``space_sizes`` reads them off an environment).
    hidden : tuple of int, default (64, 64)
        Hidden layer widths of the Q-network (ReLU between them).
    lr : float, default 1e-3
        Adam learning rate.
    gamma : float, default 0.99
        Discount factor.
    batch_size : int, default 64
    buffer_size : int, default 50_000
        Replay capacity (the newest transitions are kept).
    learning_starts : int, default 1_000
        Environment steps of pure collection before the first gradient step.
    train_freq : int, default 1
        Run ``gradient_steps`` gradient steps every ``train_freq`` environment steps.
    gradient_steps : int, default 1
    target_update : int, default 500
        Copy the Q-network into the target network every ``target_update`` gradient steps.
    tau : float, optional
        If given, Polyak-average instead: theta_target <- tau theta + (1 - tau) theta_target after each step.
    double_dqn : bool, default False
        Choose the next action with the online network, value it with the target network.
    use_target_network : bool, default True
        False: bootstrap from the online network itself (the ablation).
    use_replay : bool, default True
        False: learn from the last ``train_freq`` transitions only, as online Q-learning (the ablation).
    eps_start, eps_end : float, default 1.0, 0.05
    eps_decay_steps : int, default 10_000
        Epsilon falls linearly from ``eps_start`` to ``eps_end`` over this many environment steps.
    max_grad_norm : float, optional, default 10
        Clip the gradient norm (None: no clipping).
    loss : {'huber', 'mse'}, default 'huber'
    activation : str, default 'relu'
    seed : int, optional
        Seeds the weights (through ``neurona.manual_seed``), exploration and replay sampling.

    Examples
    --------
    >>> agent = DQN(obs_dim=4, n_actions=2, seed=0)
    >>> agent.act(np.zeros(4, dtype=np.float32), greedy=True) in (0, 1)
    True
    """

    name = "dqn"

    def __init__(
        self,
        obs_dim: int,
        n_actions: int,
        *,
        hidden: tuple[int, ...] = (64, 64),
        lr: float = 1e-3,
        gamma: float = 0.99,
        batch_size: int = 64,
        buffer_size: int = 50_000,
        learning_starts: int = 1_000,
        train_freq: int = 1,
        gradient_steps: int = 1,
        target_update: int = 500,
        tau: float | None = None,
        double_dqn: bool = False,
        use_target_network: bool = True,
        use_replay: bool = True,
        eps_start: float = 1.0,
        eps_end: float = 0.05,
        eps_decay_steps: int = 10_000,
        max_grad_norm: float | None = 10.0,
        loss: str = "huber",
        activation: str = "relu",
        seed: int | None = 0,
    ) -> None:
        hidden = [int(h) for h in hidden]
        hparams = dict(
            hidden=hidden, lr=lr, gamma=gamma, batch_size=batch_size, buffer_size=buffer_size,
            learning_starts=learning_starts, train_freq=train_freq, gradient_steps=gradient_steps,
            target_update=target_update, tau=tau, double_dqn=double_dqn, use_target_network=use_target_network,
            use_replay=use_replay, eps_start=eps_start, eps_end=eps_end, eps_decay_steps=eps_decay_steps,
            max_grad_norm=max_grad_norm, loss=loss, activation=activation,
        )
        self._init_common(obs_dim, n_actions, hparams, seed)
        if loss not in LOSSES:
            raise ConfigError(f"DQN: loss must be one of {LOSSES}, got {loss!r}")
        if not 0.0 <= gamma <= 1.0:
            raise ConfigError(f"DQN: gamma must be in [0, 1], got {gamma}")
        if tau is not None and not 0.0 < tau <= 1.0:
            raise ConfigError(f"DQN: tau must be in (0, 1] (or None for hard updates), got {tau}")
        for what, value in (("batch_size", batch_size), ("buffer_size", buffer_size), ("train_freq", train_freq),
                            ("gradient_steps", gradient_steps), ("target_update", target_update)):
            if int(value) < 1:
                raise ConfigError(f"DQN: {what} must be >= 1, got {value}")
        self.gamma, self.batch_size, self.train_freq = float(gamma), int(batch_size), int(train_freq)
        self.gradient_steps, self.learning_starts = int(gradient_steps), int(learning_starts)
        self.target_update, self.tau, self.double_dqn = int(target_update), tau, bool(double_dqn)
        self.use_target_network, self.use_replay = bool(use_target_network), bool(use_replay)
        self.max_grad_norm, self.loss_name = max_grad_norm, loss

        self.q_net = mlp([self.obs_dim, *hidden, self.n_actions], activation)
        self.target_net = mlp([self.obs_dim, *hidden, self.n_actions], activation)
        self.target_net.load_state_dict(self.q_net.state_dict())
        self.target_net.requires_grad_(False)
        self.model = self.q_net
        self.optimizer = optim.Adam(self.q_net.parameters(), lr=lr)
        capacity = int(buffer_size) if self.use_replay else self.train_freq
        self.buffer = ReplayBuffer(capacity, (self.obs_dim,), seed=None if seed is None else int(seed) + 1)
        self.epsilon_schedule = LinearSchedule(eps_start, eps_end, int(eps_decay_steps))
        self.steps = 0  # environment steps observed
        self.updates = 0  # gradient steps taken

    @property
    def epsilon(self) -> float:
        """The exploration rate now (it follows ``epsilon_schedule`` over the steps observed)."""
        return self.epsilon_schedule(self.steps)

    # ---- acting ---------------------------------------------------------------------------------
    def q_values(self, obs: Any) -> np.ndarray:
        """Q(s, .) for one observation (n_actions,) or a batch (n, n_actions), without a graph."""
        batch, single = self._batch(obs)
        q = numpy_forward(self.q_net, batch)
        return q[0] if single else q

    def act(self, obs: Any, greedy: bool = False) -> int | np.ndarray:
        """argmax_a Q(s, a), or epsilon-greedy when ``greedy`` is False; an int for one observation."""
        batch, single = self._batch(obs)
        epsilon = 0.0 if greedy else self.epsilon
        if single and epsilon > 0 and self.rng.random() < epsilon:  # skip the forward pass when exploring
            return int(self.rng.integers(self.n_actions))
        q = numpy_forward(self.q_net, batch)
        actions = epsilon_greedy(q, epsilon if not single else 0.0, self.rng)
        return int(actions[0]) if single else actions

    # ---- learning -------------------------------------------------------------------------------
    def observe(self, obs: Any, action: int, reward: float, next_obs: Any, terminated: bool,
                truncated: bool = False) -> dict[str, float] | None:
        """Store one transition; every ``train_freq`` steps (after ``learning_starts``) learn from the buffer.

        ``terminated`` (the task ended) stops the bootstrap; ``truncated`` (a time limit) does not, so
        it is not stored. Returns the last update's losses, or None when no update ran.
        """
        del truncated
        self.buffer.add(obs, action, reward, next_obs, terminated)
        self.steps += 1
        if self.steps < self.learning_starts or self.steps % self.train_freq:
            return None
        logs = None
        for _ in range(self.gradient_steps):
            logs = self.learn()
        return logs

    def td_target(self, batch: Batch) -> np.ndarray:
        """y = r + gamma (1 - done) Q'(s', a*), with a* = argmax of the target (DQN) or online (double) net."""
        target_net = self.target_net if self.use_target_network else self.q_net
        next_q = numpy_forward(target_net, batch.next_obs)
        if self.double_dqn:
            online = next_q if target_net is self.q_net else numpy_forward(self.q_net, batch.next_obs)
            next_value = next_q[np.arange(len(next_q)), online.argmax(axis=1)]
        else:
            next_value = next_q.max(axis=1)
        return (batch.rewards + self.gamma * (1.0 - batch.dones) * next_value).astype(np.float32)

    def loss(self, batch: Batch) -> Tensor:
        """The TD loss on ``batch``: Huber (or squared) error between Q(s, a) and the fixed target y."""
        target = Tensor._wrap(self.td_target(batch))
        q = self.q_net(Tensor._wrap(np.asarray(batch.obs, dtype=np.float32)))
        q_taken = q[np.arange(len(batch.actions)), np.asarray(batch.actions, dtype=np.int64)]
        if self.loss_name == "huber":
            return F.smooth_l1_loss(q_taken, target)
        return F.mse_loss(q_taken, target)

    def learn(self, batch: Batch | None = None) -> dict[str, float]:
        """One gradient step on ``batch`` (default: a sample from the buffer); returns ``{'loss', 'grad_norm'}``."""
        if batch is None:
            if len(self.buffer) == 0:
                raise ValueError("DQN.learn: the replay buffer is empty; observe transitions first")
            batch = self.buffer.sample(self.batch_size) if self.use_replay else self.buffer.last(self.train_freq)
        loss = self.loss(batch)
        self.optimizer.zero_grad()
        loss.backward()
        grad_norm = np.nan
        if self.max_grad_norm is not None:
            grad_norm = float(clip_grad_norm_(self.q_net.parameters(), self.max_grad_norm).item())
        self.optimizer.step()
        self.updates += 1
        if self.use_target_network:
            if self.tau is not None:
                self.soft_update(self.tau)
            elif self.updates % self.target_update == 0:
                self.soft_update(1.0)
        return {"loss": float(loss.item()), "grad_norm": grad_norm}

    def soft_update(self, tau: float) -> None:
        """theta_target <- tau theta + (1 - tau) theta_target  (tau = 1 is the hard copy)."""
        for target, source in zip(self.target_net.parameters(), self.q_net.parameters()):
            if tau == 1.0:
                target.data = source.data.copy()
            else:
                target.data = target.data * (1.0 - tau) + source.data * tau

    # ---- checkpoint -----------------------------------------------------------------------------
    def extra_state(self) -> dict[str, Any]:
        return {"steps": self.steps, "updates": self.updates}

    def set_extra_state(self, state: dict[str, Any]) -> None:
        self.steps = int(state.get("steps", 0))
        self.updates = int(state.get("updates", 0))

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self._after_load()

    def _after_load(self) -> None:
        self.soft_update(1.0)
