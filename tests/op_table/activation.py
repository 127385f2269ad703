"""Rows for ``ops/activation.py`` (and the activations ``neurona.functional`` builds from elementwise ops:
silu, selu, gelu with the tanh approximation). Inputs in [-4, 4), off the kinks of piecewise ones."""

from __future__ import annotations

import torch.nn.functional as TF

import neurona.functional as F
from op_table.info import Op, case

SHAPES = [case((3, 4)), case((2, 3, 5)), case((1,)), case(())]
WIDE = {"low": -4.0, "high": 4.0}


def _act(name, nr_fn, torch_fn, cases=SHAPES, away_from=None, **kw) -> Op:
    domain = dict(WIDE, away_from=away_from) if away_from is not None else WIDE
    return Op(name, nr_fn, torch_fn, cases, domain=domain, **kw)


OPS = [
    _act("relu", F.relu, TF.relu, away_from=0.0, integer=True, aliases=(lambda x: x.relu(),)),
    _act(
        "leaky_relu", F.leaky_relu, TF.leaky_relu,
        [case((3, 4)), case((2, 3, 5), negative_slope=0.2), case(()), case((1,), negative_slope=1.5)],
        away_from=0.0,
    ),
    _act("elu", F.elu, TF.elu, [case((3, 4)), case((2, 3, 5), alpha=0.7), case(())], away_from=0.0,
         second_order=True),
    _act("selu", F.selu, TF.selu, away_from=0.0, second_order=True),
    _act("gelu", F.gelu, TF.gelu, second_order=True),
    _act(
        "gelu tanh", F.gelu, TF.gelu,
        [case((3, 4), approximate="tanh"), case((2, 3, 5), approximate="tanh"), case((), approximate="tanh")],
        second_order=True,
    ),
    _act("silu", F.silu, TF.silu, second_order=True),
    _act(
        "softplus", F.softplus, TF.softplus,
        [case((3, 4)), case((2, 3, 5), beta=2.0, threshold=3.0), case((4,), beta=1.0, threshold=0.5), case(())],
        away_from=(1.5, 0.5), second_order=True,
    ),
    _act(
        "hardtanh", F.hardtanh, TF.hardtanh,
        [case((3, 4)), case((2, 3, 5), min_val=-0.5, max_val=0.8), case(())],
        away_from=(-1.0, 1.0, -0.5, 0.8), integer=True,
    ),
]
