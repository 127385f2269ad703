"""The whole state of a training run at one point, as a checkpoint, and back.

A resumable checkpoint is taken at the end of an epoch, after *every* callback's ``on_epoch_end`` has
run, so it does not matter in which order the callbacks were listed: the scheduler has stepped, early
stopping has counted, the diagnostics have recorded, whichever came first. It holds:

- the model and the optimiser (``neurona.io.save``);
- every callback's ``state_dict()`` (arrays in it, such as EarlyStopping's best weights, go in the
  checkpoint's tensor section; the rest in its JSON metadata), with the callback's class name;
- every random stream a run draws from: neurona's generator (init, dropout), the training loader's
  generator (data order), NumPy's legacy global generator and Python's ``random``;
- the history, the number of epochs done and whether a callback asked to stop.

Restoring puts all of it back, so the next epoch is the one an uninterrupted run would have run.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np

from neurona.errors import CheckpointError

_ARRAY = "__array__"
_ITEMS = "__items__"  # a dict as ordered pairs: the metadata JSON is written with sorted keys


def _split_arrays(value: Any, prefix: str, arrays: dict[str, np.ndarray]) -> Any:
    """``value`` with every ndarray replaced by a reference into ``arrays``."""
    if isinstance(value, np.ndarray):
        arrays[prefix] = value
        return {_ARRAY: prefix}
    if isinstance(value, dict):
        return {_ITEMS: [[str(k), _split_arrays(v, f"{prefix}.{k}", arrays)] for k, v in value.items()]}
    if isinstance(value, list | tuple):
        return [_split_arrays(v, f"{prefix}.{i}", arrays) for i, v in enumerate(value)]
    return value


def _join_arrays(value: Any, arrays: dict[str, np.ndarray], where: str) -> Any:
    if isinstance(value, dict):
        if set(value) == {_ARRAY}:
            if value[_ARRAY] not in arrays:
                raise CheckpointError(f"checkpoint {where}: the array {value[_ARRAY]!r} is missing")
            return arrays[value[_ARRAY]].copy()
        if set(value) == {_ITEMS}:
            return {k: _join_arrays(v, arrays, where) for k, v in value[_ITEMS]}
        return {k: _join_arrays(v, arrays, where) for k, v in value.items()}
    if isinstance(value, list):
        return [_join_arrays(v, arrays, where) for v in value]
    return value


def rng_streams() -> dict[str, Any]:
    """Every global random stream, as JSON: neurona's generator, NumPy's legacy one and Python's."""
    from neurona.io import rng_state

    kind, keys, pos, has_gauss, cached = np.random.get_state()  # noqa: NPY002 (saved, not drawn from)
    version, internal, gauss = random.getstate()
    return {"neurona": rng_state(),
            "numpy": {"kind": kind, "keys": keys.tolist(), "pos": int(pos), "has_gauss": int(has_gauss),
                      "cached_gaussian": float(cached)},
            "python": {"version": version, "internal": list(internal), "gauss": gauss}}


def set_rng_streams(state: dict[str, Any]) -> None:
    from neurona.io import set_rng_state

    if "neurona" not in state:  # a checkpoint from before every stream was kept
        set_rng_state(state)
        return
    set_rng_state(state["neurona"])
    n = state["numpy"]
    legacy = (n["kind"], np.asarray(n["keys"], dtype=np.uint32), n["pos"], n["has_gauss"], n["cached_gaussian"])
    np.random.set_state(legacy)  # noqa: NPY002 (a user's own np.random calls resume where they were)
    p = state["python"]
    random.setstate((p["version"], tuple(p["internal"]), p["gauss"]))


def _user_callbacks(trainer: Any) -> list[Any]:
    from neurona.train.callbacks.progress import ProgressBar

    callbacks = trainer._callbacks.callbacks if trainer._callbacks is not None else []
    return [cb for cb in callbacks if not isinstance(cb, ProgressBar)]


def snapshot(trainer: Any, epochs_done: int) -> bytes:
    """The checkpoint bytes of ``trainer`` after ``epochs_done`` epochs (written later, or never)."""
    from neurona.io.checkpoint import to_bytes

    arrays: dict[str, np.ndarray] = {}
    callbacks = [{"class": type(cb).__name__, "state": _split_arrays(cb.state_dict(), f"callbacks.{i}", arrays)}
                 for i, cb in enumerate(_user_callbacks(trainer))]
    extra = {
        "epoch": epochs_done,
        "history": trainer.history.to_dict(),
        "rng_state": rng_streams(),
        "loader_state": trainer.train_loader.state_dict() if trainer.train_loader is not None else None,
        "callbacks": callbacks,
        "stop_training": bool(trainer.stop_training),
    }
    return to_bytes(trainer.model, trainer.optimizer, extra, arrays=arrays)


def restore(trainer: Any, path: str | Path) -> int:
    """Load a checkpoint written by :func:`snapshot` into ``trainer``; returns the epochs already done."""
    from neurona.io import load
    from neurona.train.history import History

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"resume_from: checkpoint {path} does not exist")
    ckpt = load(path, model=trainer.model, optimizer=trainer.optimizer)
    extra = ckpt.extra
    if "epoch" not in extra or "history" not in extra or "rng_state" not in extra:
        raise CheckpointError(f"checkpoint {path} holds weights but no training state (epoch, history, random "
                              "state); resume only from a checkpoint written during fit()")
    trainer.history = History.from_dict(extra["history"])
    set_rng_streams(extra["rng_state"])
    if extra.get("loader_state") is not None:
        trainer.train_loader.load_state_dict(extra["loader_state"])
    saved = extra.get("callbacks", [])
    own = _user_callbacks(trainer)
    saved_names = [s.get("class") if isinstance(s, dict) and "class" in s else "?" for s in saved]
    if saved and "?" not in saved_names and saved_names != [type(cb).__name__ for cb in own]:
        raise CheckpointError(
            f"checkpoint {path} was written with the callbacks [{', '.join(saved_names)}], but this fit() has "
            f"[{', '.join(type(cb).__name__ for cb in own)}]; resume with the same callbacks in the same order")
    for cb, state in zip(own, saved):
        state = state["state"] if "class" in state else state
        cb.load_state_dict(_join_arrays(state, ckpt.arrays, str(path)))
    trainer.stop_training = bool(extra.get("stop_training", False))
    return int(extra["epoch"])
