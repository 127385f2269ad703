"""Rows for ``ops/arrange.py``: clone, repeat, cumsum, roll, flip, tril/triu, diag, trace, masked_fill,
einsum and outer."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as TF

import neurona as nr
import neurona.functional as F
from op_table.info import Op, case

_MASK = np.array([[True, False, True, False], [False, False, True, True], [True, True, False, False]])


def _same(name, fn, cases, **kw) -> Op:
    return Op(name, fn, fn, cases, integer=True, **kw)


OPS = [
    _same("clone", lambda x: x.clone(), [case((2, 3)), case(())], aliases=(nr.clone,)),
    _same("repeat", lambda x, reps: x.repeat(*reps),
          [case((2, 3), reps=(2, 1)), case((3,), reps=(2, 2)), case((2, 1, 3), reps=(1, 3, 2))],
          aliases=(lambda x, reps: nr.repeat(x, reps),)),
    Op("cumsum", lambda x, dim: nr.cumsum(x, dim), lambda x, dim: torch.cumsum(x, dim),
       [case((3, 4), dim=1), case((3, 4), dim=0), case((5,), dim=-1)], aliases=(lambda x, dim: x.cumsum(dim),)),
    _same("roll", lambda x, **o: x.roll(**o),
          [case((3, 4), shifts=1, dims=1), case((3, 4), shifts=(2, -1), dims=(0, 1)), case((3, 4), shifts=5)],
          aliases=(lambda x, **o: nr.roll(x, **o),)),
    Op("flip", lambda x, dims: nr.flip(x, dims), lambda x, dims: torch.flip(x, dims),
       [case((3, 4), dims=(0,)), case((2, 3, 4), dims=(0, 2))], integer=True,
       aliases=(lambda x, dims: x.flip(dims),)),
    Op("tril", lambda x, **o: nr.tril(x, **o), lambda x, **o: torch.tril(x, **o),
       [case((4, 4)), case((3, 5), diagonal=1), case((2, 3, 3), diagonal=-1)], integer=True,
       aliases=(lambda x, **o: x.tril(**o),)),
    Op("triu", lambda x, **o: nr.triu(x, **o), lambda x, **o: torch.triu(x, **o),
       [case((4, 4)), case((3, 5), diagonal=2), case((5, 3), diagonal=-1)], integer=True,
       aliases=(lambda x, **o: x.triu(**o),)),
    Op("diag", lambda x, **o: nr.diag(x, **o), lambda x, **o: torch.diag(x, **o),
       [case((4, 4)), case((3, 5), diagonal=1), case((4,)), case((3,), diagonal=-2), case((5, 3), diagonal=-1)],
       integer=True, aliases=(lambda x, **o: x.diag(**o),)),
    Op("trace", nr.trace, torch.trace, [case((4, 4)), case((3, 5))], integer=False),
    Op("masked_fill", lambda x, mask, value: nr.masked_fill(x, mask, value),
       lambda x, mask, value: torch.masked_fill(x, torch.tensor(mask), value),
       [case((3, 4), mask=_MASK, value=-1.5), case((2, 3, 4), mask=_MASK, value=0.0)], integer=False,
       aliases=(lambda x, mask, value: x.masked_fill(mask, value),)),
    Op("einsum", lambda *xs, spec: nr.einsum(spec, *xs), lambda *xs, spec: torch.einsum(spec, *xs),
       [case((3, 4), (4, 5), spec="ij,jk->ik"), case((2, 3, 4), (2, 4), spec="bij,bj->bi"),
        case((3, 4), spec="ij->j"), case((3,), (4,), spec="i,j->ij"), case((2, 3), (3,), spec="ij,j->"),
        case((2, 3), (3, 4), (4,), spec="ab,bc,c->a")],
       second_order=True),
    Op("one_hot", F.one_hot, TF.one_hot,
       [case(np.array([0, 2, 1, 2])), case(np.array([[1, 0], [3, 2]]), num_classes=5)], grad=False, integer=True),
    Op("nonzero", lambda x: nr.nonzero(x), lambda x: torch.nonzero(x),
       [case(np.array([[1, 0, 2], [0, 0, 3]])), case(np.array([0, 5, 0, 7]))], grad=False, integer=True,
       aliases=(lambda x: x.nonzero(), lambda x: nr.argwhere(x))),
    Op("outer", nr.outer, torch.outer, [case((3,), (4,))], integer=True, second_order=True,
       aliases=(lambda a, b: a.outer(b),)),
]
