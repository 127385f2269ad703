"""neurona.rl.runner: short training runs improve and write the run folder; errors come before any work.

The full solves (DQN/A2C/REINFORCE on CartPole-v1, DQN/A2C on Acrobot-v1) are marked slow.
"""

import json

import numpy as np
import pytest

pytest.importorskip("gymnasium")

from neurona import rl
from neurona.errors import ConfigError


def _read_returns(run_dir):
    lines = (run_dir / "returns.csv").read_text().splitlines()
    assert lines[0] == "episode,return,length,steps"
    return np.array([[float(x) for x in line.split(",")] for line in lines[1:]])


def test_short_a2c_run_improves_and_writes_the_run_folder(tmp_path):
    result = rl.train("CartPole-v1", "a2c", steps=15_000, seed=0, out_dir=tmp_path, final_eval_episodes=5,
                      stop_at_target=False)
    first, last = np.mean(result.returns[:20]), np.mean(result.returns[-20:])
    assert last > 2 * first, (first, last)
    run_dir = result.run_dir
    assert run_dir.parent == tmp_path and run_dir.name.startswith("CartPole-v1-a2c-")
    for name in ("config.json", "returns.csv", "learning_curve.png", "agent.safetensors", "metrics.json",
                 "status.json"):
        assert (run_dir / name).is_file(), name
    assert json.loads((run_dir / "status.json").read_text())["status"] == "completed"
    table = _read_returns(run_dir)
    assert len(table) == result.episodes and table[-1, 3] <= result.steps
    np.testing.assert_allclose(table[:, 1], result.returns)
    assert np.all(np.diff(table[:, 3]) >= 0) and table[:, 3].sum() > 0 and np.all(table[:, 1] == table[:, 2])  # CartPole: 1 per step
    config = json.loads((run_dir / "config.json").read_text())
    assert config["agent"] == "a2c" and config["hparams"]["num_envs"] == 8 and config["seed"] == 0
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["eval_episodes"] == 5 and metrics["eval_mean"] == pytest.approx(result.eval_mean)
    assert (run_dir / "learning_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_short_dqn_run_improves(tmp_path):
    result = rl.train("CartPole-v1", "dqn", steps=6_000, seed=0, out_dir=tmp_path, final_eval_episodes=0)
    assert result.stopped == "step budget" and result.eval_mean is None
    first, last = np.mean(result.returns[:20]), np.mean(result.returns[-10:])
    assert last > 2 * first, (first, last)
    assert result.best_validation_return is not None and result.best_validation_return > 100


def test_dqn_ablations_train_through_the_runner(tmp_path):
    result = rl.train("CartPole-v1", "dqn", steps=1_500, out_dir=tmp_path, final_eval_episodes=0,
                      use_replay=False, use_target_network=False, learning_starts=100, train_freq=1,
                      eps_decay_steps=1_000)
    hparams = result.agent.hparams
    assert hparams["use_replay"] is False and hparams["use_target_network"] is False
    assert result.agent.updates == 1_401 and result.steps == 1_500  # steps 100, 101, ..., 1500
    assert rl.presets("CartPole-v1", "dqn")["double_dqn"] is True and rl.presets("MountainCar-v0", "dqn") == {}


def test_training_is_reproducible(tmp_path):
    a = rl.train("CartPole-v1", "reinforce", episodes=12, seed=5, out_dir=tmp_path, final_eval_episodes=0)
    b = rl.train("CartPole-v1", "reinforce", episodes=12, seed=5, out_dir=tmp_path, final_eval_episodes=0)
    assert a.run_dir != b.run_dir and a.returns == b.returns
    for key, value in a.agent.state_dict().items():
        np.testing.assert_array_equal(value, b.agent.state_dict()[key])


def test_bad_input_gets_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match=r"CartPol-v1.*CartPole-v1.*Acrobot-v1"):
        rl.train("CartPol-v1", "dqn", out_dir=tmp_path)
    with pytest.raises(ConfigError, match="DQN needs a Discrete action space.*Pendulum-v1.*Box"):
        rl.train("Pendulum-v1", "dqn", out_dir=tmp_path)
    with pytest.raises(ConfigError, match="A2C needs a Discrete action space"):
        rl.train("MountainCarContinuous-v0", "a2c", out_dir=tmp_path)
    with pytest.raises(ConfigError, match=r"unknown agent 'ppo'.*'dqn', 'reinforce', 'a2c'"):
        rl.train("CartPole-v1", "ppo", out_dir=tmp_path)
    with pytest.raises(ConfigError, match="no option 'learning_rate'.*lr"):
        rl.train("CartPole-v1", "dqn", out_dir=tmp_path, learning_rate=1e-3)
    with pytest.raises(ConfigError, match="steps"):
        rl.train("CartPole-v1", "dqn", steps=-5, out_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing was started
    with pytest.raises(ConfigError, match="CartPole-v1"):
        rl.make_env("NoSuchEnv-v0")
    agent = rl.DQN(4, 2, seed=0)
    with pytest.raises(ConfigError, match=r"\(4,\)"):
        agent.act(np.zeros(3))
    with pytest.raises(ConfigError, match="6 observations"):
        rl.evaluate(rl.DQN(6, 3, seed=0), "CartPole-v1", episodes=1)
    with pytest.raises(ConfigError, match="loss"):
        rl.DQN(4, 2, loss="l1")


def test_failed_run_is_marked_failed_and_time_limit_stops(tmp_path, monkeypatch):
    calls = {"n": 0}
    original = rl.DQN.observe

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 50:
            raise RuntimeError("simulated crash")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(rl.DQN, "observe", flaky)
    with pytest.raises(RuntimeError, match="simulated crash"):
        rl.train("CartPole-v1", "dqn", steps=1_000, out_dir=tmp_path / "a")
    (run_dir,) = (tmp_path / "a").iterdir()
    status = json.loads((run_dir / "status.json").read_text())
    assert status["status"] == "failed" and "simulated crash" in status["error"]
    monkeypatch.setattr(rl.DQN, "observe", original)
    result = rl.train("CartPole-v1", "dqn", steps=10**7, time_limit_s=0.5, out_dir=tmp_path / "b",
                      final_eval_episodes=0)
    assert result.stopped == "time limit" and result.train_time_s < 10


# ---------------------------------------------------------------------------------------------------
# Full solves (slow): the numbers reported in docs/rl.md
# ---------------------------------------------------------------------------------------------------

SOLVES = [
    ("CartPole-v1", "dqn", 475.0),
    ("CartPole-v1", "a2c", 475.0),
    ("CartPole-v1", "reinforce", 195.0),
    ("Acrobot-v1", "dqn", -100.0),
    ("Acrobot-v1", "a2c", -100.0),
]


@pytest.mark.slow
@pytest.mark.parametrize(("env_id", "agent", "threshold"), SOLVES)
def test_presets_solve_the_classic_tasks(env_id, agent, threshold, tmp_path):
    result = rl.train(env_id, agent, seed=0, out_dir=tmp_path, time_limit_s=180)
    assert result.eval_mean >= threshold, result
    assert result.train_time_s <= 180
    assert result.metrics["eval_episodes"] == 100
