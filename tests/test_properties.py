"""Property tests (hypothesis): broadcasting and reductions over random shapes."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import neurona as nr

SETTINGS = settings(max_examples=30, deadline=None)


@SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4),
       op=st.sampled_from(["add", "sub", "mul", "div", "maximum"]))
def test_binary_broadcasting(shapes, op):
    (sa, sb), result = shapes.input_shapes, shapes.result_shape
    rng = np.random.default_rng(0)
    a = nr.tensor(rng.uniform(0.5, 2, sa), dtype=nr.float64, requires_grad=True)
    b = nr.tensor(rng.uniform(0.5, 2, sb), dtype=nr.float64, requires_grad=True)
    fn = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
          "div": lambda x, y: x / y, "maximum": nr.maximum}[op]
    y = fn(a, b)
    assert y.shape == tuple(result) == np.broadcast_shapes(sa, sb)
    y.sum().backward()
    assert a.grad.shape == tuple(sa) and b.grad.shape == tuple(sb)
    if op == "add":  # each input's gradient counts how often it was broadcast
        np.testing.assert_allclose(a.grad.numpy(), np.full(sa, np.prod(result) / max(np.prod(sa), 1)))


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, max_side=5), data=st.data(), keepdim=st.booleans())
def test_reductions_shapes_and_gradients(shape, data, keepdim):
    ndim = len(shape)
    dims = data.draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1),
                               st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(tuple)))
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
    np.testing.assert_allclose(x.grad.numpy(), np.full(shape, 1.0 / n))
