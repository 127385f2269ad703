"""neurona.rl: replay buffer, policies, returns/GAE, the three agents against torch, the runner and its errors.

The full solves (DQN/A2C/REINFORCE on CartPole-v1, DQN/A2C on Acrobot-v1) are marked slow.
"""

import json

import numpy as np
import pytest
import torch

pytest.importorskip("gymnasium")
import gymnasium as gym

from neurona import io, rl
from neurona.errors import CheckpointError, ConfigError, ShapeError
from neurona.rl import evaluation
from neurona.rl.a2c import Rollout

# ---------------------------------------------------------------------------------------------------
# ReplayBuffer
# ---------------------------------------------------------------------------------------------------


def _fill(buffer, n, start=0):
    for i in range(start, start + n):
        buffer.add(np.full(buffer.obs_shape, i), i % 3, float(i), np.full(buffer.obs_shape, i + 0.5), i % 7 == 0)


def test_buffer_wraps_around_keeping_the_newest_capacity_items():
    buffer = rl.ReplayBuffer(5, (2,), seed=0)
    _fill(buffer, 3)
    assert len(buffer) == 3
    _fill(buffer, 9, start=3)  # 12 transitions in all
    assert len(buffer) == 5 and buffer.position == 12 % 5
    assert sorted(buffer.rewards.tolist()) == [7.0, 8.0, 9.0, 10.0, 11.0]
    for slot in range(5):  # every field of a slot belongs to the same transition
        i = buffer.rewards[slot]
        assert np.all(buffer.obs[slot] == i) and np.all(buffer.next_obs[slot] == i + 0.5)
        assert buffer.actions[slot] == int(i) % 3 and buffer.dones[slot] == float(int(i) % 7 == 0)
    assert buffer.last(3).rewards.tolist() == [9.0, 10.0, 11.0]
    assert buffer.sample(100).rewards.min() >= 7.0


def test_buffer_sampling_is_uniform_and_seeded():
    buffer = rl.ReplayBuffer(10, (1,), seed=3)
    _fill(buffer, 10)
    draws = np.concatenate([buffer.sample(1000).rewards for _ in range(50)]).astype(int)
    counts = np.bincount(draws, minlength=10)
    expected = len(draws) / 10
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 27.9  # chi-square, 9 degrees of freedom, p = 0.001
    a, b, c = (rl.ReplayBuffer(10, (1,), seed=s) for s in (7, 7, 8))
    for buf in (a, b, c):
        _fill(buf, 10)
    assert np.array_equal(a.sample(32).rewards, b.sample(32).rewards)
    assert not np.array_equal(a.sample(32).rewards, c.sample(32).rewards)


def test_buffer_samples_only_filled_slots_and_checks_its_input():
    buffer = rl.ReplayBuffer(100, (3,), seed=0)
    with pytest.raises(ValueError, match="empty"):
        buffer.sample(4)
    _fill(buffer, 4)
    assert set(buffer.sample(200).rewards.tolist()) == {0.0, 1.0, 2.0, 3.0}
    batch = buffer.sample(8)
    assert batch.obs.shape == (8, 3) and batch.obs.dtype == np.float32 and batch.actions.dtype == np.int64
    with pytest.raises(ShapeError, match=r"\(3,\)"):
        buffer.add(np.zeros(4), 0, 0.0, np.zeros(4), False)
    with pytest.raises(ConfigError, match="capacity"):
        rl.ReplayBuffer(0, (3,))
    with pytest.raises(ConfigError, match="batch_size"):
        buffer.sample(0)


# ---------------------------------------------------------------------------------------------------
# Policies
# ---------------------------------------------------------------------------------------------------


def test_epsilon_greedy_and_softmax_sampling():
    rng = np.random.default_rng(0)
    q = np.array([[0.0, 2.0, 1.0]] * 20_000)
    assert np.all(rl.epsilon_greedy(q, 0.0, rng) == 1)
    uniform = np.bincount(rl.epsilon_greedy(q, 1.0, rng), minlength=3) / len(q)
    np.testing.assert_allclose(uniform, [1 / 3] * 3, atol=0.02)
    mixed = np.bincount(rl.epsilon_greedy(q, 0.3, rng), minlength=3) / len(q)
    np.testing.assert_allclose(mixed, [0.1, 0.8, 0.1], atol=0.02)
    logits = np.log(np.array([[0.1, 0.6, 0.3]] * 40_000))
    freq = np.bincount(rl.sample_categorical(logits, rng), minlength=3) / len(logits)
    np.testing.assert_allclose(freq, [0.1, 0.6, 0.3], atol=0.01)
    np.testing.assert_allclose(rl.softmax_probs(np.array([1000.0, 1000.0])), [0.5, 0.5])
    eps = rl.LinearSchedule(1.0, 0.1, 10)
    assert [eps(0), eps(5), eps(10), eps(99)] == pytest.approx([1.0, 0.55, 0.1, 0.1])


# ---------------------------------------------------------------------------------------------------
# Returns and GAE, by hand
# ---------------------------------------------------------------------------------------------------


def test_discounted_returns_restart_after_a_done():
    g = 0.9
    rewards, dones = [1.0, 2.0, 3.0, 4.0, 5.0], [0, 1, 0, 0, 1]
    expected = [1 + g * 2, 2, 3 + g * 4 + g * g * 5, 4 + g * 5, 5]
    np.testing.assert_allclose(rl.discounted_returns(rewards, g, dones), expected, rtol=1e-6)
    # two environments side by side, with a bootstrap value for the unfinished one
    r2 = np.array([[1.0, 1.0], [1.0, 1.0]])
    d2 = np.array([[0, 0], [1, 0]])
    out = rl.discounted_returns(r2, 0.5, d2, last_value=[10.0, 10.0])
    np.testing.assert_allclose(out, [[1.5, 1 + 0.5 * 6], [1.0, 6.0]])
    with pytest.raises(ShapeError, match="dones"):
        rl.discounted_returns([1.0, 2.0], 0.9, [0])


def test_n_step_returns_by_hand():
    g = 0.5
    rewards = [1.0, 2.0, 3.0, 4.0]
    values = [10.0, 20.0, 30.0, 40.0]
    dones = [0, 1, 0, 0]
    last = 50.0
    two_step = [1 + g * 2, 2, 3 + g * 4 + g * g * last, 4 + g * last]  # the first stops at the done
    np.testing.assert_allclose(rl.n_step_returns(rewards, values, dones, last, g, n=2), two_step)
    one_step = [1 + g * 20, 2, 3 + g * 40, 4 + g * last]
    np.testing.assert_allclose(rl.n_step_returns(rewards, values, dones, last, g, n=1), one_step)
    to_end = rl.n_step_returns(rewards, values, dones, last, g, n=None)
    np.testing.assert_allclose(to_end, rl.discounted_returns(rewards, g, dones, last_value=last))
    np.testing.assert_allclose(to_end, [2.0, 2.0, 3 + g * 4 + g * g * last, 4 + g * last])


def test_gae_by_hand():
    g, lam = 0.9, 0.8
    rewards = np.array([1.0, 0.0, 2.0, 1.0])
    values = np.array([0.5, 1.0, -0.5, 2.0])
    dones = np.array([0, 1, 0, 0])
    last = 3.0
    d0 = 1 + g * 1.0 - 0.5
    d1 = 0 - 1.0  # done: no bootstrap
    d2 = 2 + g * 2.0 + 0.5
    d3 = 1 + g * last - 2.0
    a3 = d3
    a2 = d2 + g * lam * a3
    a1 = d1
    a0 = d0 + g * lam * a1
    adv, ret = rl.gae(rewards, values, dones, last, g, lam)
    np.testing.assert_allclose(adv, [a0, a1, a2, a3], rtol=1e-6)
    np.testing.assert_allclose(ret, adv + values, rtol=1e-6)
    adv1, _ = rl.gae(rewards, values, dones, last, g, 1.0)  # lam = 1: Monte-Carlo to the end minus V
    np.testing.assert_allclose(adv1, rl.n_step_returns(rewards, values, dones, last, g) - values, rtol=1e-6)
    adv0, _ = rl.gae(rewards, values, dones, last, g, 0.0)  # lam = 0: the TD error
    np.testing.assert_allclose(adv0, [d0, d1, d2, d3], rtol=1e-6)
    with pytest.raises(ConfigError, match="lam"):
        rl.gae(rewards, values, dones, last, g, 1.5)


# ---------------------------------------------------------------------------------------------------
# DQN against torch
# ---------------------------------------------------------------------------------------------------


def _torch_mlp(agent_module, widths, activation=torch.nn.ReLU):
    layers = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(widths) - 2:
            layers.append(activation())
    net = torch.nn.Sequential(*layers).double()
    net.load_state_dict({k: v.double() for k, v in io.to_torch_state_dict(agent_module).items()})
    return net


def _batch(rng, n=16, obs_dim=4, n_actions=2):
    return rl.Batch(
        rng.normal(size=(n, obs_dim)).astype(np.float32),
        rng.integers(0, n_actions, n),
        rng.normal(size=n).astype(np.float32),
        rng.normal(size=(n, obs_dim)).astype(np.float32),
        (rng.random(n) < 0.3).astype(np.float32),
    )


@pytest.mark.parametrize("double_dqn", [False, True])
@pytest.mark.parametrize("loss", ["huber", "mse"])
def test_dqn_loss_and_gradients_match_torch(double_dqn, loss):
    agent = rl.DQN(4, 2, hidden=(16, 16), double_dqn=double_dqn, loss=loss, gamma=0.9, seed=0)
    for p in agent.target_net.parameters():  # a target network that differs from the online one
        p.data = p.data + np.float32(0.3) * np.random.default_rng(1).normal(size=p.shape).astype(np.float32)
    batch = _batch(np.random.default_rng(2))
    batch = batch._replace(rewards=batch.rewards * 3)  # errors beyond 1: both branches of the Huber loss
    q_net, target_net = _torch_mlp(agent.q_net, [4, 16, 16, 2]), _torch_mlp(agent.target_net, [4, 16, 16, 2])
    obs, next_obs = torch.tensor(batch.obs, dtype=torch.float64), torch.tensor(batch.next_obs, dtype=torch.float64)
    with torch.no_grad():
        next_q = target_net(next_obs)
        if double_dqn:
            next_v = next_q.gather(1, q_net(next_obs).argmax(1, keepdim=True)).squeeze(1)
        else:
            next_v = next_q.max(1).values
        y = torch.tensor(batch.rewards, dtype=torch.float64) + 0.9 * (1 - torch.tensor(batch.dones, dtype=torch.float64)) * next_v
    q = q_net(obs).gather(1, torch.tensor(batch.actions).view(-1, 1)).squeeze(1)
    expected = torch.nn.functional.smooth_l1_loss(q, y) if loss == "huber" else torch.nn.functional.mse_loss(q, y)
    expected.backward()
    assert (q - y).abs().max() > 1 and (q - y).abs().min() < 1

    out = agent.loss(batch)
    out.backward()
    assert float(out.item()) == pytest.approx(expected.item(), rel=1e-5)
    torch_grads = {k: p.grad.numpy() for k, p in q_net.named_parameters()}
    for key, p in agent.q_net.state_dict().items():
        np.testing.assert_allclose(p.grad.data, torch_grads[key], rtol=1e-4, atol=1e-6, err_msg=key)
    assert all(p.grad is None for p in agent.target_net.parameters())


def test_dqn_learn_step_matches_torch_adam_with_clipping_and_updates_the_target():
    agent = rl.DQN(4, 2, hidden=(16,), lr=1e-2, max_grad_norm=0.1, target_update=2, seed=0)
    batch = _batch(np.random.default_rng(5))
    q_net = _torch_mlp(agent.q_net, [4, 16, 2]).float()
    target_net = _torch_mlp(agent.target_net, [4, 16, 2]).float()
    opt = torch.optim.Adam(q_net.parameters(), lr=1e-2)
    for step in range(2):
        with torch.no_grad():
            y = torch.tensor(batch.rewards) + 0.99 * (1 - torch.tensor(batch.dones)) * target_net(
                torch.tensor(batch.next_obs)).max(1).values
        q = q_net(torch.tensor(batch.obs)).gather(1, torch.tensor(batch.actions).view(-1, 1)).squeeze(1)
        expected = torch.nn.functional.smooth_l1_loss(q, y)
        opt.zero_grad()
        expected.backward()
        norm = torch.nn.utils.clip_grad_norm_(q_net.parameters(), 0.1)
        opt.step()
        logs = agent.learn(batch)
        assert logs["loss"] == pytest.approx(expected.item(), rel=1e-5)
        assert logs["grad_norm"] == pytest.approx(norm.item(), rel=1e-4) and norm.item() > 0.1  # clipping ran
        if step == 0:  # the target network still holds the initial weights
            assert not np.allclose(agent.target_net.state_dict()["0.weight"].data, agent.q_net.state_dict()["0.weight"].data)
    for key, p in q_net.state_dict().items():
        np.testing.assert_allclose(agent.q_net.state_dict()[key].data, p.numpy(), rtol=1e-4, atol=1e-6)
    for key, p in agent.q_net.state_dict().items():  # target_update=2: copied after the second step
        np.testing.assert_array_equal(agent.target_net.state_dict()[key].data, p.data)


def test_dqn_polyak_ablations_and_observe_schedule():
    agent = rl.DQN(4, 2, hidden=(8,), tau=0.25, learning_starts=5, train_freq=2, batch_size=4, seed=0)
    before_target = agent.target_net.state_dict()["0.weight"].data.copy()
    rng = np.random.default_rng(0)
    logs = [agent.observe(rng.normal(size=4), 0, 1.0, rng.normal(size=4), False) for _ in range(8)]
    assert [log is not None for log in logs] == [False, False, False, False, False, True, False, True]
    assert agent.updates == 2 and agent.steps == 8
    after = agent.q_net.state_dict()["0.weight"].data
    assert not np.allclose(agent.target_net.state_dict()["0.weight"].data, before_target)
    assert not np.allclose(agent.target_net.state_dict()["0.weight"].data, after)  # only part of the way

    no_replay = rl.DQN(4, 2, hidden=(8,), use_replay=False, use_target_network=False, learning_starts=0,
                       train_freq=1, seed=0)
    assert no_replay.buffer.capacity == 1
    obs = rng.normal(size=4).astype(np.float32)
    no_replay.observe(obs, 1, 1.0, obs, True)
    assert no_replay.buffer.last(1).actions.tolist() == [1]
    batch = no_replay.buffer.last(1)
    with_target = no_replay.td_target(batch)
    np.testing.assert_allclose(with_target, [1.0])  # terminated: no bootstrap
    assert agent.epsilon < 1.0 and rl.DQN(4, 2, seed=0).epsilon == 1.0


# ---------------------------------------------------------------------------------------------------
# REINFORCE and A2C against torch
# ---------------------------------------------------------------------------------------------------


def _torch_actor_critic(agent, shared):
    sd = {k: v.double().requires_grad_() for k, v in io.to_torch_state_dict(agent.model).items()}

    def lin(x, name):
        return x @ sd[name + ".weight"].T + sd[name + ".bias"]

    def forward(obs):
        x = torch.tensor(obs, dtype=torch.float64)
        if shared:
            h = torch.tanh(lin(x, "body.0"))
            return lin(h, "policy_head"), lin(h, "value_head").squeeze(-1)
        return lin(torch.tanh(lin(x, "actor.0")), "actor.2"), lin(torch.tanh(lin(x, "critic.0")), "critic.2").squeeze(-1)

    return sd, forward


def _compare_grads(agent, sd):
    for key, p in agent.model.state_dict().items():
        np.testing.assert_allclose(p.grad.data, sd[key].grad.numpy(), rtol=1e-4, atol=1e-6, err_msg=key)


def test_reinforce_loss_matches_torch():
    agent = rl.REINFORCE(4, 3, hidden=(8,), entropy_coef=0.05, gamma=0.9, seed=0)
    rng = np.random.default_rng(0)
    obs = rng.normal(size=(7, 4)).astype(np.float32)
    actions = rng.integers(0, 3, 7)
    rewards = np.array([1.0, 1.0, 1.0, 2.0, 1.0, 1.0, 1.0])
    dones = np.array([0, 0, 1, 0, 0, 0, 1])  # two episodes end to end
    returns = rl.discounted_returns(rewards, 0.9, dones)
    np.testing.assert_allclose(returns[:3], [1 + 0.9 + 0.81, 1.9, 1.0], rtol=1e-6)

    sd, forward = _torch_actor_critic(agent, shared=False)
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
    _compare_grads(agent, sd)


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

    sd, forward = _torch_actor_critic(agent, shared)
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
    _compare_grads(agent, sd)


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


# ---------------------------------------------------------------------------------------------------
# Save / load
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [rl.DQN, rl.REINFORCE, rl.A2C])
def test_save_load_round_trip_gives_the_same_actions(cls, tmp_path):
    agent = cls(4, 2, hidden=(16, 16), seed=3)
    if isinstance(agent, rl.DQN):
        agent.steps = 1234
    obs = np.random.default_rng(0).normal(size=(64, 4)).astype(np.float32)
    path = agent.save(tmp_path / "agent.safetensors")
    loaded = rl.load_agent(path)
    assert type(loaded) is cls and loaded.hparams == agent.hparams
    np.testing.assert_array_equal(loaded.act(obs, greedy=True), agent.act(obs, greedy=True))
    same = cls.load(path)
    np.testing.assert_array_equal(same.act(obs, greedy=True), agent.act(obs, greedy=True))
    other = cls(4, 2, hidden=(16, 16), seed=4)
    assert not np.array_equal(other.act(obs, greedy=True), agent.act(obs, greedy=True))
    if isinstance(agent, rl.DQN):
        assert loaded.steps == 1234 and loaded.epsilon == agent.epsilon
        np.testing.assert_array_equal(loaded.target_net.state_dict()["0.weight"].data,
                                      loaded.q_net.state_dict()["0.weight"].data)
    meta = io.load(path).extra["rl"]
    assert meta["class"] == cls.__name__ and meta["hparams"]["hidden"] == [16, 16]


def test_load_refuses_the_wrong_agent_and_plain_checkpoints(tmp_path):
    path = rl.A2C(4, 2, seed=0).save(tmp_path / "a2c.safetensors")
    with pytest.raises(CheckpointError, match="A2C"):
        rl.DQN.load(path)
    from neurona import nn

    plain = io.save(nn.Linear(4, 2), tmp_path / "plain.safetensors")
    with pytest.raises(CheckpointError, match="not an RL agent"):
        rl.load_agent(plain)


# ---------------------------------------------------------------------------------------------------
# Runner: training, evaluation, play, errors
# ---------------------------------------------------------------------------------------------------


def _read_returns(run_dir):
    lines = (run_dir / "returns.csv").read_text().splitlines()
    assert lines[0] == "episode,return,length,steps"
    return np.array([[float(x) for x in line.split(",")] for line in lines[1:]])


def test_short_a2c_run_improves_and_writes_the_run_folder(tmp_path):
    result = rl.train("CartPole-v1", "a2c", steps=15_000, seed=0, out_dir=tmp_path, final_eval_episodes=5,
                      stop_at_target=False)
    first, last = np.mean(result.returns[:20]), np.mean(result.returns[-20:])
    assert last > 2 * first, (first, last)
    run_dir = result.run_dir
    assert run_dir.parent == tmp_path and run_dir.name.startswith("CartPole-v1-a2c-")
    for name in ("config.json", "returns.csv", "learning_curve.png", "agent.safetensors", "metrics.json",
                 "status.json"):
        assert (run_dir / name).is_file(), name
    assert json.loads((run_dir / "status.json").read_text())["status"] == "completed"
    table = _read_returns(run_dir)
    assert len(table) == result.episodes and table[-1, 3] <= result.steps
    np.testing.assert_allclose(table[:, 1], result.returns)
    assert np.all(np.diff(table[:, 3]) >= 0) and table[:, 3].sum() > 0 and np.all(table[:, 1] == table[:, 2])  # CartPole: 1 per step
    config = json.loads((run_dir / "config.json").read_text())
    assert config["agent"] == "a2c" and config["hparams"]["num_envs"] == 8 and config["seed"] == 0
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["eval_episodes"] == 5 and metrics["eval_mean"] == pytest.approx(result.eval_mean)
    assert (run_dir / "learning_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_short_dqn_run_improves(tmp_path):
    result = rl.train("CartPole-v1", "dqn", steps=6_000, seed=0, out_dir=tmp_path, final_eval_episodes=0)
    assert result.stopped == "step budget" and result.eval_mean is None
    first, last = np.mean(result.returns[:20]), np.mean(result.returns[-10:])
    assert last > 2 * first, (first, last)
    assert result.best_validation_return is not None and result.best_validation_return > 100


def test_dqn_ablations_train_through_the_runner(tmp_path):
    result = rl.train("CartPole-v1", "dqn", steps=1_500, out_dir=tmp_path, final_eval_episodes=0,
                      use_replay=False, use_target_network=False, learning_starts=100, train_freq=1,
                      eps_decay_steps=1_000)
    hparams = result.agent.hparams
    assert hparams["use_replay"] is False and hparams["use_target_network"] is False
    assert result.agent.updates == 1_401 and result.steps == 1_500  # steps 100, 101, ..., 1500
    assert rl.presets("CartPole-v1", "dqn")["double_dqn"] is True and rl.presets("MountainCar-v0", "dqn") == {}


def test_training_is_reproducible(tmp_path):
    a = rl.train("CartPole-v1", "reinforce", episodes=12, seed=5, out_dir=tmp_path, final_eval_episodes=0)
    b = rl.train("CartPole-v1", "reinforce", episodes=12, seed=5, out_dir=tmp_path, final_eval_episodes=0)
    assert a.run_dir != b.run_dir and a.returns == b.returns
    for key, value in a.agent.state_dict().items():
        np.testing.assert_array_equal(value, b.agent.state_dict()[key])


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    return rl.train("CartPole-v1", "dqn", steps=2_500, seed=1, out_dir=tmp_path_factory.mktemp("runs"),
                    final_eval_episodes=3)


def test_evaluate_and_play(short_run, monkeypatch, capsys):
    agent = short_run.agent
    mean, std = rl.evaluate(agent, "CartPole-v1", episodes=7, seed=3)
    returns = rl.episode_returns(agent, "CartPole-v1", episodes=7, seed=3)
    assert mean == pytest.approx(returns.mean()) and std == pytest.approx(returns.std())
    single = [rl.episode_returns(agent, "CartPole-v1", episodes=1, seed=3 + k)[0] for k in range(7)]
    np.testing.assert_allclose(returns, single)  # batching over environments changes nothing

    played = rl.play(short_run.run_dir, episodes=4, seed=3)
    np.testing.assert_allclose(played.returns, returns[:4])
    assert "mean return" in capsys.readouterr().out and played.frames_path is None

    monkeypatch.setattr(evaluation, "_has_pygame", lambda: False)
    with pytest.raises(ImportError, match="pygame"):
        rl.play(short_run.run_dir, episodes=1, render="rgb")
    with pytest.raises(ConfigError, match="render"):
        rl.play(short_run.run_dir, render="human")
    with pytest.raises(FileNotFoundError, match="run folder"):
        rl.play(short_run.run_dir / "nowhere")


class _FakeFrames(gym.Wrapper):
    """CartPole whose render() returns a synthetic frame, so the frame strip is tested without pygame."""

    def render(self):
        frame = np.zeros((40, 60, 3), np.uint8)
        frame[:, : int(self.unwrapped.state[0] * 100) % 60 + 1, 0] = 255
        return frame


def test_play_saves_a_strip_of_frames(short_run, monkeypatch, tmp_path):
    real_make_env = evaluation.make_env
    made = []

    def make_env(env_id, seed=None, render_mode=None):
        made.append(render_mode)
        return _FakeFrames(real_make_env(env_id, seed))

    monkeypatch.setattr(evaluation, "_has_pygame", lambda: True)
    monkeypatch.setattr(evaluation, "make_env", make_env)
    out = tmp_path / "frames.png"
    result = rl.play(short_run.run_dir, episodes=2, render="rgb", out=out, verbose=False)
    assert result.frames_path == out and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "rgb_array" in made


def test_bad_input_gets_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match=r"CartPol-v1.*CartPole-v1.*Acrobot-v1"):
        rl.train("CartPol-v1", "dqn", out_dir=tmp_path)
    with pytest.raises(ConfigError, match="DQN needs a Discrete action space.*Pendulum-v1.*Box"):
        rl.train("Pendulum-v1", "dqn", out_dir=tmp_path)
    with pytest.raises(ConfigError, match="A2C needs a Discrete action space"):
        rl.train("MountainCarContinuous-v0", "a2c", out_dir=tmp_path)
    with pytest.raises(ConfigError, match=r"unknown agent 'ppo'.*'dqn', 'reinforce', 'a2c'"):
        rl.train("CartPole-v1", "ppo", out_dir=tmp_path)
    with pytest.raises(ConfigError, match="no option 'learning_rate'.*lr"):
        rl.train("CartPole-v1", "dqn", out_dir=tmp_path, learning_rate=1e-3)
    with pytest.raises(ConfigError, match="steps"):
        rl.train("CartPole-v1", "dqn", steps=-5, out_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing was started
    with pytest.raises(ConfigError, match="CartPole-v1"):
        rl.make_env("NoSuchEnv-v0")
    agent = rl.DQN(4, 2, seed=0)
    with pytest.raises(ConfigError, match=r"\(4,\)"):
        agent.act(np.zeros(3))
    with pytest.raises(ConfigError, match="6 observations"):
        rl.evaluate(rl.DQN(6, 3, seed=0), "CartPole-v1", episodes=1)
    with pytest.raises(ConfigError, match="loss"):
        rl.DQN(4, 2, loss="l1")


def test_failed_run_is_marked_failed_and_time_limit_stops(tmp_path, monkeypatch):
    calls = {"n": 0}
    original = rl.DQN.observe

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 50:
            raise RuntimeError("simulated crash")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(rl.DQN, "observe", flaky)
    with pytest.raises(RuntimeError, match="simulated crash"):
        rl.train("CartPole-v1", "dqn", steps=1_000, out_dir=tmp_path / "a")
    (run_dir,) = (tmp_path / "a").iterdir()
    status = json.loads((run_dir / "status.json").read_text())
    assert status["status"] == "failed" and "simulated crash" in status["error"]
    monkeypatch.setattr(rl.DQN, "observe", original)
    result = rl.train("CartPole-v1", "dqn", steps=10**7, time_limit_s=0.5, out_dir=tmp_path / "b",
                      final_eval_episodes=0)
    assert result.stopped == "time limit" and result.train_time_s < 10


# ---------------------------------------------------------------------------------------------------
# Full solves (slow): the numbers reported in docs/rl.md
# ---------------------------------------------------------------------------------------------------

SOLVES = [
    ("CartPole-v1", "dqn", 475.0),
    ("CartPole-v1", "a2c", 475.0),
    ("CartPole-v1", "reinforce", 195.0),
    ("Acrobot-v1", "dqn", -100.0),
    ("Acrobot-v1", "a2c", -100.0),
]


@pytest.mark.slow
@pytest.mark.parametrize(("env_id", "agent", "threshold"), SOLVES)
def test_presets_solve_the_classic_tasks(env_id, agent, threshold, tmp_path):
    result = rl.train(env_id, agent, seed=0, out_dir=tmp_path, time_limit_s=180)
    assert result.eval_mean >= threshold, result
    assert result.train_time_s <= 180
    assert result.metrics["eval_episodes"] == 100
