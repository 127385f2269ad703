"""Deep reinforcement learning on gymnasium: DQN, REINFORCE and A2C, and the pieces they are made of.

    from neurona import rl
    result = rl.train("CartPole-v1", "dqn", seed=0)      # a run folder under runs/
    rl.evaluate(result.agent, "CartPole-v1", episodes=100)
    rl.play(result.run_dir, episodes=10)
    rl.write_report(result.run_dir)                      # report.html, written by train too

Pieces: :class:`ReplayBuffer` (experience replay), :mod:`~neurona.rl.policies` (epsilon-greedy, softmax
sampling, epsilon schedules), :mod:`~neurona.rl.returns` (discounted and n-step returns, GAE),
:mod:`~neurona.rl.envs` (gymnasium glue with clear errors), :mod:`~neurona.rl.registry` (the agents by name:
``AGENTS``, ``agent_class``, ``load_agent``). Needs gymnasium: ``pip install 'neurona[rl]'``.
"""

from neurona.rl.a2c import A2C, Rollout, RolloutState, collect_rollout
from neurona.rl.base import ActorCritic, Agent
from neurona.rl.buffer import Batch, ReplayBuffer
from neurona.rl.dqn import DQN
from neurona.rl.envs import classic_control_ids, make_env, make_vector_env, space_sizes
from neurona.rl.evaluation import PlayResult, episode_returns, evaluate, play
from neurona.rl.policies import LinearSchedule, epsilon_greedy, greedy, sample_categorical, softmax_probs
from neurona.rl.presets import PRESETS, presets
from neurona.rl.registry import AGENTS, agent_class, load_agent
from neurona.rl.reinforce import REINFORCE
from neurona.rl.report import write_report
from neurona.rl.returns import discounted_returns, gae, n_step_returns
from neurona.rl.runner import RunResult, moving_average, train

__all__ = [
    "A2C",
    "AGENTS",
    "DQN",
    "PRESETS",
    "REINFORCE",
    "ActorCritic",
    "Agent",
    "Batch",
    "LinearSchedule",
    "PlayResult",
    "ReplayBuffer",
    "Rollout",
    "RolloutState",
    "RunResult",
    "agent_class",
    "classic_control_ids",
    "collect_rollout",
    "discounted_returns",
    "episode_returns",
    "epsilon_greedy",
    "evaluate",
    "gae",
    "greedy",
    "load_agent",
    "make_env",
    "make_vector_env",
    "moving_average",
    "n_step_returns",
    "play",
    "presets",
    "sample_categorical",
    "softmax_probs",
    "space_sizes",
    "train",
    "write_report",
]
