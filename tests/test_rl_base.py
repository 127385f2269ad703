"""neurona.rl.base: an agent saved and loaded acts the same; the wrong checkpoint is refused clearly."""

import numpy as np
import pytest

from neurona import io, rl
from neurona.errors import CheckpointError


@pytest.mark.parametrize("cls", [rl.DQN, rl.REINFORCE, rl.A2C])
def test_save_load_round_trip_gives_the_same_actions(cls, tmp_path):
    agent = cls(4, 2, hidden=(16, 16), seed=3)
    if isinstance(agent, rl.DQN):
        agent.steps = 1234
    obs = np.random.default_rng(0).normal(size=(64, 4)).astype(np.float32)
    path = agent.save(tmp_path / "agent.safetensors")
    loaded = rl.load_agent(path)
    assert type(loaded) is cls and loaded.hparams == agent.hparams
    np.testing.assert_array_equal(loaded.act(obs, greedy=True), agent.act(obs, greedy=True))
    same = cls.load(path)
    np.testing.assert_array_equal(same.act(obs, greedy=True), agent.act(obs, greedy=True))
    other = cls(4, 2, hidden=(16, 16), seed=4)
    assert not np.array_equal(other.act(obs, greedy=True), agent.act(obs, greedy=True))
    if isinstance(agent, rl.DQN):
        assert loaded.steps == 1234 and loaded.epsilon == agent.epsilon
        np.testing.assert_array_equal(loaded.target_net.state_dict()["0.weight"].data,
                                      loaded.q_net.state_dict()["0.weight"].data)
    meta = io.load(path).extra["rl"]
    assert meta["class"] == cls.__name__ and meta["hparams"]["hidden"] == [16, 16]


def test_load_refuses_the_wrong_agent_and_plain_checkpoints(tmp_path):
    path = rl.A2C(4, 2, seed=0).save(tmp_path / "a2c.safetensors")
    with pytest.raises(CheckpointError, match="A2C"):
        rl.DQN.load(path)
    from neurona import nn

    plain = io.save(nn.Linear(4, 2), tmp_path / "plain.safetensors")
    with pytest.raises(CheckpointError, match="not an RL agent"):
        rl.load_agent(plain)
