"""neurona.rl.report and neurona.rl.figures: the report.html of a real short run (figures by name, the
greedy evaluations and the solved threshold in the returns figure, the settings table), the verdict and the
stop reason chosen from the numbers, the rollout strip and its state-variable fallback, and the `neurona rl`
commands run piped (the mean printed once)."""

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("gymnasium")

from neurona import rl
from neurona.report import figure_to_png_bytes
from neurona.rl import evaluation
from neurona.rl.figures import frame_strip, returns_figure, states_figure
from neurona.rl.report import exploration_sentence, stop_sentence, verdict

ROOT = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def dqn_run(tmp_path_factory):
    return rl.train("CartPole-v1", "dqn", steps=1_500, seed=0, out_dir=tmp_path_factory.mktemp("runs"),
                    eval_interval=5, eval_episodes=4, final_eval_episodes=5, learning_starts=500, lr=2e-3)


def _html(run_dir):
    return (run_dir / "report.html").read_text(encoding="utf-8")


def _json(path):
    return json.loads(path.read_text())


def _legend(fig):
    return fig.axes[0].get_legend_handles_labels()[1]


def test_train_writes_a_report_with_its_figures_by_name(dqn_run):
    run_dir = dqn_run.run_dir
    html = _html(run_dir)
    assert html.startswith("<!DOCTYPE html>") and "</html>" in html
    assert (run_dir / "learning_curve.png").read_bytes()[:8] == PNG  # kept for older readers
    embedded = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(embedded) == 2 and "<img src=\"http" not in html  # self-contained: nothing loaded from elsewhere
    for name, data in zip(("returns.png", "rollout.png"), embedded):
        saved = (run_dir / "figures" / name).read_bytes()
        assert saved[:8] == PNG
        assert base64.b64decode(data) == saved, f"figures/{name} is not the figure shown in the report"
        assert f"(figures/{name})</figcaption>" in html  # the caption names the file
    assert json.loads((run_dir / "status.json").read_text())["status"] == "completed"
    assert not list(run_dir.rglob(".*.tmp"))  # written atomically: no temporary file left behind


def test_the_report_states_the_verdict_the_stop_reason_and_the_numbers(dqn_run):
    metrics = _json(dqn_run.run_dir / "metrics.json")
    html = _html(dqn_run.run_dir)
    solved, sentence = verdict(metrics["eval_mean"], metrics["eval_std"], 5, 475.0, "CartPole-v1")
    assert solved == metrics["solved"] and sentence.replace("'", "&#x27;") in html
    assert f"{metrics['eval_mean']:.1f} ± {metrics['eval_std']:.1f}" in html
    assert stop_sentence("step budget", _json(dqn_run.run_dir / "config.json"), dqn_run.episodes, 1_500) in html
    assert "Training used its whole budget of 1,500 environment steps" in html
    assert f"{dqn_run.episodes} training episodes" in html


def test_the_returns_figure_has_the_greedy_evaluations_and_the_thresholds(dqn_run):
    metrics = _json(dqn_run.run_dir / "metrics.json")
    validations = metrics["validations"]
    assert len(validations) >= 2 and all("std_return" in v and "max_return" in v for v in validations)
    fig = returns_figure(dqn_run.returns, validations, target_return=475.0, max_return=500.0,
                         final_eval=(metrics["eval_mean"], metrics["eval_std"], 5), eval_episodes=4)
    labels = _legend(fig)
    assert any(label.startswith("greedy evaluation: mean ± std of 4 episodes") for label in labels)
    assert any(label.startswith("training return (each episode") for label in labels)
    assert any(label.startswith("solved: mean return 475") for label in labels)
    assert any(label.startswith("cap: 500") for label in labels)
    assert any(label.startswith("final evaluation: mean ± std of 5 episodes") for label in labels)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "training episode"
    lines = {line.get_label(): line for line in ax.get_lines()}
    solved_line = next(line for name, line in lines.items() if name.startswith("solved"))
    cap_line = next(line for name, line in lines.items() if name.startswith("cap"))
    assert set(solved_line.get_ydata()) == {475.0} and set(cap_line.get_ydata()) == {500.0}
    # the greedy series is the runner's validations: at the episode each ran, mean with +-std error bars
    greedy = next(c for c in ax.containers if c.get_label().startswith("greedy"))
    x, y = greedy.lines[0].get_data()
    np.testing.assert_array_equal(x, [v["episode"] for v in validations])
    np.testing.assert_allclose(y, [v["mean_return"] for v in validations])
    segments = greedy.lines[2][0].get_segments()
    np.testing.assert_allclose([s[1][1] - s[0][1] for s in segments], [2 * v["std_return"] for v in validations])
    # the report's figure is this one: the same series, read from the run folder's files
    same = returns_figure(dqn_run.returns, validations, target_return=475.0, max_return=500.0,
                          final_eval=(metrics["eval_mean"], metrics["eval_std"], 5), eval_episodes=4,
                          title="DQN on CartPole-v1 (seed 0)")
    assert figure_to_png_bytes(same) == (dqn_run.run_dir / "figures" / "returns.png").read_bytes()


def test_without_thresholds_or_validations_the_figure_leaves_them_out():
    labels = _legend(returns_figure([1.0, 2.0, 3.0]))
    assert labels == ["training return (each episode, exploring)", "training return, moving average of 20"]


def test_the_settings_table_lists_every_hyper_parameter(dqn_run):
    html = _html(dqn_run.run_dir)
    hparams = dqn_run.agent.hparams
    for name in hparams:
        assert f"<td>{name}</td>" in html, name
    assert "<td>eps_decay_steps</td><td>10,000</td><td>preset for CartPole-v1</td>" in html
    assert "<td>lr</td><td>0.002</td><td>given</td>" in html  # the caller's option wins over the preset's
    assert "<td>gamma</td><td>0.99</td><td>default</td>" in html
    assert "<td>double_dqn</td><td>True</td><td>preset for CartPole-v1</td>" in html
    assert "<td>class</td><td>Adam</td>" in html and "<td>betas</td><td>0.9, 0.999</td>" in html
    assert "Linear(in_features=4, out_features=128, bias=True)" in html  # the network
    assert "epsilon falls linearly from 1 to 0.02 over the first 10,000 environment steps" in html
    assert "with epsilon still at 0.85" in html  # 1 + (0.02 - 1) * 1500 / 10000


def test_verdict_is_chosen_from_the_numbers():
    solved, text = verdict(500.0, 0.0, 100, 475.0, "CartPole-v1")
    assert solved is True and text.startswith("Solved") and "500.0 ± 0.0 over 100" in text and "Only" not in text
    solved, text = verdict(475.0, 20.0, 100, 475.0)
    assert solved is True  # the threshold itself counts, as in metrics.json (eval_mean >= target)
    solved, text = verdict(474.9, 30.2, 100, 475.0, "CartPole-v1")
    assert solved is False and text.startswith("Not solved") and "0.1 below the solved threshold 475" in text
    assert "Solved" not in text
    solved, text = verdict(480.0, 5.0, 10, 475.0)
    assert solved is True and "Only 10 episodes" in text
    solved, text = verdict(-85.0, 12.0, 100, -100.0, "Acrobot-v1")
    assert solved is True and "-85.0 ± 12.0" in text
    solved, text = verdict(-120.0, 12.0, 100, -100.0, "Acrobot-v1")
    assert solved is False and "20.0 below" in text
    assert verdict(None, None, 0, 475.0)[0] is None and "No final evaluation" in verdict(None, None, 0, 475.0)[1]
    solved, text = verdict(-110.0, 3.0, 100, None, "MountainCar-v0")
    assert solved is None and "no solved threshold" in text


def test_stop_and_exploration_sentences_follow_the_run():
    config = {"steps": 6000, "episodes": 50, "time_limit_s": 30.0, "stop_return": 500.0, "confirm_episodes": 40}
    assert "reached the stop return 500, confirmed over 40 more episodes, after 120" in stop_sentence(
        "target reached", config, 120, 30_000)
    assert stop_sentence("episode budget", config, 50, 900).startswith("Training used its whole budget of 50 episodes")
    assert "time limit of 30 s" in stop_sentence("time limit", config, 7, 300)
    dqn = {"agent": "dqn", "hparams": {"eps_start": 1.0, "eps_end": 0.05, "eps_decay_steps": 1000}}
    assert "then stays at 0.05 (this run took 5,000 steps)" in exploration_sentence(dqn, 5000)
    assert "epsilon still at 0.53" in exploration_sentence(dqn, 500)
    a2c = {"agent": "a2c", "hparams": {"entropy_coef": 0.01}}
    assert "sampled from the policy" in exploration_sentence(a2c, 100) and "entropy bonus 0.01" in exploration_sentence(a2c, 100)


def test_rollout_strip_renders_frames_with_the_step_under_each(dqn_run):
    pytest.importorskip("pygame")
    episode = evaluation.greedy_rollout(dqn_run.agent, "CartPole-v1", seed=20_000, n_frames=8)
    assert episode.frames is not None and episode.frames.dtype == np.uint8 and episode.frames.shape[-1] == 3
    assert episode.frame_steps[0] == 0 and episode.frame_steps[-1] == episode.length
    assert len(episode.frame_steps) == min(8, episode.length + 1) == len(episode.frames)
    assert episode.states.shape == (episode.length + 1, 4) and episode.total_return == episode.length
    fig = frame_strip(episode.frames, episode.frame_steps)
    assert [ax.get_xlabel() for ax in fig.axes] == [f"step {t}" for t in episode.frame_steps]
    # the report plays the same greedy episode (the first of the final evaluation)
    assert f"{episode.length} steps, return {episode.length:g}" in _html(dqn_run.run_dir)


def test_without_pygame_the_report_draws_the_state_variables_and_says_so(tmp_path, monkeypatch):
    run = rl.train("CartPole-v1", "reinforce", episodes=4, seed=2, out_dir=tmp_path, final_eval_episodes=0,
                   report=False)
    assert not (run.run_dir / "report.html").exists()
    monkeypatch.setattr(evaluation, "_has_pygame", lambda: False)
    path = rl.write_report(run.run_dir)  # from the run folder's files alone
    html = path.read_text(encoding="utf-8")
    assert "pygame is not installed" in html and (run.run_dir / "figures" / "rollout.png").read_bytes()[:8] == PNG
    assert "No final evaluation was run" in html and "sampled from the policy" in html
    assert "Training used its whole budget of 4 episodes" in html
    episode = evaluation.greedy_rollout(run.agent, "CartPole-v1", seed=20_002, render=True)
    assert episode.frames is None and episode.states.shape == (episode.length + 1, 4)
    fig = states_figure(episode.states, "CartPole-v1")
    assert [ax.get_ylabel() for ax in fig.axes] == ["cart position", "cart velocity", "pole angle (rad)",
                                                    "pole angular velocity"]
    np.testing.assert_allclose(fig.axes[2].get_lines()[0].get_ydata(), episode.states[:, 2])


def test_bad_input_gets_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a finished RL run folder.*config.json"):
        rl.write_report(tmp_path)
    with pytest.raises(ValueError, match="frames must have shape"):
        frame_strip(np.zeros((3, 40, 60)), [0, 1, 2])
    with pytest.raises(ValueError, match="2 step numbers for 3 frames"):
        frame_strip(np.zeros((3, 40, 60, 3), np.uint8), [0, 1])
    with pytest.raises(ValueError, match="returns must be 1-D"):
        returns_figure(np.zeros((2, 2)))


def _neurona(*args, cwd):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
           "COLUMNS": "80"}
    return subprocess.run([sys.executable, "-m", "neurona.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


def test_rl_commands_piped_write_the_report_and_print_the_mean_once(tmp_path):
    train = _neurona("rl", "train", "CartPole-v1", "--agent", "dqn", "--episodes", "6", "--out", tmp_path / "runs",
                     cwd=tmp_path)
    assert train.returncode == 0, train.stderr
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert f"Report: {run_dir / 'report.html'}" in train.stdout.splitlines()  # one line, never wrapped
    assert "pygame" not in train.stdout and "XDG_RUNTIME_DIR" not in train.stderr  # rendering stays quiet
    assert (run_dir / "report.html").is_file() and (run_dir / "figures" / "returns.png").is_file()
    play = _neurona("rl", "play", run_dir, "--episodes", "3", cwd=tmp_path)
    assert play.returncode == 0, play.stderr
    lines = play.stdout.splitlines()
    assert len(lines) == 1 and play.stdout.count("mean return") == 1, play.stdout
    assert lines[0].startswith("mean return over 3 episodes (greedy): ") and "\x1b" not in play.stdout
    report = _neurona("rl", "report", run_dir, cwd=tmp_path)
    assert report.returncode == 0 and report.stdout.strip() == f"Report: {run_dir / 'report.html'}"
    missing = _neurona("rl", "report", tmp_path, cwd=tmp_path)
    assert missing.returncode == 2 and "not a finished RL run folder" in missing.stderr
