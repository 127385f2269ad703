"""Property tests (hypothesis): broadcasting of binary ops and shapes/gradients of reductions, over random
shapes, dims and keepdim, checked against NumPy."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import neurona as nr

SETTINGS = settings(max_examples=30, deadline=None)


def _sum_to(g: np.ndarray, shape: tuple) -> np.ndarray:
    """NumPy reference for undoing broadcasting: sum the leading dims and the dims that were 1."""
    lead = g.ndim - len(shape)
    g = g.sum(axis=tuple(range(lead)))
    return g.sum(axis=tuple(i for i, s in enumerate(shape) if s == 1), keepdims=True).reshape(shape)


BINARY = {
    "add": (lambda x, y: x + y, lambda g, a, b: (g, g)),
    "sub": (lambda x, y: x - y, lambda g, a, b: (g, -g)),
    "mul": (lambda x, y: x * y, lambda g, a, b: (g * b, g * a)),
    "div": (lambda x, y: x / y, lambda g, a, b: (g / b, -g * a / (b * b))),
    "maximum": (nr.maximum, lambda g, a, b: (g * (a > b), g * (a < b))),  # random floats: no ties
}


@SETTINGS
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4),
    op=st.sampled_from(sorted(BINARY)),
    seed=st.integers(0, 2**16),
)
def test_binary_broadcasting(shapes, op, seed):
    (sa, sb), result = shapes.input_shapes, shapes.result_shape
    rng = np.random.default_rng(seed)
    a_np, b_np = rng.uniform(0.5, 2, sa), rng.uniform(0.5, 2, sb)
    a = nr.tensor(a_np, dtype=nr.float64, requires_grad=True)
    b = nr.tensor(b_np, dtype=nr.float64, requires_grad=True)
    fn, local_grads = BINARY[op]
    y = fn(a, b)
    assert y.shape == tuple(result) == np.broadcast_shapes(sa, sb)
    g = rng.standard_normal(y.shape)
    y.backward(nr.tensor(g, dtype=nr.float64))
    assert a.grad.shape == tuple(sa) and b.grad.shape == tuple(sb)
    ga, gb = local_grads(g, *np.broadcast_arrays(a_np, b_np))
    np.testing.assert_allclose(a.grad.numpy(), _sum_to(ga, sa), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), _sum_to(gb, sb), rtol=1e-12, atol=1e-12)


@SETTINGS
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


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, max_side=4), data=st.data())
def test_reshape_and_permute_round_trip(shape, data):
    order = data.draw(st.permutations(range(len(shape))))
    x_np = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    x = nr.tensor(x_np, dtype=nr.float64, requires_grad=True)
    y = x.permute(*order)
    np.testing.assert_array_equal(y.numpy(), np.transpose(x_np, order))
    z = y.reshape(-1)
    z.backward(nr.tensor(np.arange(z.shape[0], dtype=np.float64), dtype=nr.float64))
    np.testing.assert_array_equal(
        x.grad.numpy(),
        np.transpose(np.arange(x_np.size, dtype=np.float64).reshape(y.shape), np.argsort(order)),
    )
