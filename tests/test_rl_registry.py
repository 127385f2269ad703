"""neurona.rl.registry: one table of agents by name, used by the runner and by load_agent."""

import pytest

from neurona import io, nn, rl
from neurona.errors import CheckpointError, ConfigError
from neurona.rl import registry, runner


def test_one_table_names_every_agent_by_its_own_name():
    assert list(rl.AGENTS) == ["dqn", "reinforce", "a2c"]
    assert all(cls.name == name for name, cls in rl.AGENTS.items())
    assert rl.AGENTS is registry.AGENTS
    assert runner.agent_class is registry.agent_class  # the runner looks agents up in the same table
    assert rl.agent_class("DQN") is rl.DQN and rl.agent_class("a2c") is rl.A2C
    with pytest.raises(ConfigError, match=r"unknown agent 'ppo'.*'dqn', 'reinforce', 'a2c'"):
        rl.agent_class("ppo")
    with pytest.raises(ConfigError, match="unknown agent 3"):
        rl.agent_class(3)


def test_load_agent_picks_the_class_from_the_checkpoint(tmp_path):
    path = rl.REINFORCE(4, 2, hidden=(8,), seed=0).save(tmp_path / "agent.safetensors")
    assert type(rl.load_agent(path)) is rl.REINFORCE
    with pytest.raises(CheckpointError, match=r"REINFORCE agent, which Agent\.load cannot build.*load_agent"):
        rl.Agent.load(path)  # the base class knows no agent: it points to the registry


def test_load_agent_refuses_an_unknown_kind(tmp_path):
    meta = {"format": "neurona.rl.agent", "agent": "ppo", "class": "PPO", "hparams": {}, "state": {}}
    path = io.save(nn.Linear(4, 2), tmp_path / "ppo.safetensors", extra={"rl": meta})
    with pytest.raises(CheckpointError, match=r"unknown kind 'ppo'.*dqn, reinforce, a2c"):
        rl.load_agent(path)
