"""neurona.rl.policies: epsilon-greedy and softmax sampling follow their probabilities; LinearSchedule."""

import numpy as np
import pytest

from neurona import rl


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
