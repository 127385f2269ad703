"""Shape ops (ops/shape.py) beyond the op table (tests/op_table/shape.py, which checks values, gradients
and dtypes of every shape op and index kind): indexing with tensors and lists, repeated indices, reversed
slices, index of an index, inputs that need no grad, views, promotion in cat, errors, and a hypothesis
property of reshape and permute."""

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


def test_repeated_indices_accumulate_in_backward():
    x = nr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])
    x.grad = None
    x[nr.tensor([1, 1])].backward(nr.tensor([0.5, 2.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 2.5, 0.0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_index_with_tensors_and_lists(dtype):
    a = np.random.default_rng(0).standard_normal((4, 3))
    mask = a > 0
    check_parity(lambda x: x[mask], lambda x: x[torch.tensor(mask)], [a], dtype)
    check_parity(lambda x: x[nr.tensor(mask)], lambda x: x[torch.tensor(mask)], [a], dtype)
    check_parity(lambda x: x[nr.tensor([3, 1, 3])], lambda x: x[torch.tensor([3, 1, 3])], [a], dtype)
    check_parity(lambda x: x[[0, 0], [1, 2]], lambda x: x[[0, 0], [1, 2]], [a], dtype)
    check_parity(lambda x: x[nr.tensor(2)], lambda x: x[torch.tensor(2)], [a], dtype)


def test_negative_step_slice_reverses_and_backpropagates():
    x = nr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x[::-1]
    np.testing.assert_array_equal(y.numpy(), [3.0, 2.0, 1.0])
    y.backward(nr.tensor([10.0, 20.0, 30.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [30.0, 20.0, 10.0])


def test_second_index_of_an_index():
    check_parity(
        lambda x: x[1:][:, [0, 0]][..., 1], lambda x: x[1:][:, [0, 0]][..., 1], [(3, 4, 2)], np.float64
    )


def test_cat_with_an_input_that_needs_no_grad():
    a = nr.ones(2, 2, requires_grad=True)
    y = nr.cat([a, nr.zeros(3, 2)], 0)
    y.backward(nr.tensor(np.arange(10.0).reshape(5, 2)))
    np.testing.assert_array_equal(a.grad.numpy(), [[0.0, 1.0], [2.0, 3.0]])


def test_shape_errors():
    x = nr.ones(3, 4)
    with pytest.raises(
        ShapeError, match=r"reshape: cannot view a tensor of shape \(3, 4\) \(12 elements\) as \(5, -1\)"
    ):
        x.reshape(5, -1)
    with pytest.raises(ShapeError, match=r"reshape: .* as \(2, 2\)"):
        x.view(2, 2)
    with pytest.raises(ShapeError, match=r"permute"):
        x.permute(0, 0)
    with pytest.raises((ShapeError, IndexError), match=r"permute"):
        x.permute(0, 5)
    with pytest.raises(ShapeError, match=r"broadcast_to: cannot broadcast shape \(3, 4\) to \(2, 4\)"):
        x.broadcast_to((2, 4))
    with pytest.raises(
        ShapeError,
        match=r"cat: tensors must have the same shape except in dimension 0; "
        r"got \(3, 4\), \(2, 5\)",
    ):
        nr.cat([x, nr.ones(2, 5)])
    with pytest.raises(ShapeError, match="stack: all tensors must have the same shape"):
        nr.stack([x, nr.ones(4, 3)])
    with pytest.raises(
        ShapeError, match=r"split: sections \[1, 2\] must add up to the size 4 of dimension 1"
    ):
        x.split([1, 2], 1)
    with pytest.raises(IndexError, match=r"shape \(3, 4\)"):
        x[3]
    with pytest.raises(IndexError, match="out of range"):
        x.unsqueeze(3)
    with pytest.raises(ValueError, match="pad"):
        nr.pad(x, (1,))
    with pytest.raises(ValueError, match=">= 0"):
        nr.pad(x, (-1, 1))
    with pytest.raises(ValueError, match="non-empty"):
        nr.cat([])


def test_expand_rejects_minus_one_in_a_new_dimension():
    with pytest.raises(ShapeError, match="expand"):
        nr.ones(3).expand(-1, 3)
    with pytest.raises(ShapeError, match=r"cannot broadcast shape \(3, 2\) to \(3, 4\)"):
        nr.ones(3, 2).expand(3, 4)


def test_views_share_data_and_reshape_to_the_same_shape_is_free():
    x = nr.ones(2, 3, requires_grad=True)
    assert x.reshape(2, 3) is x and x.permute(0, 1) is x and x.contiguous() is x
    y = x.reshape(3, 2)
    assert np.shares_memory(y.numpy(), x.numpy())


def test_cat_promotes_like_torch():
    for parts in ([[1, 2], [0.5]], [[True], [3]], [[1.0], np.array([2.0])], [[1], [2]]):
        ours = nr.cat([nr.tensor(p) for p in parts])
        theirs = torch.cat([torch.tensor(np.asarray(p, dtype=nr.tensor(p).dtype)) for p in parts])
        assert str(ours.dtype).removeprefix("neurona.") == str(theirs.dtype).removeprefix("torch."), parts
    f32, f64 = nr.ones(2), nr.ones(2, dtype=nr.float64)
    assert nr.cat([f32, f64]).dtype == np.float64 and nr.stack([nr.arange(2), f32]).dtype == np.float32


# ---- property (hypothesis): random shapes and permutations, against NumPy ------------------------------
SETTINGS = settings(max_examples=30, deadline=None)


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
