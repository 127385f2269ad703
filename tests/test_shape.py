"""Shape ops against torch: reshape/view/flatten/squeeze/unsqueeze, transpose/permute/.T, expand/broadcast_to,
indexing of every kind (repeated integer indices accumulate in backward), cat/stack/split/chunk and pad."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import neurona as nr
from neurona.errors import ShapeError
from parity import check_parity

DTYPES = [np.float32, np.float64]

SHAPE_OPS = {
    "reshape": ((2, 3, 4), lambda x: x.reshape(4, -1), None),
    "reshape tuple": ((2, 3, 4), lambda x: x.reshape((3, 8)), None),
    "reshape to 0-d": ((1, 1), lambda x: x.reshape(()), None),
    "reshape from 0-d": ((), lambda x: x.reshape(1, 1), None),
    "nr.reshape": ((2, 3, 4), lambda x: nr.reshape(x, (6, 4)), lambda x: torch.reshape(x, (6, 4))),
    "view": ((2, 3, 4), lambda x: x.view(6, 4), None),
    "view -1": ((2, 3, 4), lambda x: x.view(-1), None),
    "flatten": ((2, 3, 4), lambda x: x.flatten(), None),
    "flatten 1": ((2, 3, 4), lambda x: x.flatten(1), None),
    "flatten 0 1": ((2, 3, 4, 5), lambda x: x.flatten(0, 1), None),
    "flatten -3 -2": ((2, 3, 4, 5), lambda x: x.flatten(-3, -2), None),
    "flatten 0-d": ((), lambda x: x.flatten(), None),
    "nr.flatten": ((2, 3, 4), lambda x: nr.flatten(x, 1), lambda x: torch.flatten(x, 1)),
    "squeeze": ((2, 1, 4, 1), lambda x: x.squeeze(), None),
    "squeeze 1": ((2, 1, 4, 1), lambda x: x.squeeze(1), None),
    "squeeze -1": ((2, 1, 4, 1), lambda x: x.squeeze(-1), None),
    "squeeze non-1": ((2, 1, 4, 1), lambda x: x.squeeze(0), None),
    "squeeze dims": ((2, 1, 4, 1), lambda x: x.squeeze((1, 3)), None),
    "squeeze 0-d": ((), lambda x: x.squeeze(), None),
    "unsqueeze 0": ((2, 3), lambda x: x.unsqueeze(0), None),
    "unsqueeze -1": ((2, 3), lambda x: x.unsqueeze(-1), None),
    "unsqueeze 1": ((2, 3), lambda x: x.unsqueeze(1), None),
    "unsqueeze 0-d": ((), lambda x: x.unsqueeze(0), None),
    "transpose": ((2, 3, 4), lambda x: x.transpose(0, 2), None),
    "transpose -1 -2": ((2, 3, 4), lambda x: x.transpose(-1, -2), None),
    "nr.transpose": ((2, 3, 4), lambda x: nr.transpose(x, 0, 1), lambda x: torch.transpose(x, 0, 1)),
    "permute": ((2, 3, 4), lambda x: x.permute(1, 2, 0), None),
    "permute tuple": ((2, 3, 4), lambda x: x.permute((2, 0, 1)), None),
    "permute negative": ((2, 3, 4), lambda x: x.permute(-1, 0, -2), None),
    "nr.permute": ((2, 3, 4), lambda x: nr.permute(x, (2, 1, 0)), lambda x: torch.permute(x, (2, 1, 0))),
    "T": ((3, 4), lambda x: x.T, None),
    "mT": ((2, 3, 4), lambda x: x.mT, None),
    "expand": ((3, 1), lambda x: x.expand(2, 3, 4), None),
    "expand tuple": ((3, 1), lambda x: x.expand((3, 5)), None),
    "expand -1": ((3, 1), lambda x: x.expand(-1, 5), None),
    "expand 0-d": ((), lambda x: x.expand(2, 3), None),
    "broadcast_to": ((1, 4), lambda x: x.broadcast_to((3, 4)), None),
    "nr.broadcast_to": (
        (4,),
        lambda x: nr.broadcast_to(x, (2, 3, 4)),
        lambda x: torch.broadcast_to(x, (2, 3, 4)),
    ),
    "contiguous": ((2, 3), lambda x: x.T.contiguous() * 1.0, None),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", SHAPE_OPS)
def test_shape_ops(name, dtype):
    shape, nr_fn, torch_fn = SHAPE_OPS[name]
    check_parity(nr_fn, torch_fn or nr_fn, [shape], dtype)


INDEXES = {
    "int": 1,
    "negative int": -1,
    "two ints": (1, 2),
    "int to 0-d": (2, -1),
    "slice": slice(1, None),
    "negative slice": slice(-2, None),
    "step slice": (slice(None), slice(None, None, 2)),
    "None": (None, 1),
    "None middle": (slice(None), None, slice(1, 3)),
    "Ellipsis": (Ellipsis, 0),
    "Ellipsis None": (0, Ellipsis, None),
    "mixed": (1, slice(0, 2), None),
    "int array": (np.array([2, 0]),),
    "int array repeated": (np.array([0, 2, 0, 0]),),
    "int array pair": (np.array([0, 1, 1]), np.array([2, 0, 2])),
    "int array pair repeated": (np.array([1, 1, 1]), np.array([3, 3, 0])),
    "int array and slice": (slice(None), np.array([3, 0, 3])),
    "2-d int array": (np.array([[0, 1], [1, 1]]),),
    "bool mask rows": (np.array([True, False, True]),),
    "bool mask columns": (slice(None), np.array([True, False, True, True])),
}


def _torch_index(index):
    items = index if isinstance(index, tuple) else (index,)
    out = tuple(torch.tensor(i) if isinstance(i, np.ndarray) else i for i in items)
    return out if isinstance(index, tuple) else out[0]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", INDEXES)
def test_indexing(name, dtype):
    index = INDEXES[name]
    check_parity(lambda x: x[index], lambda x: x[_torch_index(index)], [(3, 4)], dtype)


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


JOINS = {
    "cat 1": (
        lambda a, b, c: nr.cat([a, b], 1),
        lambda a, b, c: torch.cat([a, b], 1),
        [(2, 3), (2, 5), (1,)],
    ),
    "cat -1 three": (
        lambda a, b, c: nr.cat([a, b, a], -1),
        lambda a, b, c: torch.cat([a, b, a], -1),
        [(2, 3), (2, 1), (1,)],
    ),
    "concatenate 0": (
        lambda a, b, c: nr.concatenate([a, b], 0),
        lambda a, b, c: torch.cat([a, b], 0),
        [(2, 3), (4, 3), (1,)],
    ),
    "cat 1-d": (lambda a, b, c: nr.cat([a, c]), lambda a, b, c: torch.cat([a, c]), [(3,), (1,), (2,)]),
    "cat one": (lambda a, b, c: nr.cat([a]), lambda a, b, c: torch.cat([a]), [(2, 3), (1,), (1,)]),
    "stack 0": (
        lambda a, b, c: nr.stack([a, b]),
        lambda a, b, c: torch.stack([a, b]),
        [(2, 3), (2, 3), (1,)],
    ),
    "stack 1": (
        lambda a, b, c: nr.stack([a, b, c], 1),
        lambda a, b, c: torch.stack([a, b, c], 1),
        [(2, 3), (2, 3), (2, 3)],
    ),
    "stack -1": (
        lambda a, b, c: nr.stack([a, b], -1),
        lambda a, b, c: torch.stack([a, b], -1),
        [(2, 3), (2, 3), (1,)],
    ),
    "stack 0-d": (lambda a, b, c: nr.stack([a, b, c]), lambda a, b, c: torch.stack([a, b, c]), [(), (), ()]),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", JOINS)
def test_cat_and_stack(name, dtype):
    nr_fn, torch_fn, shapes = JOINS[name]
    check_parity(nr_fn, torch_fn, shapes, dtype)


def test_cat_with_an_input_that_needs_no_grad():
    a = nr.ones(2, 2, requires_grad=True)
    y = nr.cat([a, nr.zeros(3, 2)], 0)
    y.backward(nr.tensor(np.arange(10.0).reshape(5, 2)))
    np.testing.assert_array_equal(a.grad.numpy(), [[0.0, 1.0], [2.0, 3.0]])


SPLITS = {
    "split 2": (lambda x: x.split(2, 1), (3, 5)),
    "split sections": (lambda x: x.split([1, 3, 1], 1), (3, 5)),
    "split dim 0": (lambda x: x.split(1), (3, 5)),
    "split -1": (lambda x: x.split(4, -1), (3, 5)),
    "nr.split": (lambda x: nr.split(x, 2, 0) if isinstance(x, nr.Tensor) else torch.split(x, 2, 0), (3, 5)),
    "chunk 3": (lambda x: x.chunk(3, 0), (6, 2)),
    "chunk uneven": (lambda x: x.chunk(4, 1), (2, 6)),
    "chunk more than size": (lambda x: x.chunk(5, 0), (3, 2)),
    "nr.chunk": (lambda x: nr.chunk(x, 2, 1) if isinstance(x, nr.Tensor) else torch.chunk(x, 2, 1), (2, 5)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", SPLITS)
def test_split_and_chunk(name, dtype):
    fn, shape = SPLITS[name]
    check_parity(fn, fn, [shape], dtype)  # every piece gets its own random upstream gradient


def test_using_only_some_pieces_of_a_split():
    check_parity(
        lambda x: x.split([1, 3], 1)[1] * 2.0, lambda x: x.split([1, 3], 1)[1] * 2.0, [(3, 4)], np.float64
    )


PADS = {
    "last dim": ((2, 3, 4), (1, 2), 0.0),
    "two dims": ((2, 3, 4), (1, 2, 0, 1), 0.5),
    "three dims": ((2, 3, 4), (0, 1, 2, 0, 1, 1), -1.0),
    "1-d": ((4,), (3, 0), 0.0),
    "zero widths": ((2, 3), (0, 0), 0.0),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", PADS)
def test_pad(name, dtype):
    shape, widths, value = PADS[name]
    check_parity(
        lambda x: nr.pad(x, widths, value=value), lambda x: TF.pad(x, widths, value=value), [shape], dtype
    )


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
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch."), parts
    f32, f64 = nr.ones(2), nr.ones(2, dtype=nr.float64)
    assert nr.cat([f32, f64]).dtype == np.float64 and nr.stack([nr.arange(2), f32]).dtype == np.float32
