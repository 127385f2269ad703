"""torch.distributions as RL and VAE code uses them: log-probabilities and entropies with gradients
(a REINFORCE-style loss), reparameterised Normal samples, and sample shapes."""

import numpy as np
import torch
from torch.distributions import Bernoulli, Categorical, Normal, Uniform

rng = np.random.default_rng(11)
logits = torch.tensor(rng.standard_normal((4, 3)), dtype=torch.float64, requires_grad=True)
actions = torch.tensor([0, 2, 1, 2])
returns = torch.tensor([1.0, -0.5, 2.0, 0.25], dtype=torch.float64)
policy = Categorical(logits=logits)
loss = -(policy.log_prob(actions) * returns).mean() - 0.01 * policy.entropy().mean()
loss.backward()

probs = torch.tensor([0.2, 0.3, 0.5], dtype=torch.float64, requires_grad=True)
cat_p = Categorical(probs=probs)
cat_p.log_prob(torch.tensor([2, 0])).sum().backward()

mu = torch.tensor([0.5, -1.0], dtype=torch.float64, requires_grad=True)
sigma = torch.tensor([1.5, 0.2], dtype=torch.float64, requires_grad=True)
normal = Normal(mu, sigma)
x = torch.tensor([[0.1, -0.8], [1.0, -1.2]], dtype=torch.float64)
(normal.log_prob(x).sum() + normal.entropy().sum()).backward()
z = normal.rsample((5,))
z_grad = torch.autograd.grad(z.sum(), [mu, sigma])

p = torch.tensor([0.1, 0.7, 0.4], dtype=torch.float64, requires_grad=True)
bern = Bernoulli(probs=p)
(bern.log_prob(torch.tensor([0.0, 1.0, 1.0], dtype=torch.float64)).sum() + bern.entropy().sum()).backward()
bl = torch.tensor([-1.0, 0.3], dtype=torch.float64, requires_grad=True)
Bernoulli(logits=bl).log_prob(torch.tensor([1.0, 0.0], dtype=torch.float64)).sum().backward()

uni = Uniform(torch.tensor(-1.0, dtype=torch.float64), torch.tensor(3.0, dtype=torch.float64))

torch.manual_seed(0)
draws = Categorical(probs=torch.tensor([0.1, 0.0, 0.9])).sample((2000,))
coins = Bernoulli(probs=torch.tensor(0.3)).sample((2000,))
u = uni.sample((1000,))

out = {
    "logits_grad": logits.grad, "policy_entropy": policy.entropy(), "probs_grad": probs.grad,
    "cat_probs": cat_p.probs,
    "mu_grad": mu.grad, "sigma_grad": sigma.grad, "normal_entropy": normal.entropy(),
    "z_shape": tuple(z.shape), "z_grad": z_grad[0], "z_requires_grad": z.requires_grad,
    "sample_requires_grad": normal.sample().requires_grad,
    "p_grad": p.grad, "bl_grad": bl.grad,
    "uniform_log_prob": uni.log_prob(torch.tensor([0.0, 2.5], dtype=torch.float64)),
    "uniform_entropy": uni.entropy(), "normal_mean": normal.mean, "normal_stddev": normal.stddev,
    "draw_shape": tuple(draws.shape), "never_zero_prob": bool((draws != 1).all()),
    "draw_freq": abs((draws == 2).float().mean().item() - 0.9) < 0.04,
    "coin_freq": abs(coins.mean().item() - 0.3) < 0.05,
    "uniform_range": (bool((u >= -1).all()), bool((u < 3).all())),
}
