"""Evaluate and play: greedy episodes of a trained agent, on seeded environments run in lockstep.

    mean, std = rl.evaluate(agent, "CartPole-v1", episodes=100, seed=20_000)
    rl.play("runs/CartPole-v1-dqn-20250101-120000", episodes=10, render="rgb")
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from neurona.errors import ConfigError
from neurona.rl.base import Agent
from neurona.rl.envs import check_env_id, make_env, space_sizes
from neurona.rl.registry import load_agent

# seeds of the episodes: training uses seed (+ i for vector copy i), the in-training evaluations
# seed + VALIDATION_SEED + k (and seed + CONFIRM_SEED + k to confirm a validation that reached the
# target), the final evaluation seed + TEST_SEED + k, play seed + PLAY_SEED + k
VALIDATION_SEED, CONFIRM_SEED, TEST_SEED, PLAY_SEED = 10_000, 15_000, 20_000, 30_000


@dataclass
class PlayResult:
    """What :func:`play` measured: greedy returns, and the PNG strip of frames when rendered."""

    mean: float
    std: float
    returns: list[float]
    frames_path: Path | None = None


def single_threaded_blas() -> contextlib.AbstractContextManager:
    """Limit BLAS to one thread while agents train and play.

    Their networks are tiny (64 x 128 matrices), so a second BLAS thread only adds synchronisation; on a
    busy machine it made a DQN update 80 times slower (69 ms instead of 0.8 ms). threadpoolctl comes with
    scikit-learn; without it this does nothing.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn depends on it
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def episode_returns(agent: Agent, env_id: str, episodes: int = 100, seed: int = 0, greedy: bool = True,
                    parallel: int = 16) -> np.ndarray:
    """Returns of ``episodes`` episodes; episode k starts from ``env.reset(seed=seed + k)``.

    Up to ``parallel`` environments run in lockstep so the agent acts on a batch of observations
    (one forward pass for all of them), which is several times faster than one at a time.
    """
    if isinstance(episodes, bool) or not isinstance(episodes, int) or episodes < 1:
        raise ConfigError(f"evaluate: episodes must be a positive integer, got {episodes!r}")
    envs = [make_env(env_id) for _ in range(min(parallel, episodes))]
    returns = np.zeros(episodes)
    next_episode = 0
    slots: list[tuple[Any, int, np.ndarray]] = []  # (env, episode index, observation)
    for env in envs:
        obs, _ = env.reset(seed=seed + next_episode)
        slots.append((env, next_episode, obs))
        next_episode += 1
    while slots:
        actions = agent.act(np.stack([obs for _, _, obs in slots]), greedy=greedy)
        still = []
        for (env, k, _), action in zip(slots, actions):
            obs, reward, terminated, truncated, _ = env.step(int(action))
            returns[k] += reward
            if terminated or truncated:
                if next_episode < episodes:
                    obs, _ = env.reset(seed=seed + next_episode)
                    still.append((env, next_episode, obs))
                    next_episode += 1
                else:
                    env.close()
            else:
                still.append((env, k, obs))
        slots = still
    return returns


def evaluate(agent: Agent, env_id: str, episodes: int = 100, seed: int = TEST_SEED) -> tuple[float, float]:
    """Mean and standard deviation of the greedy policy's return over ``episodes`` seeded episodes.

    Examples
    --------
    >>> mean, std = evaluate(result.agent, "CartPole-v1", episodes=100)   # doctest: +SKIP
    """
    if not isinstance(agent, Agent):
        raise TypeError(f"evaluate: agent must be a neurona.rl agent (DQN, REINFORCE, A2C), got {type(agent).__name__}")
    check_env_id(env_id)
    env = make_env(env_id)
    env.close()
    obs_dim, n_actions = space_sizes(env.observation_space, env.action_space, type(agent).__name__, env_id)
    if (obs_dim, n_actions) != (agent.obs_dim, agent.n_actions):
        raise ConfigError(
            f"evaluate: the agent was built for {agent.obs_dim} observations and {agent.n_actions} actions, "
            f"but {env_id} has {obs_dim} and {n_actions}"
        )
    with single_threaded_blas():
        returns = episode_returns(agent, env_id, episodes, seed)
    return float(returns.mean()), float(returns.std())


def _has_pygame() -> bool:
    return importlib.util.find_spec("pygame") is not None


def play(run_dir: str | os.PathLike, episodes: int = 10, render: str | None = None,
         out: str | os.PathLike | None = None, seed: int | None = None, frames: int = 8,
         verbose: bool = True) -> PlayResult:
    """Load the agent of a run folder, play ``episodes`` greedy episodes and report the mean return.

    Parameters
    ----------
    run_dir : str or PathLike
        A folder written by :func:`train` (holding ``config.json`` and ``agent.safetensors``).
    episodes : int, default 10
    render : {None, 'rgb'}
        'rgb': also render the first episode with gymnasium's ``rgb_array`` mode (needs pygame) and
        save ``frames`` evenly spaced frames as one PNG strip.
    out : str or PathLike, optional
        Where the PNG goes (default ``run_dir/play.png``).
    seed : int, optional
        Episode k starts from ``reset(seed=seed + k)`` (default: the run's seed + 30,000).
    frames : int, default 8
    verbose : bool, default True
        Print the mean return (and where the frames went).
    """
    run_dir = Path(run_dir)
    config_path, agent_path = run_dir / "config.json", run_dir / "agent.safetensors"
    if not config_path.is_file() or not agent_path.is_file():
        raise FileNotFoundError(
            f"play: {run_dir} is not a finished run folder (it needs config.json and agent.safetensors); "
            "pass a folder written by neurona.rl.train"
        )
    if render not in (None, "rgb"):
        raise ConfigError(f"play: render must be None or 'rgb', got {render!r}")
    if render == "rgb" and not _has_pygame():
        raise ImportError(
            "play(render='rgb') draws the frames with gymnasium's rgb_array rendering, which needs pygame: "
            "pip install 'gymnasium[classic-control]' (or pip install pygame). Without render, play still "
            "reports the mean return."
        )
    config = json.loads(config_path.read_text())
    env_id = config["env_id"]
    agent = load_agent(agent_path)
    seed = int(config.get("seed", 0)) + PLAY_SEED if seed is None else int(seed)
    with single_threaded_blas():
        returns = episode_returns(agent, env_id, episodes, seed)
    frames_path = None
    if render == "rgb":
        frames_path = Path(out) if out is not None else run_dir / "play.png"
        _save_frames(agent, env_id, seed, frames, frames_path)
    result = PlayResult(float(returns.mean()), float(returns.std()), returns.tolist(), frames_path)
    if verbose:
        where = f"; frames in {frames_path}" if frames_path else ""
        print(f"{type(agent).__name__} on {env_id}: mean return {result.mean:.1f} +- {result.std:.1f} "
              f"over {episodes} greedy episodes{where}")
    return result


@dataclass
class GreedyEpisode:
    """One greedy episode: its observations, return and length, and (when rendered) a few frames."""

    states: np.ndarray  # (length + 1, obs_dim): step 0 (after reset) to the last observation
    total_return: float
    length: int
    frame_steps: list[int]
    frames: np.ndarray | None  # (n, H, W, 3) uint8, the frames at frame_steps; None when not rendered


def greedy_rollout(agent: Agent, env_id: str, seed: int, n_frames: int = 8, render: bool = True) -> GreedyEpisode:
    """Play one greedy episode from ``reset(seed=seed)``; with ``render`` (and pygame), keep ``n_frames``
    evenly spaced ``rgb_array`` frames of it.

    The episode is played twice from the same seed (the greedy policy makes it the same episode): once
    to learn its length, once to render only the chosen steps, so a 500-step episode does not hold
    500 full-size frames in memory. Without pygame (or with ``render=False``) ``frames`` is None and
    the observations tell the episode instead.
    """
    if isinstance(n_frames, bool) or not isinstance(n_frames, int) or n_frames < 1:
        raise ConfigError(f"greedy_rollout: n_frames must be a positive integer, got {n_frames!r}")
    render = render and _has_pygame()
    if render and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        # off-screen rendering needs no window; without this SDL complains about the missing display
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # no pygame banner in piped output
    env = make_env(env_id, render_mode="rgb_array" if render else None)
    states: list[np.ndarray] = []
    rewards: list[float] = []
    length = _greedy_episode(agent, env, seed, observe=lambda obs, r: (states.append(np.asarray(obs)),
                                                                        rewards.append(float(r))))
    frames = None
    picks = sorted(set(np.linspace(0, length, num=min(n_frames, length + 1)).round().astype(int).tolist()))
    if render:
        shots: dict[int, np.ndarray] = {}
        wanted = set(picks)
        _greedy_episode(agent, env, seed,
                        lambda t: shots.setdefault(t, np.asarray(env.render())) if t in wanted else None)
        frames = np.stack([shots[t] for t in picks])
    env.close()
    return GreedyEpisode(np.stack(states).astype(np.float64), float(sum(rewards)), length, picks, frames)


def _save_frames(agent: Agent, env_id: str, seed: int, n_frames: int, path: Path) -> None:
    """Save ``n_frames`` evenly spaced frames of one greedy episode in a row, the step under each."""
    from neurona.report import save_figure
    from neurona.rl.figures import frame_strip

    rollout = greedy_rollout(agent, env_id, seed, n_frames)
    save_figure(frame_strip(rollout.frames, rollout.frame_steps, f"{type(agent).__name__} on {env_id}"), path)


def _greedy_episode(agent: Agent, env: Any, seed: int, on_step: Any = None, observe: Any = None) -> int:
    """Play one greedy episode from ``reset(seed=seed)``, calling ``on_step(t)`` at t = 0 (the start), 1, ...
    and ``observe(obs, reward)`` with each observation (reward 0 for the first); returns its length."""
    obs, _ = env.reset(seed=seed)
    t, done = 0, False
    if on_step:
        on_step(0)
    if observe:
        observe(obs, 0.0)
    while not done:
        obs, reward, terminated, truncated, _ = env.step(agent.act(obs, greedy=True))
        t += 1
        done = terminated or truncated
        if on_step:
            on_step(t)
        if observe:
            observe(obs, reward)
    return t
