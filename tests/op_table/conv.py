"""Rows for ``ops/conv.py``: conv1d, conv2d, conv_transpose1d, conv_transpose2d with stride, padding
(numbers, 'same', 'valid'), dilation, groups, output_padding, without bias and on unbatched input."""

from __future__ import annotations

import numpy as np
import torch.nn.functional as TF

import neurona.functional as F
from op_table.info import Op, case

# float32: sums of up to ~100 products
TOL = {"tol": {np.float32: dict(rtol=1e-4, atol=1e-5)}}

OPS = [
    Op(
        "conv2d", F.conv2d, TF.conv2d,
        [case((2, 2, 5, 4), (3, 2, 3, 2), (3,)),
         case((2, 3, 7, 8), (4, 3, 3, 3), (4,), padding=1),
         case((2, 4, 9, 8), (6, 2, 3, 2), (6,), stride=2, padding=(1, 2), dilation=(2, 1), groups=2),
         case((1, 3, 6, 7), (5, 3, 2, 4), padding="same"),
         case((2, 4, 9, 10), (4, 1, 3, 3), stride=(2, 3), padding="valid", groups=4),
         case((3, 6, 5), (2, 3, 3, 3), (2,), stride=2)],  # unbatched
        integer=True, second_order=True, **TOL,
    ),
    Op(
        "conv1d", F.conv1d, TF.conv1d,
        [case((2, 2, 6), (3, 2, 3), (3,)),
         case((2, 4, 11), (6, 2, 3), (6,), stride=2, padding=2, dilation=2, groups=2),
         case((1, 3, 8), (4, 3, 4), padding="same"),
         case((3, 9), (2, 3, 2))],  # unbatched
        integer=True, second_order=True, **TOL,
    ),
    Op(
        "conv_transpose2d", F.conv_transpose2d, TF.conv_transpose2d,
        [case((2, 3, 3, 4), (3, 2, 3, 2), (2,)),
         case((2, 4, 4, 3), (4, 3, 3, 3), (6,), stride=2, padding=1, output_padding=1, groups=2),
         case((1, 2, 3, 3), (2, 3, 2, 3), stride=(2, 1), dilation=(1, 2)),
         case((2, 3, 3), (2, 2, 2, 2), (2,), stride=3)],  # unbatched
        integer=True, second_order=True, **TOL,
    ),
    Op(
        "conv_transpose1d", F.conv_transpose1d, TF.conv_transpose1d,
        [case((2, 3, 4), (3, 2, 3), (2,)),
         case((2, 4, 5), (4, 2, 3), (4,), stride=3, padding=1, output_padding=2, groups=2, dilation=2),
         case((3, 5), (3, 2, 2))],  # unbatched
        integer=True, second_order=True, **TOL,
    ),
]
