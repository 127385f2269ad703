"""Every op and every F function against torch: forward values and every input's gradient, over shapes
with broadcasting, size-1 and 0-d cases, in float32 and float64."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import neurona as nr
import neurona.functional as F
from parity import check_parity

DTYPES = [np.float32, np.float64]
BROADCAST_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (3, 2)), ((5,), ()), ((1,), (2, 3)),
                    ((), ())]

BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b, {}),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, {}),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, {}),
    "div": (lambda a, b: a / b, lambda a, b: a / b, {"positive": True}),
    "pow": (lambda a, b: a**b, lambda a, b: a**b, {"positive": True}),
    "maximum": (nr.maximum, torch.maximum, {}),
    "minimum": (nr.minimum, torch.minimum, {}),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_binary_ops(name, shapes, dtype):
    nf, tf, kw = BINARY[name]
    check_parity(nf, tf, shapes, dtype, **kw)


UNARY = {
    "neg": (lambda x: -x, lambda x: -x, {}),
    "abs": (lambda x: x.abs(), lambda x: x.abs(), {"away_from": 0.0}),
    "exp": (lambda x: x.exp(), lambda x: x.exp(), {}),
    "log": (lambda x: x.log(), lambda x: x.log(), {"positive": True}),
    "log1p": (lambda x: x.log1p(), lambda x: x.log1p(), {"positive": True}),
    "sqrt": (lambda x: x.sqrt(), lambda x: x.sqrt(), {"positive": True}),
    "sin": (lambda x: x.sin(), lambda x: x.sin(), {}),
    "cos": (lambda x: x.cos(), lambda x: x.cos(), {}),
    "tanh": (lambda x: x.tanh(), lambda x: x.tanh(), {}),
    "sigmoid": (lambda x: x.sigmoid(), lambda x: x.sigmoid(), {}),
    "relu": (lambda x: x.relu(), lambda x: x.relu(), {"away_from": 0.0}),
    "pow_scalar": (lambda x: x**3, lambda x: x**3, {}),
    "pow_frac": (lambda x: x**0.5, lambda x: x**0.5, {"positive": True}),
    "rpow": (lambda x: 2.0**x, lambda x: 2.0**x, {}),
    "rsub_rdiv": (lambda x: (1.0 - x) / (3.0 + x * x), lambda x: (1.0 - x) / (3.0 + x * x), {}),
    "square": (lambda x: x.square(), lambda x: x.square(), {}),
    "clamp": (lambda x: x.clamp(-0.5, 0.7), lambda x: x.clamp(-0.5, 0.7), {"away_from": 0.7}),
    "clip_min": (lambda x: x.clip(min=0.3), lambda x: x.clip(min=0.3), {"away_from": 0.3}),
    "relu_F": (F.relu, TF.relu, {"away_from": 0.0}),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2), {"away_from": 0.0}),
    "elu": (lambda x: F.elu(x, 0.7), lambda x: TF.elu(x, 0.7), {"away_from": 0.0}),
    "selu": (F.selu, TF.selu, {"away_from": 0.0}),
    "gelu": (F.gelu, TF.gelu, {}),
    "gelu_tanh": (lambda x: F.gelu(x, "tanh"), lambda x: TF.gelu(x, approximate="tanh"), {}),
    "silu": (F.silu, TF.silu, {}),
    "softplus": (lambda x: F.softplus(x, 2.0, 3.0), lambda x: TF.softplus(x, 2.0, 3.0), {"away_from": 1.5}),
    "sigmoid_F": (F.sigmoid, torch.sigmoid, {}),
    "tanh_F": (F.tanh, torch.tanh, {}),
    "hardtanh": (lambda x: F.hardtanh(x, -0.5, 0.8), lambda x: TF.hardtanh(x, -0.5, 0.8), {"away_from": 0.8}),
    "softmax": (lambda x: F.softmax(x, -1), lambda x: TF.softmax(x, -1), {}),
    "softmax0": (lambda x: F.softmax(x, 0), lambda x: TF.softmax(x, 0), {}),
    "log_softmax": (lambda x: F.log_softmax(x, -1), lambda x: TF.log_softmax(x, -1), {}),
}


# softmax needs a dimension, so it takes no 0-d input (in torch either)
UNARY_CASES = [(name, shape) for name in UNARY for shape in [(3, 4), (2, 3, 5), (1,), ()]
               if not (shape == () and "softmax" in name)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,shape", UNARY_CASES, ids=str)
def test_unary_ops(name, shape, dtype):
    nf, tf, kw = UNARY[name]
    check_parity(nf, tf, [shape], dtype, **kw)


def test_where_with_broadcast_condition():
    cond = np.array([True, False, True, False])
    for dtype in DTYPES:
        check_parity(lambda a, b: nr.where(cond, a, b), lambda a, b: torch.where(torch.tensor(cond), a, b),
                     [(3, 4), (4,)], dtype)


REDUCTIONS = {
    "sum": (lambda x, d, k: x.sum(d, keepdim=k), lambda x, d, k: x.sum() if d is None else x.sum(d, keepdim=k)),
    "mean": (lambda x, d, k: x.mean(d, keepdim=k), lambda x, d, k: x.mean() if d is None else x.mean(d, keepdim=k)),
    "prod": (lambda x, d, k: x.prod(d, keepdim=k),
             lambda x, d, k: x.prod() if d is None else (x.prod(d, keepdim=k) if isinstance(d, int) else x.prod(d[0], keepdim=True).prod(d[1], keepdim=True) if k else x.prod(d[1]).prod(d[0]))),
    "amax": (lambda x, d, k: x.amax(d, keepdim=k), lambda x, d, k: x.amax() if d is None else x.amax(d, keepdim=k)),
    "amin": (lambda x, d, k: x.amin(d, keepdim=k), lambda x, d, k: x.amin() if d is None else x.amin(d, keepdim=k)),
    "logsumexp": (lambda x, d, k: x.logsumexp(d, keepdim=k),
                  lambda x, d, k: x.reshape(-1).logsumexp(0) if d is None else x.logsumexp(d, keepdim=k)),
    "var": (lambda x, d, k: x.var(d, keepdim=k), lambda x, d, k: x.var() if d is None else x.var(d, keepdim=k)),
    "std": (lambda x, d, k: x.std(d, keepdim=k), lambda x, d, k: x.std() if d is None else x.std(d, keepdim=k)),
    "var_biased": (lambda x, d, k: x.var(d, keepdim=k, correction=0),
                   lambda x, d, k: x.var(correction=0) if d is None else x.var(d, keepdim=k, correction=0)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim,keepdim", [(None, False), (0, False), (1, True), (-1, False), ((0, 2), False),
                                         ((0, 2), True)], ids=str)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reductions(name, dim, keepdim, dtype):
    nf, tf = REDUCTIONS[name]
    check_parity(lambda x: nf(x, dim, keepdim), lambda x: tf(x, dim, keepdim), [(3, 4, 5)], dtype,
                 positive=name == "prod")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("largest", [True, False])
def test_max_min_with_dim_return_values_and_indices(dtype, largest):
    a = np.random.default_rng(3).permutation(60).reshape(3, 4, 5).astype(dtype)  # no ties
    name = "max" if largest else "min"
    check_parity(lambda x: getattr(x, name)(dim=1).values, lambda x: getattr(x, name)(dim=1).values, [a], dtype)
    check_parity(lambda x: getattr(x, name)(), lambda x: getattr(x, name)(), [a], dtype)
    nv = getattr(nr.tensor(a, dtype=dtype), name)(dim=2, keepdim=True)
    tv = getattr(torch.tensor(a), name)(dim=2, keepdim=True)
    np.testing.assert_array_equal(nv.indices.numpy(), tv.indices.numpy())
    assert nv.values.shape == tuple(tv.values.shape)


def test_axis_and_keepdims_aliases():
    x = nr.randn(3, 4)
    np.testing.assert_allclose(x.sum(axis=1, keepdims=True).numpy(), x.numpy().sum(axis=1, keepdims=True), rtol=1e-6)
    np.testing.assert_array_equal(x.argmax(axis=0).numpy(), x.numpy().argmax(axis=0))
    np.testing.assert_array_equal(nr.argmin(x, 1).numpy(), torch.tensor(x.numpy()).argmin(1).numpy())


def test_prod_with_zeros_matches_torch():
    a = np.array([[1.5, 0.0, 2.0], [0.0, 0.0, 3.0], [1.0, 2.0, 3.0]])
    check_parity(lambda x: x.prod(1), lambda x: x.prod(1), [a], np.float64)


SHAPE_OPS = {
    "reshape": ((2, 3, 4), lambda x: x.reshape(4, -1), lambda x: x.reshape(4, -1)),
    "view": ((2, 3, 4), lambda x: x.view(6, 4), lambda x: x.view(6, 4)),
    "flatten": ((2, 3, 4), lambda x: x.flatten(1), lambda x: x.flatten(1)),
    "squeeze": ((2, 1, 4, 1), lambda x: x.squeeze(), lambda x: x.squeeze()),
    "squeeze_dim": ((2, 1, 4, 1), lambda x: x.squeeze(1), lambda x: x.squeeze(1)),
    "unsqueeze": ((2, 3), lambda x: x.unsqueeze(-1), lambda x: x.unsqueeze(-1)),
    "transpose": ((2, 3, 4), lambda x: x.transpose(0, 2), lambda x: x.transpose(0, 2)),
    "permute": ((2, 3, 4), lambda x: x.permute(1, 2, 0), lambda x: x.permute(1, 2, 0)),
    "T": ((3, 4), lambda x: x.T, lambda x: x.T),
    "expand": ((3, 1), lambda x: x.expand(2, 3, 4), lambda x: x.expand(2, 3, 4)),
    "expand_minus1": ((3, 1), lambda x: x.expand(-1, 5), lambda x: x.expand(-1, 5)),
    "broadcast_to": ((1, 4), lambda x: x.broadcast_to((3, 4)), lambda x: x.broadcast_to((3, 4))),
    "pad": ((2, 3, 4), lambda x: nr.pad(x, (1, 2, 0, 1), value=0.5), lambda x: TF.pad(x, (1, 2, 0, 1), value=0.5)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", SHAPE_OPS)
def test_shape_ops(name, dtype):
    shape, nf, tf = SHAPE_OPS[name]
    check_parity(nf, tf, [shape], dtype)


INDEXES = {
    "int": 1, "negative int": -1, "slice": slice(1, None), "step slice": (slice(None), slice(None, None, 2)),
    "none": (None, 1), "ellipsis": (Ellipsis, 0), "mixed": (1, slice(0, 2), None),
    "int array repeated": (np.array([0, 2, 0, 0]),), "int array pair": (np.array([0, 1, 1]), np.array([2, 0, 2])),
    "bool mask": (np.array([True, False, True]),),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", INDEXES)
def test_indexing(name, dtype):
    index = INDEXES[name]
    torch_index = tuple(torch.tensor(i) if isinstance(i, np.ndarray) else i for i in index) if isinstance(
        index, tuple) else index
    check_parity(lambda x: x[index], lambda x: x[torch_index], [(3, 4)], dtype)


def test_boolean_mask_of_full_shape():
    a = np.random.default_rng(0).standard_normal((3, 4))
    mask = a > 0
    check_parity(lambda x: x[mask], lambda x: x[torch.tensor(mask)], [a], np.float64)
    check_parity(lambda x: x[nr.tensor(mask)], lambda x: x[torch.tensor(mask)], [a], np.float64)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cat_stack_split_chunk(dtype):
    check_parity(lambda a, b: nr.cat([a, b], 1), lambda a, b: torch.cat([a, b], 1), [(2, 3), (2, 5)], dtype)
    check_parity(lambda a, b: nr.concatenate([a, b], 0), lambda a, b: torch.cat([a, b], 0), [(2, 3), (4, 3)], dtype)
    check_parity(lambda a, b: nr.stack([a, b], 1), lambda a, b: torch.stack([a, b], 1), [(2, 3), (2, 3)], dtype)
    check_parity(lambda x: nr.stack(x.split(2, 1)[:2], 0).sum(0) + x.split([1, 3], 1)[1][:, :2].sum(),
                 lambda x: torch.stack(x.split(2, 1)[:2], 0).sum(0) + x.split([1, 3], 1)[1][:, :2].sum(),
                 [(3, 4)], dtype)
    check_parity(lambda x: x.chunk(3, 0)[1] * 2 + x.chunk(3, 0)[2], lambda x: x.chunk(3, 0)[1] * 2 + x.chunk(3, 0)[2],
                 [(6, 2)], dtype)


MATMUL_SHAPES = [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (4, 5)),
                 ((2, 3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)), ((4,), (2, 4, 3))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(shapes, dtype):
    check_parity(lambda a, b: a @ b, lambda a, b: a @ b, list(shapes), dtype)
    check_parity(nr.matmul, torch.matmul, list(shapes), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4), (4,)], ids=str)
def test_linear(shape, dtype):
    check_parity(F.linear, TF.linear, [shape, (3, 4), (3,)], dtype)
    check_parity(F.linear, TF.linear, [shape, (3, 4)], dtype)


# ---- losses --------------------------------------------------------------------------------------------
REDUCTION = ["mean", "sum", "none"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTION)
def test_regression_losses(reduction, dtype):
    for nf, tf in ((F.mse_loss, TF.mse_loss), (F.l1_loss, TF.l1_loss)):
        check_parity(lambda a, b: nf(a, b, reduction=reduction), lambda a, b: tf(a, b, reduction=reduction),
                     [(4, 3), (4, 3)], dtype)
    check_parity(lambda a, b: F.huber_loss(a, b, reduction, delta=0.5),
                 lambda a, b: TF.huber_loss(a, b, reduction, delta=0.5), [(4, 3), (4, 3)], dtype)
    check_parity(lambda a, b: F.smooth_l1_loss(a, b, reduction, beta=0.7),
                 lambda a, b: TF.smooth_l1_loss(a, b, reduction=reduction, beta=0.7), [(4, 3), (4, 3)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTION)
def test_binary_cross_entropies(reduction, dtype):
    rng = np.random.default_rng(0)
    p, y, w = rng.uniform(0.05, 0.95, (4, 3)), rng.integers(0, 2, (4, 3)).astype(float), rng.uniform(0.5, 2, (3,))
    check_parity(lambda a, t: F.binary_cross_entropy(a, t, reduction=reduction),
                 lambda a, t: TF.binary_cross_entropy(a, t, reduction=reduction), [p, y], dtype, grad_inputs=1)
    check_parity(lambda a, t, ww: F.binary_cross_entropy(a, t, ww, reduction=reduction),
                 lambda a, t, ww: TF.binary_cross_entropy(a, t, ww, reduction=reduction), [p, y, w], dtype,
                 grad_inputs=1)
    logits = rng.standard_normal((4, 3)) * 3
    check_parity(lambda a, t, pw: F.binary_cross_entropy_with_logits(a, t, reduction=reduction, pos_weight=pw),
                 lambda a, t, pw: TF.binary_cross_entropy_with_logits(a, t, reduction=reduction, pos_weight=pw),
                 [logits, y, w], dtype, grad_inputs=1)
    check_parity(lambda a, t, ww: F.binary_cross_entropy_with_logits(a, t, ww, reduction=reduction),
                 lambda a, t, ww: TF.binary_cross_entropy_with_logits(a, t, ww, reduction=reduction),
                 [logits, y, w], dtype, grad_inputs=1)


CE_OPTIONS = [{}, {"label_smoothing": 0.15}, {"ignore_index": 2}, {"weight": True},
              {"weight": True, "ignore_index": 0, "label_smoothing": 0.1}]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTION)
@pytest.mark.parametrize("options", CE_OPTIONS, ids=str)
def test_cross_entropy_class_indices(options, reduction, dtype):
    rng = np.random.default_rng(1)
    target = rng.integers(0, 4, 6)
    weight = rng.uniform(0.5, 2.0, 4).astype(dtype)
    kw = dict(options)
    nkw = {**kw, "weight": nr.tensor(weight, dtype=dtype)} if kw.get("weight") else kw
    tkw = {**kw, "weight": torch.tensor(weight)} if kw.get("weight") else kw
    check_parity(lambda x: F.cross_entropy(x, nr.tensor(target), reduction=reduction, **nkw),
                 lambda x: TF.cross_entropy(x, torch.tensor(target), reduction=reduction, **tkw), [(6, 4)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTION)
def test_cross_entropy_probabilities_and_kdim(reduction, dtype):
    rng = np.random.default_rng(2)
    probs = rng.dirichlet(np.ones(4), 5)
    check_parity(lambda x, p: F.cross_entropy(x, p, reduction=reduction, label_smoothing=0.1),
                 lambda x, p: TF.cross_entropy(x, p, reduction=reduction, label_smoothing=0.1),
                 [(5, 4), probs], dtype, grad_inputs=1)
    target = rng.integers(0, 3, (2, 5))
    check_parity(lambda x: F.cross_entropy(x, target, reduction=reduction),
                 lambda x: TF.cross_entropy(x, torch.tensor(target), reduction=reduction), [(2, 3, 5)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTION)
def test_nll_and_kl_div(reduction, dtype):
    rng = np.random.default_rng(3)
    target = rng.integers(0, 4, 5)
    check_parity(lambda x: F.nll_loss(F.log_softmax(x, 1), nr.tensor(target), reduction=reduction),
                 lambda x: TF.nll_loss(TF.log_softmax(x, 1), torch.tensor(target), reduction=reduction),
                 [(5, 4)], dtype)
    q = rng.dirichlet(np.ones(4), 5)
    for red in (reduction, "batchmean"):
        check_parity(lambda x, t: F.kl_div(F.log_softmax(x, 1), t, reduction=red),
                     lambda x, t: TF.kl_div(TF.log_softmax(x, 1), t, reduction=red), [(5, 4), q], dtype)
        check_parity(lambda x, t: F.kl_div(F.log_softmax(x, 1), t.log(), reduction=red, log_target=True),
                     lambda x, t: TF.kl_div(TF.log_softmax(x, 1), t.log(), reduction=red, log_target=True),
                     [(5, 4), q], dtype)
