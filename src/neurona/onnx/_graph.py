"""The small graph builder the exporters write into: named nodes, initializers and int64 constants.

An exporter never touches ``onnx.helper`` directly for bookkeeping: it asks the builder for a node
(``b.node("Relu", [x.name])``) or a constant (``b.weight(array, "0.weight")``, ``b.ints([0, -1])``)
and gets back the name of the value it produced. Values carry their rank, which is all the shape
knowledge the exporters need (the batch dimension stays symbolic).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np


class ExportError(ValueError):
    """A model, a layer or an argument cannot be written as ONNX (the message says which and why)."""


class OnnxImportError(ValueError):
    """An ONNX file that cannot be read: not ONNX, truncated, invalid, or with inputs neurona cannot take."""


class UnsupportedOpError(OnnxImportError):
    """An ONNX node that neurona cannot build (the message names the op type and the node)."""


@dataclass(frozen=True)
class Value:
    """A tensor of the graph being built: its name and its rank (number of dimensions). Not a tuple,
    so that the tuples a layer returns (an LSTM's ``(output, (h_n, c_n))``) stay apart from values."""

    name: str
    rank: int


class GraphBuilder:
    """Collects the nodes and initializers of one ONNX graph, in topological order."""

    def __init__(self, opset: int) -> None:
        import onnx  # noqa: F401  (a clear ImportError early when the extra is missing)

        self.opset = opset
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._taken: set[str] = set()
        self._counts: Counter[str] = Counter()

    def fresh(self, hint: str) -> str:
        """A value or node name not used yet, derived from ``hint``."""
        name = hint
        while name in self._taken:
            self._counts[hint] += 1
            name = f"{hint}_{self._counts[hint]}"
        self._taken.add(name)
        return name

    def weight(self, array: np.ndarray, name: str) -> str:
        """An initializer holding ``array`` (a copy), named ``name`` (a state-dict key) when free."""
        from onnx import numpy_helper

        name = self.fresh(name)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def ints(self, values: list[int] | tuple[int, ...]) -> str:
        """A 1-D int64 constant (shapes, axes, indices)."""
        return self.weight(np.asarray(values, dtype=np.int64), "const")

    def node(self, op: str, inputs: list[str], outputs: int = 1, hint: str | None = None,
             **attrs: Any) -> Any:
        """Append a node; returns its output name (or the list of names when ``outputs > 1``)."""
        from onnx import helper

        base = hint or op
        names = [self.fresh(f"{base}_out{i}" if outputs > 1 else f"{base}_out") for i in range(outputs)]
        self.nodes.append(helper.make_node(op, inputs, names, name=self.fresh(base), **attrs))
        return names if outputs > 1 else names[0]
