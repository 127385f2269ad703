"""Rows for ``ops/normalization.py``: batch_norm (training: batch statistics; evaluation: running ones),
layer_norm, and dropout where it is deterministic (evaluation, p = 0)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as TF

import neurona as nr
import neurona.functional as F
from op_table.info import Op, case

_rng = np.random.default_rng(11)
RUNNING_MEAN = _rng.standard_normal(3) * 0.5
RUNNING_VAR = _rng.uniform(0.5, 2.0, 3)


def _batch_norm(fn, tensor):
    """``fn(x, weight, bias, training=..., eps=...)`` with fresh running statistics in x's dtype, so that
    a training call's update of them does not leak from one call into the next."""
    def call(x, weight=None, bias=None, **o):
        mean, var = tensor(RUNNING_MEAN.copy(), dtype=x.dtype), tensor(RUNNING_VAR.copy(), dtype=x.dtype)
        return fn(x, mean, var, weight, bias, **o)
    return call


BN_NR, BN_TORCH = _batch_norm(F.batch_norm, nr.tensor), _batch_norm(TF.batch_norm, torch.tensor)

OPS = [
    Op(
        "batch_norm training", BN_NR, BN_TORCH,
        [case((4, 3), (3,), (3,), training=True), case((2, 3, 5), (3,), (3,), training=True, eps=1e-3),
         case((2, 3, 2, 2), training=True), case((2, 3, 4, 3), (3,), (3,), training=True, momentum=0.3)],
        second_order=True,
    ),
    Op(
        "batch_norm eval", BN_NR, BN_TORCH,
        [case((4, 3), (3,), (3,)), case((2, 3, 5), (3,), (3,), eps=1e-3), case((2, 3, 2, 2))],
        second_order=True,
    ),
    Op(
        "layer_norm",
        lambda x, weight=None, bias=None, **o: F.layer_norm(x, weight=weight, bias=bias, **o),
        lambda x, weight=None, bias=None, **o: TF.layer_norm(x, weight=weight, bias=bias, **o),
        [case((4, 5), (5,), (5,), normalized_shape=(5,)), case((2, 3, 4), (3, 4), (3, 4), normalized_shape=(3, 4)),
         case((2, 3, 4), normalized_shape=(4,)), case((6,), (6,), (6,), normalized_shape=(6,), eps=1e-3)],
        second_order=True,
    ),
    Op(
        "dropout", F.dropout, TF.dropout,
        [case((3, 4), p=0.5, training=False), case((2, 3, 5), p=0.0, training=True), case((), p=0.3, training=False)],
        integer=True,
    ),
]
