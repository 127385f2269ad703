"""Shared by the RL tests: an agent's actor-critic written out in torch (float64) from the agent's weights."""

import numpy as np
import torch

from neurona import io


def torch_actor_critic(agent, shared):
    """(torch state dict with requires_grad, forward(obs) -> (logits, values)) equal to ``agent.model``."""
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


def compare_grads(agent, sd):
    """Every gradient of ``agent.model`` equals the torch one of the same name."""
    for key, p in agent.model.state_dict().items():
        np.testing.assert_allclose(p.grad.data, sd[key].grad.numpy(), rtol=1e-4, atol=1e-6, err_msg=key)
