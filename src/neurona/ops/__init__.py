"""Primitive differentiable ops, one file per family. Each op is a ``Function`` with its forward and
backward side by side (the reference definition); the plain functions here are what ``Tensor`` methods
and ``neurona.*`` call. Faster forms of some ops are kernels in ``neurona.ops.kernels``."""

from types import ModuleType

from neurona.ops import methods as _methods
from neurona.ops.activation import elu, gelu, hardtanh, leaky_relu, relu, selu, silu, softplus
from neurona.ops.arrange import (
    clone,
    cumsum,
    diag,
    einsum,
    flip,
    masked_fill,
    one_hot,
    outer,
    repeat,
    roll,
    trace,
    tril,
    triu,
)
from neurona.ops.elementwise import (
    abs,
    add,
    cast,
    clamp,
    cos,
    div,
    eq,
    erf,
    exp,
    ge,
    gt,
    isfinite,
    le,
    log,
    log1p,
    logical_and,
    logical_not,
    logical_or,
    lt,
    maximum,
    minimum,
    mul,
    ne,
    neg,
    pow,
    sigmoid,
    sign,
    sin,
    sqrt,
    sub,
    tanh,
    where,
)
from neurona.ops.gather import argsort, gather, index_select, scatter, scatter_add, sort, take_along_dim, topk

# the kernels register themselves for the references they replace (neurona.ops.kernels)
from neurona.ops.kernels import activation as _activation_kernels
from neurona.ops.kernels import conv as _conv_kernels
from neurona.ops.kernels import pool as _pool_kernels
from neurona.ops.kernels import rnn as _rnn_kernels
from neurona.ops.linalg import linear, matmul
from neurona.ops.nn import cross_entropy, log_softmax, nll_loss, softmax
from neurona.ops.reduction import (
    amax,
    amin,
    argmax,
    argmin,
    logsumexp,
    max,
    mean,
    min,
    norm,
    prod,
    std,
    sum,
    var,
)
from neurona.ops.shape import (
    broadcast_to,
    cat,
    chunk,
    concatenate,
    expand,
    flatten,
    getitem,
    pad,
    permute,
    reshape,
    split,
    squeeze,
    stack,
    sum_to,
    transpose,
    unsqueeze,
)
from neurona.ops.torch_style import nonzero

__all__ = [name for name, value in dict(globals()).items()
           if not name.startswith("_") and not isinstance(value, ModuleType) and value is not ModuleType]
