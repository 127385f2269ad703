"""Gymnasium glue: make environments with clear errors, and vector environments for A2C.

gymnasium is an optional dependency (``pip install 'neurona[rl]'``); it is imported only when an
environment is made. The agents here need a flat observation vector (a 1-D ``Box``) and a finite set
of actions (``Discrete``): the classic-control tasks CartPole-v1, Acrobot-v1 and MountainCar-v0.

Vector environments follow gymnasium 1.x's *next-step* autoreset: the step on which an episode ends
returns that episode's last observation, and the *following* ``step`` call ignores its action, resets
the environment and returns the first observation of the new episode with reward 0. That following
transition is not part of any episode; :func:`neurona.rl.a2c.collect_rollout` masks it out.
"""

from __future__ import annotations

from typing import Any

from neurona.errors import ConfigError

SUPPORTED = ("CartPole-v1", "Acrobot-v1", "MountainCar-v0")


def require_gymnasium() -> Any:
    """The ``gymnasium`` module, or an ImportError that says how to install it."""
    try:
        import gymnasium
    except ImportError as e:  # pragma: no cover - installed wherever the tests run
        raise ImportError(
            "neurona.rl needs gymnasium, an optional dependency: pip install 'neurona[rl]' "
            "(or pip install 'gymnasium>=1.0')"
        ) from e
    return gymnasium


def classic_control_ids() -> list[str]:
    """The ids of gymnasium's classic-control tasks (CartPole-v1, Acrobot-v1, ...)."""
    gym = require_gymnasium()
    return sorted(k for k, spec in gym.envs.registry.items() if "classic_control" in str(spec.entry_point))


def check_env_id(env_id: Any) -> None:
    """Raise a ConfigError naming valid ids when ``env_id`` is not a registered gymnasium environment."""
    gym = require_gymnasium()
    if not isinstance(env_id, str) or not env_id:
        raise ConfigError(f"env_id must be a gymnasium id such as 'CartPole-v1', got {env_id!r}")
    if env_id in gym.envs.registry:
        return
    try:
        gym.spec(env_id)  # its message suggests the nearest id ("Did you mean: `CartPole`?")
        return
    except gym.error.Error as e:
        hint = str(e)
    raise ConfigError(
        f"unknown environment id {env_id!r} ({hint}). Valid classic-control ids: "
        f"{', '.join(classic_control_ids())}; neurona.rl's agents suit {', '.join(SUPPORTED)}."
    )


def make_env(env_id: str, seed: int | None = None, render_mode: str | None = None) -> Any:
    """``gymnasium.make(env_id)``, with an error that lists valid ids when the id is unknown.

    Parameters
    ----------
    env_id : str
        A registered id such as ``'CartPole-v1'``.
    seed : int, optional
        Seeds the action space (used for random actions); pass the seed to the first ``reset`` too.
    render_mode : {None, 'rgb_array', 'human'}

    Examples
    --------
    >>> env = make_env("CartPole-v1", seed=0)
    >>> obs, info = env.reset(seed=0)
    >>> obs.shape
    (4,)
    """
    check_env_id(env_id)
    gym = require_gymnasium()
    env = gym.make(env_id, render_mode=render_mode)
    if seed is not None:
        env.action_space.seed(int(seed))
    return env


def make_vector_env(env_id: str, num_envs: int, seed: int | None = None) -> Any:
    """``num_envs`` copies of ``env_id`` stepped together in one process (``gymnasium.vector.SyncVectorEnv``).

    The autoreset mode is set to next-step explicitly (gymnasium 1.x's default), which is what
    :func:`neurona.rl.a2c.collect_rollout` expects. Reset it with ``envs.reset(seed=seed)``: copy
    ``i`` gets ``seed + i``.
    """
    if isinstance(num_envs, bool) or not isinstance(num_envs, int) or num_envs < 1:
        raise ConfigError(f"make_vector_env: num_envs must be a positive integer, got {num_envs!r}")
    check_env_id(env_id)
    gym = require_gymnasium()
    from gymnasium.vector import AutoresetMode, SyncVectorEnv

    envs = SyncVectorEnv([lambda: gym.make(env_id) for _ in range(num_envs)], autoreset_mode=AutoresetMode.NEXT_STEP)
    if seed is not None:
        envs.action_space.seed(int(seed))
    return envs


def space_sizes(observation_space: Any, action_space: Any, agent: str, env_id: str = "this environment") -> tuple[int, int]:
    """``(obs_dim, n_actions)`` for a flat Box observation and a Discrete action space, else a clear error.

    Parameters
    ----------
    observation_space, action_space : gymnasium spaces
        ``env.observation_space`` and ``env.action_space`` (or a vector env's ``single_...`` spaces).
    agent : str
        The agent's name, for the message ("DQN needs a Discrete action space ...").
    env_id : str
        The environment's id, for the message.
    """
    require_gymnasium()
    from gymnasium import spaces

    if not isinstance(action_space, spaces.Discrete):
        kind = "a continuous" if isinstance(action_space, spaces.Box) else "an unsupported"
        raise ConfigError(
            f"{agent} needs a Discrete action space (a finite set of actions"
            f"{', one Q-value each' if agent == 'DQN' else ', one probability each'}), but {env_id} has "
            f"{action_space}, {kind} one. Use an environment with discrete actions such as "
            f"{', '.join(SUPPORTED)}."
        )
    if not isinstance(observation_space, spaces.Box) or len(observation_space.shape) != 1:
        raise ConfigError(
            f"{agent} needs a flat vector observation (a 1-D Box) for its MLP, but {env_id} has "
            f"{observation_space}. Flatten it with gymnasium.wrappers.FlattenObservation, or pick one of "
            f"{', '.join(SUPPORTED)}."
        )
    return int(observation_space.shape[0]), int(action_space.n)
