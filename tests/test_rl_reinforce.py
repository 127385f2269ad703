"""neurona.rl.reinforce: the REINFORCE losses and gradients against torch; updates after whole episodes."""

import numpy as np
import pytest
import torch

from neurona import rl
from rl_parity import compare_grads, torch_actor_critic


def test_reinforce_loss_matches_torch():
    agent = rl.REINFORCE(4, 3, hidden=(8,), entropy_coef=0.05, gamma=0.9, seed=0)
    rng = np.random.default_rng(0)
    obs = rng.normal(size=(7, 4)).astype(np.float32)
    actions = rng.integers(0, 3, 7)
    rewards = np.array([1.0, 1.0, 1.0, 2.0, 1.0, 1.0, 1.0])
    dones = np.array([0, 0, 1, 0, 0, 0, 1])  # two episodes end to end
    returns = rl.discounted_returns(rewards, 0.9, dones)
    np.testing.assert_allclose(returns[:3], [1 + 0.9 + 0.81, 1.9, 1.0], rtol=1e-6)

    sd, forward = torch_actor_critic(agent, shared=False)
    logits, values = forward(obs)
    log_probs = torch.log_softmax(logits, -1)
    log_pi = log_probs[torch.arange(7), torch.tensor(actions)]
    g = torch.tensor(returns, dtype=torch.float64)
    adv = g - values.detach()
    adv = (adv - adv.mean()) / (adv.std(unbiased=False) + 1e-8)
    policy = -(log_pi * adv).sum() / 7  # -(1/N) sum_t log pi(a_t|s_t) A_t
    value = ((values - g) ** 2).mean()
    entropy = -(log_probs.exp() * log_probs).sum(-1).mean()
    total = policy + 0.5 * value - 0.05 * entropy
    total.backward()

    terms = agent.losses(obs, actions, returns)
    terms["loss"].backward()
    for name, expected in (("policy_loss", policy), ("value_loss", value), ("entropy", entropy), ("loss", total)):
        assert float(terms[name].item()) == pytest.approx(expected.item(), rel=1e-5, abs=1e-7), name
    compare_grads(agent, sd)


def test_reinforce_observe_updates_after_batch_episodes():
    agent = rl.REINFORCE(4, 2, hidden=(8,), batch_episodes=2, seed=0)
    obs = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    before = agent.state_dict()
    assert agent.observe(obs[0], 0, 1.0, obs[1], False) is None
    assert agent.observe(obs[1], 1, 1.0, obs[2], True) is None  # one episode of two
    logs = agent.observe(obs[2], 1, 1.0, obs[0], False, truncated=True)
    assert set(logs) == {"loss", "policy_loss", "value_loss", "entropy"} and agent.updates == 1
    assert not np.allclose(before["actor.0.weight"], agent.state_dict()["actor.0.weight"])
    with pytest.raises(ValueError, match="finished episode"):
        agent.update(np.zeros((2, 4)), np.zeros(2, int), np.ones(2), np.zeros(2))
