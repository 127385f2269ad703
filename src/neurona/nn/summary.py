"""``model.summary(input_shape)``: the layer table users know from Keras ``model.summary()`` and torchinfo."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neurona.errors import fmt_shape
from neurona.tensor import Tensor, no_grad


@dataclass
class SummaryRow:
    name: str
    kind: str
    depth: int
    output_shape: tuple
    params: int
    trainable: int


@dataclass
class ModelSummary:
    """The table as data (``rows``, totals) that prints as text."""

    model_name: str
    input_shape: tuple
    rows: list[SummaryRow] = field(default_factory=list)
    total_params: int = 0
    trainable_params: int = 0
    param_bytes: int = 0
    activation_bytes: int = 0

    @property
    def non_trainable_params(self) -> int:
        return self.total_params - self.trainable_params

    def __str__(self) -> str:
        name_w = max([len("  " * r.depth + f"{r.name} ({r.kind})") for r in self.rows] + [24]) + 2
        shape_w = max([len(fmt_shape(r.output_shape)) for r in self.rows] + [14]) + 2
        header = f"{'Layer (type)':<{name_w}}{'Output shape':<{shape_w}}{'Param #':>12}"
        rule = "=" * len(header)
        lines = [f"Model: {self.model_name}    input {fmt_shape(self.input_shape)}", rule, header, rule]
        for r in self.rows:
            label = "  " * r.depth + f"{r.name} ({r.kind})"
            lines.append(f"{label:<{name_w}}{fmt_shape(r.output_shape):<{shape_w}}{r.params:>12,}")
        lines += [
            rule,
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.non_trainable_params:,}",
            f"Params size (MB): {self.param_bytes / 2**20:.2f}",
            f"Forward activations size (MB): {self.activation_bytes / 2**20:.2f}",
            rule,
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)


def _first_tensor(out: Any) -> Tensor | None:
    if isinstance(out, Tensor):
        return out
    if isinstance(out, tuple | list) and out:
        return _first_tensor(out[0])
    return None


def summary(model: Any, input_shape: tuple[int, ...], dtype: Any = np.float32) -> ModelSummary:
    """Run one forward pass on zeros of ``input_shape`` (batch dimension included) and tabulate every
    sub-module's output shape and parameter count."""
    result = ModelSummary(type(model).__name__, tuple(input_shape))
    records: dict[int, tuple] = {}
    handles = []
    names = list(model.named_modules())
    depth_of = {id(m): (n.count(".") + 1 if n else 0) for n, m in names}
    for _, module in names[1:]:
        def hook(m, args, out, _id=id(module)):  # noqa: B008 - bind this module's id now
            t = _first_tensor(out)
            records[_id] = t.shape if t is not None else ()
            result.activation_bytes += t.data.nbytes if t is not None else 0

        handles.append(module.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            out = model(Tensor._wrap(np.zeros(input_shape, dtype=dtype)))
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    for name, module in names[1:]:
        own = list(module.parameters(recurse=False))
        result.rows.append(SummaryRow(
            name=name.split(".")[-1], kind=type(module).__name__, depth=depth_of[id(module)] - 1,
            output_shape=records.get(id(module), ()),
            params=sum(p.data.size for p in module.parameters()),
            trainable=sum(p.data.size for p in own if p.requires_grad),
        ))
    params = list(model.parameters())
    result.total_params = sum(p.data.size for p in params)
    result.trainable_params = sum(p.data.size for p in params if p.requires_grad)
    result.param_bytes = sum(p.data.nbytes for p in params) + sum(b.data.nbytes for b in model.buffers())
    final = _first_tensor(out)
    if not result.rows and final is not None:
        result.rows.append(SummaryRow(type(model).__name__, type(model).__name__, 0, final.shape,
                                      result.total_params, result.trainable_params))
    return result
