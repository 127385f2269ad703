"""Rows for ``ops/linalg.py``: matmul (1-D operands, batch broadcasting) and the fused linear op."""

from __future__ import annotations

import torch.nn.functional as TF

import neurona as nr
import neurona.functional as F
from op_table.info import Op, case

OPS = [
    Op(
        "matmul", lambda a, b: a @ b, lambda a, b: a @ b,
        [case((3, 4), (4, 5)), case((4,), (4, 5)), case((3, 4), (4,)), case((4,), (4,)),
         case((2, 3, 4), (4, 5)), case((2, 1, 3, 4), (5, 4, 2)), case((4,), (2, 4, 3)), case((1, 3, 4), (2, 4, 1))],
        integer=True, second_order=True,
        aliases=(nr.matmul, lambda a, b: a.matmul(b)),
    ),
    Op(
        "linear", F.linear, TF.linear,
        [case((5, 4), (3, 4), (3,)), case((2, 3, 4), (3, 4)), case((4,), (3, 4), (3,)),
         case((2, 1, 3, 4), (3, 4), (3,))],
        integer=True, second_order=True,
    ),
    Op(
        "linear frozen weight", F.linear, TF.linear, [case((5, 4), (3, 4), (3,))], grad_inputs=1, integer=True,
    ),
]
