"""Rows for the losses ``functional.py`` builds from primitive ops: mse, l1, huber, smooth_l1, binary
cross-entropy (on probabilities and on logits, with weight and pos_weight) and kl_div."""

from __future__ import annotations

import numpy as np
import torch.nn.functional as TF

import neurona.functional as F
from op_table.info import Op, case, same_dtype_nr, same_dtype_torch

_rng = np.random.default_rng(7)


def _pred_target(shape: tuple) -> tuple[np.ndarray, np.ndarray]:
    """A prediction and a target whose differences lie on both sides of every kink of the regression
    losses (|d| = 0, 0.5, 0.7, 1: delta and beta below), none closer than 0.06 to one."""
    pred = _rng.uniform(-2, 2, shape)
    gap = _rng.choice([-1.4, -0.85, -0.3, 0.2, 0.6, 1.3], shape) + _rng.uniform(-0.04, 0.04, shape)
    return pred, pred - gap


def _regression(name, nr_fn, torch_fn, options: dict, second_order: bool) -> Op:
    cases = [case(*_pred_target((4, 3))), case(*_pred_target((5,)), reduction="sum"),
             case(*_pred_target(()), reduction="none"), case(*_pred_target((4, 3)), reduction="none", **options)]
    return Op(name, nr_fn, torch_fn, cases, second_order=second_order)


_probs = _rng.uniform(0.05, 0.95, (4, 3))
_labels = _rng.integers(0, 2, (4, 3)).astype(float)
_soft = _rng.uniform(0, 1, (4, 3))
_weight = _rng.uniform(0.5, 2, (3,))
_logits = _rng.standard_normal((4, 3)) * 3
_q = _rng.dirichlet(np.ones(4), 5)
_q[0, 1] = 0.0  # a zero target probability contributes 0 (y ln y -> 0), not NaN



def _pos_weight(fn, wrap):
    """``fn(x, t, weight, pos_weight=<array>)``: pos_weight as a tensor in the logits' dtype."""
    def call(x, t, weight=None, pos_weight=None, **o):
        return fn(x, t, weight, pos_weight=None if pos_weight is None else wrap(pos_weight, x), **o)
    return call


OPS = [
    _regression("mse_loss", F.mse_loss, TF.mse_loss, {}, second_order=True),
    _regression("l1_loss", F.l1_loss, TF.l1_loss, {}, second_order=False),
    _regression("huber_loss", F.huber_loss, TF.huber_loss, {"delta": 0.5}, second_order=True),
    _regression("smooth_l1_loss", F.smooth_l1_loss, TF.smooth_l1_loss, {"beta": 0.7}, second_order=True),
    Op(
        "smooth_l1_loss beta 0", F.smooth_l1_loss, TF.smooth_l1_loss,
        [case(*_pred_target((4, 3)), beta=0.0), case(*_pred_target((5,)), beta=0.0, reduction="none")],
    ),
    Op(
        "binary_cross_entropy", F.binary_cross_entropy, TF.binary_cross_entropy,
        [case(_probs, _labels), case(_probs, _soft, reduction="sum"), case(_probs[0], _soft[0], reduction="none"),
         case(_probs[0, 0], _labels[0, 0])],
        second_order=True,
    ),
    Op(
        "binary_cross_entropy weight", F.binary_cross_entropy, TF.binary_cross_entropy,
        [case(_probs, _soft, _weight), case(_probs, _labels, _weight, reduction="none")],
        grad_inputs=2, second_order=True,
    ),
    Op(
        "binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits,
        TF.binary_cross_entropy_with_logits,
        [case(_logits, _labels), case(_logits, _soft, reduction="sum"), case(_logits[0], _soft[0], reduction="none"),
         case(_logits[0, 0], _labels[0, 0])],
        second_order=True,
    ),
    Op(
        "binary_cross_entropy_with_logits weights",
        _pos_weight(F.binary_cross_entropy_with_logits, same_dtype_nr),
        _pos_weight(TF.binary_cross_entropy_with_logits, same_dtype_torch),
        [case(_logits, _soft, _weight, pos_weight=2.5 - _weight),
         case(_logits, _labels, _weight, reduction="none", pos_weight=2.5 - _weight)],
        grad_inputs=2, second_order=True,
    ),
    Op(
        "kl_div", F.kl_div, TF.kl_div,
        [case((5, 4), _q, reduction="batchmean"), case((5, 4), _q, reduction="sum"),
         case((5, 4), _q, reduction="none"), case((5, 4), _q, reduction="mean")],
        grad_inputs=1,
    ),
    Op(
        "kl_div log_target", F.kl_div, TF.kl_div,
        [case((5, 4), np.log(_q + 1e-3), log_target=True, reduction="batchmean"),
         case((5, 4), np.log(_q + 1e-3), log_target=True, reduction="none")],
        second_order=True,
    ),
]
