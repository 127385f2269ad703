"""Training runs: the loops that drive an agent through gymnasium and write a run folder.

    from neurona import rl
    result = rl.train("CartPole-v1", "dqn", seed=0)       # runs/CartPole-v1-dqn-20250101-120000/
    result.eval_mean, result.eval_std                     # 100 greedy episodes, after training
    rl.play(result.run_dir, episodes=10)

A run folder holds ``config.json`` (everything needed to repeat the run), ``returns.csv`` (one row per
training episode), ``learning_curve.png``, ``agent.safetensors`` (load it with
:func:`neurona.rl.load_agent`), ``metrics.json`` and ``status.json`` (``running``, then ``completed``,
``failed`` with the error, or ``interrupted``), and, once the run has finished, ``report.html`` with
``figures/`` (see :mod:`neurona.rl.report`). Every file is written atomically.

While it trains, the runner plays ``eval_episodes`` greedy episodes every ``eval_interval`` training
episodes (on seeds it never trains on), keeps the weights that scored best, and stops early once they
reach the stop return (confirmed on ``confirm_episodes`` more episodes). The number to report is the
separate ``final_eval_episodes``-episode evaluation on yet other seeds, in ``metrics.json``.
Evaluation and play live in :mod:`neurona.rl.evaluation`, the presets in :mod:`neurona.rl.presets`.
"""

from __future__ import annotations

import csv
import inspect
import io as _io
import json
import math
import os
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from neurona.errors import ConfigError
from neurona.rl.a2c import A2C, RolloutState, collect_rollout
from neurona.rl.base import Agent
from neurona.rl.envs import check_env_id, make_env, make_vector_env, require_gymnasium, space_sizes
from neurona.rl.evaluation import (
    CONFIRM_SEED,
    TEST_SEED,
    VALIDATION_SEED,
    episode_returns,
    evaluate,
    single_threaded_blas,
)
from neurona.rl.figures import MOVING_AVERAGE, moving_average
from neurona.rl.presets import DEFAULT_STEPS, PRESETS, TARGETS
from neurona.rl.registry import agent_class
from neurona.train.history import atomic_write_text

__all__ = ["MOVING_AVERAGE", "RunResult", "moving_average", "train"]


@dataclass
class RunResult:
    """What :func:`train` did: the trained agent, its returns, and where the run folder is."""

    run_dir: Path
    agent: Agent
    env_id: str
    agent_name: str
    returns: list[float]
    lengths: list[int]
    steps: int
    episodes: int
    train_time_s: float
    stopped: str  # why training ended: 'target reached', 'step budget', 'episode budget', 'time limit'
    best_validation_return: float | None
    eval_mean: float | None
    eval_std: float | None
    target_return: float | None
    solved: bool | None = None
    metrics: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        evaluation = "" if self.eval_mean is None else f", eval {self.eval_mean:.1f} +- {self.eval_std:.1f}"
        return (f"RunResult({self.env_id} {self.agent_name}: {self.episodes} episodes, {self.steps} steps in "
                f"{self.train_time_s:.1f} s ({self.stopped}){evaluation}, run_dir='{self.run_dir}')")


# --------------------------------------------------------------------------------------------------
# Checking the arguments
# --------------------------------------------------------------------------------------------------
def _check_budget(name: str, value: Any, kind: type = int) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float if kind is float else int) or value <= 0:
        raise ConfigError(f"train: {name} must be a positive {'number' if kind is float else 'integer'} or None, got {value!r}")


def _agent_options(agent_cls: type[Agent], env_id: str, options: dict[str, Any]) -> dict[str, Any]:
    """The preset for (env, agent) updated with the caller's options, which must be constructor arguments."""
    valid = [p for p in inspect.signature(agent_cls.__init__).parameters if p not in ("self", "obs_dim", "n_actions")]
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise ConfigError(
            f"train: {agent_cls.__name__} has no option {', '.join(map(repr, unknown))}; its options are "
            f"{', '.join(valid)}"
        )
    preset = PRESETS.get(env_id, {}).get(agent_cls.name, {}).get("agent", {})
    return {**preset, **options}


# --------------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------------
class _RunFolder:
    """``out_dir/<env>-<agent>-<YYYYmmdd-HHMMSS>/`` with atomic writers and an honest ``status.json``."""

    def __init__(self, out_dir: str | os.PathLike, name: str) -> None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        path = Path(out_dir) / f"{name}-{stamp}"
        suffix = 1
        while path.exists():  # two runs in the same second get distinct folders
            suffix += 1
            path = Path(out_dir) / f"{name}-{stamp}-{suffix}"
        path.mkdir(parents=True)
        self.path, self.started = path, time.time()

    def write_json(self, name: str, data: Any) -> None:
        atomic_write_text(self.path / name, json.dumps(data, indent=2, default=_jsonable) + "\n")

    def status(self, state: str, **info: Any) -> None:
        self.write_json("status.json", {
            "status": state, "elapsed_s": round(time.time() - self.started, 2),
            "updated": datetime.now().isoformat(timespec="seconds"), **info,
        })


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class _Tracker:
    """Episode bookkeeping, periodic greedy validation with the best weights kept, and the stop rule."""

    def __init__(self, agent: Agent, env_id: str, seed: int, stop_return: float | None, eval_interval: int,
                 eval_episodes: int, confirm_episodes: int, stop_at_target: bool, steps: int | None,
                 episodes: int | None, time_limit_s: float | None, folder: _RunFolder, progress: bool) -> None:
        self.agent, self.env_id, self.seed, self.stop_return = agent, env_id, seed, stop_return
        self.eval_interval, self.eval_episodes, self.stop_at_target = eval_interval, eval_episodes, stop_at_target
        self.confirm_episodes = confirm_episodes
        self.max_steps, self.max_episodes, self.time_limit_s = steps, episodes, time_limit_s
        self.folder, self.progress = folder, progress
        self.returns: list[float] = []
        self.lengths: list[int] = []
        self.cum_steps: list[int] = []
        self.validations: list[dict[str, float]] = []
        self.best_return, self.best_state = -math.inf, None
        self.last_logs: dict[str, float] = {}
        self.reached_target = False
        self.started = time.perf_counter()
        self._last_eval_episode = 0

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def episode(self, ret: float, length: int, steps: int) -> None:
        self.returns.append(float(ret))
        self.lengths.append(int(length))
        self.cum_steps.append(int(steps))
        if len(self.returns) - self._last_eval_episode >= self.eval_interval:
            self.validate(steps)

    def validate(self, steps: int) -> None:
        self._last_eval_episode = len(self.returns)
        returns = episode_returns(self.agent, self.env_id, self.eval_episodes, self.seed + VALIDATION_SEED)
        mean = float(returns.mean())
        record = {"episode": len(self.returns), "steps": steps, "time_s": round(self.elapsed(), 2),
                  "mean_return": mean, "std_return": float(returns.std()), "min_return": float(returns.min()),
                  "max_return": float(returns.max())}
        if self.stop_return is not None and mean >= self.stop_return and self.confirm_episodes:
            # a few lucky episodes are not a solved task: confirm on more (still never the test seeds)
            more = episode_returns(self.agent, self.env_id, self.confirm_episodes, self.seed + CONFIRM_SEED)
            mean = float(np.concatenate([returns, more]).mean())
            record["confirmed_mean_return"] = mean
        self.validations.append(record)
        if mean > self.best_return:
            self.best_return, self.best_state = mean, self.agent.state_dict()
        if self.stop_return is not None and mean >= self.stop_return:
            self.reached_target = True
        if self.progress:
            recent = np.mean(self.returns[-MOVING_AVERAGE:])
            print(f"  episode {len(self.returns):5d}  steps {steps:7d}  {self.elapsed():6.1f} s  "
                  f"train avg {recent:8.1f}  greedy {mean:8.1f}  best {self.best_return:8.1f}", flush=True)
        _write_returns(self.folder.path / "returns.csv", self.returns, self.lengths, self.cum_steps)
        self.folder.status("running", episodes=len(self.returns), steps=steps, best_validation_return=self.best_return)

    def stop_reason(self, steps: int) -> str | None:
        if self.reached_target and self.stop_at_target:
            return "target reached"
        if self.max_steps is not None and steps >= self.max_steps:
            return "step budget"
        if self.max_episodes is not None and len(self.returns) >= self.max_episodes:
            return "episode budget"
        if self.time_limit_s is not None and self.elapsed() >= self.time_limit_s:
            return "time limit"
        return None


def _train_single(agent: Agent, env_id: str, seed: int, tracker: _Tracker) -> tuple[int, str]:
    """DQN and REINFORCE: one environment, one step at a time."""
    env = make_env(env_id, seed=seed)
    obs, _ = env.reset(seed=seed)
    steps, episode_return, episode_length = 0, 0.0, 0
    while True:
        action = agent.act(obs)
        next_obs, reward, terminated, truncated, _ = env.step(action)
        logs = agent.observe(obs, action, reward, next_obs, terminated, truncated)
        if logs:
            tracker.last_logs = logs
        steps += 1
        episode_return += float(reward)
        episode_length += 1
        if terminated or truncated:
            tracker.episode(episode_return, episode_length, steps)
            episode_return, episode_length = 0.0, 0
            obs, _ = env.reset()
            reason = tracker.stop_reason(steps)
            if reason:
                return steps, reason
        else:
            obs = next_obs
            if steps == tracker.max_steps or (steps % 500 == 0 and tracker.stop_reason(steps) == "time limit"):
                return steps, tracker.stop_reason(steps)


def _train_a2c(agent: A2C, env_id: str, seed: int, tracker: _Tracker) -> tuple[int, str]:
    """A2C: ``num_envs`` environments stepped together, an update every ``n_steps`` steps."""
    envs = make_vector_env(env_id, agent.num_envs, seed=seed)
    state = RolloutState.start(envs, seed=seed)
    steps = 0
    while True:
        rollout = collect_rollout(agent, envs, state, agent.n_steps)
        tracker.last_logs = agent.update(rollout)
        steps_before = steps
        steps += int(rollout.valid.sum())
        for ret, length, t in state.finished:
            tracker.episode(ret, length, steps_before + int(rollout.valid[: t + 1].sum()))
        state.finished.clear()
        reason = tracker.stop_reason(steps)
        if reason:
            envs.close()
            return steps, reason


def train(
    env_id: str,
    agent: str = "dqn",
    episodes: int | None = None,
    steps: int | None = None,
    seed: int = 0,
    out_dir: str | os.PathLike = "runs",
    time_limit_s: float | None = None,
    *,
    target_return: float | None = None,
    stop_return: float | None = None,
    eval_interval: int | None = None,
    eval_episodes: int = 10,
    confirm_episodes: int = 40,
    final_eval_episodes: int = 100,
    stop_at_target: bool = True,
    progress: bool = False,
    report: bool = True,
    **agent_options: Any,
) -> RunResult:
    """Train an agent on a gymnasium task and write a run folder; returns a :class:`RunResult`.

    Parameters
    ----------
    env_id : str
        A gymnasium id with a flat observation and discrete actions: 'CartPole-v1', 'Acrobot-v1', ...
    agent : {'dqn', 'reinforce', 'a2c'}, default 'dqn'
    episodes, steps : int, optional
        Training budgets (episodes finished, environment steps); training stops at whichever comes
        first. With neither, the preset's step budget (or 100,000 steps).
    seed : int, default 0
        Seeds the weights, the agent's sampling and the environments.
    out_dir : str or PathLike, default 'runs'
        Where the run folder ``<env>-<agent>-<YYYYmmdd-HHMMSS>`` is made.
    time_limit_s : float, optional
        Stop training after this many seconds.
    target_return : float, optional
        The mean return that counts as solving the task, judged on the final evaluation (default: 475
        for CartPole-v1, -100 for Acrobot-v1, else gymnasium's ``reward_threshold``).
    stop_return : float, optional
        Stop once a (confirmed) greedy validation scores this much (default: the preset's, which sits a
        little above the target so that the final evaluation clears it, else ``target_return``).
    eval_interval : int, optional
        Validate every this many training episodes (default: the preset's, else 10).
    eval_episodes : int, default 10
        Episodes per validation.
    confirm_episodes : int, default 40
        When a validation reaches the target, play this many more episodes (on other seeds) and
        judge it on all of them, so that a lucky handful does not stop training (0: no confirmation).
    final_eval_episodes : int, default 100
        Episodes of the final greedy evaluation (0 to skip it).
    stop_at_target : bool, default True
        False: train to the budget even after reaching the target.
    progress : bool, default False
        Print a line per validation.
    report : bool, default True
        Write ``report.html`` and ``figures/`` (returns with the greedy evaluations and the solved
        threshold, the final evaluation, the settings, a rollout strip); see :mod:`neurona.rl.report`.
    **agent_options
        Hyper-parameters of the agent, over the preset ones (see :data:`PRESETS`).

    Returns
    -------
    RunResult

    Raises
    ------
    ConfigError
        Unknown agent, unknown environment id (the message lists valid ones), an action space the agent
        cannot handle (continuous for DQN), or an unknown agent option.

    Examples
    --------
    >>> result = train("CartPole-v1", "dqn", seed=0)              # doctest: +SKIP
    >>> result.eval_mean >= 475                                   # doctest: +SKIP
    True
    """
    agent_cls = agent_class(agent)
    check_env_id(env_id)
    _check_budget("episodes", episodes)
    _check_budget("steps", steps)
    _check_budget("time_limit_s", time_limit_s, float)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"train: seed must be a non-negative integer, got {seed!r}")
    probe = make_env(env_id)
    obs_dim, n_actions = space_sizes(probe.observation_space, probe.action_space, agent_cls.__name__, env_id)
    spec_threshold = getattr(probe.spec, "reward_threshold", None)
    probe.close()
    options = _agent_options(agent_cls, env_id, agent_options)
    preset = PRESETS.get(env_id, {}).get(agent_cls.name, {})
    if steps is None and episodes is None:
        steps = int(preset.get("steps", DEFAULT_STEPS))
    if target_return is None:
        target_return = TARGETS.get(env_id, spec_threshold)
    if stop_return is None:
        stop_return = preset.get("stop_return", target_return)
    eval_interval = int(eval_interval or preset.get("eval_interval", 10))

    the_agent = agent_cls(obs_dim, n_actions, **options, seed=seed)
    folder = _RunFolder(out_dir, f"{env_id}-{agent_cls.name}")
    gym = require_gymnasium()
    import neurona

    config = {
        "env_id": env_id, "agent": agent_cls.name, "agent_class": agent_cls.__name__, "seed": seed,
        "episodes": episodes, "steps": steps, "time_limit_s": time_limit_s, "target_return": target_return,
        "stop_return": stop_return, "eval_interval": eval_interval, "eval_episodes": eval_episodes,
        "confirm_episodes": confirm_episodes, "final_eval_episodes": final_eval_episodes,
        "stop_at_target": stop_at_target, "hparams": the_agent.hparams, "options_given": sorted(agent_options),
        "versions": {"neurona": neurona.__version__, "gymnasium": gym.__version__, "numpy": np.__version__},
    }
    folder.write_json("config.json", config)
    folder.status("running")
    tracker = _Tracker(the_agent, env_id, seed, stop_return, eval_interval, eval_episodes, confirm_episodes,
                       stop_at_target, steps, episodes, time_limit_s, folder, progress)
    try:
        with single_threaded_blas():
            return _run(the_agent, env_id, seed, tracker, folder, target_return, final_eval_episodes, report)
    except KeyboardInterrupt:
        folder.status("interrupted", reason="stopped by the user (Ctrl-C) before the run finished")
        raise
    except BaseException as error:
        folder.status("failed", error=f"{type(error).__name__}: {error}",
                      traceback=traceback.format_exc()[-4000:])
        raise


def _run(agent: Agent, env_id: str, seed: int, tracker: _Tracker, folder: _RunFolder,
         target_return: float | None, final_eval_episodes: int, report: bool = True) -> RunResult:
    """The training loop, then the best weights saved, the files written and the final evaluation."""
    if isinstance(agent, A2C):
        total_steps, stopped = _train_a2c(agent, env_id, seed, tracker)
    else:
        total_steps, stopped = _train_single(agent, env_id, seed, tracker)
    if not tracker.validations or tracker.validations[-1]["episode"] != len(tracker.returns):
        tracker.validate(total_steps)  # the final weights get their chance to be the best
    train_time = tracker.elapsed()
    if tracker.best_state is not None:
        agent.load_state_dict(tracker.best_state)
    agent.save(folder.path / "agent.safetensors")
    _write_returns(folder.path / "returns.csv", tracker.returns, tracker.lengths, tracker.cum_steps)
    _learning_curve(tracker.returns, f"{type(agent).__name__} on {env_id} (seed {seed})",
                    folder.path / "learning_curve.png")
    eval_mean = eval_std = None
    if final_eval_episodes:
        folder.status("running", phase="final evaluation")
        eval_mean, eval_std = evaluate(agent, env_id, final_eval_episodes, seed=seed + TEST_SEED)
    solved = None if target_return is None or eval_mean is None else bool(eval_mean >= target_return)
    metrics = {
        "env_id": env_id, "agent": agent.name, "seed": seed, "episodes": len(tracker.returns),
        "steps": total_steps, "train_time_s": round(train_time, 2), "stopped": stopped,
        "target_return": target_return,
        "best_validation_return": tracker.best_return if tracker.validations else None,
        "eval_mean": eval_mean, "eval_std": eval_std, "eval_episodes": final_eval_episodes,
        "eval_seeds": f"{seed + TEST_SEED}..{seed + TEST_SEED + max(final_eval_episodes, 1) - 1}",
        "solved": solved,
        "last_train_returns_mean": float(np.mean(tracker.returns[-MOVING_AVERAGE:])) if tracker.returns else None,
        "last_losses": tracker.last_logs,
        "validations": tracker.validations,
    }
    folder.write_json("metrics.json", metrics)
    if report:
        from neurona.rl.report import write_report

        folder.status("running", phase="report")
        write_report(folder.path, agent)
    folder.status("completed", stopped=stopped, eval_mean=eval_mean, solved=solved)
    return RunResult(
        run_dir=folder.path, agent=agent, env_id=env_id, agent_name=agent.name, returns=tracker.returns,
        lengths=tracker.lengths, steps=total_steps, episodes=len(tracker.returns), train_time_s=train_time,
        stopped=stopped, best_validation_return=metrics["best_validation_return"], eval_mean=eval_mean,
        eval_std=eval_std, target_return=target_return, solved=solved, metrics=metrics,
    )


def _write_returns(path: Path, returns: list[float], lengths: list[int], steps: list[int]) -> None:
    buffer = _io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["episode", "return", "length", "steps"])
    for i, (ret, length, step) in enumerate(zip(returns, lengths, steps), start=1):
        writer.writerow([i, f"{ret:g}", length, step])
    atomic_write_text(path, buffer.getvalue())


def _learning_curve(returns: list[float], title: str, path: Path) -> None:
    from neurona.report import line_figure

    if not returns:
        return
    episodes = np.arange(1, len(returns) + 1, dtype=np.float64)
    line_figure({"return": (episodes, np.asarray(returns)),
                 f"moving average ({MOVING_AVERAGE})": (episodes, moving_average(returns))},
                xlabel="episode", ylabel="return", title=title, path=path)
