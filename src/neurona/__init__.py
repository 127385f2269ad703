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
)
from neurona.ops.kernels import kernels_enabled, use_kernels
from neurona.random import default_generator, manual_seed
from neurona.tensor import Function, Tensor, enable_grad, is_grad_enabled, no_grad

clip = clamp

# ---- PyTorch compatibility (issue 22, part A): `import neurona as torch` for tensor-level code ------
from neurona import backends, cuda, distributions  # noqa: E402
from neurona.creation import (  # noqa: E402
    as_tensor,
    bernoulli,
    empty,
    empty_like,
    from_numpy,
    logspace,
    multinomial,
    normal,
    rand_like,
    randint_like,
    randn_like,
    randperm,
)
from neurona.device import device, get_default_device, set_default_device  # noqa: E402
from neurona.dtypes import (  # noqa: E402
    DType as dtype,
)
from neurona.dtypes import (  # noqa: E402
    Size,
    bool,
    double,
    finfo,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    iinfo,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    promote_types,
    set_default_dtype,
    short,
    uint8,
)
from neurona.grad_mode import inference_mode, set_grad_enabled  # noqa: E402
from neurona.ops import (  # noqa: E402
    argsort,
    clone,
    cumsum,
    diag,
    einsum,
    eq,
    erf,
    flip,
    gather,
    ge,
    gt,
    index_select,
    le,
    log_softmax,
    logical_and,
    logical_not,
    logical_or,
    lt,
    masked_fill,
    ne,
    neg,
    one_hot,
    outer,
    repeat,
    roll,
    scatter,
    scatter_add,
    softplus,
    sort,
    take_along_dim,
    topk,
    trace,
    tril,
    triu,
)
from neurona.ops.torch_style import (  # noqa: E402  # noqa: E402
    add,
    addmm,
    all,
    allclose,
    any,
    argwhere,
    bmm,
    ceil,
    clamp_max,
    clamp_min,
    count_nonzero,
    div,
    dot,
    e,
    equal,
    floor,
    floor_divide,
    hstack,
    inf,
    is_floating_point,
    is_tensor,
    isclose,
    isinf,
    isnan,
    lerp,
    log2,
    log10,
    masked_select,
    matmul,
    meshgrid,
    mm,
    movedim,
    mul,
    mv,
    nan,
    nan_to_num,
    narrow,
    nonzero,
    numel,
    pi,
    pow,
    remainder,
    round,
    rsqrt,
    select,
    sign,
    square,
    sub,
    swapaxes,
    t,
    tile,
    trunc,
    unbind,
    unique,
    vstack,
    where,
)
from neurona.random import Generator, initial_seed, seed  # noqa: E402

bool_ = bool
__version__ = "0.1.0"

# PyTorch's module paths and saving (issue 22, part B): ``import neurona as torch`` then ``torch.nn``,
# ``torch.optim``, ``torch.utils.data``, ``torch.save`` / ``torch.load``
from neurona import nn, optim, utils  # noqa: E402
from neurona.serialization import load, save  # noqa: E402

