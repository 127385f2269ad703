"""neurona.rl.a2c: the A2C losses against torch, its bootstrapped targets, and rollouts of a vector env."""

import numpy as np
import pytest
import torch

from neurona import rl
from neurona.rl.a2c import Rollout
from rl_parity import compare_grads, torch_actor_critic

pytest.importorskip("gymnasium")


@pytest.mark.parametrize("shared", [False, True])
def test_a2c_losses_match_torch(shared):
    agent = rl.A2C(4, 2, hidden=(8,), shared=shared, entropy_coef=0.02, value_coef=0.5, seed=0)
    rng = np.random.default_rng(1)
    n = 10
    obs = rng.normal(size=(n, 4)).astype(np.float32)
    actions = rng.integers(0, 2, n)
    returns = rng.normal(size=n).astype(np.float32)
    advantages = rng.normal(size=n).astype(np.float32)
    mask = np.array([1, 1, 0, 1, 1, 1, 0, 1, 1, 1], np.float32)  # two autoreset steps left out

    sd, forward = torch_actor_critic(agent, shared)
    logits, values = forward(obs)
    log_probs = torch.log_softmax(logits, -1)
    keep = torch.tensor(mask, dtype=torch.bool)
    log_pi = log_probs[torch.arange(n), torch.tensor(actions)][keep]
    policy = -(log_pi * torch.tensor(advantages, dtype=torch.float64)[keep]).mean()
    value = ((torch.tensor(returns, dtype=torch.float64) - values)[keep] ** 2).mean()
    entropy = (-(log_probs.exp() * log_probs).sum(-1))[keep].mean()
    total = policy + 0.5 * value - 0.02 * entropy
    total.backward()

    terms = agent.losses(obs, actions, returns, advantages, mask)
    terms["loss"].backward()
    for name, expected in (("policy_loss", policy), ("value_loss", value), ("entropy", entropy), ("loss", total)):
        assert float(terms[name].item()) == pytest.approx(expected.item(), rel=1e-5, abs=1e-7), name
    compare_grads(agent, sd)


def test_a2c_targets_bootstrap_truncation_and_stop_at_termination():
    agent = rl.A2C(4, 2, hidden=(8,), gamma=0.5, seed=0)
    agent.value = lambda obs: np.array([7.0, 8.0])  # V(last_obs)
    # env 0 terminates after step 1, env 1 is truncated after step 1; step 2 is the autoreset of both
    rollout = Rollout(
        obs=np.zeros((3, 2, 4), np.float32), actions=np.zeros((3, 2), np.int64),
        rewards=np.array([[1.0, 1.0], [1.0, 1.0], [0.0, 0.0]], np.float32),
        terminated=np.array([[0, 0], [1, 0], [0, 0]], bool), truncated=np.array([[0, 0], [0, 1], [0, 0]], bool),
        valid=np.array([[1, 1], [1, 1], [0, 0]], bool), last_obs=np.zeros((2, 4), np.float32),
    )
    values = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])  # values[2] are V(final observation)
    returns, advantages = agent.targets(rollout, values)
    # env 1, step 1: r + gamma V(final obs) = 1 + 0.5 * 6 = 4
    np.testing.assert_allclose(returns, [[1.5, 3.0], [1.0, 4.0], [3.5, 4.0]])
    np.testing.assert_allclose(advantages, returns - values)
    agent.gae_lambda = 1.0
    returns_gae, advantages_gae = agent.targets(rollout, values)
    np.testing.assert_allclose(returns_gae, returns, rtol=1e-6)
    np.testing.assert_allclose(advantages_gae, advantages, rtol=1e-6)


def test_collect_rollout_masks_the_autoreset_steps_of_a_vector_env():
    envs = rl.make_vector_env("CartPole-v1", 3, seed=0)
    agent = rl.A2C(4, 2, hidden=(8,), seed=0)
    state = rl.RolloutState.start(envs, seed=0)
    rollout = rl.collect_rollout(agent, envs, state, 80)
    done = rollout.terminated | rollout.truncated
    assert done.sum() >= 3  # a random policy drops the pole within ~20 steps
    # the step after an episode ends is an autoreset: masked, reward 0, and it returns a fresh start state
    np.testing.assert_array_equal(rollout.valid[1:], ~(done[:-1] & rollout.valid[:-1]))
    assert np.all(rollout.rewards[~rollout.valid] == 0) and not np.any(done[~rollout.valid])
    after_reset = np.concatenate([rollout.obs[1:], rollout.last_obs[None]])[~rollout.valid]
    assert np.all(np.abs(after_reset) <= 0.05)  # CartPole starts uniformly in [-0.05, 0.05]
    lengths = [length for _, length, _ in state.finished]
    assert len(lengths) == int((done & rollout.valid).sum())
    assert [r for r, _, _ in state.finished] == [float(n) for n in lengths]  # reward 1 per step
    assert [t for _, _, t in state.finished] == sorted(np.nonzero(done & rollout.valid)[0].tolist())
    logs = agent.update(rollout)
    assert set(logs) == {"loss", "policy_loss", "value_loss", "entropy"} and np.isfinite(logs["loss"])
    envs.close()
