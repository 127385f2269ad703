"""Where a study lives: SQLite in the study folder by default, or any database URL (PostgreSQL for many machines).

Why SQLite and not Optuna's journal file for the embedded default: both took several local workers
without an error in our measurement (benchmarks/README.md: 0 failures with 4 workers; ~27-31 ms of
storage time per trial for SQLite against ~3-6 ms for the journal file, under 2 % of a 2 s trial), but only
the RDB storage records Optuna's heartbeats. With heartbeats, a worker that is killed mid-trial leaves a
trial that the next worker fails as stale and queues again (``RetryHeartbeatStaleTrialCallback``); with the
journal file the trial would stay RUNNING for ever and the study would be a trial short.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HEARTBEAT_S = 10  # a running trial writes a heartbeat this often
GRACE_S = 30  # ... and is failed as stale after this long without one
MAX_RETRY = 3


def default_url(study_dir: str | Path) -> str:
    return f"sqlite:///{Path(study_dir).resolve() / 'study.db'}"


class RetryStale:
    """Called by Optuna for each trial failed by the heartbeat: the trial's run folder says why, and the same
    parameters are queued again (up to ``MAX_RETRY`` times) for the next free worker."""

    def __init__(self, max_retry: int = MAX_RETRY) -> None:
        import optuna

        self._retry = optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=max_retry)

    def __call__(self, study: Any, trial: Any) -> None:
        run_dir = trial.user_attrs.get("run_dir")
        status = Path(run_dir) / "status.json" if run_dir else None
        if status is not None and status.is_file():
            from neurona.io.atomic import atomic_write_bytes

            data = json.loads(status.read_text())
            data.update(status="failed", error="the worker running this trial stopped sending heartbeats "
                                               "(killed or lost); the trial was queued again")
            atomic_write_bytes(status, (json.dumps(data, indent=2) + "\n").encode())
        self._retry(study, trial)


def database_url(url: str) -> str:
    """The URL SQLAlchemy gets: a plain ``postgresql://`` (or ``postgres://``) uses the psycopg 3 driver that
    the ``tune`` extra installs, whichever default the installed SQLAlchemy has."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_storage(url: str, heartbeat_s: int = HEARTBEAT_S, grace_s: int = GRACE_S) -> Any:
    """An Optuna RDBStorage with heartbeats and retry of stale trials.

    ``sqlite:///path/study.db`` waits up to 60 s for the file lock instead of failing when several local
    workers write at once; ``postgresql://user@host:port/db`` (or ``?host=/socket/dir``) serves workers on many
    machines.
    """
    import warnings

    import optuna

    engine: dict[str, Any] = {}
    url = database_url(url)
    if url.startswith("sqlite"):
        engine["connect_args"] = {"timeout": 60}
    else:
        engine["pool_pre_ping"] = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.storages.RDBStorage(url, engine_kwargs=engine, heartbeat_interval=heartbeat_s,
                                          grace_period=grace_s, heartbeat_stale_trial_callback=RetryStale())
