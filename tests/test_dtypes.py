"""Dtype discipline: float32 stays float32 through every op and every backward (also next to Python
and NumPy float64 scalars); promotion between tensors follows torch; conversions from data follow
neurona's rules."""

import itertools

import numpy as np
import pytest
import torch

import neurona as nr
import neurona.functional as F
from neurona.autograd import grad

F32_OPS = {
    "add sub scalars": lambda x: (x + 1.5) - 2 + (0.5 - x),
    "mul div scalars": lambda x: x * 2.5 / 3 * (1.0 / (x * x + 1.0)),
    "numpy float64 scalars": lambda x: (
        x * np.float64(2.0) + np.float64(1.0) - np.float64(0.5) / (x * x + 1.0)
    ),
    "numpy float32 and int scalars": lambda x: x * np.float32(2.0) + np.int64(3) - np.int32(1),
    "0-d float64 tensor": lambda x: x * nr.tensor(2.0, dtype=nr.float64) + nr.tensor(1.0, dtype=nr.float64),
    "int tensor": lambda x: x * nr.tensor([1, 2, 3]) + nr.arange(3),
    "bool mask": lambda x: x * (x > 0),
    "float64 numpy array": lambda x: x * np.array([1.0, 2.0, 3.0]) + np.full((3, 3), 0.5),
    "pow": lambda x: (x * x + 1.0) ** 1.5 + (x * x + 1.0) ** np.float64(0.5) + x**2 + 2.0**x,
    "pow tensor": lambda x: (x * x + 1.0) ** (x * 0.5),
    "neg abs": lambda x: -x.abs(),
    "exp log": lambda x: (x.exp() + 1.0).log() + (x * x).log1p(),
    "sqrt sin cos": lambda x: (x * x + 1.0).sqrt() + x.sin() * x.cos(),
    "sigmoid tanh relu": lambda x: x.sigmoid() * x.tanh() + x.relu(),
    "clamp maximum minimum where": lambda x: (
        x.clamp(-0.5, 0.5)
        + nr.maximum(x, 0.1)
        + nr.minimum(x, np.float64(0.2))
        + nr.where(x.numpy() > 0, x, 0.0)
    ),
    "activations": lambda x: (
        F.gelu(x)
        + F.gelu(x, "tanh")
        + F.elu(x)
        + F.softplus(x, beta=2.0)
        + F.selu(x)
        + F.silu(x)
        + F.leaky_relu(x, 0.1)
        + F.hardtanh(x)
    ),
    "reductions": lambda x: (
        x.var(0)
        + x.std(0)
        + x.logsumexp(0)
        + x.mean(0)
        + x.prod(0)
        + x.amax(0)
        + x.sum(0)
        + x.max(0).values
        + x.amin(0)
        + x.norm(2, 0)
        + x.norm(3, 0)
    ),
    "full reductions": lambda x: x.sum() + x.mean() + x.max() + x.var() + x.logsumexp(),
    "shape ops": lambda x: x.reshape(9).unsqueeze(0).expand(2, 9).T.flatten()[::2].squeeze(),
    "index cat stack pad": lambda x: (
        nr.cat([x[[0, 0, 1]], x[x.numpy() > 0].reshape(1, -1).sum(1, keepdim=True).expand(1, 3)]).sum()
        + nr.stack([x, x]).sum()
        + nr.pad(x, (1, 1)).sum()
    ),
    "split chunk": lambda x: x.split(1, 1)[0].sum() + x.chunk(3, 0)[2].sum(),
    "matmul linear": lambda x: (x @ x.T) @ x[0] + F.linear(x, x, x[0]).sum(),
    "softmax": lambda x: F.softmax(x, -1) * F.log_softmax(x, 0),
    "cross entropy": lambda x: F.cross_entropy(
        x, nr.tensor([0, 1, 2]), label_smoothing=0.1, weight=nr.tensor([1.0, 2.0, 0.5], dtype=nr.float64)
    ).reshape(1),
    "cross entropy probabilities": lambda x: F.cross_entropy(x, np.full((3, 3), 1 / 3)).reshape(1),
    "nll kl": lambda x: (
        F.nll_loss(F.log_softmax(x, 1), [2, 0, 1])
        + F.kl_div(F.log_softmax(x, 1), np.full((3, 3), 1 / 3), "batchmean")
    ),
    "regression losses": lambda x: (
        F.mse_loss(x, np.zeros((3, 3)))
        + F.huber_loss(x, x * 0.1)
        + F.smooth_l1_loss(x, np.ones((3, 3)))
        + F.l1_loss(x, x * 0.5, reduction="sum")
    ),
    "binary cross entropies": lambda x: (
        F.binary_cross_entropy(x.sigmoid(), np.full((3, 3), 0.3), np.ones(3))
        + F.binary_cross_entropy_with_logits(x, np.eye(3), pos_weight=np.ones(3) * 2.0)
    ),
}


@pytest.mark.parametrize("name", F32_OPS)
def test_float32_forward_and_every_gradient_stay_float32(name):
    x = nr.tensor(np.random.default_rng(0).uniform(-1.5, 1.5, (3, 3)), requires_grad=True)
    assert x.dtype == np.float32
    hidden = x * 1.0
    hidden.retain_grad()
    y = F32_OPS[name](hidden)
    assert y.dtype == np.float32, f"{name}: forward gave {y.dtype}"
    y.backward(nr.ones(*y.shape))
    assert x.grad.dtype == np.float32, f"{name}: backward gave {x.grad.dtype}"
    assert hidden.grad.dtype == np.float32, f"{name}: non-leaf gradient {hidden.grad.dtype}"


@pytest.mark.parametrize(
    "name",
    [
        "pow",
        "exp log",
        "sigmoid tanh relu",
        "activations",
        "softmax",
        "matmul linear",
        "cross entropy",
        "reductions",
    ],
)
def test_second_order_gradients_stay_float32(name):
    x = nr.tensor(np.random.default_rng(1).uniform(-1.5, 1.5, (3, 3)), requires_grad=True)
    (g,) = grad(F32_OPS[name](x).sum(), x, create_graph=True)
    assert g.dtype == np.float32
    (h,) = grad((g * g).sum(), x)
    assert h.dtype == np.float32


# promotion between two tensors, as torch: float beats int beats bool; a 0-d tensor does not widen a
# dimensioned one of the same category; Python numbers never widen.
OPERANDS = {
    "f32": np.ones(3, np.float32),
    "f64": np.ones(3, np.float64),
    "f32 0-d": np.array(2.0, np.float32),
    "f64 0-d": np.array(2.0, np.float64),
    "i64": np.arange(1, 4),
    "i64 0-d": np.array(2),
    "bool": np.array([True] * 3),
}


@pytest.mark.parametrize("left,right", list(itertools.product(OPERANDS, repeat=2)))
def test_tensor_promotion_matches_torch(left, right):
    a, b = OPERANDS[left], OPERANDS[right]
    na, nb = nr.tensor(a, dtype=a.dtype), nr.tensor(b, dtype=b.dtype)
    ta, tb = torch.tensor(a), torch.tensor(b)
    for op in ["__add__", "__mul__", "__truediv__"]:
        expected = str(getattr(ta, op)(tb).dtype).removeprefix("torch.")
        assert str(getattr(na, op)(nb).dtype) == expected, f"{left} {op} {right}"


@pytest.mark.parametrize("name", ["f32", "f64", "i64", "bool"])
@pytest.mark.parametrize("scalar", [2, 2.5, True], ids=str)
def test_python_numbers_never_widen(name, scalar):
    a = OPERANDS[name]
    ours, theirs = nr.tensor(a, dtype=a.dtype), torch.tensor(a)
    for op in ["__add__", "__mul__", "__radd__", "__rmul__", "__rsub__"]:
        if op == "__rsub__" and (a.dtype == np.bool_ or scalar is True):
            continue  # torch refuses to subtract bools
        expected = str(getattr(theirs, op)(scalar).dtype).removeprefix("torch.")
        assert str(getattr(ours, op)(scalar).dtype) == expected, f"{name} {op} {scalar!r}"


def test_named_promotion_rules():
    f32, f64 = nr.ones(3), nr.ones(3, dtype=nr.float64)
    assert (f32 + f64).dtype == np.float64  # both dimensioned: widen
    assert (f32 * nr.tensor(2.0, dtype=nr.float64)).dtype == np.float32  # a 0-d tensor does not widen
    assert (nr.tensor(2.0, dtype=nr.float64) * f32).dtype == np.float32
    assert (f32 * np.float64(2.0)).dtype == np.float32 and (np.float64(2.0) * f32).dtype == np.float32
    assert (nr.arange(3) * 1.5).dtype == np.float32  # int tensor and Python float
    assert (nr.arange(3) * 2).dtype == np.int64
    assert (nr.arange(4) / 2).dtype == np.float32  # true division of integers
    assert (nr.arange(4) ** 0.5).dtype == np.float32


def test_mixed_dtype_gradients_come_back_in_each_inputs_dtype():
    a = nr.ones(3, requires_grad=True)
    b = nr.ones(3, dtype=nr.float64, requires_grad=True)
    c = nr.tensor(3.0, dtype=nr.float64, requires_grad=True)
    (a * b * c).sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64 and c.grad.dtype == np.float64
    np.testing.assert_allclose(c.grad.numpy(), 3.0)


def test_float64_stays_float64_next_to_numpy_arrays():
    x = nr.tensor([0.1, 0.2], dtype=nr.float64, requires_grad=True)
    w = np.array([1 / 3, 2 / 7])  # not representable in float32
    y = x * w
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y.numpy(), x.numpy() * w)  # exact: w was not rounded to float32
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), w)


def test_tensor_conversion_rules():
    assert nr.tensor(np.ones(3)).dtype == np.float32  # float64 data becomes float32 ...
    assert nr.tensor(np.ones(3), dtype=nr.float64).dtype == np.float64  # ... unless asked
    assert nr.tensor([1.5, 2]).dtype == np.float32 and nr.tensor(3.5).dtype == np.float32
    assert nr.tensor([1, 2]).dtype == np.int64 and nr.tensor(np.arange(3, dtype=np.int32)).dtype == np.int64
    assert nr.tensor(7).dtype == np.int64 and nr.tensor(7).ndim == 0
    assert nr.tensor([True]).dtype == np.bool_
    assert nr.tensor(np.ones(2, np.float16), dtype=nr.float16).dtype == np.float16
    assert nr.Tensor(np.ones(2)).dtype == np.float32
    with pytest.raises(TypeError, match="cannot make a Tensor from data of dtype"):
        nr.tensor(["a", "b"])
    x = nr.ones(2)
    assert (
        x.double().dtype == np.float64
        and x.double().float().dtype == np.float32
        and x.long().dtype == np.int64
    )


def test_tensor_copies_its_data():
    a = np.ones(3, dtype=np.float32)
    t = nr.tensor(a)
    a[0] = 5.0
    assert t.numpy()[0] == 1.0
