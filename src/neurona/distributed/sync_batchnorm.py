"""``SyncBatchNorm``: batch normalisation with the statistics of the global batch (every rank's samples).

Written with neurona's own ops plus one differentiable collective, :class:`AllReduceSum`: the mean and
variance are sums over the ranks, and the adjoint of a sum over ranks is again a sum over ranks, so
the backward through the statistics is exact with no hand-written gradient.
"""

from __future__ import annotations

import numpy as np

from neurona.distributed import comm
from neurona.nn.module import Module
from neurona.nn.normalization import _BatchNorm
from neurona.tensor import Function, Tensor


class AllReduceSum(Function):
    """y = sum over ranks of x;  dL/dx = sum over ranks of dL/dy (each rank's loss adds to the total)."""

    def forward(self, ctx, x):
        out = np.ascontiguousarray(x).copy()
        return comm.all_reduce(out, op="sum")

    def backward(self, ctx, grad):
        g = grad.data if isinstance(grad, Tensor) else grad
        g = comm.all_reduce(np.ascontiguousarray(g).copy(), op="sum")
        return Tensor._wrap(g) if isinstance(grad, Tensor) else g


class SyncBatchNorm(_BatchNorm):
    """BatchNorm over the global batch: mean and variance of every rank's samples together.

    Like ``torch.nn.SyncBatchNorm``: any input rank >= 2 with channels on dimension 1; in eval mode,
    or in a world of one, it is plain batch norm. Use :meth:`convert_sync_batchnorm` to swap the
    BatchNorm layers of a model.
    """

    _ranks = (2, 3, 4, 5)
    _meaning = "(N, C, ...)"

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or comm.world_size() == 1:
            return super().forward(x)
        axes = (0, *range(2, x.ndim))
        shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        local_n = x.data.size // x.shape[1]
        count = float(comm.all_reduce(np.array([float(local_n)]), op="sum")[0])
        if count <= 1:
            raise ValueError(f"SyncBatchNorm: expected more than 1 value per channel when training, got {int(count)}")
        mean = AllReduceSum.apply(x.sum(axes)) / count
        centered = x - mean.reshape(shape)
        var = AllReduceSum.apply((centered * centered).sum(axes)) / count
        y = centered * (var.reshape(shape) + self.eps) ** -0.5
        if self.track_running_stats:
            self.num_batches_tracked.data += 1
            m = 1.0 / float(self.num_batches_tracked.data) if self.momentum is None else self.momentum
            dtype = self.running_mean.data.dtype
            self.running_mean.data = ((1 - m) * self.running_mean.data + m * mean.data).astype(dtype)
            unbiased = var.data * (count / (count - 1))
            self.running_var.data = ((1 - m) * self.running_var.data + m * unbiased).astype(dtype)
        if self.weight is not None:
            y = y * self.weight.reshape(shape)
        if self.bias is not None:
            y = y + self.bias.reshape(shape)
        return y

    @classmethod
    def convert_sync_batchnorm(cls, module: Module) -> Module:
        """``module`` with every BatchNorm1d/2d replaced by a SyncBatchNorm holding the same weights and
        statistics (the module itself when it is a BatchNorm)."""
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            sync = cls(module.num_features, eps=module.eps, momentum=module.momentum, affine=module.affine,
                       track_running_stats=module.track_running_stats)
            for name in ("weight", "bias"):
                if getattr(module, name) is not None:
                    setattr(sync, name, getattr(module, name))
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                if getattr(module, name) is not None:
                    setattr(sync, name, getattr(module, name))
            sync.train(module.training)
            return sync
        for name, child in list(module._modules.items()):
            if child is not None:
                setattr(module, name, cls.convert_sync_batchnorm(child))
        return module
