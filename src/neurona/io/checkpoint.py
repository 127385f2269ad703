"""Checkpoints: a model, its optimiser and the run's metadata in one safetensors file.

A checkpoint is a plain safetensors file, readable by any safetensors tool:

- ``model.{key}`` holds every entry of ``model.state_dict()`` (PyTorch key names);
- ``optimizer.state.{index}.{name}`` holds every array of ``optimizer.state_dict()['state']``;
- the header's ``__metadata__['neurona']`` is one JSON string with the format version, the neurona
  version, the model and optimiser classes, the optimiser's ``param_groups`` and non-array state (step
  counts), the epoch, the history, the RNG state and the caller's ``extra`` dict.

Loading parses JSON and raw little-endian arrays only: no pickle, so no code runs. Saving writes a
temporary file beside the target, fsyncs it and moves it over the target with ``os.replace``, so a
crash mid-save leaves the previous checkpoint whole. Loading checks every key and shape before it
touches the model or the optimiser, so a file that does not fit changes nothing.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import safetensors.numpy

from neurona.errors import CheckpointError, fmt_shape
from neurona.io.atomic import atomic_write_bytes
from neurona.tensor import Tensor

FORMAT = "neurona.checkpoint"
FORMAT_VERSION = 1
_META_KEY = "neurona"
_MODEL_PREFIX = "model."
_OPTIM_PREFIX = "optimizer.state."
_ARRAYS_PREFIX = "arrays."  # named arrays beside the model (a resumable run's callback state)
_TUPLE = "__tuple__"  # JSON has no tuples; optimiser hyper-parameters such as betas keep theirs


@dataclass
class Checkpoint:
    """What :func:`load` read from a checkpoint file.

    Attributes
    ----------
    path : Path
        The file it came from.
    model_state : dict of str to ndarray
        The model's state dict (torch key names), as NumPy arrays.
    optimizer_state : dict or None
        ``{'state': {index: {name: value}}, 'param_groups': [...]}``, ready for
        ``optimizer.load_state_dict``; None when saved without an optimiser.
    epoch, history, extra, rng_state
        What was passed to :func:`save` (``extra`` is ``{}`` when none was given).
    model_class, optimizer_class, neurona_version : str or None
        Where the checkpoint came from.
    metadata : dict
        The whole decoded JSON metadata.
    """

    path: Path
    model_state: dict[str, np.ndarray]
    optimizer_state: dict[str, Any] | None = None
    epoch: int | None = None
    history: dict[str, list] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    rng_state: dict[str, Any] | None = None
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    model_class: str | None = None
    optimizer_class: str | None = None
    neurona_version: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------------------------------
def save(
    model: Any,
    path: str | os.PathLike,
    optimizer: Any = None,
    extra: dict[str, Any] | None = None,
    *,
    epoch: int | None = None,
    history: Any = None,
    rng_state: dict[str, Any] | None = None,
    arrays: dict[str, np.ndarray] | None = None,
) -> Path:
    """Write ``model`` (and ``optimizer``) with run metadata to a safetensors checkpoint, atomically.

    Parameters
    ----------
    model : Module
        Anything with ``state_dict()``; every parameter and persistent buffer is saved.
    path : str or PathLike
        Target file, conventionally ``*.safetensors``; missing parent folders are created.
    optimizer : Optimizer, optional
        Anything with a torch-style ``state_dict()``; arrays go in the tensor section, numbers
        (step counts) and ``param_groups`` in the JSON metadata.
    extra : dict, optional
        Anything JSON can hold (str keys; dict/list/str/int/float/bool/None values).
    epoch : int, optional
        The number of epochs completed.
    history : dict or History, optional
        Per-epoch lists such as ``{'loss': [...], 'val_loss': [...]}`` (or an object with ``.history``).
    rng_state : dict, optional
        The result of :func:`rng_state`, for a bit-identical resume.
    arrays : dict of str to ndarray, optional
        More named arrays to keep in the tensor section (read back as ``Checkpoint.arrays``).

    Returns
    -------
    Path
        The path written.

    Examples
    --------
    >>> from neurona import io, nn
    >>> model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    >>> io.save(model, "runs/demo/model.safetensors", epoch=3, extra={"note": "demo"})  # doctest: +SKIP
    >>> io.load("runs/demo/model.safetensors", model).epoch                            # doctest: +SKIP
    3
    """
    blob = to_bytes(model, optimizer, extra, epoch=epoch, history=history, rng_state=rng_state, arrays=arrays)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, blob)
    return path


def to_bytes(
    model: Any,
    optimizer: Any = None,
    extra: dict[str, Any] | None = None,
    *,
    epoch: int | None = None,
    history: Any = None,
    rng_state: dict[str, Any] | None = None,
    arrays: dict[str, np.ndarray] | None = None,
) -> bytes:
    """The bytes :func:`save` would write (same arguments, no path): a snapshot kept in memory until it
    is worth writing."""
    if not callable(getattr(model, "state_dict", None)):
        raise TypeError(f"save: model must have a state_dict() method (a Module), got {type(model).__name__}")
    if extra is not None and not isinstance(extra, dict):
        raise TypeError(f"save: extra must be a dict, got {type(extra).__name__}")
    if epoch is not None and (isinstance(epoch, bool) or not isinstance(epoch, int | np.integer)):
        raise TypeError(f"save: epoch must be an int or None, got {epoch!r}")
    if history is not None and isinstance(getattr(history, "history", None), dict):
        history = history.history  # a Keras-style History object

    import neurona

    tensors = {
        _MODEL_PREFIX + key: _as_array(value, f"model.state_dict()[{key!r}]")
        for key, value in model.state_dict().items()
    }
    meta: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "neurona_version": neurona.__version__,
        "model_class": type(model).__name__,
        "model_keys": [key[len(_MODEL_PREFIX) :] for key in tensors],  # safetensors sorts its header
        "epoch": None if epoch is None else int(epoch),
        "history": _to_json(history, "history"),
        "rng_state": _to_json(rng_state, "rng_state"),
        "extra": _to_json(extra or {}, "extra"),
        "optimizer": None,
    }
    if optimizer is not None:
        optim_tensors, meta["optimizer"] = _split_optimizer_state(optimizer)
        tensors.update(optim_tensors)
    for name, value in (arrays or {}).items():
        tensors[_ARRAYS_PREFIX + str(name)] = _as_array(value, f"arrays[{name!r}]")
    return safetensors.numpy.save(tensors, metadata={_META_KEY: json.dumps(meta, sort_keys=True)})


def _as_array(value: Any, where: str) -> np.ndarray:
    if isinstance(value, Tensor):
        value = value.data
    elif hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor
        value = value.detach().cpu().numpy()
    if not isinstance(value, np.ndarray | np.number | np.bool_):
        raise TypeError(f"save: {where} is of type {type(value).__name__}; expected a Tensor or NumPy array")
    array = np.asarray(value, order="C")  # not ascontiguousarray: that makes 0-d arrays 1-d
    if array.dtype.kind not in "fiub":
        raise TypeError(f"save: {where} has dtype {array.dtype}; safetensors holds only bool, int and float")
    return array


def _split_optimizer_state(optimizer: Any) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Arrays of the optimiser state as tensors; everything else as JSON metadata."""
    if not callable(getattr(optimizer, "state_dict", None)):
        raise TypeError(f"save: optimizer must have a state_dict() method, got {type(optimizer).__name__}")
    sd = optimizer.state_dict()
    if not isinstance(sd, dict) or "param_groups" not in sd:
        raise TypeError(
            f"save: {type(optimizer).__name__}.state_dict() must return a torch-style dict with "
            f"'state' and 'param_groups', got {type(sd).__name__}"
        )
    tensors: dict[str, np.ndarray] = {}
    scalar_state: dict[str, dict[str, Any]] = {}
    kinds: dict[str, str] = {}
    for index, entries in sd.get("state", {}).items():
        index = int(index)
        for name, value in entries.items():
            where = f"optimizer.state_dict()['state'][{index}][{name!r}]"
            if isinstance(value, Tensor | np.ndarray | np.number | np.bool_):
                kind = "tensor" if isinstance(value, Tensor) else "ndarray"
                kind = "numpy_scalar" if isinstance(value, np.number | np.bool_) else kind
                tensors[f"{_OPTIM_PREFIX}{index}.{name}"] = _as_array(value, where)
                kinds[f"{index}.{name}"] = kind
            else:
                scalar_state.setdefault(str(index), {})[name] = _to_json(value, where, keep_tuples=True)
    groups = _to_json(list(sd["param_groups"]), "optimizer.state_dict()['param_groups']", keep_tuples=True)
    meta = {
        "class": type(optimizer).__name__,
        "param_groups": groups,
        "scalar_state": scalar_state,
        "kinds": kinds,
    }
    return tensors, meta


def _to_json(value: Any, where: str, keep_tuples: bool = False) -> Any:
    """``value`` as JSON types (NumPy scalars become Python numbers), or a TypeError naming ``where``."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, tuple) and keep_tuples:
        return {_TUPLE: [_to_json(v, f"{where}[{i}]", keep_tuples) for i, v in enumerate(value)]}
    if isinstance(value, list | tuple):
        return [_to_json(v, f"{where}[{i}]", keep_tuples) for i, v in enumerate(value)]
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise TypeError(
                    f"save: {where} has the key {key!r} of type {type(key).__name__}; JSON keys must be str"
                )
        return {key: _to_json(v, f"{where}[{key!r}]", keep_tuples) for key, v in value.items()}
    raise TypeError(
        f"save: {where} is of type {type(value).__name__}, which the checkpoint's JSON metadata cannot hold; "
        "use dict, list, str, int, float, bool or None (convert arrays with .tolist(), or keep them as "
        "model buffers)"
    )


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {_TUPLE}:
            return tuple(_from_json(v) for v in value[_TUPLE])
        return {k: _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


# --------------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------------
def load(path: str | os.PathLike, model: Any = None, optimizer: Any = None) -> Checkpoint:
    """Read a checkpoint written by :func:`save`; with ``model``/``optimizer``, load their state too.

    Every key and shape is checked against ``model`` (and the optimiser's groups against ``optimizer``)
    before either is changed: a file that does not fit raises and leaves both as they were.

    Parameters
    ----------
    path : str or PathLike
        A file written by :func:`save`.
    model : Module, optional
        Receives the saved weights (``load_state_dict``, strict).
    optimizer : Optimizer, optional
        Receives the saved optimiser state (``load_state_dict``).

    Returns
    -------
    Checkpoint
        The arrays and metadata read.

    Raises
    ------
    CheckpointError
        The file is truncated, corrupted, not a neurona checkpoint, or does not fit the model/optimiser.

    Examples
    --------
    >>> ckpt = io.load("runs/mlp/model.safetensors", model, optimizer)  # doctest: +SKIP
    >>> ckpt.epoch, ckpt.history["val_loss"][-1]                        # doctest: +SKIP
    (20, 0.083)
    """
    path = Path(path)
    ckpt = _read(path, path.read_bytes())
    if model is not None:
        _check_model(ckpt, model)
    if optimizer is not None:
        _check_optimizer(ckpt, optimizer)
    own = model.state_dict(keep_vars=True) if model is not None else {}
    # load_state_dict gives each tensor a new array, so keeping the old ones is a full backup
    model_backup = {key: t.data for key, t in own.items()}
    optimizer_backup = optimizer.state_dict() if optimizer is not None else None
    try:
        if model is not None:
            model.load_state_dict(ckpt.model_state)
        if optimizer is not None:
            optimizer.load_state_dict(_fresh_optimizer_state(ckpt))
    except Exception as e:
        for key, t in own.items():
            t.data = model_backup[key]
        if optimizer is not None:
            try:
                optimizer.load_state_dict(optimizer_backup)
            except Exception:  # the optimiser refused before changing anything
                pass
        raise CheckpointError(f"checkpoint {path} could not be loaded (nothing was changed): {e}") from e
    return ckpt


def _read(path: Path, data: bytes) -> Checkpoint:
    try:
        tensors = safetensors.numpy.load(data)
        header_len = int.from_bytes(data[:8], "little")
        header = json.loads(data[8 : 8 + header_len])
    except Exception as e:  # SafetensorError, UnicodeDecodeError, JSONDecodeError, ...
        raise CheckpointError(
            f"checkpoint {path} is truncated or corrupted ({len(data)} bytes): {e}. "
            "Re-save it, or load an earlier checkpoint."
        ) from e
    raw = (header.get("__metadata__") or {}).get(_META_KEY)
    if raw is None:
        raise CheckpointError(
            f"checkpoint {path} is a safetensors file but not a neurona checkpoint (its metadata has no "
            f"{_META_KEY!r} entry). For bare weights use safetensors.numpy.load_file and "
            "model.load_state_dict."
        )
    try:
        meta = json.loads(raw)
    except json.JSONDecodeError as e:
        raise CheckpointError(f"checkpoint {path} has corrupted metadata: {e}") from e
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"checkpoint {path}: metadata is not in the {FORMAT!r} format")
    if int(meta.get("format_version", 0)) > FORMAT_VERSION:
        raise CheckpointError(
            f"checkpoint {path} has format version {meta['format_version']}, written by a newer neurona "
            f"({meta.get('neurona_version')}); this one reads up to version {FORMAT_VERSION}. "
            "Upgrade neurona."
        )

    model_state: dict[str, np.ndarray] = {}
    optim_arrays: dict[str, np.ndarray] = {}
    named_arrays: dict[str, np.ndarray] = {}
    for key in header:  # header order is the order the tensors were written in
        if key == "__metadata__":
            continue
        if key.startswith(_MODEL_PREFIX):
            model_state[key[len(_MODEL_PREFIX) :]] = tensors[key]
        elif key.startswith(_OPTIM_PREFIX):
            optim_arrays[key[len(_OPTIM_PREFIX) :]] = tensors[key]
        elif key.startswith(_ARRAYS_PREFIX):
            named_arrays[key[len(_ARRAYS_PREFIX) :]] = tensors[key]
        else:
            raise CheckpointError(f"checkpoint {path} holds the unexpected tensor {key!r}")

    order = {key: i for i, key in enumerate(meta.get("model_keys") or [])}
    model_state = dict(sorted(model_state.items(), key=lambda kv: order.get(kv[0], len(order))))
    optim_meta = meta.get("optimizer")
    optimizer_state = None
    if optim_meta is not None:
        optimizer_state = _assemble_optimizer_state(path, optim_meta, optim_arrays)
    elif optim_arrays:
        raise CheckpointError(f"checkpoint {path} holds optimizer tensors but no optimizer metadata")
    history = meta.get("history")
    return Checkpoint(
        path=path,
        model_state=model_state,
        optimizer_state=optimizer_state,
        epoch=meta.get("epoch"),
        history=history,
        extra=meta.get("extra") or {},
        rng_state=meta.get("rng_state"),
        arrays=named_arrays,
        model_class=meta.get("model_class"),
        optimizer_class=None if optim_meta is None else optim_meta.get("class"),
        neurona_version=meta.get("neurona_version"),
        metadata=meta,
    )


def _assemble_optimizer_state(path: Path, meta: dict, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    kinds = meta.get("kinds", {})
    if set(kinds) != set(arrays):
        raise CheckpointError(
            f"checkpoint {path}: optimizer tensors {sorted(arrays)} do not match its metadata {sorted(kinds)}"
        )
    state: dict[int, dict[str, Any]] = {}
    for index, entries in meta.get("scalar_state", {}).items():
        state.setdefault(int(index), {}).update(_from_json(entries))
    for key, array in arrays.items():
        index, _, name = key.partition(".")
        kind = kinds[key]
        value: Any = array
        if kind == "tensor":
            value = Tensor._wrap(array)
        elif kind == "numpy_scalar":
            value = array[()]
        state.setdefault(int(index), {})[name] = value
    return {"state": dict(sorted(state.items())), "param_groups": _from_json(meta.get("param_groups", []))}


def _fresh_optimizer_state(ckpt: Checkpoint) -> dict[str, Any]:
    """A copy, so the optimiser never shares arrays with ``ckpt`` (loading twice stays independent)."""
    sd = ckpt.optimizer_state or {"state": {}, "param_groups": []}

    def copy(v: Any) -> Any:
        if isinstance(v, Tensor):
            return Tensor._wrap(v.data.copy())
        return v.copy() if isinstance(v, np.ndarray) else v

    return {
        "state": {i: {name: copy(v) for name, v in entries.items()} for i, entries in sd["state"].items()},
        "param_groups": [dict(g) for g in sd["param_groups"]],
    }


def _short(keys: list[str], limit: int = 8) -> str:
    shown = ", ".join(keys[:limit])
    return shown + (f", ... ({len(keys) - limit} more)" if len(keys) > limit else "")


def _check_model(ckpt: Checkpoint, model: Any) -> None:
    own = model.state_dict()
    missing = [k for k in own if k not in ckpt.model_state]
    unexpected = [k for k in ckpt.model_state if k not in own]
    mismatched = [
        f"{k}: checkpoint {fmt_shape(ckpt.model_state[k].shape)} vs model {fmt_shape(own[k].shape)}"
        for k in own
        if k in ckpt.model_state and ckpt.model_state[k].shape != tuple(own[k].shape)
    ]
    mistyped = [
        f"{k} ({ckpt.model_state[k].dtype} in the checkpoint, {np.asarray(own[k].data).dtype} in the model)"
        for k in own
        if k in ckpt.model_state and ckpt.model_state[k].dtype.kind in "iub"
        and np.asarray(own[k].data).dtype.kind == "f"
    ]
    if mistyped and not (missing or unexpected or mismatched):
        raise CheckpointError(
            f"checkpoint {ckpt.path}: integer weights cannot be loaded into float parameters: {_short(mistyped)}. "
            "Save floating-point weights (the file may hold labels or indices by mistake). Nothing was changed."
        )
    if not (missing or unexpected or mismatched):
        return
    problems = []
    if missing:
        problems.append(f"this model is missing from the checkpoint: {_short(missing)}")
    if unexpected:
        problems.append(f"the checkpoint has keys this model lacks: {_short(unexpected)}")
    if mismatched:
        problems.append(f"shapes differ for {_short(mismatched)}")
    raise CheckpointError(
        f"checkpoint {ckpt.path} does not fit this {type(model).__name__}: it was saved from "
        f"{ckpt.model_class} with keys {_short(list(ckpt.model_state))}; " + "; ".join(problems) + ". "
        "Build the same architecture (layer sizes included) before loading. Nothing was changed."
    )


def _check_optimizer(ckpt: Checkpoint, optimizer: Any) -> None:
    where = f"checkpoint {ckpt.path}"
    if ckpt.optimizer_state is None:
        raise CheckpointError(f"{where} was saved without an optimizer; load it with optimizer=None")
    name = type(optimizer).__name__
    if ckpt.optimizer_class != name:
        raise CheckpointError(
            f"{where} holds {ckpt.optimizer_class} state, but the optimizer given is {name}; "
            f"build {ckpt.optimizer_class} instead (or load with optimizer=None). Nothing was changed."
        )
    saved_groups = ckpt.optimizer_state["param_groups"]
    own_groups = optimizer.state_dict()["param_groups"]
    saved_sizes = [len(g.get("params", [])) for g in saved_groups]
    own_sizes = [len(g.get("params", [])) for g in own_groups]
    if saved_sizes != own_sizes:
        raise CheckpointError(
            f"{where}: the saved {name} has parameter groups of sizes {saved_sizes}, this one {own_sizes}; "
            "build the optimizer over the same parameters. Nothing was changed."
        )
    indices = {int(i) for g in saved_groups for i in g.get("params", [])}
    stray = sorted(set(ckpt.optimizer_state["state"]) - indices)
    if stray:
        raise CheckpointError(f"{where}: optimizer state for parameters {stray} that belong to no group")
