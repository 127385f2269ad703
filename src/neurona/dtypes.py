"""dtypes and sizes as PyTorch spells them: ``neurona.float32``, ``neurona.long``, ``neurona.Size``.

A :class:`DType` wraps a NumPy dtype. It prints like torch's (``neurona.float32``), compares equal to
the NumPy dtype it wraps and to the other spellings of it (``neurona.float == np.float32 == "float32"``),
and NumPy accepts it wherever a dtype goes (``np.zeros(3, dtype=neurona.int64)``), so code written
for either library reads the same. ``neurona.float`` *is* ``neurona.float32``, as in torch.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np


class DType:
    """A tensor element type. ``.dtype`` is the NumPy dtype; other NumPy attributes (``kind``,
    ``itemsize``) read through, and ``is_floating_point``/``is_signed`` answer as in torch."""

    __slots__ = ("dtype", "name")

    def __init__(self, name: str, numpy_dtype: Any) -> None:
        self.name, self.dtype = name, np.dtype(numpy_dtype)

    def __repr__(self) -> str:
        return f"neurona.{self.name}"

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, DType):
            return self.dtype == other.dtype
        try:
            return self.dtype == as_numpy_dtype(other)
        except TypeError:
            return NotImplemented

    def __hash__(self) -> int:
        return hash(self.dtype)

    def __getattr__(self, attr: str) -> Any:  # kind, itemsize, char, type ... of the NumPy dtype
        return getattr(self.dtype, attr)

    def __reduce__(self) -> str:
        return self.name

    @property
    def is_floating_point(self) -> bool:
        return self.dtype.kind == "f"

    @property
    def is_signed(self) -> bool:
        return self.dtype.kind in "if"

    @property
    def is_complex(self) -> bool:
        return False

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize


float32 = DType("float32", np.float32)
float64 = DType("float64", np.float64)
float16 = DType("float16", np.float16)
int64 = DType("int64", np.int64)
int32 = DType("int32", np.int32)
int16 = DType("int16", np.int16)
int8 = DType("int8", np.int8)
uint8 = DType("uint8", np.uint8)
bool = DType("bool", np.bool_)
float, double, half = float32, float64, float16
long, int, short = int64, int32, int16

_BY_NUMPY = {d.dtype: d for d in (float32, float64, float16, int64, int32, int16, int8, uint8, bool)}
_NAMES = {"float": float32, "double": float64, "half": float16, "long": int64, "int": int32, "short": int16,
          "bool": bool, "torch.float32": float32, "torch.float64": float64, "torch.int64": int64}
_TYPE_NAMES = {  # x.type() answers with torch's legacy names
    float32: "FloatTensor", float64: "DoubleTensor", float16: "HalfTensor", int64: "LongTensor",
    int32: "IntTensor", int16: "ShortTensor", int8: "CharTensor", uint8: "ByteTensor", bool: "BoolTensor",
}


def as_numpy_dtype(dtype: Any) -> np.dtype:
    """The NumPy dtype for a neurona/torch-style/NumPy/Python dtype (``neurona.long``, ``"float64"``, ``float``).

    Python's ``float`` and ``int`` mean the default float dtype and int64, as in torch."""
    if isinstance(dtype, DType):
        return dtype.dtype
    if dtype is builtins.float:
        return get_default_dtype().dtype
    if dtype is builtins.int:
        return np.dtype(np.int64)
    if dtype is builtins.bool:
        return np.dtype(np.bool_)
    if isinstance(dtype, str):
        name = dtype.removeprefix("neurona.").removeprefix("torch.")
        if name in _NAMES:
            return _NAMES[name].dtype
        dtype = name
    if hasattr(dtype, "is_floating_point") and str(dtype).startswith("torch."):  # a torch dtype
        return np.dtype(str(dtype).removeprefix("torch."))
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(
            f"{dtype!r} is not a dtype; expected one of neurona.float32, float64, float16, int64, int32, "
            "int16, int8, uint8, bool (or their torch names: float, double, half, long, int, short)"
        ) from None


def as_dtype(dtype: Any) -> DType:
    """The :class:`DType` for any dtype spelling (see :func:`as_numpy_dtype`)."""
    numpy_dtype = as_numpy_dtype(dtype)
    if numpy_dtype not in _BY_NUMPY:
        raise TypeError(f"neurona has no dtype {numpy_dtype}; expected one of {', '.join(str(d) for d in _BY_NUMPY.values())}")
    return _BY_NUMPY[numpy_dtype]


_default = {"dtype": float32}


def get_default_dtype() -> DType:
    """The dtype of new floating tensors (``neurona.float32`` unless :func:`set_default_dtype` changed it)."""
    return _default["dtype"]


def set_default_dtype(dtype: Any) -> None:
    """Make new floating tensors (``tensor([1.5])``, ``randn``, ``zeros``) use ``dtype``: float32 or float64."""
    d = as_dtype(dtype)
    if d not in (float32, float64, float16):
        raise TypeError(f"set_default_dtype: only floating dtypes can be the default, got {d}")
    _default["dtype"] = d


def is_floating_point(t: Any) -> builtins.bool:
    return t.data.dtype.kind == "f"


class Size(tuple):
    """A tensor's shape, as ``torch.Size``: a tuple that prints as ``neurona.Size([2, 3])``."""

    def __repr__(self) -> str:
        return f"neurona.Size({list(self)})"

    def numel(self) -> builtins.int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, index: Any) -> Any:
        item = tuple.__getitem__(self, index)
        return Size(item) if isinstance(index, slice) else item


def promote_types(a: Any, b: Any) -> DType:
    """The dtype two tensors of dtypes ``a`` and ``b`` meet as (both with dimensions)."""
    from neurona.ops.promotion import result_dtype

    x, y = np.zeros(1, as_numpy_dtype(a)), np.zeros(1, as_numpy_dtype(b))
    return as_dtype(result_dtype(x, y))


class finfo:
    """Machine limits of a floating dtype (``eps``, ``max``, ``min``, ``tiny``), as ``torch.finfo``."""

    def __init__(self, dtype: Any = None) -> None:
        info = np.finfo(as_numpy_dtype(get_default_dtype() if dtype is None else dtype))
        self.bits, self.eps, self.max, self.min = info.bits, builtins.float(info.eps), builtins.float(info.max), builtins.float(info.min)
        self.tiny = self.smallest_normal = builtins.float(info.tiny)
        self.resolution = builtins.float(info.resolution)


class iinfo:
    """Limits of an integer dtype (``max``, ``min``, ``bits``), as ``torch.iinfo``."""

    def __init__(self, dtype: Any) -> None:
        info = np.iinfo(as_numpy_dtype(dtype))
        self.bits, self.max, self.min = info.bits, builtins.int(info.max), builtins.int(info.min)


def as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """NumPy array for ``data`` (a Tensor's ``__init__``): floats take the default dtype and integers int64,
    unless ``dtype`` says otherwise."""
    if dtype is not None:
        dtype = as_numpy_dtype(dtype)
    arr = np.asarray(data, dtype=dtype)
    if dtype is None:
        if arr.dtype.kind == "f" and arr.dtype != _default["dtype"].dtype:
            arr = arr.astype(_default["dtype"].dtype)
        elif arr.dtype.kind in "iu" and arr.dtype != np.int64:
            arr = arr.astype(np.int64)
        elif arr.dtype.kind not in "fiub":
            raise TypeError(f"cannot make a Tensor from data of dtype {arr.dtype}; expected numbers or bools")
    return arr
