"""Rows for ``ops/nn.py``: softmax, log_softmax, and the fused losses cross_entropy (class indices and
probabilities; weight, ignore_index, label_smoothing, reductions, K-dimensional inputs) and nll_loss."""

from __future__ import annotations

import numpy as np
import torch.nn.functional as TF

import neurona.functional as F
from op_table.info import Op, case, same_dtype_nr, same_dtype_torch

SOFTMAX = [case((3, 4), dim=-1), case((3, 4), dim=0), case((2, 3, 5), dim=1), case((5,), dim=0),
           case((1, 1), dim=1)]
CLASS_WEIGHT = np.array([0.5, 2.0, 1.0, 1.5])
LABELS = np.array([0, 2, 1, 3, 2, 0])  # for (6, 4) logits; 0 and 2 are the ignored classes below
LABELS_3D = np.array([[0, 1, 2, 3, 3], [2, 2, 1, 0, 1]])  # for (2, 4, 5)
LABELS_4D = np.array([[[0, 1, 2], [3, 3, 0]], [[2, 2, 1], [0, 1, 3]]])  # for (2, 4, 2, 3)


def _probabilities(batch: tuple) -> np.ndarray:
    """Soft targets with the classes (4) in dimension 1 (0 when there is no batch)."""
    p = np.random.default_rng(2).dirichlet(np.ones(4), batch)
    return np.moveaxis(p, -1, min(1, len(batch)))


def _with_weight(fn, wrap):
    """``fn(x, t, weight=<array>, ...)``: the class weights as a tensor in the logits' dtype."""
    def call(x, t, weight=None, **o):
        return fn(x, t, weight=None if weight is None else wrap(weight, x), **o)
    return call


CE_NR, CE_TORCH = _with_weight(F.cross_entropy, same_dtype_nr), _with_weight(TF.cross_entropy, same_dtype_torch)
NLL_NR, NLL_TORCH = _with_weight(F.nll_loss, same_dtype_nr), _with_weight(TF.nll_loss, same_dtype_torch)

OPS = [
    Op("softmax", F.softmax, TF.softmax, SOFTMAX, second_order=True,
       aliases=(lambda x, dim: x.softmax(dim),)),
    Op("log_softmax", F.log_softmax, TF.log_softmax, SOFTMAX, second_order=True,
       aliases=(lambda x, dim: x.log_softmax(dim),)),
    Op(
        "cross_entropy", CE_NR, CE_TORCH,
        [case((6, 4), LABELS),
         case((6, 4), LABELS, reduction="sum", label_smoothing=0.15),
         case((2, 4, 5), LABELS_3D, reduction="none", ignore_index=2),
         case((2, 4, 2, 3), LABELS_4D, weight=CLASS_WEIGHT, ignore_index=0, label_smoothing=0.1),
         case((4,), np.array(2), weight=CLASS_WEIGHT, reduction="sum"),
         case((6, 4), LABELS, weight=CLASS_WEIGHT, reduction="none"),
         case((6, 4), LABELS, weight=CLASS_WEIGHT),
         case((6, 4), LABELS, label_smoothing=1.0),
         case((3, 4), np.array([1, -100, 3]))],  # -100: torch's default ignore_index
        second_order=True,
    ),
    Op(
        "cross_entropy probabilities", CE_NR, CE_TORCH,
        [case((5, 4), _probabilities((5,))),
         case((2, 4, 3), _probabilities((2, 3)), reduction="sum", label_smoothing=0.15),
         case((4,), _probabilities(()), weight=CLASS_WEIGHT, reduction="none"),
         case((5, 4), _probabilities((5,)), weight=CLASS_WEIGHT)],
        grad_inputs=1, second_order=True,
    ),
    Op(
        "nll_loss", NLL_NR, NLL_TORCH,
        [case((6, 4), LABELS),
         case((2, 4, 5), LABELS_3D, reduction="sum", ignore_index=2),
         case((4,), np.array(2), weight=CLASS_WEIGHT, reduction="none"),
         case((6, 4), LABELS, weight=CLASS_WEIGHT, ignore_index=2),
         case((6, 4), LABELS, weight=CLASS_WEIGHT, reduction="none")],
    ),
]
