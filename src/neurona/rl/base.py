"""What every agent shares: hyper-parameters kept for the checkpoint, save/load, and the actor-critic network.

An agent owns one ``model`` (a neurona Module) that holds all its weights. ``agent.save(path)`` writes
that model (and its optimiser) to a safetensors checkpoint whose metadata records the agent's class
and every constructor argument, so ``DQN.load(path)`` rebuilds the same agent, and
:func:`neurona.rl.registry.load_agent` does so without being told what it is. This module knows no
concrete agent: the agents build on it, and the registry sits above them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from neurona import io
from neurona.errors import CheckpointError, ConfigError
from neurona.models.mlp import MLP, make_activation
from neurona.nn.containers import Sequential
from neurona.nn.linear import Linear
from neurona.nn.module import Module
from neurona.random import manual_seed
from neurona.tensor import Tensor, no_grad

FORMAT = "neurona.rl.agent"


class Agent:
    """Base class of the agents: keeps ``hparams``, saves and loads, converts observations.

    Subclasses set ``name`` (the runner's name for them, e.g. ``'dqn'``), build ``self.model`` and
    ``self.optimizer``, and call ``_init_common`` first in ``__init__`` with their arguments.
    """

    name: ClassVar[str] = "agent"
    model: Module
    optimizer: Any

    def _init_common(self, obs_dim: int, n_actions: int, hparams: dict[str, Any], seed: int | None) -> None:
        for what, value in (("obs_dim", obs_dim), ("n_actions", n_actions)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise ConfigError(f"{type(self).__name__}: {what} must be a positive integer, got {value!r}")
        self.obs_dim, self.n_actions = int(obs_dim), int(n_actions)
        self.hparams = {"obs_dim": self.obs_dim, "n_actions": self.n_actions, **hparams, "seed": seed}
        if seed is not None:
            manual_seed(int(seed))  # the weight initialisation draws from neurona's global generator
        self.rng = np.random.default_rng(seed)

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.hparams.items())
        return f"{type(self).__name__}({shown})"

    # ---- observations ---------------------------------------------------------------------------
    def _batch(self, obs: Any) -> tuple[np.ndarray, bool]:
        """``obs`` as a float32 (batch, obs_dim) array, and whether a single observation was given."""
        array = np.asarray(obs, dtype=np.float32)
        single = array.ndim == 1
        if single:
            array = array[None]
        if array.ndim != 2 or array.shape[1] != self.obs_dim:
            raise ConfigError(
                f"{type(self).__name__}.act: expected an observation of shape ({self.obs_dim},) or a batch "
                f"(n, {self.obs_dim}), got shape {array.shape}"
            )
        return array, single

    # ---- weights --------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of the model's weights (for keeping the best policy seen during training)."""
        return {key: np.array(t.data, copy=True) for key, t in self.model.state_dict().items()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state)

    def extra_state(self) -> dict[str, Any]:
        """Counters to keep across save/load (DQN's step count drives its epsilon)."""
        return {}

    def set_extra_state(self, state: dict[str, Any]) -> None:
        del state

    def save(self, path: str | os.PathLike) -> Path:
        """Write the weights, the optimiser state and the hyper-parameters to a safetensors file (atomically).

        Examples
        --------
        >>> agent.save("runs/cartpole/agent.safetensors")       # doctest: +SKIP
        >>> same = DQN.load("runs/cartpole/agent.safetensors")   # doctest: +SKIP
        """
        extra = {
            "format": FORMAT,
            "agent": self.name,
            "class": type(self).__name__,
            "hparams": self.hparams,
            "state": self.extra_state(),
        }
        return io.save(self.model, path, self.optimizer, extra={"rl": extra})

    @classmethod
    def load(cls, path: str | os.PathLike) -> Agent:
        """A new agent of this class built from the hyper-parameters stored in ``path``, with its weights
        and optimiser state. To load an agent without knowing its class, use :func:`neurona.rl.load_agent`."""
        meta = read_agent_meta(path)
        if meta.get("class") != cls.__name__:
            raise CheckpointError(
                f"{path} holds a {meta.get('class')} agent, which {cls.__name__}.load cannot build; load it "
                f"with neurona.rl.{meta.get('class')}.load or neurona.rl.load_agent"
            )
        agent = cls(**meta["hparams"])
        io.load(path, agent.model, agent.optimizer)
        agent.set_extra_state(meta.get("state") or {})
        agent._after_load()
        return agent

    def _after_load(self) -> None:
        """Hook for agents with derived weights (DQN's target network)."""


def read_agent_meta(path: str | os.PathLike) -> dict[str, Any]:
    """The ``rl`` metadata that :meth:`Agent.save` wrote to ``path`` (class, hyper-parameters, counters)."""
    ckpt = io.load(path)
    meta = ckpt.extra.get("rl")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(
            f"{path} is a neurona checkpoint but not an RL agent (its metadata has no 'rl' entry); "
            "agents are saved with agent.save(path)"
        )
    return meta


def mlp(widths: list[int], activation: str) -> MLP:
    """An MLP whose state-dict keys are those of the same ``torch.nn.Sequential`` (``0.weight``, ...)."""
    return MLP(widths, activation=activation)


class ActorCritic(Module):
    """Policy logits and a state value from one observation batch: ``logits, values = model(obs)``.

    ``shared=False``: two separate MLPs, ``actor`` (obs -> logits) and ``critic`` (obs -> value).
    ``shared=True``: one ``body`` of hidden layers feeding a ``policy_head`` and a ``value_head``;
    fewer weights, but the two losses pull on the same features.
    """

    def __init__(
        self, obs_dim: int, n_actions: int, hidden: tuple[int, ...] = (64, 64), activation: str = "tanh",
        shared: bool = False,
    ) -> None:
        super().__init__()
        hidden = [int(h) for h in hidden]
        if not hidden:
            raise ConfigError("ActorCritic: hidden must list at least one layer width, e.g. (64, 64)")
        self.shared = bool(shared)
        if self.shared:
            layers: list[Module] = []
            for fan_in, fan_out in zip([obs_dim, *hidden[:-1]], hidden):
                layers += [Linear(fan_in, fan_out), make_activation(activation)]
            self.body = Sequential(*layers)
            self.policy_head = Linear(hidden[-1], n_actions)
            self.value_head = Linear(hidden[-1], 1)
        else:
            self.actor = mlp([obs_dim, *hidden, n_actions], activation)
            self.critic = mlp([obs_dim, *hidden, 1], activation)

    def forward(self, obs: Tensor) -> tuple[Tensor, Tensor]:
        if self.shared:
            features = self.body(obs)
            return self.policy_head(features), self.value_head(features).reshape(-1)
        return self.actor(obs), self.critic(obs).reshape(-1)

    def logits(self, obs: Tensor) -> Tensor:
        return self.policy_head(self.body(obs)) if self.shared else self.actor(obs)

    def value(self, obs: Tensor) -> Tensor:
        return (self.value_head(self.body(obs)) if self.shared else self.critic(obs)).reshape(-1)

    def extra_repr(self) -> str:
        return f"shared={self.shared}"


def numpy_forward(fn: Any, obs: np.ndarray) -> np.ndarray:
    """``fn(obs)`` under ``no_grad`` on a NumPy batch, returned as a NumPy array: acting needs no graph."""
    with no_grad():
        return fn(Tensor._wrap(obs)).data
