"""Reductions against torch: sum, mean, prod, amax/amin, var/std, logsumexp over one dim, several dims or
all, with and without keepdim; max/min with and without dim; argmax/argmin; norm; NumPy's aliases."""

import numpy as np
import pytest
import torch

import neurona as nr
from parity import check_parity

DTYPES = [np.float32, np.float64]
DIMS = [None, 0, 1, -1, (0, 2), (2, 0), (-1, 0, 1)]


def _torch_reduce(name, x, dim, keepdim, **kw):
    """torch's spelling of a reduction: "all dims" as a tuple, and prod one dim at a time."""
    if name == "prod":
        if dim is None:
            return x.prod().reshape((1,) * x.ndim) if keepdim else x.prod()
        for d in sorted((int(d) % x.ndim for d in np.atleast_1d(dim)), reverse=True):
            x = x.prod(d, keepdim=keepdim)
        return x
    return getattr(x, name)(tuple(range(x.ndim)) if dim is None else dim, keepdim=keepdim, **kw)


REDUCTIONS = {
    "sum": ({}, {}),
    "mean": ({}, {}),
    "prod": ({}, {"positive": True}),
    "amax": ({}, {}),
    "amin": ({}, {}),
    "logsumexp": ({}, {}),
    "var": ({}, {}),
    "std": ({}, {}),
    "var biased": ({"correction": 0}, {}),
    "std biased": ({"correction": 0}, {}),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reductions(name, dim, keepdim, dtype):
    kw, input_kw = REDUCTIONS[name]
    method = name.split()[0]
    check_parity(
        lambda x: getattr(x, method)(dim, keepdim=keepdim, **kw),
        lambda x: _torch_reduce(method, x, dim, keepdim, **kw),
        [(3, 4, 5)],
        dtype,
        **input_kw,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (1,), (1, 1), (5,), (4, 1)], ids=str)
@pytest.mark.parametrize("name", ["sum", "mean", "prod", "amax", "amin", "logsumexp"])
def test_reductions_of_small_shapes(name, shape, dtype):
    check_parity(
        lambda x: getattr(x, name)(),
        lambda x: _torch_reduce(name, x, None, False),
        [shape],
        dtype,
        positive=True,
    )
    if shape:
        check_parity(
            lambda x: getattr(x, name)(-1, keepdim=True),
            lambda x: _torch_reduce(name, x, -1, True),
            [shape],
            dtype,
            positive=True,
        )


@pytest.mark.parametrize("dtype", DTYPES)
def test_module_level_reductions(dtype):
    for name in ["sum", "mean", "prod", "amax", "amin", "logsumexp", "std", "var"]:
        dim = 1 if name != "logsumexp" else (1,)
        check_parity(
            lambda x: getattr(nr, name)(x, 1),
            lambda x: getattr(torch, name)(x, dim),
            [(3, 4)],
            dtype,
            positive=True,
        )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_with_dim_give_values_and_indices(name, dim, keepdim, dtype):
    a = np.random.default_rng(3).permutation(60).reshape(3, 4, 5).astype(dtype)  # distinct values
    check_parity(
        lambda x: tuple(getattr(x, name)(dim, keepdim=keepdim)),
        lambda x: tuple(getattr(x, name)(dim, keepdim=keepdim)),
        [a],
        dtype,
    )
    check_parity(
        lambda x: getattr(nr, name)(x, dim=dim).values,
        lambda x: getattr(torch, name)(x, dim=dim).values,
        [a],
        dtype,
    )
    result = getattr(nr.tensor(a), name)(dim=dim, keepdim=keepdim)
    assert result.indices.dtype == np.int64 and not result.indices.requires_grad
    values, indices = result  # unpacks like torch's (values, indices)
    assert values is result.values and indices is result.indices


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_without_dim(name, dtype):
    check_parity(lambda x: getattr(x, name)(), lambda x: getattr(x, name)(), [(3, 4)], dtype)
    check_parity(lambda x: getattr(nr, name)(x), lambda x: getattr(torch, name)(x), [()], dtype)


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
                lambda x: getattr(x, name)(dim), lambda x: _torch_reduce(name, x, dim, False), [a], dtype
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


@pytest.mark.parametrize("dtype", DTYPES)
def test_var_std_options(dtype):
    check_parity(lambda x: x.var(1, unbiased=False), lambda x: x.var(1, unbiased=False), [(3, 4)], dtype)
    check_parity(
        lambda x: x.std(0, correction=2, keepdim=True),
        lambda x: x.std(0, correction=2, keepdim=True),
        [(5, 4)],
        dtype,
    )
    check_parity(lambda x: nr.var(x, (0, 1)), lambda x: torch.var(x, (0, 1)), [(3, 4)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [1, 2, 3, float("inf")], ids=str)
@pytest.mark.parametrize("dim", [None, 1], ids=str)
def test_norm(p, dim, dtype):
    import neurona.functional  # noqa: F401  (importing ops/norm.py once shadowed ops.norm, breaking x.norm())

    check_parity(
        lambda x: x.norm(p, dim),
        lambda x: torch.linalg.vector_norm(x, p, dim),
        [(3, 4)],
        dtype,
        away_from=0.0,
    )
    check_parity(
        lambda x: nr.norm(x, p, dim, keepdim=True),
        lambda x: torch.linalg.vector_norm(x, p, dim, keepdim=True),
        [(3, 4)],
        dtype,
        away_from=0.0,
    )


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [None, 0, 1, -1], ids=str)
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin(name, dim, keepdim):
    a = np.random.default_rng(0).standard_normal((3, 4))
    check_parity(
        lambda x: getattr(x, name)(dim, keepdim=keepdim),
        lambda x: getattr(x, name)(dim, keepdim=keepdim),
        [a],
        np.float32,
        grad=False,
    )
    ours = getattr(nr, name)(nr.tensor(a), dim, keepdim)
    assert ours.dtype == np.int64 and not ours.requires_grad


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
