"""``neurona.distributions``: values and gradients against ``torch.distributions``, shapes, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.distributions as td

import neurona as nr
from neurona import distributions as nd


@pytest.mark.parametrize("name, params, value", [
    ("Normal", ([0.5, -1.0], [1.5, 0.3]), [0.2, -0.9]),
    ("Uniform", ([-1.0, 0.0], [2.0, 0.5]), [0.5, 0.25]),
    ("Bernoulli", ([0.2, 0.9],), [1.0, 0.0]),
    ("Categorical", ([[0.1, 0.3, 0.6], [0.5, 0.25, 0.25]],), [2, 0]),
])
def test_log_prob_and_entropy_and_their_gradients_match_torch(name, params, value):
    ours_p = [nr.tensor(p, dtype=nr.float64, requires_grad=True) for p in params]
    theirs_p = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in params]
    ours, theirs = getattr(nd, name)(*ours_p), getattr(td, name)(*theirs_p)
    v_dtype = (nr.int64, torch.int64) if name == "Categorical" else (nr.float64, torch.float64)
    lo = ours.log_prob(nr.tensor(value, dtype=v_dtype[0]))
    lt = theirs.log_prob(torch.tensor(value, dtype=v_dtype[1]))
    np.testing.assert_allclose(lo.detach().numpy(), lt.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours.entropy().detach().numpy(), theirs.entropy().detach().numpy(), rtol=1e-10)
    if name != "Uniform":  # torch's Uniform log_prob has no gradient inside the interval's bounds either way
        (lo.sum() + ours.entropy().sum()).backward()
        (lt.sum() + theirs.entropy().sum()).backward()
        for a, b in zip(ours_p, theirs_p):
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9)


def test_sample_shapes_and_reparameterisation():
    nr.manual_seed(0)
    normal = nd.Normal(nr.zeros(3, requires_grad=True), nr.ones(3))
    assert normal.sample((4, 2)).shape == (4, 2, 3) and not normal.sample().requires_grad
    assert normal.rsample((5,)).requires_grad
    assert nd.Categorical(logits=nr.zeros(2, 4)).sample((7,)).shape == (7, 2)
    assert nd.Bernoulli(probs=nr.tensor(0.5)).sample((10,)).shape == (10,)


def test_bad_parameters_are_explained():
    with pytest.raises(ValueError, match="scale must be positive"):
        nd.Normal(0.0, 0.0)
    with pytest.raises(ValueError, match="exactly one of probs or logits"):
        nd.Categorical(probs=nr.ones(3), logits=nr.ones(3))
    with pytest.raises(ValueError, match="high must be greater than low"):
        nd.Uniform(1.0, 1.0)
