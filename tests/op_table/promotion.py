"""Rows for ``ops/promotion.py``: casts between dtypes (the gradient of a cast comes back in the input's
dtype). Promotion rules themselves are in tests/test_promotion.py."""

from __future__ import annotations

import numpy as np
import torch

import neurona as nr
from op_table.info import Op, case


def _nr_cast(x, dtype):
    return nr.ops.cast(x, np.dtype(dtype))


def _torch_cast(x, dtype):
    return x.to(getattr(torch, dtype))


OPS = [
    Op(
        "cast", _nr_cast, _torch_cast, [case((3, 4), dtype="float64"), case((2,), dtype="float32"), case((), dtype="float64")],
        integer=True, aliases=(lambda x, dtype: x.to(np.dtype(dtype)), lambda x, dtype: x.astype(np.dtype(dtype))),
    ),
    Op(
        "cast to integer", _nr_cast, _torch_cast,
        [case(np.array([[1.7, -2.2], [0.0, 3.9]]), dtype="int64"), case((3, 4), dtype="bool")],
        grad=False, integer=True, aliases=(lambda x, dtype: x.long() if dtype == "int64" else x.bool(),),
    ),
]
