"""``neurona.save`` and ``neurona.load``: what PyTorch code saves with ``torch.save``, with no pickle.

What tutorials save is a tree: state dicts, optimiser state dicts, checkpoint dicts of them with the
epoch and the loss, lists and tuples, numbers and strings, with tensors at the leaves. ``save`` writes
that tree as ONE safetensors file:

- every tensor (or NumPy array) is a safetensors entry ``"0"``, ``"1"``, ... (a tensor that appears twice
  in the tree is stored once, and comes back as one object);
- the tree itself is JSON in the header's metadata, under the key ``"neurona.save"``, with a tensor as
  ``{"__tensor__": "3"}``, a tuple as ``{"__tuple__": [...]}``, a dict as ``{"__dict__": [[key, value],
  ...]}`` (keys may be ints, as in an optimiser's state, and order is kept) and nan/inf as
  ``{"__float__": "nan"}``.

``load`` parses JSON and raw arrays only, so loading runs no code from the file. It also reads:

- files written by ``torch.save`` (its zip format), through a restricted unpickler that admits only
  tensors, OrderedDict, containers, numbers and strings (:mod:`neurona.io.torch_zip`);
- plain safetensors files (``safetensors.torch.save_file``): a dict of tensors.

Writes are atomic (a crash mid-save leaves the old file whole).
"""

from __future__ import annotations

import io
import json
import math
import os
import struct
from collections import OrderedDict
from typing import Any

import numpy as np
import safetensors.numpy

from neurona.errors import CheckpointError
from neurona.io.atomic import atomic_write_bytes
from neurona.io.torch_zip import UnsafeFileError, is_torch_zip, load_torch_zip
from neurona.tensor import Tensor

__all__ = ["UnsafeFileError", "load", "save"]

FORMAT_KEY = "neurona.save"
FORMAT_VERSION = 1


# --------------------------------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------------------------------
class _Encoder:
    """Turns the tree into JSON types, collecting its arrays."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.names: dict[int, str] = {}
        self.keep_alive: list[Any] = []  # ids stay unique while the objects they name are alive

    def tensor(self, value: Tensor | np.ndarray, where: str) -> dict:
        if id(value) not in self.names:
            array = value.data if isinstance(value, Tensor) else value
            if array.dtype.kind not in "biuf":
                raise TypeError(
                    f"neurona.save: {where} is an array of dtype {array.dtype}; safetensors holds only bool, "
                    "integer and floating dtypes"
                )
            name = str(len(self.arrays))
            self.arrays[name] = array if array.flags.c_contiguous else np.array(array, order="C")  # keeps 0-d
            self.names[id(value)] = name
            self.keep_alive.append(value)
        node: dict[str, Any] = {"__tensor__": self.names[id(value)]}
        if isinstance(value, np.ndarray):
            node["ndarray"] = True
        else:
            from neurona.nn.module import Parameter

            if isinstance(value, Parameter):
                node["parameter"] = True
            if value.requires_grad:
                node["requires_grad"] = True
        return node

    def encode(self, value: Any, where: str) -> Any:
        if value is None or isinstance(value, bool | str):
            return value
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            return value if math.isfinite(value) else {"__float__": repr(value)}
        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, np.integer):
            return int(value)
        if isinstance(value, np.floating):
            return self.encode(float(value), where)
        if isinstance(value, Tensor | np.ndarray):
            return self.tensor(value, where)
        if isinstance(value, tuple):
            return {"__tuple__": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
        if isinstance(value, list):
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, dict):
            items = []
            for key, v in value.items():
                if not isinstance(key, str | int | float | bool | tuple) and key is not None:
                    raise TypeError(
                        f"neurona.save: {where} has the key {key!r} of type {type(key).__name__}; keys must be "
                        "str, int, float, bool, None or tuples of them"
                    )
                items.append([self.encode(key, f"{where} key"), self.encode(v, f"{where}[{key!r}]")])
            node: dict[str, Any] = {"__dict__": items}
            if isinstance(value, OrderedDict):
                node["ordered"] = True
            return node
        raise TypeError(_unsavable(value, where))


def _unsavable(value: Any, where: str) -> str:
    kind = type(value).__name__
    if callable(getattr(value, "state_dict", None)):
        what = "model" if callable(getattr(value, "parameters", None)) else "object"
        return (
            f"neurona.save: {where} is a {kind}; neurona saves data, never whole objects (that would need "
            f"pickle, which can run code when loaded). Save its state_dict instead: "
            f"neurona.save({what}.state_dict(), path), and later rebuild the {kind} and call "
            f"{what}.load_state_dict(neurona.load(path))"
        )
    return (
        f"neurona.save: {where} is of type {kind}, which cannot be saved without pickle; save tensors, NumPy "
        "arrays, numbers, strings, None, and lists, tuples and dicts of them"
    )


def save(obj: Any, f: str | os.PathLike | Any) -> None:
    """Save a state dict, an optimiser state dict or a checkpoint dict, as ``torch.save`` does.

    Parameters
    ----------
    obj : Tensor, ndarray, number, str, None, or list / tuple / dict of these (nested)
        What to save. A Module or an Optimizer is refused with a message that says to save its
        ``state_dict()``: storing the object itself would take pickle.
    f : str, path or binary file object
        Where to write: a path is written atomically; a file object (``io.BytesIO``) gets the bytes.

    Examples
    --------
    >>> neurona.save({"epoch": 5, "model": model.state_dict(), "optimizer": opt.state_dict()},
    ...              "ckpt.pt")  # doctest: +SKIP
    """
    encoder = _Encoder()
    tree = encoder.encode(obj, "obj")
    meta = json.dumps({"format_version": FORMAT_VERSION, "tree": tree}, allow_nan=False)
    data = safetensors.numpy.save(encoder.arrays, metadata={FORMAT_KEY: meta})
    if hasattr(f, "write"):
        f.write(data)
    else:
        atomic_write_bytes(f, data)


# --------------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------------
def _decode(node: Any, arrays: dict[str, np.ndarray], made: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_decode(v, arrays, made) for v in node]
    if not isinstance(node, dict):
        return node
    if "__tensor__" in node:
        name = node["__tensor__"]
        if name not in arrays:
            raise CheckpointError(f"neurona.load: the file's structure names tensor {name!r}, which it lacks")
        if name not in made:
            array = np.array(arrays[name], copy=True)
            if node.get("ndarray"):
                made[name] = array
            elif node.get("parameter"):
                from neurona.nn.module import Parameter

                made[name] = Parameter(array, requires_grad=bool(node.get("requires_grad")))
            else:
                made[name] = Tensor._wrap(array, requires_grad=bool(node.get("requires_grad")))
        return made[name]
    if "__tuple__" in node:
        return tuple(_decode(v, arrays, made) for v in node["__tuple__"])
    if "__float__" in node:
        return float(node["__float__"])
    if "__dict__" in node:
        out: dict[Any, Any] = OrderedDict() if node.get("ordered") else {}
        for key, value in node["__dict__"]:
            out[_decode(key, arrays, made)] = _decode(value, arrays, made)
        return out
    raise CheckpointError(f"neurona.load: unknown node {sorted(node)} in the file's structure")


def _safetensors_metadata(data: bytes) -> dict[str, str] | None:
    """The header's ``__metadata__`` if ``data`` is a safetensors file, else None."""
    if len(data) < 8:
        return None
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8 or data[8:9] != b"{":
        return None
    try:
        header = json.loads(data[8 : 8 + n])
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(header, dict):
        return None
    return header.get("__metadata__") or {}


def _check_map_location(map_location: Any) -> None:
    if map_location is None or callable(map_location) or isinstance(map_location, dict):
        return
    if not str(map_location).startswith("cpu"):
        raise ValueError(
            f"neurona.load: map_location={map_location!r} asks for a device neurona does not have; neurona "
            "runs on the CPU only, and loads every tensor there (map_location='cpu' or leave it out)"
        )


def load(
    f: str | os.PathLike | Any,
    map_location: Any = None,
    pickle_module: Any = None,
    *,
    weights_only: bool | None = True,
    mmap: bool | None = None,
    **pickle_load_args: Any,
) -> Any:
    """Load what :func:`save` (or ``torch.save``) wrote, as ``torch.load(f, weights_only=True)`` does.

    Parameters
    ----------
    f : str, path or binary file object
        A file from :func:`save`, a ``torch.save`` archive (of tensors, state dicts and checkpoint dicts),
        or a plain safetensors file.
    map_location : None or 'cpu'
        Accepted for torch's signature; every tensor is loaded on the CPU (neurona's only device).
    weights_only : bool, default True
        Accepted for torch's signature. neurona never unpickles arbitrary objects, so loading is always
        weights-only: with ``False`` too, a file that needs more (a pickled model) is refused.
    pickle_module, mmap, **pickle_load_args
        Accepted for torch's signature and ignored.

    Returns
    -------
    object
        The saved tree, with neurona Tensors where tensors were.

    Raises
    ------
    UnsafeFileError
        A torch file asks to import anything but tensors and containers (nothing is executed).
    CheckpointError
        The file is damaged, empty, or of an unknown kind.
    """
    _check_map_location(map_location)
    where = repr(os.fspath(f)) if isinstance(f, str | os.PathLike) else "the file object"
    if isinstance(f, str | os.PathLike):
        with open(f, "rb") as handle:
            data = handle.read()
    elif hasattr(f, "read"):
        data = f.read()
    else:
        raise TypeError(f"neurona.load: expected a path or a binary file object, got {type(f).__name__}")
    if is_torch_zip(data):
        return load_torch_zip(io.BytesIO(data), where)
    meta = _safetensors_metadata(data)
    if meta is None:
        hint = " (an old torch.save format, before PyTorch 1.6; re-save it with a recent torch)" \
            if data[:2] in (b"\x80\x02", b"\x80\x04") else ""
        raise CheckpointError(
            f"neurona.load: {where} is neither a neurona.save / safetensors file nor a torch.save archive{hint}"
        )
    try:
        arrays = safetensors.numpy.load(data)
    except Exception as e:  # safetensors raises its own error types for a damaged file
        raise CheckpointError(f"neurona.load: {where} is a damaged safetensors file ({e})") from e
    if FORMAT_KEY not in meta:
        return {key: Tensor._wrap(np.array(value, copy=True)) for key, value in arrays.items()}
    try:
        tree = json.loads(meta[FORMAT_KEY])["tree"]
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        raise CheckpointError(f"neurona.load: the structure stored in {where} is damaged ({e})") from e
    return _decode(tree, arrays, {})
