"""Rows for ``ops/gather.py``: gather/take_along_dim, index_select, scatter/scatter_add, sort, topk
(values are differentiable through gather; indices are compared exactly)."""

from __future__ import annotations

import numpy as np
import torch

import neurona as nr
from op_table.info import Op, case

_I = np.array([[0, 2], [1, 1], [3, 0]])
_ROWS = np.array([2, 0, 2])


def _t(a):
    return torch.tensor(a)


OPS = [
    Op(
        "gather", lambda x, index, dim: nr.gather(x, dim, index), lambda x, index, dim: torch.gather(x, dim, _t(index)),
        [case((3, 4), index=_I, dim=1), case((4, 3), index=_I.T.copy(), dim=0), case((3, 4, 2), index=_I[..., None], dim=1)],
        integer=True, second_order=False,
        aliases=(lambda x, index, dim: x.gather(dim, index), lambda x, index, dim: nr.take_along_dim(x, index, dim)),
    ),
    Op(
        "index_select", lambda x, index, dim: nr.index_select(x, dim, index),
        lambda x, index, dim: torch.index_select(x, dim, _t(index)),
        [case((3, 4), index=_ROWS, dim=0), case((3, 4), index=np.array([3, 1]), dim=1)],
        integer=True, aliases=(lambda x, index, dim: x.index_select(dim, index),),
    ),
    Op(
        "scatter_add", lambda x, src, index, dim: nr.scatter_add(x, dim, index, src),
        lambda x, src, index, dim: torch.scatter_add(x, dim, _t(index), src),
        [case((3, 4), (3, 2), index=_I, dim=1), case((4, 3), (2, 3), index=_I.T.copy(), dim=0)],
        integer=True, aliases=(lambda x, src, index, dim: x.scatter_add(dim, index, src),),
    ),
    Op(
        "scatter", lambda x, src, index, dim: nr.scatter(x, dim, index, src),
        lambda x, src, index, dim: torch.scatter(x, dim, _t(index), src),
        [case((3, 4), (3, 1), index=_I[:, :1].copy(), dim=1)],
        integer=True, aliases=(lambda x, src, index, dim: x.scatter(dim, index, src),),
    ),
    Op(
        "sort", lambda x, **o: tuple(nr.sort(x, **o)), lambda x, **o: tuple(torch.sort(x, **o)),
        [case((3, 5)), case((3, 5), dim=0, descending=True), case((6,), descending=True)],
        aliases=(lambda x, **o: tuple(x.sort(**o)),),
    ),
    Op(
        "topk", lambda x, **o: tuple(nr.topk(x, **o)), lambda x, **o: tuple(torch.topk(x, **o)),
        [case((3, 5), k=2), case((4, 3), k=3, dim=0), case((6,), k=2, largest=False)],
        aliases=(lambda x, **o: tuple(x.topk(**o)),),
    ),
    Op(
        "argsort", lambda x, **o: nr.argsort(x, **o), lambda x, **o: torch.argsort(x, **o),
        [case((3, 5)), case((3, 5), dim=0, descending=True)], grad=False, integer=True,
    ),
]
