"""Elementwise ops (ops/elementwise.py) beyond the op table (tests/op_table/elementwise.py, which checks
values, gradients, dtypes and second order of every op): special values (saturation, ties, kinks,
powers at zero), where's forms of condition and branches, comparisons and logical ops outside the graph,
broadcasting errors, and hypothesis properties of broadcasting."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import neurona as nr
from neurona.errors import ShapeError
from parity import check_parity

DTYPES = [np.float32, np.float64]


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


WHERE_CASES = {  # the table has numpy conditions; here the other forms of condition and branch
    "bool tensor condition": (lambda c, a, b: nr.where(nr.tensor(c), a, b), [(3, 4), (3, 4)]),
    "comparison condition": (lambda c, a, b: nr.where(a > b, a, b), [(3, 4), (3, 1)]),
    "scalar branch": (lambda c, a, b: nr.where(c, a, 0.5) * b, [(3, 4), (3, 4)]),
    "scalar first branch": (lambda c, a, b: nr.where(c, -1.0, a) + b, [(3, 4), ()]),
}
TORCH_WHERE = {
    "bool tensor condition": lambda c, a, b: torch.where(torch.tensor(c), a, b),
    "comparison condition": lambda c, a, b: torch.where(a > b, a, b),
    "scalar branch": lambda c, a, b: torch.where(torch.tensor(c), a, 0.5) * b,
    "scalar first branch": lambda c, a, b: torch.where(torch.tensor(c), -1.0, a) + b,
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
def test_math_functions_of_bools_give_float32_like_torch(name):
    """(int64 inputs are in the op table's dtype check; bool ones here.)"""
    ours, theirs = getattr(nr.tensor([True, True]), name)(), getattr(torch.tensor([True, True]), name)()
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


# ---- properties (hypothesis): broadcasting over random shapes, against NumPy ----------------------------
SETTINGS = settings(max_examples=30, deadline=None)


def _sum_to(g: np.ndarray, shape: tuple) -> np.ndarray:
    """NumPy reference for undoing broadcasting: sum the leading dims and the dims that were 1."""
    lead = g.ndim - len(shape)
    g = g.sum(axis=tuple(range(lead)))
    return g.sum(axis=tuple(i for i, s in enumerate(shape) if s == 1), keepdims=True).reshape(shape)


BINARY_GRADIENTS = {  # the local gradients of each op, as NumPy
    "add": (lambda x, y: x + y, lambda g, a, b: (g, g)),
    "sub": (lambda x, y: x - y, lambda g, a, b: (g, -g)),
    "mul": (lambda x, y: x * y, lambda g, a, b: (g * b, g * a)),
    "div": (lambda x, y: x / y, lambda g, a, b: (g / b, -g * a / (b * b))),
    "maximum": (nr.maximum, lambda g, a, b: (g * (a > b), g * (a < b))),  # random floats: no ties
}


@SETTINGS
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4),
    op=st.sampled_from(sorted(BINARY_GRADIENTS)),
    seed=st.integers(0, 2**16),
)
def test_binary_broadcasting(shapes, op, seed):
    (sa, sb), result = shapes.input_shapes, shapes.result_shape
    rng = np.random.default_rng(seed)
    a_np, b_np = rng.uniform(0.5, 2, sa), rng.uniform(0.5, 2, sb)
    a = nr.tensor(a_np, dtype=nr.float64, requires_grad=True)
    b = nr.tensor(b_np, dtype=nr.float64, requires_grad=True)
    fn, local_grads = BINARY_GRADIENTS[op]
    y = fn(a, b)
    assert y.shape == tuple(result) == np.broadcast_shapes(sa, sb)
    g = rng.standard_normal(y.shape)
    y.backward(nr.tensor(g, dtype=nr.float64))
    assert a.grad.shape == tuple(sa) and b.grad.shape == tuple(sb)
    ga, gb = local_grads(g, *np.broadcast_arrays(a_np, b_np))
    np.testing.assert_allclose(a.grad.numpy(), _sum_to(ga, sa), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), _sum_to(gb, sb), rtol=1e-12, atol=1e-12)
