"""Run folders: ``runs/<name>-<YYYYmmdd-HHMMSS>/`` with a ``status.json`` that always tells the truth.

A run starts as ``running``; it ends ``completed`` (and only then has a ``report.html``), ``failed``
(with the error) or ``interrupted`` (Ctrl-C). Every file is written atomically.
"""

from __future__ import annotations

import json
import time
import traceback
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from neurona.io.atomic import atomic_write_bytes


class RunFolder:
    """A fresh folder for one run, with atomic writers, a recorded console and a status file.

    Use as a context manager: an exception marks the run failed, Ctrl-C marks it interrupted, and the
    console transcript is saved to ``log.txt`` either way.
    """

    def __init__(self, root: str | Path, name: str, console: Console | None = None) -> None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        root = Path(root)
        path = root / f"{name}-{stamp}"
        suffix = 1
        while path.exists():  # two runs in the same second get distinct folders
            suffix += 1
            path = root / f"{name}-{stamp}-{suffix}"
        self.path = path
        (self.path / "figures").mkdir(parents=True)
        self.console = console or Console(record=True)
        self.started = time.time()
        self.status("running")

    def file(self, name: str) -> Path:
        return self.path / name

    def write_text(self, name: str, text: str) -> Path:
        atomic_write_bytes(self.path / name, text.encode("utf-8"))
        return self.path / name

    def write_json(self, name: str, data: Any) -> Path:
        return self.write_text(name, json.dumps(data, indent=2, default=_jsonable) + "\n")

    def status(self, state: str, **info: Any) -> None:
        self.write_json("status.json", {"status": state, "elapsed_s": round(time.time() - getattr(self, "started", time.time()), 2),
                                        "updated": datetime.now().isoformat(timespec="seconds"), **info})

    def save_log(self) -> None:
        if self.console.record:
            self.write_text("log.txt", self.console.export_text(clear=False))

    def __enter__(self) -> RunFolder:
        return self

    def __exit__(self, kind: type | None, error: BaseException | None, tb: Any) -> None:
        if kind is KeyboardInterrupt:
            self.status("interrupted", reason="stopped by the user (SIGINT / Ctrl-C) before the run finished")
        elif error is not None:
            self.status("failed", error=f"{type(error).__name__}: {error}",
                        traceback="".join(traceback.format_exception(kind, error, tb))[-4000:])
        self.save_log()


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
