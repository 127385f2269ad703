"""The one registry of RL agents: the name the runner and checkpoints use -> the agent class.

It sits above the agents (it imports them; they do not import it), so :mod:`neurona.rl.base` knows no
agent and there is no import cycle. A new agent is one more entry in :data:`AGENTS`.
"""

from __future__ import annotations

import os
from typing import Any

from neurona.errors import CheckpointError, ConfigError
from neurona.rl.a2c import A2C
from neurona.rl.base import Agent, read_agent_meta
from neurona.rl.dqn import DQN
from neurona.rl.reinforce import REINFORCE

AGENTS: dict[str, type[Agent]] = {cls.name: cls for cls in (DQN, REINFORCE, A2C)}


def agent_class(name: Any) -> type[Agent]:
    """The agent class registered as ``name`` (case does not matter), or a ConfigError listing the names."""
    if not isinstance(name, str) or name.lower() not in AGENTS:
        raise ConfigError(f"unknown agent {name!r}; choose one of {', '.join(repr(a) for a in AGENTS)}")
    return AGENTS[name.lower()]


def load_agent(path: str | os.PathLike) -> Agent:
    """Rebuild whichever agent (DQN, REINFORCE, A2C) ``agent.save`` wrote to ``path``.

    Examples
    --------
    >>> agent = load_agent("runs/CartPole-v1-dqn-0/agent.safetensors")   # doctest: +SKIP
    """
    meta = read_agent_meta(path)
    if meta.get("agent") not in AGENTS:
        raise CheckpointError(
            f"{path} holds an agent of unknown kind {meta.get('agent')!r}; known kinds: {', '.join(AGENTS)}"
        )
    return AGENTS[meta["agent"]].load(path)
