"""neurona.rl.returns: discounted returns, n-step returns and GAE, checked by hand."""

import numpy as np
import pytest

from neurona import rl
from neurona.errors import ConfigError, ShapeError


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
