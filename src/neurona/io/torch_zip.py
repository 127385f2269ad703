"""Read a file written by ``torch.save`` (a state dict, a checkpoint dict) without PyTorch and without
running any code from the file.

``torch.save`` writes a zip archive: ``<root>/data.pkl`` is a pickle of the object's structure, and every
tensor's storage is a raw little-endian buffer ``<root>/data/<key>``. A pickle is a small program that
may import and call anything (``os.system``, ``builtins.eval``); this reader runs it under an unpickler
whose ``find_class`` admits only what a state dict needs, as torch's own ``weights_only=True`` does:

- ``torch._utils._rebuild_tensor_v2`` / ``_rebuild_parameter``: a tensor from (storage, offset, size,
  stride), rebuilt here with NumPy (bounds checked against the storage);
- ``torch.<Type>Storage``: which dtype a storage holds;
- ``collections.OrderedDict``; the containers, numbers and strings that pickle builds without imports.

Anything else stops the load with :class:`UnsafeFileError` before it is called. The result holds
neurona Tensors (each owns a copy of its data; views of one storage do not share memory after loading).
"""

from __future__ import annotations

import pickle
import zipfile
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from neurona.errors import CheckpointError
from neurona.tensor import Tensor

# torch's storage classes, by the dtype their bytes hold (bfloat16 is widened to float32 on load)
_STORAGE_DTYPES = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
    "BFloat16Storage": np.dtype("<u2"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
    "ShortStorage": np.dtype("<i2"),
    "CharStorage": np.dtype("i1"),
    "ByteStorage": np.dtype("u1"),
    "BoolStorage": np.dtype("?"),
}


class UnsafeFileError(pickle.UnpicklingError):
    """The file asks for something a weights-only load refuses (a class or function outside the allowlist)."""


class _StorageType:
    """What ``torch.FloatStorage`` and its kin unpickle to: the dtype of the storage's bytes."""

    def __init__(self, name: str) -> None:
        self.name, self.dtype = name, _STORAGE_DTYPES[name]


class _Storage:
    """One storage of the archive: a flat NumPy array of its elements."""

    def __init__(self, array: np.ndarray, bfloat16: bool) -> None:
        self.array, self.bfloat16 = array, bfloat16


def _rebuild_tensor(storage: Any, offset: Any, size: Any, stride: Any, *rest: Any) -> Tensor:
    """``torch._utils._rebuild_tensor_v2``: the elements ``storage[offset + sum(i_k * stride_k)]``."""
    if not isinstance(storage, _Storage):
        raise UnsafeFileError("neurona.load: a tensor in the file is not built on one of its storages")
    if not (isinstance(offset, int) and all(isinstance(v, int) for v in (*size, *stride))) or len(size) != len(stride):
        raise CheckpointError(f"neurona.load: a tensor has an invalid layout (offset {offset!r}, size {size!r}, "
                              f"stride {stride!r})")
    if offset < 0 or any(v < 0 for v in (*size, *stride)):
        raise CheckpointError(f"neurona.load: a tensor has a negative offset, size or stride ({offset}, {size}, "
                              f"{stride}); the file is damaged")
    flat = storage.array
    if 0 in size:
        values = np.zeros(size, dtype=flat.dtype)
    else:
        last = offset + sum((n - 1) * s for n, s in zip(size, stride))
        if last >= flat.size:
            raise CheckpointError(
                f"neurona.load: a tensor of size {tuple(size)} at offset {offset} reaches element {last} of a "
                f"storage of {flat.size} elements; the file is damaged"
            )
        view = np.lib.stride_tricks.as_strided(
            flat[offset:], shape=tuple(size), strides=tuple(s * flat.itemsize for s in stride), writeable=False
        )
        values = np.array(view, copy=True)
    if storage.bfloat16:  # bfloat16 is the top half of a float32
        values = (values.astype(np.uint32) << 16).view(np.float32)
    requires_grad = bool(rest[0]) if rest and isinstance(rest[0], bool) else False
    tensor = Tensor._wrap(values)
    if requires_grad and values.dtype.kind == "f":
        tensor.requires_grad_(True)
    return tensor


def _rebuild_parameter(data: Any, requires_grad: Any, *rest: Any) -> Any:
    """``torch._utils._rebuild_parameter``: a neurona Parameter around the rebuilt tensor."""
    from neurona.nn.module import Parameter

    if not isinstance(data, Tensor):
        raise UnsafeFileError("neurona.load: a Parameter in the file does not wrap a tensor")
    return Parameter(data, requires_grad=bool(requires_grad))


_ALLOWED: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    **{("torch", name): _StorageType(name) for name in _STORAGE_DTYPES},
}


class _WeightsOnlyUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the names in ``_ALLOWED`` and reads storages from the archive."""

    def __init__(self, file: Any, read_storage: Callable[[_StorageType, str], _Storage]) -> None:
        super().__init__(file)
        self._read_storage = read_storage

    def find_class(self, module: str, name: str) -> Any:
        found = _ALLOWED.get((module, name))
        if found is None:
            raise UnsafeFileError(
                f"neurona.load refused to load {module}.{name}: a weights-only load admits only tensors, "
                "OrderedDict, containers, numbers and strings (a state dict or a checkpoint dict of them). "
                "The file holds other objects (a pickled model or custom class), or it was built to run "
                "code; nothing from it was executed. Save model.state_dict() with torch.save instead."
            )
        return found

    def persistent_load(self, pid: Any) -> _Storage:
        if not (isinstance(pid, tuple) and len(pid) >= 3 and pid[0] == "storage"):
            raise UnsafeFileError(f"neurona.load: unknown persistent reference {pid!r:.80} in the file")
        storage_type, key = pid[1], pid[2]
        if not isinstance(storage_type, _StorageType) or not isinstance(key, str):
            raise UnsafeFileError(
                f"neurona.load: a storage of type {storage_type!r:.60} is not supported (expected one of "
                f"{', '.join(sorted(_STORAGE_DTYPES))})"
            )
        return self._read_storage(storage_type, key)


def is_torch_zip(data: bytes) -> bool:
    """Whether ``data`` looks like a ``torch.save`` archive (a zip file)."""
    return data[:4] == b"PK\x03\x04"


def load_torch_zip(file: Any, where: str = "the file") -> Any:
    """The object a ``torch.save`` archive holds, with torch tensors as neurona Tensors.

    Parameters
    ----------
    file : path or binary file object
        The archive (``torch.save``'s default zip format).
    where : str
        How error messages name the file.

    Raises
    ------
    UnsafeFileError
        The pickle asks for a class or function outside the allowlist (nothing is executed).
    CheckpointError
        The archive is damaged or not a ``torch.save`` file.
    """
    try:
        archive = zipfile.ZipFile(file)
    except zipfile.BadZipFile as e:
        raise CheckpointError(f"neurona.load: {where} is not a readable torch.save archive ({e})") from e
    with archive:
        names = archive.namelist()
        pickles = [n for n in names if n.endswith("data.pkl") and n.count("/") == 1]
        if len(pickles) != 1:
            raise CheckpointError(
                f"neurona.load: {where} is a zip file but not a torch.save archive (no <root>/data.pkl in it)"
            )
        root = pickles[0][: -len("data.pkl")]
        if root + "byteorder" in names and archive.read(root + "byteorder").strip() != b"little":
            raise CheckpointError(f"neurona.load: {where} was written on a big-endian machine; not supported")
        storages: dict[str, _Storage] = {}

        def read_storage(storage_type: _StorageType, key: str) -> _Storage:
            if key not in storages:
                entry = f"{root}data/{key}"
                if entry not in names:
                    raise CheckpointError(f"neurona.load: {where} refers to storage {key!r}, which it lacks")
                raw = archive.read(entry)
                if len(raw) % storage_type.dtype.itemsize:
                    raise CheckpointError(f"neurona.load: storage {key!r} of {where} has a partial element")
                array = np.frombuffer(raw, dtype=storage_type.dtype)
                storages[key] = _Storage(array, bfloat16=storage_type.name == "BFloat16Storage")
            return storages[key]

        with archive.open(pickles[0]) as pkl:
            try:
                return _WeightsOnlyUnpickler(pkl, read_storage).load()
            except (UnsafeFileError, CheckpointError):
                raise
            except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, KeyError) as e:
                raise CheckpointError(f"neurona.load: {where} holds a damaged pickle ({type(e).__name__}: {e})") from e
