"""nn.init: every initialiser's mean/std/bounds match its formula; gains match torch."""

import math

import numpy as np
import pytest
import torch

import neurona as nr
from neurona import nn
from neurona.nn import init


def _param(*shape):
    return nn.Parameter(np.zeros(shape, dtype=np.float32))


@pytest.mark.parametrize("nl,param", [("linear", None), ("sigmoid", None), ("tanh", None), ("relu", None),
                                      ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None), ("conv2d", None)])
def test_calculate_gain_matches_torch(nl, param):
    assert init.calculate_gain(nl, param) == pytest.approx(torch.nn.init.calculate_gain(nl, param))


def test_unknown_gain_lists_choices():
    with pytest.raises(ValueError, match="relu"):
        init.calculate_gain("rleu")


def test_fans_for_conv_weight():
    assert init.calculate_fan_in_and_fan_out(_param(16, 6, 5, 5)) == (150, 400)


def test_uniform_normal_constant():
    nr.manual_seed(0)
    w = init.uniform_(_param(300, 300), -2, 3).numpy()
    assert w.min() >= -2 and w.max() < 3 and abs(w.mean() - 0.5) < 0.02 and w.dtype == np.float32
    w = init.normal_(_param(300, 300), 1.0, 2.0).numpy()
    assert abs(w.mean() - 1) < 0.02 and abs(w.std() - 2) < 0.02
    assert np.all(init.constant_(_param(3, 3), 0.7).numpy() == np.float32(0.7))
    assert np.all(init.zeros_(_param(2)).numpy() == 0) and np.all(init.ones_(_param(2)).numpy() == 1)


@pytest.mark.parametrize("fn,std", [
    (lambda t: init.xavier_uniform_(t, gain=2.0), 2.0 * math.sqrt(2.0 / (400 + 300))),
    (lambda t: init.xavier_normal_(t), math.sqrt(2.0 / (400 + 300))),
    (lambda t: init.kaiming_uniform_(t, nonlinearity="relu"), math.sqrt(2.0 / 400)),
    (lambda t: init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"), math.sqrt(2.0 / 300)),
    (lambda t: init.kaiming_normal_(t, a=0.1), math.sqrt(2.0 / (1 + 0.01)) / math.sqrt(400)),
    (lambda t: init.lecun_normal_(t), 1 / math.sqrt(400)),
    (lambda t: init.trunc_normal_(t, std=0.02), 0.02),
])
def test_std_follows_formula(fn, std):
    nr.manual_seed(1)
    w = fn(_param(300, 400)).numpy()
    assert abs(w.mean()) < 0.02 * std * 10
    assert w.std() == pytest.approx(std, rel=0.02)


def test_uniform_bounds_follow_formula():
    nr.manual_seed(2)
    w = init.xavier_uniform_(_param(300, 400)).numpy()
    bound = math.sqrt(6 / 700)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    w = init.kaiming_uniform_(_param(300, 400), nonlinearity="relu").numpy()
    bound = math.sqrt(6 / 400)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound


def test_trunc_normal_stays_in_bounds():
    nr.manual_seed(3)
    w = init.trunc_normal_(_param(200, 200), mean=0.0, std=1.0, a=-0.5, b=1.0).numpy()
    assert w.min() >= -0.5 and w.max() <= 1.0


@pytest.mark.parametrize("shape", [(5, 8), (8, 5), (4, 3, 2)])
def test_orthogonal(shape):
    nr.manual_seed(4)
    w = init.orthogonal_(nn.Parameter(np.zeros(shape)), gain=1.5).numpy().reshape(shape[0], -1)
    gram = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
    np.testing.assert_allclose(gram, 1.5**2 * np.eye(gram.shape[0]), atol=1e-10)


def test_init_is_seeded():
    nr.manual_seed(7)
    a = nn.Linear(5, 5).weight.numpy().copy()
    nr.manual_seed(7)
    b = nn.Linear(5, 5).weight.numpy().copy()
    np.testing.assert_array_equal(a, b)
