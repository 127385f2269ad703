"""Normalisation layers: BatchNorm1d, BatchNorm2d and LayerNorm."""

from __future__ import annotations

from typing import Any

import numpy as np

from neurona.device import check_device
from neurona.nn._checks import check_dim, check_rank
from neurona.nn.module import Module, Parameter
from neurona.ops.normalization import batch_norm, layer_norm
from neurona.tensor import Tensor


class _BatchNorm(Module):
    """y = gamma * (x - mean) / sqrt(var + eps) + beta, statistics per channel (dimension 1).

    Training uses the batch's statistics and updates running estimates with ``momentum``;
    ``eval()`` switches to the running estimates.
    """

    _ranks: tuple[int, ...] = ()
    _meaning = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, dtype=np.float32, device: Any = None) -> None:
        check_device(device)  # the CPU is the only device: None/"cpu" pass, others raise clearly
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=dtype))
            self.bias = Parameter(np.zeros(num_features, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=dtype), dtype=dtype))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=dtype), dtype=dtype))
            self.register_buffer("num_batches_tracked", Tensor(np.zeros((), dtype=np.int64)))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def forward(self, x: Tensor) -> Tensor:
        check_rank(x, self._ranks, self, self._meaning)
        check_dim(x, 1, self.num_features, self, "channels/features")
        use_batch_stats = self.training or not self.track_running_stats
        return batch_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            training=use_batch_stats,
            momentum=self.momentum,
            eps=self.eps,
            num_batches_tracked=self.num_batches_tracked,
        )

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm for (N, C) or (N, C, L) inputs."""

    _ranks = (2, 3)
    _meaning = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch norm for (N, C, H, W) inputs."""

    _ranks = (4,)
    _meaning = "(N, C, H, W)"


class LayerNorm(Module):
    """y = (x - mean) / sqrt(var + eps) * weight + bias over the last dims ``normalized_shape`` of each sample."""

    def __init__(self, normalized_shape: int | tuple[int, ...], eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, dtype=np.float32, device: Any = None) -> None:
        check_device(device)  # the CPU is the only device: None/"cpu" pass, others raise clearly
        super().__init__()
        self.normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype))
            if bias:
                self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x: Tensor) -> Tensor:
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
