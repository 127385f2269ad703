"""The op table: one row per public op (see ``op_table.info.Op``), gathered from one module per source
file of ``src/neurona/ops`` (and ``functional.py`` for the losses it composes). ``tests/test_ops.py``
drives every check from ``OPS``; adding an op means adding one row to the module of its source file."""

from __future__ import annotations

from op_table import (
    activation,
    arrange,
    conv,
    elementwise,
    embedding,
    functional,
    gather,
    linalg,
    nn,
    normalization,
    pool,
    promotion,
    reduction,
    rnn,
    shape,
)
from op_table.info import Case, Op, case

OPS: list[Op] = [
    row
    for module in (elementwise, activation, reduction, shape, linalg, nn, functional, normalization,
                   embedding, conv, pool, rnn, promotion, gather, arrange)
    for row in module.OPS
]
BY_NAME = {row.name: row for row in OPS}
assert len(BY_NAME) == len(OPS), "two op table rows share a name"

__all__ = ["BY_NAME", "OPS", "Case", "Op", "case"]
