"""The report of a deep RL run: ``report.html`` (self-contained) and ``figures/`` in the run folder.

    from neurona import rl
    result = rl.train("CartPole-v1", "dqn", seed=0)       # writes the report at the end of the run
    rl.write_report(result.run_dir)                       # or (re)writes it from the run folder's files

The page shows the verdict (chosen from the final evaluation's numbers), why training stopped, the
returns over training with the greedy evaluations and the solved threshold (``figures/returns.png``), a
rollout strip of one greedy episode (``figures/rollout.png``), and every setting of the agent and the run.
Everything is read from the run folder (``config.json``, ``metrics.json``, ``returns.csv``,
``agent.safetensors``), so the report of an old run can be written again.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

from neurona.rl.base import Agent
from neurona.rl.evaluation import TEST_SEED, greedy_rollout, single_threaded_blas
from neurona.rl.figures import MOVING_AVERAGE, frame_strip, returns_figure, states_figure
from neurona.rl.presets import MAX_RETURNS, PRESETS
from neurona.rl.registry import load_agent

ROLLOUT_FRAMES = 8
GYM_DEFINITION = 100  # gymnasium's solved thresholds are means over 100 consecutive episodes

# what to look at in a greedy episode of each task
_ROLLOUT_HINTS = {
    "CartPole-v1": "Look at the pole: a solved policy keeps it upright and the cart near the middle to the last "
                   "frame (step 500 is the time limit, not a failure); a pole tilting past 12 degrees or the cart "
                   "leaving the track ends the episode early.",
    "Acrobot-v1": "Look at the free end: the policy swings the two links to build momentum until the tip rises "
                  "above the line; fewer steps is better (-1 reward a step).",
    "MountainCar-v0": "Look at the car: it must rock back and forth to build momentum before it can climb to "
                      "the flag.",
}


def verdict(eval_mean: float | None, eval_std: float | None, episodes: int, target_return: float | None,
            env_id: str = "the task") -> tuple[bool | None, str]:
    """Whether the final evaluation solved the task, and one sentence saying so, chosen from the numbers.

    Parameters
    ----------
    eval_mean, eval_std : float or None
        Mean and standard deviation of the final greedy evaluation (None when there was none).
    episodes : int
        Episodes of the final evaluation.
    target_return : float or None
        The mean return that counts as solved (None: the task has none).
    env_id : str

    Returns
    -------
    (solved, sentence)
        ``solved`` is None when there is nothing to judge (no evaluation or no threshold).

    Examples
    --------
    >>> verdict(500.0, 0.0, 100, 475.0, "CartPole-v1")[0]
    True
    >>> verdict(23.5, 4.0, 100, 475.0, "CartPole-v1")[1].startswith("Not solved")
    True
    """
    if eval_mean is None:
        return None, ("No final evaluation was run (final_eval_episodes=0), so this run makes no claim about "
                      f"solving {env_id}; the greedy validations in the figure are its only measurements.")
    measured = f"{eval_mean:.1f} ± {eval_std or 0.0:.1f} over {episodes} greedy episodes on seeds never trained on"
    if target_return is None:
        return None, (f"Final evaluation: mean return {measured}. {env_id} has no solved threshold "
                      "(gymnasium sets no reward_threshold for it), so there is nothing to compare it with.")
    if eval_mean >= target_return:
        text = (f"Solved: the final evaluation's mean return, {measured}, is at or above the solved "
                f"threshold {target_return:g}.")
        if episodes < GYM_DEFINITION:
            text += (f" Only {episodes} episodes were played; the threshold is defined over {GYM_DEFINITION}, so "
                     f"evaluate {GYM_DEFINITION} before relying on it.")
        return True, text
    return False, (f"Not solved: the final evaluation's mean return, {measured}, is {target_return - eval_mean:.1f} "
                   f"below the solved threshold {target_return:g}.")


def stop_sentence(stopped: str, config: dict[str, Any], episodes: int, steps: int) -> str:
    """Why training ended, in words, from the run's ``stopped`` and its budgets.

    Examples
    --------
    >>> stop_sentence("step budget", {"steps": 6000}, 80, 6000)
    'Training used its whole budget of 6,000 environment steps (80 episodes).'
    """
    if stopped == "target reached":
        confirm = config.get("confirm_episodes") or 0
        held = f", confirmed over {confirm} more episodes," if confirm else ""
        return (f"Training stopped early: a greedy validation reached the stop return {config.get('stop_return'):g}"
                f"{held} after {episodes} episodes ({steps:,} environment steps).")
    if stopped == "step budget":
        return f"Training used its whole budget of {config.get('steps') or steps:,} environment steps ({episodes} episodes)."
    if stopped == "episode budget":
        return f"Training used its whole budget of {config.get('episodes') or episodes} episodes ({steps:,} environment steps)."
    if stopped == "time limit":
        return (f"Training reached its time limit of {config.get('time_limit_s') or 0:g} s after {episodes} episodes "
                f"({steps:,} environment steps).")
    return f"Training stopped ({stopped}) after {episodes} episodes ({steps:,} environment steps)."


def settings_rows(config: dict[str, Any]) -> list[dict[str, Any]]:
    """The agent's hyper-parameters, each with where its value came from: given, preset, default, the task, the run."""
    given = set(config.get("options_given", []))
    preset = PRESETS.get(config.get("env_id", ""), {}).get(config.get("agent", ""), {}).get("agent", {})
    rows = []
    for name, value in config.get("hparams", {}).items():
        if name in ("obs_dim", "n_actions"):
            source = "the environment"
        elif name == "seed":
            source = "the run (--seed)"
        elif name in given:
            source = "given"
        elif name in preset:
            source = f"preset for {config.get('env_id')}"
        else:
            source = "default"
        rows.append({"hyper-parameter": name, "value": _value(value), "from": source})
    return rows


def run_rows(config: dict[str, Any]) -> list[dict[str, Any]]:
    """The run's own settings (budgets, evaluation schedule, thresholds) as table rows."""
    names = {
        "seed": "seed (weights, exploration, environments)", "steps": "step budget", "episodes": "episode budget",
        "time_limit_s": "time limit (s)", "eval_interval": "greedy validation every ... training episodes",
        "eval_episodes": "episodes per greedy validation",
        "confirm_episodes": "more episodes to confirm a validation at the stop return",
        "stop_return": "stop return (early stop)", "stop_at_target": "stop once the stop return is reached",
        "target_return": "solved threshold (final evaluation)",
        "final_eval_episodes": "episodes of the final evaluation",
    }
    rows = [{"setting": label, "value": _value(config.get(key))} for key, label in names.items()]
    versions = config.get("versions", {})
    if versions:
        rows.append({"setting": "versions", "value": ", ".join(f"{k} {v}" for k, v in versions.items())})
    return rows


def optimizer_rows(agent: Agent) -> list[dict[str, Any]]:
    """The optimiser's class and numeric settings (lr, betas, eps, weight decay, ...)."""
    group = agent.optimizer.param_groups[0]
    rows = [{"optimiser setting": "class", "value": type(agent.optimizer).__name__}]
    for key, value in group.items():
        if key == "params" or value is None or isinstance(value, bool):
            continue
        rows.append({"optimiser setting": key, "value": _value(value)})
    return rows


def exploration_sentence(config: dict[str, Any], steps: int) -> str:
    """How the agent explored while training: the epsilon schedule for DQN, sampling for policy-gradient agents."""
    h = config.get("hparams", {})
    if config.get("agent") == "dqn":
        start, end, decay = float(h.get("eps_start", 1.0)), float(h.get("eps_end", 0.0)), int(h.get("eps_decay_steps", 0))
        if decay and steps < decay:
            reached = start + (end - start) * steps / decay
            when = (f"; this run stopped after {steps:,} steps, with epsilon still at {reached:.2f}, so it explored "
                    "until the end")
        else:
            when = f", then stays at {end:g} (this run took {steps:,} steps)"
        return (f"Exploration (epsilon-greedy): epsilon falls linearly from {start:g} to {end:g} over the first "
                f"{decay:,} environment steps{when}. Evaluation is greedy (epsilon = 0).")
    return ("Exploration: actions are sampled from the policy's softmax while training"
            + (f" (entropy bonus {h['entropy_coef']:g})" if h.get("entropy_coef") else "")
            + "; evaluation takes the most likely action (greedy).")


def write_report(run_dir: str | os.PathLike, agent: Agent | None = None, frames: int = ROLLOUT_FRAMES) -> Path:
    """Write ``report.html`` and ``figures/returns.png``, ``figures/rollout.png`` into a finished run folder.

    Parameters
    ----------
    run_dir : str or PathLike
        A folder written by :func:`neurona.rl.train` (``config.json``, ``metrics.json``, ``returns.csv``,
        ``agent.safetensors``).
    agent : Agent, optional
        The trained agent (default: loaded from ``agent.safetensors``).
    frames : int, default 8
        Frames in the rollout strip.

    Returns
    -------
    Path
        The report's path.
    """
    from neurona.report import HtmlReport

    run_dir = Path(run_dir)
    needed = [run_dir / n for n in ("config.json", "metrics.json", "returns.csv")]
    if agent is None:
        needed.append(run_dir / "agent.safetensors")
    missing = [p.name for p in needed if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"write_report: {run_dir} is not a finished RL run folder (missing "
                                f"{', '.join(missing)}); pass a folder written by neurona.rl.train")
    config = json.loads((run_dir / "config.json").read_text())
    metrics = json.loads((run_dir / "metrics.json").read_text())
    returns = _read_returns(run_dir / "returns.csv")
    agent = load_agent(run_dir / "agent.safetensors") if agent is None else agent
    env_id, seed = config["env_id"], int(config.get("seed", 0))
    name, episodes, steps = config.get("agent_class", type(agent).__name__), int(metrics["episodes"]), int(metrics["steps"])
    fig_dir = run_dir / "figures"

    report = HtmlReport(f"neurona RL run: {name} on {env_id}",
                        f"seed {seed} · {episodes} training episodes · {steps:,} environment steps · "
                        f"{metrics.get('train_time_s', 0):.1f} s of training")
    solved, sentence = verdict(metrics.get("eval_mean"), metrics.get("eval_std"), int(metrics.get("eval_episodes") or 0),
                               metrics.get("target_return"), env_id)
    report.section("Result")
    (report.note if solved else report.warning if solved is False else report.text)(sentence)
    report.text(stop_sentence(metrics.get("stopped", "?"), config, episodes, steps))
    report.table(_result_rows(metrics, solved), "The numbers behind the verdict")

    report.section("Returns during training")
    max_return = MAX_RETURNS.get(env_id)
    final = None if metrics.get("eval_mean") is None else (metrics["eval_mean"], metrics["eval_std"],
                                                            metrics["eval_episodes"])
    figure = returns_figure(returns, metrics.get("validations", []), target_return=metrics.get("target_return"),
                            max_return=max_return, final_eval=final, eval_episodes=config.get("eval_episodes"),
                            title=f"{name} on {env_id} (seed {seed})")
    report.figure(figure, _returns_caption(config, metrics, max_return) + " (figures/returns.png)",
                  fig_dir / "returns.png")

    report.section("One greedy episode")
    rollout_seed = seed + TEST_SEED
    with single_threaded_blas():
        episode = greedy_rollout(agent, env_id, rollout_seed, frames)
    about = (f"one greedy episode (seed {rollout_seed}, the first episode of the final evaluation): "
             f"{episode.length} steps, return {episode.total_return:g}.")
    hint = _ROLLOUT_HINTS.get(env_id, "Look at how the state evolves as the agent acts.")
    if episode.frames is not None:
        report.figure(frame_strip(episode.frames, episode.frame_steps, f"{name} on {env_id}, greedy"),
                      f"{len(episode.frame_steps)} evenly spaced frames of {about} {hint} (figures/rollout.png)",
                      fig_dir / "rollout.png")
    else:
        report.figure(states_figure(episode.states, env_id, f"{name} on {env_id}, greedy: the state over time"),
                      "pygame is not installed, so gymnasium cannot render frames (pip install "
                      f"'gymnasium[classic-control]'); instead, the observation's variables over {about} {hint} "
                      "(figures/rollout.png)",
                      fig_dir / "rollout.png")

    report.section("Settings")
    report.text(f"{name}'s hyper-parameters after the presets ('given': passed to train; 'preset': "
                f"neurona.rl.PRESETS for {env_id}; 'default': the constructor's default).")
    report.table(settings_rows(config), "Agent")
    report.text(exploration_sentence(config, steps))
    report.table(optimizer_rows(agent), "Optimiser")
    report.text("Network:")
    report.code(str(agent.model))
    report.table(run_rows(config), "Run")
    return report.write(run_dir / "report.html")


def _result_rows(metrics: dict[str, Any], solved: bool | None) -> list[dict[str, Any]]:
    mean, std = metrics.get("eval_mean"), metrics.get("eval_std")
    target = metrics.get("target_return")
    best = metrics.get("best_validation_return")
    rows = [
        ("final evaluation: mean ± std", "-" if mean is None else f"{mean:.1f} ± {std:.1f}"),
        ("final evaluation: episodes (greedy)", metrics.get("eval_episodes") if mean is not None else 0),
        ("final evaluation: seeds", metrics.get("eval_seeds") if mean is not None else "-"),
        ("solved threshold", "none" if target is None else f"{target:g}"),
        ("solved", {True: "yes", False: "no", None: "-"}[solved]),
        ("best greedy validation (mean return)", "-" if best is None else f"{best:.1f}"),
        (f"last {MOVING_AVERAGE} training episodes (mean return, exploring)",
         "-" if metrics.get("last_train_returns_mean") is None else f"{metrics['last_train_returns_mean']:.1f}"),
        ("stopped because", metrics.get("stopped")),
        ("training episodes", metrics.get("episodes")),
        ("environment steps", f"{metrics.get('steps', 0):,}"),
        ("training time (s)", f"{metrics.get('train_time_s', 0):.1f}"),
    ]
    return [{"": key, "value": value} for key, value in rows]


def _returns_caption(config: dict[str, Any], metrics: dict[str, Any], max_return: float | None) -> str:
    explore = "epsilon-greedy" if config.get("agent") == "dqn" else "actions sampled from the policy"
    parts = [
        f"Thin line: the return of every training episode, while exploring ({explore}); thick line: its moving "
        f"average over {MOVING_AVERAGE} episodes. Orange: the greedy validations, every "
        f"{config.get('eval_interval')} training episodes, mean ± std over {config.get('eval_episodes')} episodes on "
        "seeds never trained on."
    ]
    if metrics.get("eval_mean") is not None:
        parts.append("Green diamond: the final evaluation, on other seeds, with the weights that validated best.")
    if metrics.get("target_return") is not None:
        parts.append(f"Dashed: the solved threshold {metrics['target_return']:g} (a mean over {GYM_DEFINITION} "
                     "episodes).")
    if max_return is not None:
        parts.append(f"Dotted: the cap {max_return:g}, the most one episode can return.")
    parts.append("Look at whether the greedy validations reach the dashed line and stay there: the training "
                 "returns usually sit lower because they explore. The x axis counts training episodes; "
                 f"{metrics.get('episodes')} episodes were {metrics.get('steps', 0):,} environment steps.")
    return " ".join(parts)


def _read_returns(path: Path) -> list[float]:
    with open(path, newline="") as f:
        return [float(row["return"]) for row in csv.DictReader(f)]


def _value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 1_000:
        return f"{value:,}"
    if isinstance(value, list | tuple):
        return ", ".join(_value(v) for v in value)
    return str(value)
