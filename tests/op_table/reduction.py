"""Rows for ``ops/reduction.py``: sum, mean, prod, amax/amin, max/min (with and without dim), logsumexp,
var/std, norm, argmax/argmin, over all dims, one dim, several dims, with and without keepdim, and 0-d."""

from __future__ import annotations

import numpy as np
import torch

import neurona as nr
from op_table.info import Op, all_dims, case

# dim=None, one dim, several dims (any order), negative dims, keepdim, and the 0-d tensor
DIMS = [
    case((3, 4, 5)),
    case((3, 4, 5), dim=1),
    case((3, 4, 5), dim=(2, 0), keepdim=True),
    case((3, 4, 5), dim=-1, keepdim=True),
    case((4, 1), dim=(-1, 0)),
    case(()),
]


def _torch_prod(x, dim=None, keepdim=False):
    """torch's prod takes one dim: several dims one at a time, "all" as the flat product."""
    if dim is None:
        return x.prod().reshape((1,) * x.ndim) if keepdim else x.prod()
    for d in sorted((int(d) % x.ndim for d in np.atleast_1d(dim)), reverse=True):
        x = x.prod(d, keepdim=keepdim)
    return x


def _method(name):
    return lambda x, **o: getattr(x, name)(**o)


def _torch_method(name):
    return lambda x, dim=None, **o: getattr(x, name)(all_dims(x, dim), **o)


def _module(name):
    return lambda x, **o: getattr(nr, name)(x, **o)


OPS = [
    Op("sum", nr.sum, _torch_method("sum"), DIMS, integer=True, aliases=(_method("sum"),)),
    Op("mean", nr.mean, _torch_method("mean"), DIMS, aliases=(_method("mean"),)),
    Op(
        "prod", nr.prod, _torch_prod, DIMS, domain={"positive": True}, integer=True, second_order=True,
        aliases=(_method("prod"),),
    ),
    Op("amax", nr.amax, _torch_method("amax"), DIMS, integer=True, aliases=(_method("amax"),)),
    Op("amin", nr.amin, _torch_method("amin"), DIMS, integer=True, aliases=(_method("amin"),)),
    Op(
        "logsumexp", nr.logsumexp, _torch_method("logsumexp"), DIMS, integer=True, second_order=True,
        aliases=(_method("logsumexp"),),
    ),
    Op(
        "var", nr.var, _torch_method("var"),
        [*DIMS[:4], case((5, 4), dim=0, correction=0), case((5, 4), dim=1, unbiased=False),
         case((5, 4), dim=0, correction=2, keepdim=True)],
        second_order=True, aliases=(_method("var"),),
    ),
    Op(
        "std", nr.std, _torch_method("std"),
        [*DIMS[:4], case((5, 4), dim=1, correction=0), case((5, 4), dim=0, correction=2, keepdim=True)],
        second_order=True, aliases=(_method("std"),),
    ),
    Op(
        "max", lambda x: nr.max(x), lambda x: torch.max(x), [case((3, 4)), case((5,)), case(())], integer=True,
        aliases=(lambda x: x.max(),),
    ),
    Op(
        "min", lambda x: nr.min(x), lambda x: torch.min(x), [case((3, 4)), case((5,)), case(())], integer=True,
        aliases=(lambda x: x.min(),),
    ),
    # with dim: a (values, indices) pair, the gradient going to the reported index
    Op(
        "max dim", lambda x, **o: tuple(nr.max(x, **o)), lambda x, **o: tuple(torch.max(x, **o)),
        [case((3, 4, 5), dim=1), case((3, 4, 5), dim=-1, keepdim=True), case((4,), dim=0)],
        integer=True, aliases=(lambda x, **o: tuple(x.max(**o)),),
    ),
    Op(
        "min dim", lambda x, **o: tuple(nr.min(x, **o)), lambda x, **o: tuple(torch.min(x, **o)),
        [case((3, 4, 5), dim=0), case((3, 4, 5), dim=2, keepdim=True), case((4,), dim=-1)],
        integer=True, aliases=(lambda x, **o: tuple(x.min(**o)),),
    ),
    Op(
        "norm", nr.norm, lambda x, p=2, dim=None, keepdim=False: torch.linalg.vector_norm(x, p, dim, keepdim),
        [case((3, 4)), case((3, 4), p=1, dim=1), case((3, 4), p=3, dim=0, keepdim=True),
         case((3, 4), p=float("inf"), dim=1), case((5,), p=2, dim=0)],
        domain={"away_from": 0.0}, second_order=True, aliases=(lambda x, **o: x.norm(**o),),
    ),
]

ARG_CASES = [case((3, 4)), case((3, 4), dim=1), case((3, 4), dim=0, keepdim=True), case((3, 4), dim=-1),
             case((5,), keepdim=True)]
OPS += [
    Op(name, getattr(nr, name), getattr(torch, name), ARG_CASES, grad=False, integer=True,
       aliases=(_method(name),))
    for name in ("argmax", "argmin")
]
