"""Run folders: ``runs/<name>-<YYYYmmdd-HHMMSS>/`` with a ``status.json`` that always tells the truth.

A run starts as ``running`` with its pid, host and start time, and refreshes a heartbeat every epoch; it
ends ``completed`` (and only then has a ``report.html``), ``failed`` (with the error), ``interrupted``
(Ctrl-C) or ``diverged`` (a NaN/inf loss). A run killed outright keeps saying ``running``, so
:func:`read_status` checks the pid and the heartbeat and reports it as ``died``. Every file is written
atomically; the folder itself is created with one ``mkdir`` (a name taken by a concurrent creator, in a
thread or another process, gets the next suffix).
"""

from __future__ import annotations

import errno
import json
import os
import socket
import sys
import time
import traceback
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from neurona.errors import ConfigError
from neurona.io.atomic import atomic_write_bytes

STALE_AFTER_S = 3600.0  # a heartbeat this old (or 5 epochs' time, if longer) means the run died


class StatusWriteError(OSError):
    """status.json could not be written (a full disk, a read-only folder): the run's state is unknown."""


def make_run_dir(root: str | Path, name: str, stamp: str | None = None) -> Path:
    """Create and return a new, empty ``root/name-stamp[-k]`` folder; safe with concurrent creators."""
    if not name or set(name) <= {"."} or "/" in name or "\\" in name or name.startswith("."):
        raise ConfigError(f"name: {name!r} cannot name a run folder; use letters, digits, '-', '_' and '.', "
                          "not starting with '.'")
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise ConfigError(f"--out: {root} exists and is not a folder")
    stamp = stamp or datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        root.mkdir(parents=True, exist_ok=True)
        for suffix in range(1, 10_000):
            path = root / (f"{name}-{stamp}" if suffix == 1 else f"{name}-{stamp}-{suffix}")
            try:
                path.mkdir()  # atomic: exactly one creator gets each name
            except FileExistsError:
                continue
            return path
    except OSError as e:
        if e.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise
        raise ConfigError(f"--out: cannot create a run folder in {root}: {e.strerror.lower()} (a read-only "
                          "folder?); choose another --out") from None
    raise FileExistsError(f"{root}: 10000 run folders named {name}-{stamp}-*; choose another name")


def _process_start(pid: int) -> int | None:
    """The kernel's start time of ``pid`` (Linux clock ticks since boot), to tell a reused pid apart."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def _alive(pid: int, start: int | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return start is None or _process_start(pid) in (None, start)


class RunFolder:
    """A folder for one run, with atomic writers, a recorded console and a status file.

    Use as a context manager: an exception marks the run failed (``diverged`` for a NaN/inf loss),
    Ctrl-C marks it interrupted, and the console transcript is saved to ``log.txt`` either way.
    ``RunFolder.reopen(path)`` continues a run in its own folder (``neurona train --resume``).
    """

    def __init__(self, root: str | Path, name: str, console: Console | None = None, *,
                 path: Path | None = None, info: dict | None = None, files: dict[str, str] | None = None) -> None:
        self.path = path if path is not None else make_run_dir(root, name)
        (self.path / "figures").mkdir(exist_ok=True)
        for file_name, text in (files or {}).items():  # before the status: a run that says it exists is whole
            self.write_text(file_name, text)
        self.console = console or Console(record=True)
        self.started = time.time()
        self.info: dict[str, Any] = {
            "pid": os.getpid(), "pid_start": _process_start(os.getpid()), "host": socket.gethostname(),
            "started": datetime.now().isoformat(timespec="seconds"),
            "resume_command": f"neurona train --resume {self.path}", "elapsed_before_s": 0.0, **(info or {})}
        self.status("running")

    @classmethod
    def reopen(cls, path: str | Path, console: Console | None = None, info: dict | None = None) -> RunFolder:
        previous = read_status(path)
        return cls(Path(path).parent, Path(path).name, console, path=Path(path),
                   info={**{k: v for k, v in previous.items() if k in ("epochs_done", "epochs_total", "best", "quick")},
                         "resumes": previous.get("resumes", 0) + 1,
                         "first_started": previous.get("first_started", previous.get("started")),
                         "elapsed_before_s": float(previous.get("elapsed_s") or 0.0), **(info or {})})

    def file(self, name: str) -> Path:
        return self.path / name

    def write_text(self, name: str, text: str) -> Path:
        atomic_write_bytes(self.path / name, text.encode("utf-8"))
        return self.path / name

    def write_json(self, name: str, data: Any) -> Path:
        return self.write_text(name, json.dumps(data, indent=2, default=_jsonable) + "\n")

    def status(self, state: str, **info: Any) -> None:
        """Rewrite status.json; :class:`StatusWriteError` when it cannot be written."""
        self.info.update(info)
        now = time.time()
        try:
            self.write_json("status.json", {"status": state, **self.info,
                                            "elapsed_s": round(self.info["elapsed_before_s"] + now - self.started, 2),
                                            "heartbeat_unix": now,
                                            "heartbeat": datetime.now().isoformat(timespec="seconds")})
        except OSError as e:
            raise StatusWriteError(e.errno, f"cannot write {self.path / 'status.json'}: {e.strerror or e}; the "
                                   "run's state on disk is out of date") from e

    def save_log(self) -> None:
        if self.console.record:
            self.write_text("log.txt", self.console.export_text(clear=False))

    def __enter__(self) -> RunFolder:
        return self

    def __exit__(self, kind: type | None, error: BaseException | None, tb: Any) -> None:
        from neurona.errors import DivergenceError

        try:
            if kind is KeyboardInterrupt:
                self.status("interrupted", reason="stopped by the user (SIGINT / Ctrl-C) before the run finished")
            elif isinstance(error, DivergenceError):
                self.status("diverged", error=str(error))
            elif error is not None and not isinstance(error, StatusWriteError):
                self.status("failed", error=f"{type(error).__name__}: {error}",
                            traceback="".join(traceback.format_exception(kind, error, tb))[-4000:])
        except StatusWriteError as e:
            print(f"error: {e}", file=sys.stderr)
        try:
            self.save_log()
        except OSError as e:
            print(f"error: cannot write {self.path / 'log.txt'}: {e}", file=sys.stderr)


def read_status(run_dir: str | Path) -> dict[str, Any]:
    """status.json of a run folder, with ``running`` turned into ``died`` when the process is gone or its
    heartbeat is stale. Raises ConfigError naming the file when it is missing or unreadable."""
    path = Path(run_dir) / "status.json"
    if not path.is_file():
        raise ConfigError(f"{run_dir} is not a run folder (no status.json)")
    try:
        status = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ConfigError(f"{path} is not a readable status file ({type(e).__name__}: {e}); "
                          "it was not written by neurona or was damaged") from None
    if not isinstance(status, dict) or not isinstance(status.get("status"), str):
        raise ConfigError(f"{path} is not a status file: expected a JSON object with a 'status' string")
    if status["status"] == "running":
        status["died_because"] = _why_dead(status)
        if status["died_because"]:
            status["status"] = "died"
    return status


def _why_dead(status: dict) -> str | None:
    pid, host = status.get("pid"), status.get("host")
    if isinstance(pid, int) and host == socket.gethostname() and not _alive(pid, status.get("pid_start")):
        return f"process {pid} is gone"
    beat = status.get("heartbeat_unix")
    if isinstance(beat, int | float):
        epoch_s = status.get("epoch_s") if isinstance(status.get("epoch_s"), int | float) else 0.0
        age = time.time() - beat
        if age > max(STALE_AFTER_S, 5 * epoch_s):
            return f"no heartbeat for {age:.0f} s"
    elif pid is None:
        return "no pid or heartbeat recorded"
    return None


def list_runs(root: str | Path) -> list[dict[str, Any]]:
    """One row per run folder under ``root`` (name, status, epochs, best metric, duration, problem)."""
    root = Path(root)
    if not root.is_dir():
        raise ConfigError(f"runs: {root} is not a folder of runs")
    rows = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and (p / "status.json").exists()):
        row: dict[str, Any] = {"name": folder.name, "path": str(folder)}
        try:
            status = read_status(folder)
        except ConfigError as e:
            rows.append({**row, "status": "unreadable", "problem": str(e)})
            continue
        row.update(status=status["status"], epochs=status.get("epochs_done"), total=status.get("epochs_total"),
                   best=status.get("best"), duration_s=status.get("elapsed_s"))
        if status["status"] in ("died", "interrupted", "failed"):
            row["resume"] = f"neurona train --resume {folder}"
        if status.get("died_because"):
            row["problem"] = status["died_because"]
        elif status.get("error"):
            row["problem"] = str(status["error"]).splitlines()[0][:200]
        rows.append(row)
    return rows


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
