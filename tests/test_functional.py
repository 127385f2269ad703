"""The losses neurona.functional composes (functional.py) beyond the op table (tests/op_table/functional.py,
which checks each loss's options and reductions against torch): shape mismatches refused instead of
broadcast, NumPy targets, saturated probabilities and large logits, and the errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import neurona as nr
import neurona.functional as F
from neurona.errors import ShapeError
from parity import check_parity

DTYPES = [np.float32, np.float64]


# ---- regression losses ---------------------------------------------------------------------------------
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
