"""Rows for ``ops/embedding.py``: rows of a table at integer indices (repeated ones add up in backward;
the padding row gets no gradient)."""

from __future__ import annotations

import numpy as np
import torch.nn.functional as TF

import neurona.functional as F
from op_table.info import Op, case

_rng = np.random.default_rng(0)

OPS = [
    Op(
        "embedding", F.embedding, TF.embedding,
        [case(np.array([[1, 3, 1], [0, 3, 7]]), (10, 4)),  # few distinct indices: repeats
         case(_rng.integers(0, 4, (7,)), (10, 4), padding_idx=0),
         case(_rng.integers(0, 4, (2, 3, 4)), (10, 4), padding_idx=3),
         case(_rng.integers(0, 4, (3, 5)), (10, 4), padding_idx=-1),
         case(np.array(2), (10, 4))],
        integer=True,
    ),
]
