"""neurona.rl.evaluation: evaluate, episode_returns and play on a short trained run."""

import numpy as np
import pytest

pytest.importorskip("gymnasium")
import gymnasium as gym

from neurona import rl
from neurona.errors import ConfigError
from neurona.rl import evaluation


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    return rl.train("CartPole-v1", "dqn", steps=2_500, seed=1, out_dir=tmp_path_factory.mktemp("runs"),
                    final_eval_episodes=3)


def test_evaluate_and_play(short_run, monkeypatch, capsys):
    agent = short_run.agent
    mean, std = rl.evaluate(agent, "CartPole-v1", episodes=7, seed=3)
    returns = rl.episode_returns(agent, "CartPole-v1", episodes=7, seed=3)
    assert mean == pytest.approx(returns.mean()) and std == pytest.approx(returns.std())
    single = [rl.episode_returns(agent, "CartPole-v1", episodes=1, seed=3 + k)[0] for k in range(7)]
    np.testing.assert_allclose(returns, single)  # batching over environments changes nothing

    played = rl.play(short_run.run_dir, episodes=4, seed=3)
    np.testing.assert_allclose(played.returns, returns[:4])
    assert "mean return" in capsys.readouterr().out and played.frames_path is None

    monkeypatch.setattr(evaluation, "_has_pygame", lambda: False)
    with pytest.raises(ImportError, match="pygame"):
        rl.play(short_run.run_dir, episodes=1, render="rgb")
    with pytest.raises(ConfigError, match="render"):
        rl.play(short_run.run_dir, render="human")
    with pytest.raises(FileNotFoundError, match="run folder"):
        rl.play(short_run.run_dir / "nowhere")


class _FakeFrames(gym.Wrapper):
    """CartPole whose render() returns a synthetic frame, so the frame strip is tested without pygame."""

    def render(self):
        frame = np.zeros((40, 60, 3), np.uint8)
        frame[:, : int(self.unwrapped.state[0] * 100) % 60 + 1, 0] = 255
        return frame


def test_play_saves_a_strip_of_frames(short_run, monkeypatch, tmp_path):
    real_make_env = evaluation.make_env
    made = []

    def make_env(env_id, seed=None, render_mode=None):
        made.append(render_mode)
        return _FakeFrames(real_make_env(env_id, seed))

    monkeypatch.setattr(evaluation, "_has_pygame", lambda: True)
    monkeypatch.setattr(evaluation, "make_env", make_env)
    out = tmp_path / "frames.png"
    result = rl.play(short_run.run_dir, episodes=2, render="rgb", out=out, verbose=False)
    assert result.frames_path == out and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "rgb_array" in made
