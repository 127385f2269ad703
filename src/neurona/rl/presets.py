"""Hyper-parameters that solve the classic-control tasks, per agent, used by :func:`neurona.rl.train`.

``PRESETS[env_id][agent]`` has ``"agent"`` (constructor arguments), ``"steps"`` (the default training
budget), ``"eval_interval"`` (training episodes between greedy validations) and ``"stop_return"`` (the
confirmed validation return at which training stops). They were tuned and measured on fixed seeds;
the results are in docs/rl.md.
"""

from __future__ import annotations

from typing import Any

from neurona.errors import ConfigError

PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "CartPole-v1": {
        "dqn": {
            "agent": dict(hidden=(128, 128), lr=1e-3, batch_size=64, buffer_size=50_000, learning_starts=1_000,
                          train_freq=2, gradient_steps=1, target_update=250, double_dqn=True,
                          eps_start=1.0, eps_end=0.02, eps_decay_steps=10_000, max_grad_norm=10.0),
            "steps": 150_000, "eval_interval": 10, "stop_return": 500.0,
        },
        "reinforce": {
            "agent": dict(hidden=(64, 64), lr=1e-3, batch_episodes=4, gamma=0.99),
            "steps": 300_000, "eval_interval": 20, "stop_return": 500.0,
        },
        "a2c": {
            "agent": dict(hidden=(64, 64), lr=1e-3, num_envs=8, n_steps=5, entropy_coef=0.0, gamma=0.99),
            "steps": 500_000, "eval_interval": 20, "stop_return": 500.0,
        },
    },
    "Acrobot-v1": {
        "dqn": {
            "agent": dict(hidden=(128, 128), lr=6.3e-4, batch_size=128, buffer_size=50_000, learning_starts=1_000,
                          train_freq=4, gradient_steps=2, target_update=250, double_dqn=True,
                          eps_start=1.0, eps_end=0.05, eps_decay_steps=12_000, max_grad_norm=10.0),
            "steps": 150_000, "eval_interval": 10, "stop_return": -80.0,
        },
        "reinforce": {
            "agent": dict(hidden=(64, 64), lr=1e-3, batch_episodes=4, gamma=0.99),
            "steps": 300_000, "eval_interval": 20, "stop_return": -80.0,
        },
        "a2c": {
            "agent": dict(hidden=(64, 64), lr=1e-3, num_envs=16, n_steps=5, entropy_coef=0.0, gamma=0.99),
            "steps": 500_000, "eval_interval": 20, "stop_return": -80.0,
        },
    },
}
DEFAULT_STEPS = 100_000
TARGETS = {"CartPole-v1": 475.0, "Acrobot-v1": -100.0}  # gymnasium's reward_threshold for these two
# the most one episode can return: CartPole gives +1 a step and ends after 500 steps (its TimeLimit)
MAX_RETURNS = {"CartPole-v1": 500.0}


def presets(env_id: str, agent: str) -> dict[str, Any]:
    """The preset constructor arguments for ``agent`` ('dqn', 'reinforce', 'a2c') on ``env_id`` (empty if none).

    Examples
    --------
    >>> presets("CartPole-v1", "dqn")["double_dqn"]
    True
    """
    if not isinstance(agent, str) or agent.lower() not in ("dqn", "reinforce", "a2c"):
        raise ConfigError(f"unknown agent {agent!r}; choose one of 'dqn', 'reinforce', 'a2c'")
    return dict(PRESETS.get(env_id, {}).get(agent.lower(), {}).get("agent", {}))
