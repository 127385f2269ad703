"""Elementwise ops against torch: arithmetic (tensor-tensor with broadcasting, tensor-scalar,
scalar-tensor), unary math, clamp, maximum/minimum, where and comparisons, in float32 and float64,
with 0-d and size-1 cases."""

import numpy as np
import pytest
import torch

import neurona as nr
from neurona.errors import ShapeError
from parity import check_parity

DTYPES = [np.float32, np.float64]
BROADCAST_SHAPES = [
    ((3, 4), (3, 4)),
    ((3, 4), (4,)),
    ((4,), (3, 4)),
    ((2, 1, 4), (3, 1)),
    ((3, 1), (1, 4)),
    ((), (3, 2)),
    ((5,), ()),
    ((1,), (2, 3)),
    ((1, 1), (1,)),
    ((), ()),
    ((2, 3, 1, 5), (4, 1)),
]

BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b, {}),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, {}),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, {}),
    "div": (lambda a, b: a / b, lambda a, b: a / b, {"positive": True}),
    "pow": (lambda a, b: a**b, lambda a, b: a**b, {"positive": True}),
    "maximum": (nr.maximum, torch.maximum, {}),
    "minimum": (nr.minimum, torch.minimum, {}),
    "method maximum": (lambda a, b: a.maximum(b), lambda a, b: a.maximum(b), {}),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_binary_ops_broadcast(name, shapes, dtype):
    nr_fn, torch_fn, kw = BINARY[name]
    check_parity(nr_fn, torch_fn, shapes, dtype, **kw)


# A Python number on either side: it takes the tensor's dtype and never widens float32.
SCALAR_OPS = {
    "x + 1.5": (lambda x: x + 1.5, {}),
    "2.5 + x": (lambda x: 2.5 + x, {}),
    "x - 0.5": (lambda x: x - 0.5, {}),
    "1.0 - x": (lambda x: 1.0 - x, {}),
    "x * 3": (lambda x: x * 3, {}),
    "-2.0 * x": (lambda x: -2.0 * x, {}),
    "x / 4.0": (lambda x: x / 4.0, {}),
    "3.0 / x": (lambda x: 3.0 / x, {"positive": True}),
    "-x": (lambda x: -x, {}),
    "x ** 2": (lambda x: x**2, {}),
    "x ** 3": (lambda x: x**3, {}),
    "x ** -1.5": (lambda x: x**-1.5, {"positive": True}),
    "x ** 0.5": (lambda x: x**0.5, {"positive": True}),
    "x ** 1": (lambda x: x**1 * 2.0, {}),
    "2.0 ** x": (lambda x: 2.0**x, {}),
    "0.5 ** x": (lambda x: 0.5**x, {}),
    "rational": (lambda x: (1.0 - x) / (3.0 + x * x), {}),
    "square": (lambda x: x.square(), {}),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 4), (1,), ()], ids=str)
@pytest.mark.parametrize("name", SCALAR_OPS)
def test_tensor_scalar_ops(name, shape, dtype):
    fn, kw = SCALAR_OPS[name]
    check_parity(fn, fn, [shape], dtype, **kw)


@pytest.mark.parametrize("dtype", DTYPES)
def test_numpy_scalars_act_like_python_numbers(dtype):
    check_parity(
        lambda x: x * np.float64(2.5) + np.float32(1.0) - np.int64(3),
        lambda x: x * 2.5 + 1.0 - 3,
        [(3, 2)],
        dtype,
    )
    check_parity(lambda x: np.float64(2.0) / x, lambda x: 2.0 / x, [(3, 2)], dtype, positive=True)


UNARY = {
    "abs": (lambda x: x.abs(), lambda x: x.abs(), {"away_from": 0.0}),
    "abs()": (lambda x: abs(x), lambda x: abs(x), {"away_from": 0.0}),
    "nr.abs": (nr.abs, torch.abs, {"away_from": 0.0}),
    "exp": (lambda x: x.exp(), lambda x: x.exp(), {}),
    "nr.exp": (nr.exp, torch.exp, {}),
    "log": (lambda x: x.log(), lambda x: x.log(), {"positive": True}),
    "nr.log": (nr.log, torch.log, {"positive": True}),
    "log1p": (lambda x: x.log1p(), lambda x: x.log1p(), {"low": -0.8}),
    "sqrt": (lambda x: x.sqrt(), lambda x: x.sqrt(), {"positive": True}),
    "sin": (nr.sin, torch.sin, {}),
    "cos": (nr.cos, torch.cos, {}),
    "tanh": (lambda x: x.tanh(), lambda x: x.tanh(), {}),
    "sigmoid": (lambda x: x.sigmoid(), lambda x: x.sigmoid(), {}),
    "relu": (lambda x: x.relu(), lambda x: x.relu(), {"away_from": 0.0}),
    "clamp": (lambda x: x.clamp(-0.5, 0.7), lambda x: x.clamp(-0.5, 0.7), {"away_from": (-0.5, 0.7)}),
    "clamp min": (lambda x: x.clamp(min=0.3), lambda x: x.clamp(min=0.3), {"away_from": 0.3}),
    "clamp max": (lambda x: x.clamp(max=-0.2), lambda x: x.clamp(max=-0.2), {"away_from": -0.2}),
    "clip": (lambda x: x.clip(-1.0, 1.0), lambda x: x.clip(-1.0, 1.0), {"away_from": (-1.0, 1.0)}),
    "nr.clip": (
        lambda x: nr.clip(x, -1.0, 1.0),
        lambda x: torch.clip(x, -1.0, 1.0),
        {"away_from": (-1.0, 1.0)},
    ),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 5), (1,), ()], ids=str)
@pytest.mark.parametrize("name", UNARY)
def test_unary_ops(name, shape, dtype):
    nr_fn, torch_fn, kw = UNARY[name]
    check_parity(nr_fn, torch_fn, [shape], dtype, **kw)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_and_tanh_saturate_without_overflow(dtype):
    a = np.array([-800.0, -50.0, -20.0, -9.0, -3.0, -1.0, 0.0, 1.0, 3.0, 9.0, 20.0, 50.0, 800.0])
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # no warning forward or backward
        # atol=0: sigmoid(-20) = 2e-9 must not round to 0 (a log of it, as in BCE, would be far off)
        check_parity(lambda x: x.sigmoid(), torch.sigmoid, [a], dtype, atol=0.0, rtol=1e-6)
        check_parity(lambda x: x.tanh(), torch.tanh, [a], dtype)
        check_parity(lambda x: x.sigmoid(), torch.sigmoid, [np.array(-5.0)], dtype, atol=0.0, rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_maximum_minimum_split_ties_like_torch(dtype):
    a, b = np.array([1.0, 2.0, 3.0, -1.0]), np.array([1.0, 0.0, 3.0, 2.0])
    check_parity(nr.maximum, torch.maximum, [a, b], dtype)
    check_parity(nr.minimum, torch.minimum, [a, b], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_clamp_passes_the_gradient_at_its_bounds_like_torch(dtype):
    a = np.array([-1.0, -0.5, 0.0, 0.7, 1.0])
    check_parity(lambda x: x.clamp(-0.5, 0.7), lambda x: x.clamp(-0.5, 0.7), [a], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_abs_and_relu_have_zero_gradient_at_zero(dtype):
    a = np.array([-1.0, 0.0, 2.0])
    check_parity(lambda x: x.abs(), lambda x: x.abs(), [a], dtype)
    check_parity(lambda x: x.relu(), lambda x: x.relu(), [a], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_powers_at_zero_match_torch(dtype):
    zeros_and_more = np.array([0.0, 0.5, 2.0])
    check_parity(lambda x: x**0, lambda x: x**0, [zeros_and_more], dtype)  # d/dx x^0 = 0, not 0 * inf
    check_parity(lambda x: x**2, lambda x: x**2, [zeros_and_more], dtype)
    check_parity(lambda x: x**3.0, lambda x: x**3.0, [zeros_and_more], dtype)
    # d/db a^b = a^b ln a is taken as 0 where a = 0 and b >= 0, as in torch
    check_parity(lambda a, b: a**b, lambda a, b: a**b, [zeros_and_more, np.array([2.0, 0.0, 1.5])], dtype)
    check_parity(lambda b: 0.0**b, lambda b: 0.0**b, [np.array([1.0, 2.5])], dtype)


WHERE_CASES = {
    "numpy condition, broadcast": (lambda c, a, b: nr.where(c, a, b), [(3, 4), (4,)]),
    "bool tensor condition": (lambda c, a, b: nr.where(nr.tensor(c), a, b), [(3, 4), (3, 4)]),
    "comparison condition": (lambda c, a, b: nr.where(a > b, a, b), [(3, 4), (3, 1)]),
    "scalar branch": (lambda c, a, b: nr.where(c, a, 0.5) * b, [(3, 4), (3, 4)]),
    "scalar first branch": (lambda c, a, b: nr.where(c, -1.0, a) + b, [(3, 4), ()]),
    "0-d": (lambda c, a, b: nr.where(c[0, 0], a, b), [(), ()]),
}
TORCH_WHERE = {
    "numpy condition, broadcast": lambda c, a, b: torch.where(torch.tensor(c), a, b),
    "bool tensor condition": lambda c, a, b: torch.where(torch.tensor(c), a, b),
    "comparison condition": lambda c, a, b: torch.where(a > b, a, b),
    "scalar branch": lambda c, a, b: torch.where(torch.tensor(c), a, 0.5) * b,
    "scalar first branch": lambda c, a, b: torch.where(torch.tensor(c), -1.0, a) + b,
    "0-d": lambda c, a, b: torch.where(torch.tensor(c[0, 0]), a, b),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", WHERE_CASES)
def test_where(name, dtype):
    cond = np.random.default_rng(4).random((3, 4)) > 0.5
    nr_fn, shapes = WHERE_CASES[name]
    check_parity(lambda a, b: nr_fn(cond, a, b), lambda a, b: TORCH_WHERE[name](cond, a, b), shapes, dtype)


def test_where_of_two_numbers_is_a_float32_constant():
    y = nr.where(np.array([True, False]), 1.0, 0.0)
    assert y.dtype == np.float32 and not y.requires_grad
    np.testing.assert_array_equal(y.numpy(), [1.0, 0.0])
    assert nr.where(np.array([True, False]), 1, 0).dtype == np.int64


COMPARISONS = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


@pytest.mark.parametrize("op", COMPARISONS)
def test_comparisons_give_bool_tensors_outside_the_graph(op):
    a = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    b = np.array([2.0, 2.0, 2.0])
    check_parity(COMPARISONS[op], COMPARISONS[op], [a, b], np.float32, grad=False)
    x = nr.tensor(a, requires_grad=True)
    y = COMPARISONS[op](x, 2.0)
    assert y.dtype == np.bool_ and not y.requires_grad and y.grad_fn is None
    np.testing.assert_array_equal(y.numpy(), COMPARISONS[op](a, 2.0))


def test_logical_ops_and_sign():
    a, b = nr.tensor([True, True, False]), nr.tensor([True, False, False])
    np.testing.assert_array_equal((a & b).numpy(), [True, False, False])
    np.testing.assert_array_equal((a | b).numpy(), [True, True, False])
    np.testing.assert_array_equal((~a).numpy(), [False, False, True])
    x = nr.tensor([-2.0, 0.0, 3.0], requires_grad=True)
    s = x.sign()
    np.testing.assert_array_equal(s.numpy(), [-1.0, 0.0, 1.0])
    assert s.dtype == np.float32 and not s.requires_grad
    np.testing.assert_array_equal(nr.isfinite(nr.tensor([1.0, np.inf, np.nan])).numpy(), [True, False, False])


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
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch."), name
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, err_msg=name)


@pytest.mark.parametrize(
    "op,fn",
    [
        ("add", lambda a, b: a + b),
        ("sub", lambda a, b: a - b),
        ("mul", lambda a, b: a * b),
        ("div", lambda a, b: a / b),
        ("pow", lambda a, b: a**b),
        ("maximum", nr.maximum),
        ("minimum", nr.minimum),
        ("lt", lambda a, b: a < b),
    ],
)
def test_broadcast_mismatch_raises_shape_error_naming_op_and_shapes(op, fn):
    a, b = nr.ones(3, 4, requires_grad=True), nr.ones(2, 5)
    with pytest.raises(ShapeError, match=rf"{op}: shapes \(3, 4\) and \(2, 5\) cannot be broadcast"):
        fn(a, b)
    with pytest.raises(ValueError):  # a ShapeError is a ValueError
        fn(a, b)


def test_where_shape_mismatch_names_all_shapes():
    with pytest.raises(ShapeError, match=r"where: condition \(3,\) and values \(2, 2\), \(2, 2\)"):
        nr.where(np.array([True, False, True]), nr.ones(2, 2), nr.zeros(2, 2))


def test_clamp_needs_a_bound():
    with pytest.raises(ValueError, match="min and max"):
        nr.ones(2).clamp()


@pytest.mark.parametrize("name", ["exp", "log", "log1p", "sqrt", "sin", "cos", "tanh", "sigmoid"])
def test_math_functions_of_integers_and_bools_give_float32_like_torch(name):
    for data in ([1, 2, 3], [True, True]):
        ours, theirs = getattr(nr.tensor(data), name)(), getattr(torch.tensor(data), name)()
        assert ours.dtype == np.float32
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    assert nr.tensor([1, -2]).abs().dtype == np.int64 and (-nr.tensor([1, 2])).dtype == np.int64
