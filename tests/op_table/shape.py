"""Rows for ``ops/shape.py``: reshape/view/flatten/squeeze/unsqueeze, transpose/permute/.T/.mT,
expand/broadcast_to/sum_to, indexing of every kind (repeated integer indices accumulate in backward),
cat/stack/split/chunk and pad."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as TF

import neurona as nr
from neurona import ops
from op_table.info import Op, case, torch_index


def _same(name, fn, cases, **kw) -> Op:
    """A Tensor method spelled the same in both libraries."""
    return Op(name, fn, fn, cases, integer=True, **kw)


OPS = [
    _same(
        "reshape", lambda x, shape: x.reshape(shape),
        [case((2, 3, 4), shape=(4, -1)), case((2, 3, 4), shape=(3, 8)), case((1, 1), shape=()),
         case((), shape=(1, 1))],
        aliases=(lambda x, shape: nr.reshape(x, shape), lambda x, shape: x.reshape(*shape)),
    ),
    _same(
        "view", lambda x, shape: x.view(*shape),
        [case((2, 3, 4), shape=(6, 4)), case((2, 3, 4), shape=(-1,)), case((), shape=(1,))],
    ),
    _same(
        "flatten", lambda x, **o: x.flatten(**o),
        [case((2, 3, 4)), case((2, 3, 4), start_dim=1), case((2, 3, 4, 5), start_dim=-3, end_dim=-2), case(())],
        aliases=(lambda x, **o: nr.flatten(x, **o),),
    ),
    _same(
        "squeeze", lambda x, dim=None: x.squeeze() if dim is None else x.squeeze(dim),
        [case((2, 1, 4, 1)), case((2, 1, 4, 1), dim=-1), case((2, 1, 4, 1), dim=0),
         case((2, 1, 4, 1), dim=(1, 3)), case(())],
        aliases=(lambda x, dim=None: nr.squeeze(x, dim),),
    ),
    _same(
        "unsqueeze", lambda x, dim: x.unsqueeze(dim),
        [case((2, 3), dim=0), case((2, 3), dim=-1), case((2, 3), dim=1), case((), dim=0)],
        aliases=(lambda x, dim: nr.unsqueeze(x, dim),),
    ),
    _same(
        "transpose", lambda x, dim0, dim1: x.transpose(dim0, dim1),
        [case((2, 3, 4), dim0=0, dim1=2), case((2, 3, 4), dim0=-1, dim1=-2), case((3,), dim0=0, dim1=0)],
        aliases=(lambda x, dim0, dim1: nr.transpose(x, dim0, dim1),),
    ),
    _same(
        "permute", lambda x, dims: x.permute(*dims),
        [case((2, 3, 4), dims=(1, 2, 0)), case((2, 3, 4), dims=(-1, 0, -2)), case((3, 2), dims=(1, 0))],
        aliases=(lambda x, dims: x.permute(dims), lambda x, dims: nr.permute(x, dims)),
    ),
    _same("T", lambda x: x.T, [case((3, 4)), case((1, 5))]),
    _same("mT", lambda x: x.mT, [case((2, 3, 4)), case((3, 4))]),
    _same(
        "expand", lambda x, sizes: x.expand(*sizes),
        [case((3, 1), sizes=(2, 3, 4)), case((3, 1), sizes=(-1, 5)), case((), sizes=(2, 3))],
        aliases=(lambda x, sizes: x.expand(sizes),),
    ),
    Op(
        "broadcast_to", nr.broadcast_to, lambda x, shape: torch.broadcast_to(x, shape),
        [case((1, 4), shape=(3, 4)), case((4,), shape=(2, 3, 4)), case((), shape=(2,))], integer=True,
        aliases=(lambda x, shape: x.broadcast_to(shape),),
    ),
    Op(
        "sum_to", ops.sum_to, lambda x, shape: x.sum_to_size(shape),
        [case((2, 3, 4), shape=(3, 1)), case((3, 4), shape=(1, 4)), case((3, 4), shape=(3, 4))],
        integer=True,
    ),
    _same("contiguous", lambda x: x.T.contiguous(), [case((2, 3))]),
]

INDEXES = [  # the first is the reference case of gradcheck, second order and dtypes
    (1, slice(None, None, 2)),
    1,
    -1,
    (2, -1),
    slice(-2, None),
    (None, 1),
    (slice(None), None, slice(1, 3)),
    (Ellipsis, 0),
    (0, Ellipsis, None),
    (np.array([2, 0]),),
    (np.array([0, 2, 0, 0]),),
    (np.array([0, 1, 1]), np.array([2, 0, 2])),
    (np.array([1, 1, 1]), np.array([3, 3, 0])),
    (slice(None), np.array([3, 0, 3])),
    (np.array([[0, 1], [1, 1]]),),
    (np.array([True, False, True]),),
    (slice(None), np.array([True, False, True, True])),
    np.random.default_rng(0).standard_normal((3, 4)) > 0,
]
OPS.append(
    Op(
        "getitem", lambda x, index: x[index], lambda x, index: x[torch_index(index)],
        [case((3, 4), index=i) for i in INDEXES], integer=True,
        aliases=(lambda x, index: ops.getitem(x, index),),
    )
)


def _torch_split(x, size, dim=0):
    return x.split(size, dim)


OPS += [
    Op(
        "cat", lambda *xs, dim: nr.cat(list(xs), dim), lambda *xs, dim: torch.cat(list(xs), dim),
        [case((2, 3), (2, 5), dim=1), case((2, 3), (4, 3), (1, 3), dim=0), case((3,), (1,), dim=-1),
         case((2, 3), dim=0)],
        integer=True, aliases=(lambda *xs, dim: nr.concatenate(list(xs), dim),),
    ),
    Op(
        "stack", lambda *xs, dim: nr.stack(list(xs), dim), lambda *xs, dim: torch.stack(list(xs), dim),
        [case((2, 3), (2, 3), dim=0), case((2, 3), (2, 3), (2, 3), dim=1), case((2, 3), (2, 3), dim=-1),
         case((), (), (), dim=0)],
        integer=True,
    ),
    Op(
        "split", lambda x, size, dim=0: x.split(size, dim), _torch_split,
        [case((3, 5), size=2, dim=1), case((3, 5), size=[1, 3, 1], dim=1), case((3, 5), size=1),
         case((3, 5), size=4, dim=-1)],
        integer=True, aliases=(lambda x, size, dim=0: nr.split(x, size, dim),),
    ),
    Op(
        "split one piece", lambda x: x.split([1, 3], 1)[1], lambda x: x.split([1, 3], 1)[1], [case((3, 4))],
        integer=True,
    ),
    Op(
        "chunk", lambda x, chunks, dim=0: x.chunk(chunks, dim), lambda x, chunks, dim=0: x.chunk(chunks, dim),
        [case((6, 2), chunks=3), case((2, 6), chunks=4, dim=1), case((3, 2), chunks=5)],
        integer=True, aliases=(lambda x, chunks, dim=0: nr.chunk(x, chunks, dim),),
    ),
    Op(
        "pad", nr.pad, TF.pad,
        [case((2, 3, 4), pad=(1, 2, 0, 1)), case((2, 3, 4), pad=(1, 2), value=0.5),
         case((2, 3, 4), pad=(0, 1, 2, 0, 1, 1), value=-1.0), case((4,), pad=(3, 0)), case((2, 3), pad=(0, 0))],
        integer=True,
    ),
]
