"""Loading batches in worker processes: ``DataLoader(num_workers=N)``, as ``torch.utils.data`` does it.

The main process keeps the sampler, so the order of the batches is the order without workers. It sends
each batch's indices to the workers in turn, at most ``prefetch_factor`` batches per worker ahead, and
hands the batches out in sampler order however they arrive. A worker is a child process started with
``fork`` where the platform has it: it inherits the dataset, so nothing the user loaded is pickled or
read again; only the finished batches (arrays) travel back, through a ``multiprocessing`` queue.

Each worker seeds its random generators (neurona's, NumPy's global one and Python's ``random``) with
``base_seed + worker_id``, where ``base_seed`` is drawn per epoch from the loader's own generator, so
random augmentation differs between workers and a seeded run repeats exactly.
:func:`get_worker_info` tells code inside a worker which one it is.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import random
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from neurona.random import manual_seed

_POLL_SECONDS = 1.0  # how often a waiting main process checks that its workers are alive


@dataclass(frozen=True)
class WorkerInfo:
    """What :func:`get_worker_info` returns inside a worker: ``id``, ``num_workers``, ``seed``, ``dataset``."""

    id: int
    num_workers: int
    seed: int
    dataset: Any


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """Inside a DataLoader worker, its :class:`WorkerInfo` (e.g. to shard an iterable dataset by
    ``id``); in the main process, None."""
    return _worker_info


class _WorkerError:
    """An exception raised in a worker, carried back as text (its type name, message and traceback)."""

    def __init__(self, worker_id: int, error: BaseException) -> None:
        self.worker_id = worker_id
        self.type_name = type(error).__name__
        self.message = str(error)
        self.trace = "".join(traceback.format_exception(error))

    def reraise(self) -> None:
        builtin = {"ValueError": ValueError, "TypeError": TypeError, "IndexError": IndexError,
                   "KeyError": KeyError, "FileNotFoundError": FileNotFoundError}.get(self.type_name, RuntimeError)
        raise builtin(
            f"DataLoader worker {self.worker_id} raised {self.type_name}: {self.message}\n"
            f"Traceback in the worker:\n{self.trace}"
        )


def _seed_worker(worker_id: int, num_workers: int, seed: int, dataset: Any) -> None:
    global _worker_info
    _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)
    manual_seed(seed % 2**63)
    # augmentation code often draws from NumPy's legacy global generator: forked workers would share its state
    np.random.seed(seed % 2**32)  # noqa: NPY002
    random.seed(seed)


def _worker_loop(
    worker_id: int, num_workers: int, dataset: Any, fetch: Callable[[list[int]], Any], tasks: Any,
    results: Any, seed: int, worker_init_fn: Callable[[int], None] | None,
) -> None:
    _seed_worker(worker_id, num_workers, seed, dataset)
    try:
        if worker_init_fn is not None:
            worker_init_fn(worker_id)
    except Exception as e:
        results.put((None, _WorkerError(worker_id, e)))
        return
    while True:
        try:
            task = tasks.get()
        except (KeyboardInterrupt, EOFError, OSError):
            return
        if task is None:
            return
        if task[0] == "seed":  # a new epoch of a persistent worker: reseed as a fresh worker would be
            _seed_worker(worker_id, num_workers, task[1] + worker_id, dataset)
            continue
        number, indices = task
        try:
            batch = fetch(indices)
        except Exception as e:
            batch = _WorkerError(worker_id, e)
        results.put((number, batch))


class WorkerPool:
    """``num_workers`` processes that fetch batches for a DataLoader; reused across epochs when
    ``persistent_workers`` (else one pool per epoch)."""

    def __init__(
        self, num_workers: int, dataset: Any, fetch: Callable[[list[int]], Any], base_seed: int,
        worker_init_fn: Callable[[int], None] | None, context: Any, timeout: float,
    ) -> None:
        if context is None:
            context = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        ctx = mp.get_context(context) if isinstance(context, str) else context
        self.timeout = timeout
        self.results = ctx.Queue()
        self.tasks = [ctx.Queue() for _ in range(num_workers)]
        self.processes = []
        for i in range(num_workers):
            p = ctx.Process(
                target=_worker_loop,
                args=(i, num_workers, dataset, fetch, self.tasks[i], self.results, base_seed + i, worker_init_fn),
                daemon=True,
            )
            p.start()
            self.processes.append(p)

    def reseed(self, base_seed: int) -> None:
        for q in self.tasks:
            q.put(("seed", base_seed))

    def run(self, batches: Iterator[list[int]], prefetch: int) -> Iterator[Any]:
        """The batches for ``batches`` (lists of indices), in that order."""
        n_workers = len(self.processes)
        sent = received = 0
        waiting: dict[int, Any] = {}
        exhausted = False

        def send() -> None:
            nonlocal sent, exhausted
            while not exhausted and sent - received < prefetch * n_workers:
                indices = next(batches, None)
                if indices is None:
                    exhausted = True
                    return
                self.tasks[sent % n_workers].put((sent, indices))
                sent += 1

        send()
        while received < sent:
            while received not in waiting:
                number, batch = self._get()
                if number is None:  # worker_init_fn failed
                    batch.reraise()
                waiting[number] = batch
            batch = waiting.pop(received)
            received += 1
            if isinstance(batch, _WorkerError):
                batch.reraise()
            send()
            yield batch

    def _get(self) -> tuple[int | None, Any]:
        waited = 0.0
        while True:
            try:
                return self.results.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                waited += _POLL_SECONDS
            dead = [p for p in self.processes if not p.is_alive()]
            if dead:
                p = dead[0]
                raise RuntimeError(
                    f"DataLoader worker (pid {p.pid}) exited unexpectedly with exit code {p.exitcode}; a "
                    "worker killed by the system often ran out of memory (try fewer workers or a smaller "
                    "batch_size)"
                )
            if self.timeout and waited >= self.timeout:
                raise RuntimeError(f"DataLoader timed out after {self.timeout} s waiting for a batch from its workers")

    def shutdown(self) -> None:
        """Stop the workers (a clean exit, then terminate what is still running)."""
        for q in self.tasks:
            try:
                q.put(None)
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + 5.0
        while any(p.is_alive() for p in self.processes) and time.monotonic() < deadline:
            try:  # read what is still in flight, so no worker blocks on a full pipe at exit
                self.results.get(timeout=0.05)
            except (queue.Empty, OSError, ValueError, EOFError):
                pass
        for p in self.processes:
            if p.is_alive():
                p.terminate()
            p.join(timeout=5)
        for q in (*self.tasks, self.results):
            q.cancel_join_thread()
            q.close()
        self.processes = []

    def __del__(self) -> None:
        if getattr(self, "processes", None):
            self.shutdown()
