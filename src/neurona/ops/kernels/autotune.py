"""Choose between equivalent forms of a computation by measuring them once, on this machine.

Where two GEMM forms win on different shapes, and no rule says which on every machine (OpenBLAS's
speed on a short, very wide product differs from CPU to CPU), a kernel asks ``fastest(key, forms)``:
the first time a key (the op and its shapes) comes up, every form runs a few times and the fastest is
remembered, in memory and in a small JSON file (``$NEURONA_CACHE_DIR``, default ``~/.cache/neurona``),
keyed by the machine, so later processes make the same choice without measuring. That is what
``torch.backends.cudnn.benchmark`` does for convolution algorithms, and it keeps seeded runs bit for
bit reproducible on one machine: the choice, once made, never changes.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

_forced: list[str] = []  # a form named by ``forcing`` (tests check every form against the reference)
_choices: dict[str, str] = {}  # what the file holds: "key" -> form
_memo: dict[tuple, str] = {}  # the same, by the caller's key tuple (no string building per call)
_loaded = {"done": False}


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    return f"{cpu}|{os.cpu_count()}|numpy {np.__version__}"


def _path() -> Path:
    return Path(os.environ.get("NEURONA_CACHE_DIR") or Path.home() / ".cache" / "neurona") / "autotune.json"


def _load() -> None:
    _loaded["done"] = True
    try:
        stored = json.loads(_path().read_text(encoding="utf-8")).get(_machine(), {})
        _choices.update({k: v for k, v in stored.items() if isinstance(k, str) and isinstance(v, str)})
    except (OSError, ValueError, AttributeError):
        pass  # no cache yet, or an unreadable one: measure again


def _save() -> None:
    path = _path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            everything = json.loads(path.read_text(encoding="utf-8"))
            everything = everything if isinstance(everything, dict) else {}
        except (OSError, ValueError):
            everything = {}
        everything[_machine()] = dict(_choices)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(everything, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)  # atomic: a reader sees the old file or the new one
    except OSError:
        pass  # a read-only home: the choice still holds for this process


def fastest(key: tuple, forms: dict[str, Callable[[], Any]], repeats: int = 3) -> str:
    """The name of the fastest of ``forms`` (callables computing the same result) for ``key``."""
    if _forced and _forced[-1] in forms:
        return _forced[-1]
    choice = _memo.get(key)
    if choice is not None:
        return choice
    if not _loaded["done"]:
        _load()
    name = "|".join(map(str, key))
    if name not in _choices or _choices[name] not in forms:
        best = {}
        for form, run in forms.items():
            run()  # warm-up: first-touch page faults and BLAS thread start-up are not the form's cost
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                run()
                times.append(time.perf_counter() - start)
            best[form] = min(times)
        _choices[name] = min(best, key=best.get)
        _save()
    _memo[key] = _choices[name]
    return _memo[key]


def forget() -> None:
    """Drop the choices made in this process (the file stays): the next call measures again."""
    _choices.clear()
    _memo.clear()
    _loaded["done"] = True


class forcing:
    """``with forcing("per_row"): ...`` makes every kernel that offers a form of that name use it."""

    def __init__(self, form: str) -> None:
        self.form = form

    def __enter__(self) -> None:
        _forced.append(self.form)

    def __exit__(self, *exc: object) -> None:
        _forced.pop()
