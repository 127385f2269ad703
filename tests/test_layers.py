"""Linear, activations, dropout and normalisation layers against torch.nn."""

import math

import numpy as np
import pytest
import torch

import neurona as nr
from layer_parity import compare_layer
from neurona import nn
from neurona.errors import ShapeError

rng = np.random.default_rng(0)
DTYPES = [np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4), (4,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_parity(dtype, shape, bias):
    compare_layer(nn.Linear(4, 3, bias=bias), torch.nn.Linear(4, 3, bias=bias), rng.standard_normal(shape), dtype)


def test_linear_default_init_bounds_match_torch():
    nr.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)  # kaiming_uniform(a=sqrt(5)) gives U(-1/sqrt(in), 1/sqrt(in))
    w = layer.weight.numpy()
    assert w.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.98 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound
    assert np.abs(layer.bias.numpy()).max() <= bound


def test_linear_wrong_features_error_names_layer_and_shapes():
    with pytest.raises(ShapeError) as err:
        nn.Linear(4, 3)(nr.randn(32, 5))
    msg = str(err.value)
    assert "Linear(in_features=4, out_features=3, bias=True)" in msg and "(32, 5)" in msg and "must be 4" in msg


ACTIVATIONS = [
    (nn.ReLU(), torch.nn.ReLU()),
    (nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)),
    (nn.ELU(0.7), torch.nn.ELU(0.7)),
    (nn.SELU(), torch.nn.SELU()),
    (nn.GELU(), torch.nn.GELU()),
    (nn.GELU("tanh"), torch.nn.GELU("tanh")),
    (nn.SiLU(), torch.nn.SiLU()),
    (nn.Softplus(2.0, 5.0), torch.nn.Softplus(2.0, 5.0)),
    (nn.Sigmoid(), torch.nn.Sigmoid()),
    (nn.Tanh(), torch.nn.Tanh()),
    (nn.Hardtanh(-0.5, 0.7), torch.nn.Hardtanh(-0.5, 0.7)),
    (nn.Softmax(1), torch.nn.Softmax(1)),
    (nn.LogSoftmax(-1), torch.nn.LogSoftmax(-1)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pair", ACTIVATIONS, ids=lambda p: repr(p[0]))
def test_activation_modules(pair, dtype):
    x = rng.uniform(-3, 3, (6, 5))
    x[np.abs(x) < 1e-3] = 0.5  # keep away from kinks
    compare_layer(pair[0], pair[1], x, dtype, load=False)


def test_activation_repr():
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(nn.Softmax(1)) == "Softmax(dim=1)"


# ---- dropout ------------------------------------------------------------------------------------
def test_dropout_train_scales_and_zeroes():
    nr.manual_seed(1)
    layer = nn.Dropout(0.3)
    x = nr.ones(200, 500, requires_grad=True)
    y = layer(x)
    values = np.unique(np.round(y.numpy(), 5))
    np.testing.assert_allclose(values, [0.0, round(1 / 0.7, 5)], rtol=1e-5)
    assert abs((y.numpy() == 0).mean() - 0.3) < 0.01
    assert abs(y.numpy().mean() - 1.0) < 0.02  # inverted dropout keeps the expectation
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())  # gradient flows through kept units only
    assert y.dtype == np.float32


def test_dropout_eval_is_identity_and_seed_reproducible():
    layer = nn.Dropout(0.5)
    x = nr.randn(10, 10)
    assert layer.eval()(x) is x
    layer.train()
    nr.manual_seed(3)
    a = layer(x).numpy()
    nr.manual_seed(3)
    b = layer(x).numpy()
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="p must be in"):
        nn.Dropout(1.5)


# ---- batch norm and layer norm ------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", [{}, {"affine": False}, {"momentum": None}, {"track_running_stats": False},
                                {"eps": 1e-3, "momentum": 0.3}])
@pytest.mark.parametrize("shape", [(8, 4), (8, 4, 5)])
def test_batchnorm1d_train_then_eval(dtype, kw, shape):
    nl, tl = nn.BatchNorm1d(4, **kw), torch.nn.BatchNorm1d(4, **kw)
    for step in range(3):  # running statistics follow torch's over several batches
        compare_layer(nl, tl, rng.standard_normal(shape) * 2 + 1, dtype, train=True, load=step == 0)
    compare_layer(nl, tl, rng.standard_normal(shape), dtype, train=False, load=False)


@pytest.mark.parametrize("dtype", DTYPES)
def test_batchnorm2d(dtype):
    nl, tl = nn.BatchNorm2d(3), torch.nn.BatchNorm2d(3)
    with torch.no_grad():
        tl.weight.uniform_(0.5, 1.5)
        tl.bias.uniform_(-0.5, 0.5)
    compare_layer(nl, tl, rng.standard_normal((4, 3, 5, 6)), dtype, train=True)
    compare_layer(nl, tl, rng.standard_normal((4, 3, 5, 6)), dtype, train=False, load=False)
    assert int(nl.num_batches_tracked.item()) == 1


def test_batchnorm_errors():
    with pytest.raises(ShapeError, match="BatchNorm2d"):
        nn.BatchNorm2d(3)(nr.randn(4, 3, 5))
    with pytest.raises(ShapeError, match="expects 3 channels"):
        nn.BatchNorm2d(3)(nr.randn(4, 2, 5, 5))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(nr.randn(1, 3))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,normalized", [((4, 6), 6), ((2, 3, 4, 5), (4, 5))])
@pytest.mark.parametrize("affine", [True, False])
def test_layernorm(dtype, shape, normalized, affine):
    tl = torch.nn.LayerNorm(normalized, elementwise_affine=affine)
    if affine:
        with torch.no_grad():
            tl.weight.uniform_(0.5, 1.5)
            tl.bias.uniform_(-0.5, 0.5)
    compare_layer(nn.LayerNorm(normalized, elementwise_affine=affine), tl, rng.standard_normal(shape) * 3, dtype)


def test_batchnorm_double_backward_matches_torch():
    x = rng.standard_normal((6, 3))
    nl, tl = nn.BatchNorm1d(3).double(), torch.nn.BatchNorm1d(3).double()
    xn = nr.tensor(x, dtype=nr.float64, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    (gn,) = nr.autograd.grad((nl(xn) ** 3).sum(), xn, create_graph=True)
    (gt,) = torch.autograd.grad((tl(xt) ** 3).sum(), xt, create_graph=True)
    (hn,) = nr.autograd.grad((gn * gn).sum(), xn)
    (ht,) = torch.autograd.grad((gt * gt).sum(), xt)
    np.testing.assert_allclose(hn.numpy(), ht.numpy(), rtol=1e-8, atol=1e-10)
