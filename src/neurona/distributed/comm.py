"""The process group: which rank this process is, how many there are, and the collectives between them.

The transport is MPI (OpenMPI through mpi4py): NumPy arrays go to ``Allreduce`` and ``Bcast`` as
buffers, without copies and without pickling. Launched as a plain ``python``/``neurona`` process, the
group is a world of one and every collective returns its input, so the same code runs unchanged on a
laptop and under ``mpirun -n 8``.

A collective waits for every rank. If one rank dies, ``mpirun`` notices, prints which rank it was and
stops the others. Where it cannot notice (a rank that hangs, a host that drops off the network), a
watchdog thread bounds the wait: a collective that has not finished after ``NEURONA_DIST_TIMEOUT``
seconds (default 300) prints which rank gave up in which collective and ends the process with exit
code 70, which makes ``mpirun`` stop the job.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from neurona.errors import ConfigError
from neurona.tensor import Tensor

_ENV_SIZE = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS")
_state: dict[str, Any] = {"comm": None, "initialized": False, "blas": None}
_OPS = ("sum", "mean", "max", "min")


def launched_under_mpi() -> bool:
    """True when this process was started by ``mpirun``/``mpiexec`` with more than one rank."""
    for name in _ENV_SIZE[:3]:
        value = os.environ.get(name)
        if value is not None and value.isdigit() and int(value) > 1:
            return True
    return False


def init(timeout_s: float | None = None, blas_threads: int | None = None) -> None:
    """Join the process group (idempotent).

    Under ``mpirun`` this imports mpi4py (``pip install neurona[mpi]``), starts the collective
    watchdog and limits BLAS threads per process (see :func:`set_blas_threads`). Without ``mpirun``
    it makes a world of one and needs no MPI at all.

    Parameters
    ----------
    timeout_s : float, optional
        How long a collective may wait for the other ranks before this process gives up; default
        ``NEURONA_DIST_TIMEOUT`` or 300 seconds.
    blas_threads : int, optional
        BLAS threads for this process; default cores divided by the ranks on this host.
    """
    if _state["initialized"]:
        return
    if launched_under_mpi():
        try:
            from mpi4py import MPI
        except ImportError:
            raise ConfigError("this process was started by mpirun but mpi4py is not installed; install it with "
                              "pip install 'neurona[mpi]' (it needs an MPI library such as Debian's "
                              "openmpi-bin and libopenmpi-dev)") from None
        _state["comm"] = MPI.COMM_WORLD
        if timeout_s is None:
            timeout_s = _timeout_from_env()
        _Watchdog.start(timeout_s)
        set_blas_threads(blas_threads)
    _state["initialized"] = True


def _timeout_from_env() -> float:
    raw = os.environ.get("NEURONA_DIST_TIMEOUT", "300")
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"NEURONA_DIST_TIMEOUT must be a number of seconds > 0, got {raw!r}") from None
    if not value > 0:
        raise ConfigError(f"NEURONA_DIST_TIMEOUT must be a number of seconds > 0, got {raw!r}")
    return value


def is_initialized() -> bool:
    return bool(_state["initialized"])


def _comm() -> Any:
    if not _state["initialized"]:
        init()
    return _state["comm"]


def rank() -> int:
    """This process's rank, 0 .. world_size() - 1 (0 without mpirun)."""
    comm = _comm()
    return 0 if comm is None else comm.Get_rank()


def world_size() -> int:
    """How many processes train together (1 without mpirun)."""
    comm = _comm()
    return 1 if comm is None else comm.Get_size()


def local_size() -> int:
    """How many ranks run on this host (OpenMPI's ``OMPI_COMM_WORLD_LOCAL_SIZE``; 1 without mpirun)."""
    value = os.environ.get("OMPI_COMM_WORLD_LOCAL_SIZE") or os.environ.get("MPI_LOCALNRANKS")
    return int(value) if value and value.isdigit() and int(value) > 0 else 1


def is_main_process() -> bool:
    """True on rank 0, the one rank that writes files and prints."""
    return rank() == 0


def set_blas_threads(threads: int | None = None) -> int:
    """Limit this process's BLAS threads (threadpoolctl), so that ranks on one host do not fight over cores.

    The default is the cores this process may run on divided by the ranks on this host, at least 1;
    ``NEURONA_BLAS_THREADS`` overrides it. Returns the number set.
    """
    from threadpoolctl import threadpool_limits

    if threads is None:
        raw = os.environ.get("NEURONA_BLAS_THREADS")
        if raw is not None:
            if not raw.isdigit() or int(raw) < 1:
                raise ConfigError(f"NEURONA_BLAS_THREADS must be an integer >= 1, got {raw!r}")
            threads = int(raw)
        else:
            cores = os.cpu_count() or 1
            allowed = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
            threads = max(1, min(allowed, cores // local_size()))
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ConfigError(f"blas_threads must be an integer >= 1, got {threads!r}")
    _state["blas"] = threadpool_limits(limits=threads, user_api="blas")  # kept: the limit lasts while it lives
    return threads


class _Watchdog:
    """One daemon thread per process that ends it when a collective waits longer than the timeout."""

    timeout_s = 300.0
    current: tuple[str, float] | None = None
    _thread: threading.Thread | None = None

    @classmethod
    def start(cls, timeout_s: float) -> None:
        cls.timeout_s = float(timeout_s)
        if cls._thread is None:
            cls._thread = threading.Thread(target=cls._watch, name="neurona-collective-watchdog", daemon=True)
            cls._thread.start()

    @classmethod
    def _watch(cls) -> None:
        while True:
            time.sleep(min(1.0, cls.timeout_s / 4))
            current = cls.current
            if current is not None and time.monotonic() - current[1] > cls.timeout_s:
                what = current[0]
                sys.stderr.write(
                    f"neurona.distributed: rank {rank()} waited {cls.timeout_s:g} s in {what} for the other "
                    f"ranks; one of them died or hangs (mpirun names the rank that died). Stopping this rank; "
                    "the last checkpoint on disk is intact, continue with neurona train --resume RUN_DIR.\n")
                sys.stderr.flush()
                os._exit(70)

    @classmethod
    @contextlib.contextmanager
    def guard(cls, what: str) -> Iterator[None]:
        cls.current = (what, time.monotonic())
        try:
            yield
        finally:
            cls.current = None


def _array(value: Any, what: str) -> np.ndarray:
    array = value.data if isinstance(value, Tensor) else value
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{what} expects a Tensor or a NumPy array (changed in place), got {type(value).__name__}")
    if not array.flags.c_contiguous or not array.flags.writeable:
        raise ValueError(f"{what} needs a writeable, C-contiguous array (it works in place); use np.ascontiguousarray")
    return array


def all_reduce(tensor: Any, op: str = "sum") -> Any:
    """Combine ``tensor`` over every rank, in place (``torch.distributed.all_reduce``); returns it.

    ``op`` is ``'sum'``, ``'mean'`` (sum divided by the world size), ``'max'`` or ``'min'``.
    """
    if op not in _OPS:
        raise ValueError(f"all_reduce: op must be one of {', '.join(_OPS)}, got {op!r}")
    array = _array(tensor, "all_reduce")
    comm = _comm()
    if comm is None or comm.Get_size() == 1:
        return tensor
    from mpi4py import MPI

    mpi_op = {"sum": MPI.SUM, "mean": MPI.SUM, "max": MPI.MAX, "min": MPI.MIN}[op]
    with _Watchdog.guard("all_reduce"):
        comm.Allreduce(MPI.IN_PLACE, array, op=mpi_op)
    if op == "mean":
        array /= comm.Get_size()
    return tensor


def broadcast(tensor: Any, src: int = 0) -> Any:
    """Copy ``tensor`` from rank ``src`` to every rank, in place (``torch.distributed.broadcast``); returns it."""
    array = _array(tensor, "broadcast")
    comm = _comm()
    if comm is None or comm.Get_size() == 1:
        return tensor
    _check_src(src, comm.Get_size())
    with _Watchdog.guard("broadcast"):
        comm.Bcast(array, root=src)
    return tensor


def _check_src(src: int, size: int) -> None:
    if isinstance(src, bool) or not isinstance(src, int) or not 0 <= src < size:
        raise ValueError(f"src must be a rank in [0, {size - 1}], got {src!r}")


def broadcast_bytes(data: bytes | None, src: int = 0) -> bytes:
    """``data`` from rank ``src`` on every rank (others pass None): its length first, then the bytes."""
    comm = _comm()
    if comm is None or comm.Get_size() == 1:
        return b"" if data is None else data
    _check_src(src, comm.Get_size())
    length = np.array([len(data) if comm.Get_rank() == src and data is not None else 0], dtype=np.int64)
    with _Watchdog.guard("broadcast"):
        comm.Bcast(length, root=src)
        buffer = (np.frombuffer(data, dtype=np.uint8).copy() if comm.Get_rank() == src and data is not None
                  else np.empty(int(length[0]), dtype=np.uint8))
        comm.Bcast(buffer, root=src)
    return buffer.tobytes()


def broadcast_json(value: Any, src: int = 0) -> Any:
    """A JSON-able value from rank ``src`` on every rank (as text: nothing is unpickled)."""
    text = json.dumps(value).encode("utf-8") if rank() == src else None
    return json.loads(broadcast_bytes(text, src).decode("utf-8"))


def all_gather_array(array: np.ndarray) -> np.ndarray:
    """The arrays of every rank, concatenated along the first axis in rank order (rows may differ per rank)."""
    array = np.ascontiguousarray(array)
    comm = _comm()
    if comm is None or comm.Get_size() == 1:
        return array
    from mpi4py.util.dtlib import from_numpy_dtype

    counts = np.zeros(comm.Get_size(), dtype=np.int64)
    with _Watchdog.guard("all_gather"):
        comm.Allgather(np.array([array.shape[0]], dtype=np.int64), counts)
        row = int(np.prod(array.shape[1:], dtype=np.int64))
        out = np.empty((int(counts.sum()), *array.shape[1:]), dtype=array.dtype)
        sizes = (counts * row).tolist()
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64).tolist()
        mpi_type = from_numpy_dtype(array.dtype)
        comm.Allgatherv(array, [out, sizes, offsets, mpi_type])
    return out


def barrier() -> None:
    """Wait until every rank gets here."""
    comm = _comm()
    if comm is not None and comm.Get_size() > 1:
        with _Watchdog.guard("barrier"):
            comm.Barrier()
