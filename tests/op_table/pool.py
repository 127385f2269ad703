"""Rows for ``ops/pool.py``: max pooling (with indices), average pooling (padding counted or not, a
divisor override, ceil mode) and adaptive average pooling, in 1-D and 2-D, batched and unbatched.
Random inputs have no ties; tests/test_pool.py checks how ties route the gradient."""

from __future__ import annotations

import torch.nn.functional as TF

import neurona.functional as F
from op_table.info import Op, case

OPS = [
    Op(
        "max_pool2d", F.max_pool2d, TF.max_pool2d,
        [case((2, 2, 4, 5), kernel_size=2),
         case((2, 3, 7, 8), kernel_size=3, stride=2, padding=1),
         case((1, 2, 9, 7), kernel_size=(3, 2), stride=(2, 1), dilation=(2, 1), ceil_mode=True),
         case((2, 6, 6), kernel_size=2, return_indices=True)],  # unbatched, with the argmax indices
    ),
    Op(
        "max_pool1d", F.max_pool1d, TF.max_pool1d,
        [case((2, 3, 7), kernel_size=2),
         case((2, 3, 9), kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True),
         case((3, 8), kernel_size=3, return_indices=True)],
    ),
    Op(
        "avg_pool2d", F.avg_pool2d, TF.avg_pool2d,
        [case((2, 2, 4, 5), kernel_size=2),
         case((2, 3, 7, 8), kernel_size=3, stride=2, padding=1),
         case((2, 3, 7, 8), kernel_size=3, stride=2, padding=1, count_include_pad=False, ceil_mode=True),
         case((1, 2, 6, 5), kernel_size=(2, 3), divisor_override=4),
         case((3, 6, 6), kernel_size=3)],
    ),
    Op(
        "avg_pool1d", F.avg_pool1d, TF.avg_pool1d,
        [case((2, 3, 7), kernel_size=2),
         case((2, 3, 9), kernel_size=3, stride=2, padding=1, count_include_pad=False, ceil_mode=True),
         case((3, 8), kernel_size=4)],
    ),
    Op(
        "adaptive_avg_pool2d", F.adaptive_avg_pool2d, TF.adaptive_avg_pool2d,
        [case((2, 2, 5, 4), output_size=(2, 3)), case((2, 3, 7, 9), output_size=3),
         case((1, 2, 6, 5), output_size=(None, 2)), case((3, 5, 5), output_size=1)],
    ),
    Op(
        "adaptive_avg_pool1d", F.adaptive_avg_pool1d, TF.adaptive_avg_pool1d,
        [case((2, 3, 7), output_size=3), case((2, 3, 8), output_size=8), case((3, 9), output_size=4)],
    ),
]
