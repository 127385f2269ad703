"""The fully connected layer."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from neurona.device import check_device
from neurona.nn import init
from neurona.nn._checks import check_last_dim
from neurona.nn.module import Module, Parameter
from neurona.ops.linalg import linear
from neurona.tensor import Tensor


class Linear(Module):
    """y = x W^T + b.  W: (out_features, in_features).

    Weights: Kaiming-uniform with a = sqrt(5), i.e. U(-1/sqrt(in), 1/sqrt(in)); bias likewise — torch.nn.Linear's defaults.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype=np.float32, device: Any = None) -> None:
        check_device(device)  # the CPU is the only device: None/"cpu" pass, others raise clearly
        super().__init__()
        if in_features <= 0 or out_features <= 0:
            raise ValueError(f"Linear: in_features and out_features must be > 0, got {in_features}, {out_features}")
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        self.bias = Parameter(np.empty(out_features, dtype=dtype)) if bias else None
        if not bias:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            init.fan_in_uniform_(self.bias, self.in_features)

    def forward(self, x: Tensor) -> Tensor:
        check_last_dim(x, self.in_features, self)
        return linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
