"""A tuning worker: runs trials of one study until its invocation has its share of finished trials.

``neurona tune --workers K`` starts K of these as processes (``python -m neurona.tune.worker``), each with
its part of the BLAS threads; with one worker the same loop runs in the ``neurona tune`` process itself.

How the workers of one invocation end with exactly ``--trials N`` finished trials between them, even when
one is killed: a trial is tagged with the invocation's id as it starts, under a file lock that the workers
of one machine share, and a worker starts a trial only while fewer than N tagged trials are finished or
running. A killed worker's trial stops sending heartbeats; the others fail it as stale (Optuna's
``fail_stale_trials``), which queues its parameters again as a waiting trial, and run it.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from neurona.tune.config import TuneConfig, load_tune_config

INVOCATION = "invocation"
MAX_RETRY_SLACK = 3  # failed trials allowed beyond the target before a worker gives up


def make_sampler(tc: TuneConfig, seed: int) -> Any:
    import optuna

    from neurona.tune.space import grid_space

    s = tc.tune.sampler
    if s == "tpe":
        startup = max(3, min(10, tc.tune.trials // 3))
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup)
    if s == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if s == "grid":
        return optuna.samplers.GridSampler(grid_space(tc.search), seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        if s == "cmaes":
            return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
        return optuna.samplers.QMCSampler(seed=seed, scramble=True, warn_independent_sampling=False)


def make_pruner(tc: TuneConfig) -> Any:
    import optuna

    options = dict(tc.tune.pruner_options)
    epochs = tc.run.training.epochs if not tc.tune.cv else tc.tune.cv
    if tc.tune.pruner == "median":
        options.setdefault("n_startup_trials", 3)
        options.setdefault("n_warmup_steps", min(3, max(epochs // 5, 0)))
        return optuna.pruners.MedianPruner(**options)
    if tc.tune.pruner == "hyperband":
        options.setdefault("min_resource", 1)
        options.setdefault("max_resource", epochs)
        return optuna.pruners.HyperbandPruner(**options)
    if tc.tune.pruner == "successive_halving":
        return optuna.pruners.SuccessiveHalvingPruner(**options)
    return optuna.pruners.NopPruner()


class _ClaimLock:
    """An exclusive lock file shared by the workers of one machine (released by the objective once its
    trial carries the invocation tag, or at the latest when the trial ends)."""

    def __init__(self, path: Path) -> None:
        self.path, self.fd = path, None

    def acquire(self) -> None:
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def release(self, *_: Any) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def _counts(study: Any, invocation: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for t in study.get_trials(deepcopy=False):
        if t.user_attrs.get(INVOCATION) == invocation:
            counts[t.state.name] = counts.get(t.state.name, 0) + 1
    return counts


def run_worker(tc: TuneConfig, study_dir: Path, storage_url: str, study_name: str, invocation: str, target: int,
               seed: int, timeout: float | None = None, heartbeat_s: int | None = None, grace_s: int | None = None,
               on_trial: Callable[[Any, Any], None] | None = None) -> None:
    """Run trials until the invocation has ``target`` finished (complete or pruned) trials, or time is up."""
    import optuna

    from neurona.tune.objective import run_trial
    from neurona.tune.storage import GRACE_S, HEARTBEAT_S, make_storage

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = make_storage(storage_url, heartbeat_s or HEARTBEAT_S, grace_s or GRACE_S)
    sampler = make_sampler(tc, seed)
    study = optuna.load_study(study_name=study_name, storage=storage, sampler=sampler, pruner=make_pruner(tc))
    lock = _ClaimLock(Path(study_dir) / ".claim.lock")
    deadline = None if timeout is None else time.time() + timeout

    def claimed(trial: Any) -> None:
        trial.set_user_attr(INVOCATION, invocation)
        trial.set_user_attr("worker_pid", os.getpid())
        try:
            from threadpoolctl import threadpool_info

            trial.set_user_attr("blas_threads", max((p["num_threads"] for p in threadpool_info()
                                                      if p.get("user_api") == "blas"), default=0))
        except ImportError:  # scikit-learn brings threadpoolctl; without it the number is simply not recorded
            pass
        lock.release()

    def objective(trial: Any) -> float:
        return run_trial(trial, tc, study_dir, claimed)

    own_failures = []  # trials this process ran that failed, tagged or not (one that fails before its claim
    # callback carries no invocation tag, so the study's counts alone would never stop the loop)

    def count_failure(_: Any, frozen: Any) -> None:
        if frozen.state == optuna.trial.TrialState.FAIL:
            own_failures.append(frozen.number)

    callbacks = [count_failure, *([on_trial] if on_trial is not None else [])]
    while deadline is None or time.time() < deadline:
        if isinstance(sampler, optuna.samplers.GridSampler) and sampler.is_exhausted(study):
            break
        lock.acquire()
        try:
            counts = _counts(study, invocation)
            taken = counts.get("COMPLETE", 0) + counts.get("PRUNED", 0) + counts.get("RUNNING", 0)
            failures = max(counts.get("FAIL", 0), len(own_failures))
            if failures > target + 2 * MAX_RETRY_SLACK:
                raise RuntimeError(f"{failures} trials of this run failed; see status.json in the trial "
                                   f"folders under {study_dir}")
            if taken < target:
                study.optimize(objective, n_trials=1, catch=(Exception,), callbacks=callbacks)
                continue
        finally:
            lock.release()
        if not counts.get("RUNNING"):
            break
        # another worker's trial is still running: wait, and take it over if its worker dies
        time.sleep(min(1.0, (heartbeat_s or HEARTBEAT_S) / 2))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            optuna.storages.fail_stale_trials(study)



def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A neurona tune worker (started by `neurona tune --workers K`).")
    parser.add_argument("config")
    parser.add_argument("--study-dir", required=True)
    parser.add_argument("--storage", required=True)
    parser.add_argument("--study", required=True)
    parser.add_argument("--invocation", required=True)
    parser.add_argument("--target", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--timeout", type=float, default=None)
    parser.add_argument("--heartbeat", type=int, default=None)
    parser.add_argument("--grace", type=int, default=None)
    args = parser.parse_args(argv)
    tc = load_tune_config(args.config)
    run_worker(tc, Path(args.study_dir), args.storage, args.study, args.invocation, args.target, args.seed,
               args.timeout, args.heartbeat, args.grace)


if __name__ == "__main__":
    main()
