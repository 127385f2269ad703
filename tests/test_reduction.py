"""Reductions (ops/reduction.py) beyond the op table (tests/op_table/reduction.py, which checks values,
gradients and dtypes of every reduction over all, one and several dims): the (values, indices) result of
max/min, ties, prod with zeros, stability, NumPy's aliases, errors, and hypothesis properties of shapes
and gradients."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import neurona as nr
from op_table.info import all_dims
from parity import check_parity

DTYPES = [np.float32, np.float64]


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [0, -1])
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_with_dim_give_values_and_indices(name, dim, keepdim):
    a = np.random.default_rng(3).permutation(60).reshape(3, 4, 5).astype(np.float32)  # distinct values
    check_parity(
        lambda x: getattr(nr, name)(x, dim=dim, keepdim=keepdim).values,
        lambda x: getattr(torch, name)(x, dim=dim, keepdim=keepdim).values,
        [a],
        np.float32,
    )
    result = getattr(nr.tensor(a, requires_grad=True), name)(dim=dim, keepdim=keepdim)
    assert result.indices.dtype == np.int64 and not result.indices.requires_grad
    values, indices = result  # unpacks like torch's (values, indices)
    assert values is result.values and indices is result.indices


@pytest.mark.parametrize("dtype", DTYPES)
def test_ties_route_gradients_like_torch(dtype):
    """max(dim) sends the gradient to the index it reports; max() and amax split it between ties."""
    a = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0], [5.0, 5.0, 5.0]])
    for name in ["max", "min"]:
        check_parity(lambda x: tuple(getattr(x, name)(1)), lambda x: tuple(getattr(x, name)(1)), [a], dtype)
        check_parity(lambda x: getattr(x, name)(), lambda x: getattr(x, name)(), [a], dtype)
    for name in ["amax", "amin"]:
        for dim in [0, 1, None]:
            check_parity(
                lambda x: getattr(x, name)(dim), lambda x: getattr(x, name)(all_dims(x, dim)), [a], dtype
            )


def test_prod_with_zeros_matches_torch():
    a = np.array([[1.5, 0.0, 2.0], [0.0, 0.0, 3.0], [1.0, 2.0, 3.0]])
    for dtype in DTYPES:
        check_parity(lambda x: x.prod(1), lambda x: x.prod(1), [a], dtype)
        check_parity(lambda x: x.prod(0, keepdim=True), lambda x: x.prod(0, keepdim=True), [a], dtype)
        check_parity(lambda x: x.prod(), lambda x: x.prod(), [a[2:] * np.array([[1.0, 0.0, 1.0]])], dtype)


def test_logsumexp_is_stable_for_large_inputs():
    a = np.array([[1000.0, 1000.0, -1000.0], [-1e4, 0.0, 2.0]])
    with np.errstate(over="raise"):
        check_parity(lambda x: x.logsumexp(1), lambda x: x.logsumexp(1), [a], np.float32)
        check_parity(lambda x: x.logsumexp(1), lambda x: x.logsumexp(1), [a], np.float64)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [None, 1], ids=str)
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin_are_int64_outside_the_graph(name, dim, keepdim):
    a = np.random.default_rng(0).standard_normal((3, 4))
    ours = getattr(nr, name)(nr.tensor(a, requires_grad=True), dim, keepdim)
    assert ours.dtype == np.int64 and not ours.requires_grad and ours.grad_fn is None
    np.testing.assert_array_equal(ours.numpy(), getattr(torch, name)(torch.tensor(a), dim, keepdim).numpy())


def test_numpy_aliases_axis_and_keepdims():
    a = np.random.default_rng(1).standard_normal((3, 4, 2))
    x = nr.tensor(a, dtype=nr.float64)
    for name in ["sum", "mean", "prod", "amax", "amin", "var", "std", "logsumexp"]:
        ours = getattr(x, name)(axis=(0, 2), keepdims=True)
        assert ours.numpy().shape == (1, 4, 1), name
        np.testing.assert_allclose(
            ours.numpy(), getattr(x, name)(dim=(0, 2), keepdim=True).numpy(), err_msg=name
        )
    np.testing.assert_allclose(x.sum(axis=1).numpy(), a.sum(axis=1))
    np.testing.assert_allclose(nr.mean(x, axis=-1, keepdims=True).numpy(), a.mean(axis=-1, keepdims=True))
    np.testing.assert_array_equal(x.argmax(axis=1, keepdims=True).numpy(), a.argmax(axis=1, keepdims=True))
    np.testing.assert_array_equal(nr.argmin(x, axis=0).numpy(), a.argmin(axis=0))
    np.testing.assert_allclose(x.max(axis=2).values.numpy(), a.max(axis=2))


def test_reduction_errors():
    x = nr.ones(2, 3)
    with pytest.raises(IndexError, match="dimension 2 is out of range for a tensor with 2 dimensions"):
        x.sum(2)
    with pytest.raises(TypeError, match=r"unexpected keyword arguments \['dims'\]"):
        x.sum(dims=1)
    with pytest.raises(TypeError, match="floating-point"):
        nr.tensor([1, 2]).mean()
    with pytest.raises(ValueError, match="empty"):
        nr.ones(0, 3).max()
    with pytest.raises(ValueError, match="amax"):
        x.max(dim=(0, 1))


def test_integer_and_bool_sums_follow_torch():
    ours = nr.tensor([[1, 2], [3, 4]]).sum(0)
    assert ours.dtype == np.int64 and ours.tolist() == [4, 6]
    assert nr.tensor([True, True, False]).sum().item() == 2
    assert nr.tensor([True, True, False]).sum().dtype == np.int64


# ---- properties (hypothesis): random shapes, dims and keepdim, against NumPy ---------------------------
SETTINGS = settings(max_examples=30, deadline=None)


def _draw_dims(data, ndim):
    return data.draw(
        st.one_of(
            st.none(),
            st.integers(-ndim, ndim - 1),
            st.lists(
                st.integers(-ndim, ndim - 1), min_size=1, max_size=ndim, unique_by=lambda d: d % ndim
            ).map(tuple),
        )
    )


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, max_side=5), data=st.data(), keepdim=st.booleans())
def test_reductions_shapes_and_gradients(shape, data, keepdim):
    dims = _draw_dims(data, len(shape))
    x_np = np.random.default_rng(1).standard_normal(shape)
    x = nr.tensor(x_np, dtype=nr.float64, requires_grad=True)
    s = x.sum(dims, keepdim=keepdim)
    expected = np.sum(x_np, axis=dims, keepdims=keepdim)
    assert s.shape == expected.shape
    np.testing.assert_allclose(s.numpy(), expected, rtol=1e-12)
    s.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(shape))
    x.grad = None
    m = x.mean(dims, keepdim=keepdim)
    np.testing.assert_allclose(m.numpy(), np.mean(x_np, axis=dims, keepdims=keepdim), rtol=1e-12)
    m.sum().backward()
    n = x_np.size / max(expected.size, 1)
    np.testing.assert_allclose(x.grad.numpy(), np.full(shape, 1.0 / n), rtol=1e-12)
    for name, reference in [("amax", np.max), ("amin", np.min), ("prod", np.prod), ("logsumexp", None)]:
        y = getattr(x, name)(dims, keepdim=keepdim)
        assert y.shape == expected.shape, name
        if reference is not None:
            np.testing.assert_allclose(y.numpy(), reference(x_np, axis=dims, keepdims=keepdim), rtol=1e-12)


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, max_side=5), data=st.data(), keepdim=st.booleans())
def test_sum_gradient_broadcasts_a_random_upstream_gradient(shape, data, keepdim):
    dims = _draw_dims(data, len(shape))
    x = nr.tensor(np.zeros(shape), dtype=nr.float64, requires_grad=True)
    y = x.sum(dims, keepdim=keepdim)
    g = np.random.default_rng(2).standard_normal(y.shape)
    y.backward(nr.tensor(g, dtype=nr.float64))
    kept = np.sum(np.zeros(shape), axis=dims, keepdims=True).shape  # g with reduced dims as 1
    np.testing.assert_array_equal(x.grad.numpy(), np.broadcast_to(g.reshape(kept), shape))
