"""neurona.functional against torch.nn.functional: activations and losses, every option and reduction.
(F.linear is in test_linalg.py; softmax, cross_entropy and nll_loss in test_nn_ops.py.)"""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import neurona as nr
import neurona.functional as F
from neurona.errors import ShapeError
from parity import check_parity

DTYPES = [np.float32, np.float64]
REDUCTIONS = ["mean", "sum", "none"]

ACTIVATIONS = {
    "relu": (F.relu, TF.relu, {"away_from": 0.0}),
    "leaky_relu": (F.leaky_relu, TF.leaky_relu, {"away_from": 0.0}),
    "leaky_relu 0.2": (lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2), {"away_from": 0.0}),
    "elu": (F.elu, TF.elu, {"away_from": 0.0}),
    "elu 0.7": (lambda x: F.elu(x, 0.7), lambda x: TF.elu(x, 0.7), {"away_from": 0.0}),
    "selu": (F.selu, TF.selu, {"away_from": 0.0}),
    "gelu": (F.gelu, TF.gelu, {}),
    "gelu tanh": (lambda x: F.gelu(x, approximate="tanh"), lambda x: TF.gelu(x, approximate="tanh"), {}),
    "silu": (F.silu, TF.silu, {}),
    "softplus": (F.softplus, TF.softplus, {}),
    "softplus beta threshold": (
        lambda x: F.softplus(x, beta=2.0, threshold=3.0),
        lambda x: TF.softplus(x, beta=2.0, threshold=3.0),
        {"away_from": 1.5},
    ),
    "softplus threshold": (
        lambda x: F.softplus(x, 1.0, 0.5),
        lambda x: TF.softplus(x, 1.0, 0.5),
        {"away_from": 0.5},
    ),
    "sigmoid": (F.sigmoid, TF.sigmoid, {}),
    "tanh": (F.tanh, TF.tanh, {}),
    "hardtanh": (F.hardtanh, TF.hardtanh, {"away_from": (-1.0, 1.0)}),
    "hardtanh bounds": (
        lambda x: F.hardtanh(x, -0.5, 0.8),
        lambda x: TF.hardtanh(x, -0.5, 0.8),
        {"away_from": (-0.5, 0.8)},
    ),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 5), (1,), ()], ids=str)
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activations(name, shape, dtype):
    nr_fn, torch_fn, kw = ACTIVATIONS[name]
    check_parity(nr_fn, torch_fn, [shape], dtype, low=-4.0, high=4.0, **kw)


@pytest.mark.parametrize("dtype", DTYPES)
def test_activations_at_large_inputs(dtype):
    a = np.array([-60.0, -25.0, -3.0, 3.0, 25.0, 60.0])
    with np.errstate(over="raise"):
        for name in ["gelu", "silu", "softplus", "elu", "selu", "sigmoid"]:
            nr_fn, torch_fn, _ = ACTIVATIONS[name]
            check_parity(nr_fn, torch_fn, [a], dtype)


def test_relu_over_shapes_and_dtypes_in_turn():
    """ReLU compares against zeros cut from one cached buffer per dtype, grown on demand: a large
    input after a small one, a small one after a large one and float64 between float32 calls all
    match torch, including signed zeros, infinities and NaN."""
    rng = np.random.default_rng(0)
    special = np.array([-0.0, 0.0, -np.inf, np.inf, np.nan, -1e-45, 1e-45])
    for shape, dtype in [((3,), np.float32), ((64, 6, 28, 28), np.float32), ((5, 7), np.float64),
                         ((2, 2), np.float32), ((300, 300), np.float64), ((7,), np.float32)]:
        a = rng.standard_normal(shape).astype(dtype)
        a.reshape(-1)[: len(special)] = special[: a.size]
        expected = TF.relu(torch.from_numpy(a)).numpy()
        got = F.relu(nr.tensor(a, dtype=dtype)).numpy()
        assert got.dtype == dtype and got.shape == shape
        np.testing.assert_array_equal(got, expected)
        assert got.flags.writeable


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh', got 'fast'"):
        F.gelu(nr.ones(2), approximate="fast")


# ---- regression losses ---------------------------------------------------------------------------------
REGRESSION = {
    "mse_loss": (F.mse_loss, TF.mse_loss, {}),
    "l1_loss": (F.l1_loss, TF.l1_loss, {}),
    "huber_loss": (F.huber_loss, TF.huber_loss, {}),
    "huber_loss delta": (
        lambda a, b, reduction: F.huber_loss(a, b, reduction, delta=0.5),
        lambda a, b, reduction: TF.huber_loss(a, b, reduction, delta=0.5),
        {},
    ),
    "smooth_l1_loss": (F.smooth_l1_loss, TF.smooth_l1_loss, {}),
    "smooth_l1_loss beta": (
        lambda a, b, reduction: F.smooth_l1_loss(a, b, reduction, beta=0.7),
        lambda a, b, reduction: TF.smooth_l1_loss(a, b, reduction=reduction, beta=0.7),
        {},
    ),
    "smooth_l1_loss beta 0": (
        lambda a, b, reduction: F.smooth_l1_loss(a, b, reduction, beta=0.0),
        lambda a, b, reduction: TF.smooth_l1_loss(a, b, reduction=reduction, beta=0.0),
        {},
    ),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(4, 3), (5,), ()], ids=str)
@pytest.mark.parametrize("name", REGRESSION)
def test_regression_losses(name, shape, reduction, dtype):
    nr_fn, torch_fn, _ = REGRESSION[name]
    rng = np.random.default_rng(7)
    pred = rng.uniform(-2, 2, shape)
    # differences on both sides of every kink (|d| = delta or beta = 0.5, 0.7, 1), none close to one
    gap = rng.choice([-1.4, -0.85, -0.3, 0.2, 0.6, 1.3], shape) + rng.uniform(-0.04, 0.04, shape)
    check_parity(
        lambda a, b: nr_fn(a, b, reduction=reduction),
        lambda a, b: torch_fn(a, b, reduction=reduction),
        [pred, pred - gap],
        dtype,
    )


def test_regression_losses_refuse_mismatched_shapes_instead_of_broadcasting():
    """Deliberate difference from torch (which warns and broadcasts): a (N, 1) vs (N,) mix-up raises."""
    for fn in (
        F.mse_loss,
        F.l1_loss,
        F.huber_loss,
        F.smooth_l1_loss,
        F.binary_cross_entropy_with_logits,
        F.kl_div,
    ):
        with pytest.raises(ShapeError, match=r"input of shape \(4, 1\) and target of shape \(4,\) differ"):
            fn(nr.ones(4, 1), nr.ones(4))


def test_losses_take_numpy_targets_without_losing_float64_precision():
    rng = np.random.default_rng(0)
    pred, target = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    check_parity(
        lambda a: F.mse_loss(a, target), lambda a: TF.mse_loss(a, torch.tensor(target)), [pred], np.float64
    )
    check_parity(
        lambda a: F.l1_loss(a, target, "sum"),
        lambda a: TF.l1_loss(a, torch.tensor(target), reduction="sum"),
        [pred],
        np.float64,
    )


def test_loss_reduction_must_be_known():
    with pytest.raises(ValueError, match="mse_loss: reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        F.mse_loss(nr.ones(2), nr.ones(2), reduction="avg")


# ---- binary cross-entropy ------------------------------------------------------------------------------
def _bce_arrays(shape):
    rng = np.random.default_rng(0)
    probs = rng.uniform(0.05, 0.95, shape)
    labels = rng.integers(0, 2, shape).astype(float)
    soft = rng.uniform(0, 1, shape)
    weight = rng.uniform(0.5, 2, shape[-1:] if shape else ())
    logits = rng.standard_normal(shape) * 3
    return probs, labels, soft, weight, logits


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(4, 3), (5,), ()], ids=str)
def test_binary_cross_entropy(shape, reduction, dtype):
    probs, labels, soft, weight, _ = _bce_arrays(shape)
    for target in (labels, soft):
        check_parity(
            lambda p, t: F.binary_cross_entropy(p, t, reduction=reduction),
            lambda p, t: TF.binary_cross_entropy(p, t, reduction=reduction),
            [probs, target],
            dtype,
        )
        check_parity(
            lambda p, t, w: F.binary_cross_entropy(p, t, w, reduction=reduction),
            lambda p, t, w: TF.binary_cross_entropy(p, t, w, reduction=reduction),
            [probs, target, weight],
            dtype,
            grad_inputs=2,
        )


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_cross_entropy_of_saturated_probabilities_matches_torch(dtype):
    """At p = 0 or 1 the logs are clamped at -100 and the gradient is (p - y) / max(p (1 - p), 1e-12)."""
    probs, labels = np.array([0.0, 1.0, 0.0, 1.0, 0.5]), np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        # rtol: torch's 1e-12 is a C float (1e-12 * (1 - 4e-9)), which shows in float64
        check_parity(
            lambda p, t: F.binary_cross_entropy(p, t, reduction="none"),
            lambda p, t: TF.binary_cross_entropy(p, t, reduction="none"),
            [probs, labels],
            dtype,
            grad_inputs=1,
            rtol=1e-8 if dtype == np.float64 else None,
        )
        # a sigmoid that rounded to exactly 1.0 (float32, x = 20): a correct prediction, gradient 0
        check_parity(
            lambda x, t: F.binary_cross_entropy(x.sigmoid(), t),
            lambda x, t: TF.binary_cross_entropy(x.sigmoid(), t),
            [np.array([20.0, -20.0]), np.array([1.0, 0.0])],
            dtype,
        )
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]; apply sigmoid first"):
        F.binary_cross_entropy(nr.tensor([1.5]), nr.tensor([1.0]))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(4, 3), (5,), ()], ids=str)
def test_binary_cross_entropy_with_logits(shape, reduction, dtype):
    _, labels, soft, weight, logits = _bce_arrays(shape)
    pos_weight = 2.5 - weight
    for target in (labels, soft):
        check_parity(
            lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction=reduction),
            lambda x, t: TF.binary_cross_entropy_with_logits(x, t, reduction=reduction),
            [logits, target],
            dtype,
        )
        check_parity(
            lambda x, t, w, pw: F.binary_cross_entropy_with_logits(x, t, w, reduction, pos_weight=pw),
            lambda x, t, w, pw: TF.binary_cross_entropy_with_logits(
                x, t, w, reduction=reduction, pos_weight=pw
            ),
            [logits, target, weight, pos_weight],
            dtype,
            grad_inputs=2,
        )


def test_binary_cross_entropy_with_logits_is_stable_and_takes_numpy_weights():
    logits, labels = np.array([-800.0, -30.0, 0.0, 30.0, 800.0]), np.array([1.0, 0.0, 1.0, 1.0, 0.0])
    with np.errstate(over="raise"):
        for dtype in DTYPES:
            check_parity(
                lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction="none"),
                lambda x, t: TF.binary_cross_entropy_with_logits(x, t, reduction="none"),
                [logits, labels],
                dtype,
            )
    w, pw = np.linspace(0.3, 2.1, 5), np.linspace(2.2, 0.4, 5)
    check_parity(
        lambda x: F.binary_cross_entropy_with_logits(x, labels, w, pos_weight=pw),
        lambda x: TF.binary_cross_entropy_with_logits(
            x, torch.tensor(labels), torch.tensor(w), pos_weight=torch.tensor(pw)
        ),
        [(5,)],
        np.float64,
    )


# ---- KL divergence -------------------------------------------------------------------------------------
@pytest.mark.filterwarnings(
    "ignore:reduction. 'mean' divides"
)  # torch's hint that 'batchmean' is the true mean
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", [*REDUCTIONS, "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(log_target, reduction, dtype):
    q = np.random.default_rng(3).dirichlet(np.ones(4), 5)
    q[0, 1] = 0.0  # a zero target probability contributes 0 (x log x -> 0), not NaN
    if log_target:
        q = np.log(q + 1e-3)
    check_parity(
        lambda x, t: F.kl_div(F.log_softmax(x, 1), t, reduction=reduction, log_target=log_target),
        lambda x, t: TF.kl_div(TF.log_softmax(x, 1), t, reduction=reduction, log_target=log_target),
        [(5, 4), q],
        dtype,
        grad_inputs=1 if not log_target else None,
    )  # log targets get a gradient too
