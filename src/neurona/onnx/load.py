"""``neurona.onnx.load``: an ONNX file -> a trainable neurona Module that runs its graph.

The graph's floating-point initializers become Parameters (the statistics of ``BatchNormalization``
become buffers), named as in the file, so a graph exported from ``torch.nn`` or from neurona keeps its
``state_dict`` keys (``fc.weight``, ``0.bias``); other constants stay NumPy arrays. ``forward`` runs
the nodes in order with the handlers of :mod:`neurona.onnx.import_ops`, so gradients reach every
Parameter and the module trains with any neurona optimiser.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from neurona.errors import DTypeError, ShapeError, fmt_shape
from neurona.nn.module import Module, Parameter
from neurona.onnx._graph import OnnxImportError, UnsupportedOpError
from neurona.onnx.import_ops import HANDLERS, as_tensor, check_recurrent
from neurona.tensor import Tensor


def _text(value: Any) -> Any:
    """String attributes (and lists of them) as str: ONNX stores them as bytes."""
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, list) and value and isinstance(value[0], bytes):
        return [v.decode() for v in value]
    return value


class _Node:
    """One node, read once: op type, name, inputs, outputs, attributes (and a Constant's value)."""

    def __init__(self, proto: Any, index: int) -> None:
        from onnx import helper, numpy_helper

        self.op_type, self.name = proto.op_type, proto.name or f"{proto.op_type}_{index}"
        self.inputs, self.outputs = list(proto.input), list(proto.output)
        self.attrs = {a.name: _text(helper.get_attribute_value(a)) for a in proto.attribute}
        self.constant = None
        if "value" in self.attrs and hasattr(self.attrs["value"], "raw_data"):  # Constant, ConstantOfShape
            self.constant = numpy_helper.to_array(self.attrs["value"])
        elif proto.op_type == "Constant":
            for key, dtype in (("value_float", np.float32), ("value_floats", np.float32), ("value_int", np.int64),
                               ("value_ints", np.int64)):
                if key in self.attrs:
                    self.constant = np.asarray(self.attrs[key], dtype=dtype)
            if self.constant is None:
                raise UnsupportedOpError(f"ONNX op 'Constant' (node {self.name!r}): only tensor, float and int "
                                         f"values are supported, got attributes {sorted(self.attrs)}")


class _Holder(Module):
    """A namespace for the parameters under one dotted prefix (``fc`` of ``fc.weight``)."""

    def forward(self, *args: Any) -> Any:
        raise TypeError("this module only holds parameters of an ONNX graph; call the OnnxModule instead")

    def extra_repr(self) -> str:
        tensors = {**self._parameters, **self._buffers}
        return ", ".join(f"{name}: {tuple(t.shape)}" for name, t in tensors.items() if t is not None)


_IDENTIFIER = re.compile(r"[^0-9A-Za-z_]")


class OnnxModule(Module):
    """A neurona Module running an ONNX graph (built by :func:`load`).

    ``model(x)`` (or ``model(x1, x2)`` for several graph inputs) returns the graph's output, or a
    tuple of them. ``parameters()`` are the graph's floating-point weights; ``state_dict()`` keys are
    the initializer names (characters other than letters, digits and ``_`` become ``_``).
    """

    def __init__(self, proto: Any) -> None:
        super().__init__()
        from onnx import numpy_helper

        graph = proto.graph
        arrays = {init.name: numpy_helper.to_array(init).copy() for init in graph.initializer}
        nodes = [_Node(n, i) for i, n in enumerate(graph.node)]
        for node in nodes:
            if node.op_type not in HANDLERS:
                raise UnsupportedOpError(
                    f"ONNX op {node.op_type!r} (node {node.name!r}) is not supported by neurona.onnx.load. "
                    f"Supported ops: {', '.join(sorted(HANDLERS))}")
            if node.op_type in ("RNN", "LSTM", "GRU"):
                check_recurrent(node)
        # Identity of an initializer (torch ties equal weights this way) becomes a copy of its own
        for node in nodes:
            if node.op_type == "Identity" and node.inputs[0] in arrays and node.outputs[0] not in arrays:
                arrays[node.outputs[0]] = arrays[node.inputs[0]].copy()
        self._nodes = [n for n in nodes if not (n.op_type == "Identity" and n.outputs[0] in arrays
                                                and n.inputs[0] in arrays)]
        statistics = {n.inputs[i] for n in self._nodes if n.op_type == "BatchNormalization" for i in (3, 4)}
        self._constants: dict[str, np.ndarray] = {}
        self._tensors: dict[str, tuple[Module, str]] = {}
        for name, array in arrays.items():
            if array.dtype.kind != "f":
                self._constants[name] = array
                continue
            owner, attr = self._slot(name)
            if name in statistics:
                owner.register_buffer(attr, Tensor._wrap(array))
            else:
                owner.register_parameter(attr, Parameter(array))
            self._tensors[name] = (owner, attr)
        self._inputs = [(i.name, _declared_shape(i)) for i in graph.input if i.name not in arrays]
        self._outputs = [o.name for o in graph.output]

    def _slot(self, name: str) -> tuple[Module, str]:
        """The submodule and attribute that hold initializer ``name``: 'fc.weight' -> (fc, 'weight'), so
        that state_dict keys are the file's names. A name that does not fit (it clashes with an attribute
        already there) goes flat on the top module, its dots and other symbols turned into '_'."""
        parts = [_IDENTIFIER.sub("_", p) or "_" for p in name.split(".")]
        owner: Module = self
        for part in parts[:-1]:
            child = owner._modules.get(part)
            if child is None:
                if hasattr(owner, part):
                    return self, "_" + _IDENTIFIER.sub("_", name)
                child = _Holder()
                owner.register_module(part, child)
            owner = child
        if hasattr(owner, parts[-1]) or (parts[-1][0].isdigit() and owner is self):
            return self, "_" + _IDENTIFIER.sub("_", name)
        return owner, parts[-1]

    def _check_inputs(self, inputs: tuple) -> list[Tensor]:
        if len(inputs) != len(self._inputs):
            names = ", ".join(n for n, _ in self._inputs)
            raise TypeError(f"{type(self).__name__} takes {len(self._inputs)} input(s) ({names}), got {len(inputs)}")
        checked = []
        for value, (name, shape) in zip(inputs, self._inputs):
            x = value if isinstance(value, Tensor) else Tensor(np.asarray(value))
            if shape is not None:
                if x.ndim != len(shape) or any(s is not None and s != d for s, d in zip(shape, x.shape)):
                    want = "(" + ", ".join("N" if s is None else str(s) for s in shape) + ")"
                    raise ShapeError(f"ONNX graph input {name!r} expects shape {want}, got {fmt_shape(x.shape)}")
            checked.append(x)
        return checked

    def forward(self, *inputs: Any) -> Any:
        values: dict[str, Any] = {"": None, **self._constants}
        for name, (owner, attr) in self._tensors.items():
            values[name] = getattr(owner, attr)
        for (name, _), x in zip(self._inputs, self._check_inputs(inputs)):
            values[name] = x
        for node in self._nodes:
            args = [values[i] for i in node.inputs]
            results = HANDLERS[node.op_type](node, args)
            for out, result in zip(node.outputs, results):
                values[out] = result
        outputs = [as_tensor(values[name]) for name in self._outputs]
        return outputs[0] if len(outputs) == 1 else tuple(outputs)

    def extra_repr(self) -> str:
        ops = sorted({n.op_type for n in self._nodes})
        return f"{len(self._nodes)} nodes: {', '.join(ops)}"


def _declared_shape(value_info: Any) -> tuple[int | None, ...] | None:
    """A graph input's shape, None for dynamic dimensions; None when the rank is not declared."""
    tensor = value_info.type.tensor_type
    if not tensor.HasField("shape"):
        return None
    return tuple(d.dim_value if d.HasField("dim_value") else None for d in tensor.shape.dim)


def load(path: str | os.PathLike) -> OnnxModule:
    """A trainable neurona Module from an ONNX file of the op set neurona supports (see docs/onnx.md).

    Parameters
    ----------
    path : str or path
        An ``.onnx`` file, e.g. written by :func:`neurona.onnx.export` or ``torch.onnx.export``.

    Returns
    -------
    OnnxModule
        Call it like the original model; its floating-point weights are Parameters.

    Raises
    ------
    FileNotFoundError
        No such file.
    OnnxImportError
        The file is not a valid ONNX model (unreadable, truncated, fails ``onnx.checker``).
    UnsupportedOpError
        A node neurona cannot build; the message names the op type and the node.

    Examples
    --------
    >>> model = neurona.onnx.load("model.onnx")             # doctest: +SKIP
    >>> loss = F.cross_entropy(model(x), y); loss.backward()  # doctest: +SKIP
    """
    import onnx
    from google.protobuf.message import DecodeError

    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"neurona.onnx.load: path must be a str or a path, got {type(path).__name__}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"neurona.onnx.load: {path} does not exist or is not a file")
    try:  # weights may sit in an external data file beside it (torch's dynamo exporter writes one)
        proto = onnx.load(str(path))
    except (DecodeError, ValueError, RuntimeError, OSError) as e:
        raise OnnxImportError(f"{path} is not an ONNX model: it could not be parsed ({type(e).__name__}: {e})") from None
    if not proto.graph.node and not proto.graph.output:
        raise OnnxImportError(f"{path} is not an ONNX model: it holds no graph (empty, truncated or another format)")
    try:
        onnx.checker.check_model(proto)
    except onnx.checker.ValidationError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else "invalid model"
        raise OnnxImportError(f"{path} is not a valid ONNX model: {first}") from None
    domains = {o.domain for o in proto.opset_import} - {"", "ai.onnx"}
    if domains:
        raise UnsupportedOpError(f"{path} uses ops from domain(s) {sorted(domains)}; neurona reads the standard "
                                 "ONNX domain only")
    for t in proto.graph.input:
        kind = t.type.tensor_type.elem_type
        if not t.type.HasField("tensor_type"):
            raise OnnxImportError(f"{path}: graph input {t.name!r} is not a tensor (sequences and maps are not supported)")
        if kind and onnx.helper.tensor_dtype_to_np_dtype(kind).kind not in "fiu":
            raise DTypeError(f"{path}: graph input {t.name!r} has an unsupported element type "
                             f"{onnx.TensorProto.DataType.Name(kind)}")
    return OnnxModule(proto)
