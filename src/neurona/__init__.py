"""neurona: a deep learning framework written from first principles on NumPy.

    import neurona as nr
    x = nr.tensor([[1.0, 2.0]], requires_grad=True)
    (x * x).sum().backward()
    x.grad  # tensor([[2., 4.]])
"""

import numpy as _np

from neurona import autograd, errors
from neurona._malloc import tune_malloc
from neurona.creation import (
    arange,
    eye,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from neurona.ops import (
    abs,
    amax,
    amin,
    argmax,
    argmin,
    broadcast_to,
    cat,
    chunk,
    clamp,
    concatenate,
    cos,
    exp,
    flatten,
    isfinite,
    log,
    log1p,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    norm,
    pad,
    permute,
    prod,
    relu,
    reshape,
    sigmoid,
    sin,
    softmax,
    split,
    sqrt,
    squeeze,
    stack,
    std,
    sum,
    tanh,
    transpose,
    unsqueeze,
    var,
    where,
)
from neurona.ops.kernels import kernels_enabled, use_kernels
from neurona.random import default_generator, manual_seed
from neurona.tensor import Function, Tensor, enable_grad, is_grad_enabled, no_grad

clip = clamp
float32 = _np.float32
float64 = _np.float64
float16 = _np.float16
int64 = _np.int64
int32 = _np.int32
bool_ = _np.bool_
long = _np.int64
double = _np.float64

__version__ = "0.1.0"

# PyTorch's module paths and saving (issue 22, part B): ``import neurona as torch`` then ``torch.nn``,
# ``torch.optim``, ``torch.utils.data``, ``torch.save`` / ``torch.load``
from neurona import nn, optim, utils  # noqa: E402
from neurona.serialization import load, save  # noqa: E402

