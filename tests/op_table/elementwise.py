"""Rows for ``ops/elementwise.py``: arithmetic with broadcasting and with Python numbers, unary math,
clamp, maximum/minimum, where, comparisons and logical ops."""

from __future__ import annotations

import numpy as np
import torch

import neurona as nr
import neurona.functional as F
from neurona import ops
from op_table.info import Op, case

BROADCAST = [
    case((3, 4), (3, 4)),
    case((2, 1, 4), (3, 1)),
    case((), (3, 2)),
    case((5,), ()),
    case((1,), (2, 3)),
]
UNARY = [case((3, 4)), case((2, 3, 5)), case((1,)), case(())]
CONDITION = np.random.default_rng(4).random((3, 4)) > 0.5


def _binary(name, nr_fn, torch_fn, **kw) -> Op:
    return Op(name, nr_fn, torch_fn, BROADCAST, **kw)


def _unary(name, nr_fn, torch_fn, **kw) -> Op:
    return Op(name, nr_fn, torch_fn, UNARY, **kw)


def _pow_scalar(x, p):
    return x**p


def _where_nr(a, b, cond):
    return nr.where(cond, a, b)


def _where_torch(a, b, cond):
    return torch.where(torch.tensor(cond), a, b)


OPS = [
    _binary("add", lambda a, b: a + b, lambda a, b: a + b, integer=True, aliases=(ops.add,)),
    _binary("sub", lambda a, b: a - b, lambda a, b: a - b, integer=True, aliases=(ops.sub,)),
    _binary("mul", lambda a, b: a * b, lambda a, b: a * b, integer=True, second_order=True, aliases=(ops.mul,)),
    _binary(
        "div", lambda a, b: a / b, lambda a, b: a / b, domain={"positive": True}, integer=True,
        second_order=True, aliases=(ops.div,),
    ),
    _binary(
        "pow", lambda a, b: a**b, lambda a, b: a**b, domain={"positive": True}, integer=True,
        second_order=True, aliases=(ops.pow,),
    ),
    _binary(
        "maximum", nr.maximum, torch.maximum, integer=True, aliases=(lambda a, b: a.maximum(b),)
    ),
    _binary(
        "minimum", nr.minimum, torch.minimum, integer=True, aliases=(lambda a, b: a.minimum(b),)
    ),
    # a Python number on either side takes the tensor's dtype (never widens float32)
    Op(
        "add scalar", lambda x, s: x + s, lambda x, s: x + s,
        [case((3, 4), s=1.5), case((1,), s=-2), case((), s=0.25)], integer=True,
    ),
    Op(
        "radd scalar", lambda x, s: s + x, lambda x, s: s + x,
        [case((3, 4), s=2.5), case((), s=3)], integer=True,
    ),
    Op(
        "sub scalar", lambda x, s: x - s, lambda x, s: x - s,
        [case((3, 4), s=0.5), case((), s=2)], integer=True,
    ),
    Op(
        "rsub scalar", lambda x, s: s - x, lambda x, s: s - x,
        [case((3, 4), s=1.0), case((1,), s=-3)], integer=True,
    ),
    Op(
        "mul scalar", lambda x, s: x * s, lambda x, s: x * s,
        [case((3, 4), s=3), case((2, 3, 2), s=-2.0), case((), s=0.5)], integer=True,
    ),
    Op(
        "rmul scalar", lambda x, s: s * x, lambda x, s: s * x,
        [case((3, 4), s=-2.0), case((), s=4)], integer=True,
    ),
    Op(
        "div scalar", lambda x, s: x / s, lambda x, s: x / s,
        [case((3, 4), s=4.0), case((), s=2)], integer=True,
    ),
    Op(
        "rdiv scalar", lambda x, s: s / x, lambda x, s: s / x,
        [case((3, 4), s=3.0), case((1,), s=-1)], domain={"positive": True}, integer=True, second_order=True,
    ),
    Op(
        "pow scalar", _pow_scalar, _pow_scalar,
        [case((3, 4), p=3), case((3, 4), p=-1.5), case((2, 3), p=0.5), case((), p=2), case((1,), p=0),
         case((2,), p=1)],
        domain={"positive": True}, integer=True, second_order=True,
    ),
    Op(
        "rpow scalar", lambda x, s: s**x, lambda x, s: s**x,
        [case((3, 4), s=2.0), case((2, 3), s=0.5), case((), s=3.0)], integer=True, second_order=True,
    ),
    _unary("neg", lambda x: -x, lambda x: -x, integer=True, aliases=(ops.neg,)),
    _unary(
        "abs", nr.abs, torch.abs, domain={"away_from": 0.0}, integer=True,
        aliases=(lambda x: x.abs(), lambda x: abs(x)),
    ),
    _unary("exp", nr.exp, torch.exp, integer=True, second_order=True, aliases=(lambda x: x.exp(),)),
    _unary(
        "log", nr.log, torch.log, domain={"positive": True}, integer=True, second_order=True,
        aliases=(lambda x: x.log(),),
    ),
    _unary(
        "log1p", nr.log1p, torch.log1p, domain={"low": -0.8}, integer=True, second_order=True,
        aliases=(lambda x: x.log1p(),),
    ),
    _unary(
        "sqrt", nr.sqrt, torch.sqrt, domain={"positive": True}, integer=True, second_order=True,
        aliases=(lambda x: x.sqrt(),),
    ),
    _unary("sin", nr.sin, torch.sin, integer=True, second_order=True, aliases=(lambda x: x.sin(),)),
    _unary("cos", nr.cos, torch.cos, integer=True, second_order=True, aliases=(lambda x: x.cos(),)),
    _unary(
        "tanh", nr.tanh, torch.tanh, integer=True, second_order=True,
        aliases=(lambda x: x.tanh(), F.tanh),
    ),
    _unary(
        "sigmoid", nr.sigmoid, torch.sigmoid, integer=True, second_order=True,
        aliases=(lambda x: x.sigmoid(), F.sigmoid),
    ),
    _unary("erf", ops.erf, torch.erf, integer=True, second_order=True),
    _unary("square", lambda x: x.square(), lambda x: x.square(), integer=True, second_order=True),
    _unary("sign", ops.sign, torch.sign, grad=False, integer=True, aliases=(lambda x: x.sign(),)),
    Op(
        "clamp", nr.clamp, torch.clamp,
        [case((3, 4), min=-0.5, max=0.7), case((2, 3, 5), min=0.3), case((4,), max=-0.2),
         case((), min=-1.0, max=1.0)],
        domain={"away_from": (-0.5, 0.7, 0.3, -0.2, -1.0, 1.0)}, integer=True,
        aliases=(lambda x, **o: x.clamp(**o), lambda x, **o: x.clip(**o), lambda x, **o: nr.clip(x, **o)),
    ),
    Op(
        "where", _where_nr, _where_torch,
        [case((3, 4), (3, 4), cond=CONDITION), case((3, 4), (4,), cond=CONDITION),
         case((3, 1), (), cond=CONDITION), case((), (), cond=CONDITION[0, 0])],
        integer=True,
    ),
]


def _compare(name, fn):
    return Op(
        name, fn, fn,
        [case((3, 4), (3, 4)), case((3, 4), (4,)), case((2, 3), ()), case((), ())],
        grad=False, integer=True,
    )


OPS += [
    _compare("lt", lambda a, b: a < b),
    _compare("le", lambda a, b: a <= b),
    _compare("gt", lambda a, b: a > b),
    _compare("ge", lambda a, b: a >= b),
    _compare("eq", lambda a, b: a == b),
    _compare("ne", lambda a, b: a != b),
    Op(
        "logical_and", lambda a, b: (a > 0) & (b > 0), lambda a, b: (a > 0) & (b > 0),
        [case((3, 4), (3, 4)), case((3, 4), (4,)), case((), ())], grad=False, integer=True,
        aliases=(lambda a, b: ops.logical_and(a > 0, b > 0),),
    ),
    Op(
        "logical_or", lambda a, b: (a > 0) | (b > 0), lambda a, b: (a > 0) | (b > 0),
        [case((3, 4), (3, 4)), case((2, 1), (3,)), case((), ())], grad=False, integer=True,
        aliases=(lambda a, b: ops.logical_or(a > 0, b > 0),),
    ),
    Op(
        "logical_not", lambda a: ~(a > 0), lambda a: ~(a > 0), UNARY, grad=False, integer=True,
        aliases=(lambda a: ops.logical_not(a > 0),),
    ),
    Op(
        "isfinite", nr.isfinite, torch.isfinite,
        [case((3, 4)), case(np.array([1.0, np.inf, -2.0, -np.inf, np.nan])), case(())], grad=False, integer=True,
    ),
]
