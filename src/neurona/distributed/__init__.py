"""Data-parallel training over MPI (mpi4py + OpenMPI): the same model on every rank, each rank its own share
of the data, gradients averaged with one Allreduce per step; rank 0 writes the run.

``mpirun -n 4 neurona train CONFIG.yaml`` uses all of it with no change to the config; the pieces, with
PyTorch's names, are here for scripts of one's own. See docs/distributed.md.
"""

from neurona.distributed.comm import (
    all_gather_array,
    all_reduce,
    barrier,
    broadcast,
    broadcast_bytes,
    broadcast_json,
    init,
    is_initialized,
    is_main_process,
    launched_under_mpi,
    local_size,
    rank,
    set_blas_threads,
    world_size,
)
from neurona.distributed.ddp import DistributedDataParallel
from neurona.distributed.sampler import DistributedSampler
from neurona.distributed.sync_batchnorm import AllReduceSum, SyncBatchNorm

__all__ = [
    "AllReduceSum", "DistributedDataParallel", "DistributedSampler", "SyncBatchNorm", "all_gather_array", "all_reduce",
    "barrier", "broadcast", "broadcast_bytes", "broadcast_json", "init", "is_initialized", "is_main_process",
    "launched_under_mpi", "local_size", "rank", "set_blas_threads", "world_size",
]
