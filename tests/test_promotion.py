"""Dtype promotion (ops/promotion.py): a float32 tensor stays float32 next to Python and NumPy numbers,
0-d float64 tensors, integer tensors, masks and float64 NumPy arrays, forward and backward; promotion
between tensors follows torch. (Each op's own dtypes, float32 and float64 in and out, gradients and
second order, are the op table's dtype check: tests/test_ops.py.)"""

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import neurona as nr
import neurona.functional as F
from parity import check_parity

F32_OPS = {  # a float32 x next to other dtypes
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
    "pow": lambda x: (x * x + 1.0) ** np.float64(0.5) + x ** np.float64(2.0) + np.float64(2.0) ** x,
    "clamp maximum minimum where": lambda x: (
        x.clamp(-0.5, 0.5)
        + nr.maximum(x, 0.1)
        + nr.minimum(x, np.float64(0.2))
        + nr.where(x.numpy() > 0, x, 0.0)
    ),
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
        assert str(getattr(na, op)(nb).dtype).removeprefix("neurona.") == expected, f"{left} {op} {right}"


@pytest.mark.parametrize("name", ["f32", "f64", "i64", "bool"])
@pytest.mark.parametrize("scalar", [2, 2.5, True], ids=str)
def test_python_numbers_never_widen(name, scalar):
    a = OPERANDS[name]
    ours, theirs = nr.tensor(a, dtype=a.dtype), torch.tensor(a)
    for op in ["__add__", "__mul__", "__radd__", "__rmul__", "__rsub__"]:
        if op == "__rsub__" and (a.dtype == np.bool_ or scalar is True):
            continue  # torch refuses to subtract bools
        expected = str(getattr(theirs, op)(scalar).dtype).removeprefix("torch.")
        assert str(getattr(ours, op)(scalar).dtype).removeprefix("neurona.") == expected, f"{name} {op} {scalar!r}"


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


DTYPES = [np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES)
def test_numpy_scalars_act_like_python_numbers(dtype):
    check_parity(
        lambda x: x * np.float64(2.5) + np.float32(1.0) - np.int64(3),
        lambda x: x * 2.5 + 1.0 - 3,
        [(3, 2)],
        dtype,
    )
    check_parity(lambda x: np.float64(2.0) / x, lambda x: 2.0 / x, [(3, 2)], dtype, positive=True)


def test_integer_arithmetic_follows_torch():
    i = nr.tensor([1, 2, 4])
    for name, fn in {
        "i * 2": lambda t: t * 2,
        "i + i": lambda t: t + t,
        "i / 2": lambda t: t / 2,
        "i * 1.5": lambda t: t * 1.5,
        "i ** 2": lambda t: t**2,
        "i ** 0.5": lambda t: t**0.5,
        "2.0 ** i": lambda t: 2.0**t,
        "-i": lambda t: -t,
    }.items():
        ours, theirs = fn(i), fn(torch.tensor([1, 2, 4]))
        assert str(ours.dtype).removeprefix("neurona.") == str(theirs.dtype).removeprefix("torch."), name
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, err_msg=name)


@settings(max_examples=30, deadline=None)
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
    dtypes=st.tuples(st.sampled_from([np.float32, np.float64]), st.sampled_from([np.float32, np.float64])),
)
def test_broadcast_gradients_keep_each_inputs_dtype(shapes, dtypes):
    (sa, sb) = shapes.input_shapes
    a = nr.tensor(np.ones(sa), dtype=dtypes[0], requires_grad=True)
    b = nr.tensor(np.ones(sb), dtype=dtypes[1], requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == dtypes[0] and b.grad.dtype == dtypes[1]


# the narrower dtypes torch code spells (int8/uint8/int16/int32/float16): promotion among themselves
# and with the defaults, and what in-place ops allow (the result must fit the tensor's dtype)
NARROW = {
    "u8": np.array([1, 2, 3], np.uint8),
    "i8": np.array([1, 2, 3], np.int8),
    "i16": np.array([1, 2, 3], np.int16),
    "i32": np.array([1, 2, 3], np.int32),
    "f16": np.array([1, 2, 3], np.float16),
    "i64": np.array([1, 2, 3], np.int64),
    "f32": np.array([1, 2, 3], np.float32),
    "i32 0-d": np.array(2, np.int32),
    "u8 0-d": np.array(2, np.uint8),
}


@pytest.mark.parametrize("left,right", list(itertools.product(NARROW, repeat=2)))
def test_narrow_dtype_promotion_matches_torch(left, right):
    a, b = NARROW[left], NARROW[right]
    ours = nr.tensor(a, dtype=a.dtype) + nr.tensor(b, dtype=b.dtype)
    theirs = torch.tensor(a) + torch.tensor(b)
    assert str(ours.dtype).removeprefix("neurona.") == str(theirs.dtype).removeprefix("torch."), f"{left} + {right}"
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("name", ["u8", "i32", "i64", "f16", "f32"])
@pytest.mark.parametrize("other", [2, 2.5, "f32", "i64"], ids=str)
def test_inplace_result_must_fit_like_torch(name, other):
    a = NARROW[name]
    ours, theirs = nr.tensor(a, dtype=a.dtype), torch.tensor(a)
    o_nr = other if not isinstance(other, str) else nr.tensor(NARROW[other], dtype=NARROW[other].dtype)
    o_t = other if not isinstance(other, str) else torch.tensor(NARROW[other])
    try:
        theirs += o_t
    except RuntimeError:
        with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
            ours += o_nr
        return
    ours += o_nr
    assert ours.dtype == nr.tensor(a, dtype=a.dtype).dtype
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
