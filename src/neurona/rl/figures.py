"""Figures of a deep RL run: the returns over training with the greedy evaluations and the solved threshold,
and a rollout strip (frames of one greedy episode, or its state variables when frames cannot be rendered).

Each function returns a ``matplotlib.figure.Figure`` (no pyplot state, see :mod:`neurona.report.figures`);
:mod:`neurona.rl.report` puts them in the run's ``report.html`` and ``figures/``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from neurona.errors import ShapeError

MOVING_AVERAGE = 20

# what the observation of a classic-control task holds, for the state-variable fallback of the rollout strip
STATE_NAMES = {
    "CartPole-v1": ["cart position", "cart velocity", "pole angle (rad)", "pole angular velocity"],
    "Acrobot-v1": ["cos(theta1)", "sin(theta1)", "cos(theta2)", "sin(theta2)", "theta1 velocity",
                   "theta2 velocity"],
    "MountainCar-v0": ["car position", "car velocity"],
}


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def moving_average(values: Sequence[float] | np.ndarray, window: int = MOVING_AVERAGE) -> np.ndarray:
    """Mean of the last ``window`` values at each point (fewer at the start).

    Examples
    --------
    >>> moving_average([1.0, 3.0, 5.0], window=2).tolist()
    [1.0, 2.0, 4.0]
    """
    values = np.asarray(values, dtype=np.float64)
    cumsum = np.concatenate([[0.0], np.cumsum(values)])
    index = np.arange(1, len(values) + 1)
    start = np.maximum(index - window, 0)
    return (cumsum[index] - cumsum[start]) / (index - start)


def returns_figure(
    returns: Sequence[float],
    validations: Sequence[Mapping[str, Any]] = (),
    *,
    target_return: float | None = None,
    max_return: float | None = None,
    final_eval: tuple[float, float, int] | None = None,
    eval_episodes: int | None = None,
    title: str | None = None,
) -> Figure:
    """Training returns per episode and their moving average, the greedy evaluations, and the thresholds.

    Parameters
    ----------
    returns : sequence of float
        The return of each training episode (exploring: epsilon-greedy for DQN, sampled actions otherwise).
    validations : sequence of dict
        The greedy evaluations made during training, as in ``metrics.json``: ``episode`` (training episodes
        done when it ran), ``mean_return`` and, when recorded, ``std_return``.
    target_return : float, optional
        The mean return that counts as solving the task (CartPole-v1: 475), drawn as a dashed line.
    max_return : float, optional
        The most an episode can return (CartPole-v1: 500), drawn as a dotted line.
    final_eval : (mean, std, episodes), optional
        The final greedy evaluation, drawn after the last training episode.
    eval_episodes : int, optional
        Episodes per greedy evaluation, for the legend.
    title : str, optional

    Returns
    -------
    Figure
        One axes; x is the training episode. Every series has a legend label, placed below the axes so it
        never covers the curves.

    Examples
    --------
    >>> fig = returns_figure([10.0, 12.0, 30.0], [{"episode": 3, "mean_return": 25.0, "std_return": 4.0}],
    ...                      target_return=475.0, max_return=500.0)
    >>> "greedy evaluation" in " ".join(fig.axes[0].get_legend_handles_labels()[1])
    True
    """
    returns = np.asarray(returns, dtype=np.float64)
    if returns.ndim != 1:
        raise ShapeError(f"returns_figure: returns must be 1-D (one value per episode), got shape {returns.shape}")
    fig = _figure(8.0, 5.2)
    ax = fig.add_subplot()
    episodes = np.arange(1, returns.size + 1)
    if returns.size:
        ax.plot(episodes, returns, color="#9db4d3", linewidth=0.8, label="training return (each episode, exploring)")
        ax.plot(episodes, moving_average(returns), color="#1f4e8c", linewidth=2,
                label=f"training return, moving average of {MOVING_AVERAGE}")
    if validations:
        x = np.array([v["episode"] for v in validations], dtype=np.float64)
        mean = np.array([v["mean_return"] for v in validations], dtype=np.float64)
        std = np.array([v.get("std_return", 0.0) for v in validations], dtype=np.float64)
        each = f" of {eval_episodes} episodes" if eval_episodes else ""
        ax.errorbar(x, mean, yerr=std, color="#d95f02", marker="o", markersize=4, capsize=3, linewidth=1.5,
                    label=f"greedy evaluation: mean ± std{each}")
    if final_eval is not None:
        mean_final, std_final, n_final = final_eval
        ax.errorbar([max(returns.size, 1)], [mean_final], yerr=[std_final], color="#1b9e77", marker="D",
                    markersize=7, capsize=5, linestyle="none",
                    label=f"final evaluation: mean ± std of {n_final} episodes (test seeds)")
    if target_return is not None:
        ax.axhline(target_return, color="#2a7d2a", linestyle="--", linewidth=1.2,
                   label=f"solved: mean return {target_return:g} (gymnasium's reward_threshold)")
    if max_return is not None:
        ax.axhline(max_return, color="#555555", linestyle=":", linewidth=1.2,
                   label=f"cap: {max_return:g}, the most one episode can return")
    ax.set_xlabel("training episode")
    ax.set_ylabel("return (sum of rewards in an episode)")
    if returns.size:
        ax.set_xlim(0, returns.size + max(1, returns.size // 50))
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    handles, labels = ax.get_legend_handles_labels()
    if labels:  # below the axes, outside them, so it never covers a curve
        fig.legend(handles, labels, loc="outside lower center", ncol=2, fontsize=8, frameon=False)
    return fig


def frame_strip(frames: np.ndarray, steps: Sequence[int], title: str | None = None) -> Figure:
    """Rendered frames side by side, each with its step number underneath.

    Parameters
    ----------
    frames : array of shape (n, H, W, 3)
        RGB frames as gymnasium's ``rgb_array`` rendering returns them (uint8).
    steps : sequence of int
        The step of each frame (0: the first observation, before any action).
    title : str, optional

    Examples
    --------
    >>> fig = frame_strip(np.zeros((3, 40, 60, 3), np.uint8), [0, 5, 10])
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['step 0', 'step 5', 'step 10']
    """
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] not in (3, 4):
        raise ShapeError(f"frame_strip: frames must have shape (n, H, W, 3), got {frames.shape}")
    if len(steps) != len(frames):
        raise ValueError(f"frame_strip: got {len(steps)} step numbers for {len(frames)} frames")
    frames = _trim_background(frames)
    n = len(frames)
    height, width = frames.shape[1:3]
    panel = 2.0
    fig = _figure(panel * n, panel * height / width + 0.7)
    axes = fig.subplots(1, n, squeeze=False)[0]
    for ax, frame, step in zip(axes, frames, steps):
        ax.imshow(frame, interpolation="antialiased")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel(f"step {step}", fontsize=9)
    if title:
        fig.suptitle(title)
    return fig


def _trim_background(frames: np.ndarray, margin: int = 12) -> np.ndarray:
    """Frames without the rows above and below the scene that are plain background in every frame
    (CartPole's sky), so the strip shows the cart and pole larger. The background is the top-left colour."""
    background = frames[:, :1, :1]
    busy = np.flatnonzero((frames != background).any(axis=(0, 2, 3)))
    if busy.size == 0:
        return frames
    top, bottom = max(busy[0] - margin, 0), min(busy[-1] + margin + 1, frames.shape[1])
    return frames[:, top:bottom]


def states_figure(states: np.ndarray, env_id: str, title: str | None = None) -> Figure:
    """The observation's variables over one episode, one panel each: the rollout strip without frames.

    Parameters
    ----------
    states : array of shape (T + 1, obs_dim)
        The observations from the first (step 0) to the last.
    env_id : str
        Names the variables of the classic-control tasks (CartPole-v1: cart position, ...).

    Examples
    --------
    >>> fig = states_figure(np.zeros((11, 4)), "CartPole-v1")
    >>> fig.axes[2].get_ylabel()
    'pole angle (rad)'
    """
    states = np.asarray(states, dtype=np.float64)
    if states.ndim != 2 or len(states) == 0:
        raise ShapeError(f"states_figure: states must have shape (steps, obs_dim), got {states.shape}")
    names = STATE_NAMES.get(env_id, [])
    if len(names) != states.shape[1]:
        names = [f"observation[{i}]" for i in range(states.shape[1])]
    ncols = min(3, states.shape[1])
    nrows = -(-states.shape[1] // ncols)
    fig = _figure(3.6 * ncols, 2.6 * nrows)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    steps = np.arange(len(states))
    for i, ax in enumerate(axes):
        if i >= states.shape[1]:
            fig.delaxes(ax)
            continue
        ax.plot(steps, states[:, i], color="#1f4e8c")
        ax.set_xlabel("step")
        ax.set_ylabel(names[i])
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    return fig
