"""``DistributedDataParallel``: the same model on every rank, gradients averaged with one Allreduce per step.

How the gradients get averaged without hooks in the engine: during a DDP forward the wrapped model
does not read its Parameters directly. It reads the outputs of one op, :class:`_AverageGradients`,
whose forward is the identity on every parameter. Every gradient that reaches a parameter therefore
passes through that op, and the engine calls its backward last, once each parameter's gradient is
complete. That backward packs the gradients into one flat buffer, averages it over the ranks with a
single ``Allreduce`` and hands the averaged gradients on to the parameters' ``.grad``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from neurona.distributed import comm
from neurona.nn.module import Module
from neurona.tensor import Function, Tensor, is_grad_enabled


def _flat(arrays: list[np.ndarray], dtype: Any) -> np.ndarray:
    return np.concatenate([a.reshape(-1).astype(dtype, copy=False) for a in arrays]) if arrays else np.zeros(0, dtype)


def _unflat(flat: np.ndarray, like: list[np.ndarray]) -> list[np.ndarray]:
    out, start = [], 0
    for a in like:
        out.append(flat[start:start + a.size].reshape(a.shape).astype(a.dtype, copy=False))
        start += a.size
    return out


class _AverageGradients(Function):
    """y_i = p_i for every parameter p_i;  dL/dp_i = mean over ranks of dL_rank/dy_i (one Allreduce)."""

    def forward(self, ctx, *params):
        return tuple(params) if len(params) > 1 else params[0]

    def backward(self, ctx, *grads):
        ddp = self.ddp
        if not ddp.require_backward_grad_sync:  # inside no_sync(): keep the local gradients
            ddp._unsynced = True
            return grads
        params = ddp._synced_params
        if ddp._unsynced:  # gradients accumulated under no_sync() are averaged now, with this step's
            grads = tuple(g + p.grad.data if p.grad is not None else g for g, p in zip(grads, params))
            for p in params:
                p.grad = None  # the averaged sum below replaces them
            ddp._unsynced = False
        grads = [np.asarray(g) for g in grads]
        flat = _flat(grads, np.result_type(*grads))
        start = time.perf_counter()
        comm.all_reduce(flat, op="mean")
        ddp.allreduce_seconds += time.perf_counter() - start
        ddp.allreduce_calls += 1
        return tuple(_unflat(flat, grads))


class DistributedDataParallel(Module):
    """Data-parallel training of ``module`` over the ranks of ``mpirun`` (torch's name and behaviour).

    At construction, parameters and buffers are broadcast from rank 0, so every rank starts from the
    same model. Each forward in training mode routes the parameters through one op whose backward
    averages the gradients over the ranks (one flat Allreduce per step), so ``loss.backward()`` leaves
    the same averaged ``.grad`` on every rank and the optimisers stay in step. BatchNorm normalises
    with the statistics of each rank's own batch, as in torch (``SyncBatchNorm`` uses the global
    batch instead); its running estimates are copied from rank 0 at each forward, as torch's
    ``broadcast_buffers=True`` does. Under one process it is a thin wrapper that changes nothing.

    Parameters
    ----------
    module : Module
        The model; the optimiser should hold ``module.parameters()`` (the same objects).
    broadcast_buffers : bool
        Copy rank 0's buffers to every rank before each training forward (torch's default; it keeps
        BatchNorm's running statistics identical on every rank, so any rank's checkpoint is the run's).

    Examples
    --------
    >>> model = DistributedDataParallel(MLP([64, 32, 10]))       # under mpirun -n 2
    >>> loss = F.cross_entropy(model(x), y); loss.backward()      # .grad: the mean over both ranks
    >>> with model.no_sync():                                     # accumulate locally, sync later
    ...     F.cross_entropy(model(x1), y1).backward()
    """

    def __init__(self, module: Module, broadcast_buffers: bool = True) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel wraps a Module, got {type(module).__name__}")
        comm.init()
        self.module = module
        self.broadcast_buffers = bool(broadcast_buffers)
        self.require_backward_grad_sync = True
        self._unsynced = False
        self.allreduce_calls, self.allreduce_seconds = 0, 0.0  # what the benchmarks read
        self._synced_params: list[Any] = []
        self.sync_state()

    def sync_state(self) -> None:
        """Broadcast every parameter and buffer from rank 0 (done at construction and after loading)."""
        if comm.world_size() == 1:
            return
        tensors = [p for p in self.module.parameters()] + [b for b in self.module.buffers() if b is not None]
        self._broadcast(tensors)

    @staticmethod
    def _broadcast(tensors: list[Tensor]) -> None:
        by_dtype: dict[np.dtype, list[Tensor]] = {}
        for t in tensors:
            by_dtype.setdefault(t.data.dtype, []).append(t)
        for dtype, group in by_dtype.items():  # one Bcast per dtype (float weights, int64 counters)
            flat = _flat([t.data for t in group], dtype)
            comm.broadcast(flat, src=0)
            for t, value in zip(group, _unflat(flat, [t.data for t in group])):
                t.data[...] = value

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Backward passes inside keep their gradients local (accumulated in ``.grad``); the first
        backward after it averages everything accumulated, so k small steps equal one large batch."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        if comm.world_size() == 1 or not self.training or not is_grad_enabled():
            return self.module(*args, **kwargs)
        if self.broadcast_buffers:
            buffers = [b for b in self.module.buffers() if b is not None]
            if buffers:
                self._broadcast(buffers)
        owners = [(m, name, p) for m in self.module.modules() for name, p in m._parameters.items()
                  if p is not None and p.requires_grad]
        unique: dict[int, Any] = {}
        for _, _, p in owners:
            unique.setdefault(id(p), p)
        params = list(unique.values())
        if not params:
            return self.module(*args, **kwargs)
        self._synced_params = params
        routed = _AverageGradients.apply(*params, ddp=self)
        routed = routed if isinstance(routed, tuple) else (routed,)
        by_id = {id(p): r for p, r in zip(params, routed)}
        try:
            for m, name, p in owners:  # the layers read the routed tensors during this forward
                object.__setattr__(m, name, by_id[id(p)])
            return self.module(*args, **kwargs)
        finally:
            for m, name, p in owners:
                object.__setattr__(m, name, p)

    def state_dict(self, *args: Any, **kwargs: Any) -> Any:
        """The wrapped module's state dict (its own keys, without torch's ``module.`` prefix); the same
        arguments as :meth:`Module.state_dict`."""
        return self.module.state_dict(*args, **kwargs)

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True) -> Any:
        return self.module.load_state_dict(state_dict, strict)

    def extra_repr(self) -> str:
        return f"world_size={comm.world_size()}, broadcast_buffers={self.broadcast_buffers}"
