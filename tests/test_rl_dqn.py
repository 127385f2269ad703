"""neurona.rl.dqn: the DQN loss, gradients and learning step against torch; Polyak updates and ablations."""

import numpy as np
import pytest
import torch

from neurona import io, rl


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
