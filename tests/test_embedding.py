"""Embedding (ops/embedding.py and the nn.Embedding layer) beyond the op table (tests/op_table/embedding.py,
which checks F.embedding's values, gradients (repeats, padding_idx), finite differences and dtypes against
torch): the layer against torch.nn.Embedding, the padding row, double backward, init and errors."""

import numpy as np
import pytest
import torch

import neurona as nr
from neurona import nn
from neurona.errors import DTypeError
from neurona.ops.embedding import embedding

TOL = {np.float32: dict(rtol=1e-6, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-12)}
V, D = 10, 4


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("padding_idx", [None, 3])
def test_layer_parity_with_torch(padding_idx, dtype):
    rng = np.random.default_rng(0)
    shape = (3, 5)
    torch_layer = torch.nn.Embedding(V, D, padding_idx=padding_idx).to(torch.float64 if dtype == np.float64 else torch.float32)
    layer = nn.Embedding(V, D, padding_idx=padding_idx).to(dtype)
    layer.load_state_dict(torch_layer.state_dict())
    idx = rng.integers(0, 4, shape)  # few distinct values: many repeats, padding rows among them
    y, yt = layer(nr.tensor(idx)), torch_layer(torch.tensor(idx))
    assert y.shape == tuple(yt.shape) and y.dtype == dtype
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), **TOL[dtype])
    g = rng.standard_normal(y.shape).astype(dtype)
    y.backward(nr.tensor(g, dtype=dtype))
    yt.backward(torch.tensor(g))
    assert layer.weight.grad.dtype == dtype
    np.testing.assert_allclose(layer.weight.grad.numpy(), torch_layer.weight.grad.numpy(), **TOL[dtype])


def test_padding_row_starts_at_zero_and_gets_no_gradient():
    nr.manual_seed(0)
    layer = nn.Embedding(V, D, padding_idx=2)
    np.testing.assert_array_equal(layer.weight.numpy()[2], 0)
    layer.weight.data[2] = 5.0  # a non-zero padding row is still read, as in torch
    y = layer(nr.tensor([2, 2, 1]))
    np.testing.assert_array_equal(y.numpy()[0], 5.0)
    y.sum().backward()
    np.testing.assert_array_equal(layer.weight.grad.numpy()[2], 0)
    np.testing.assert_array_equal(layer.weight.grad.numpy()[1], 1)


def test_repeated_indices_add_up():
    layer = nn.Embedding(V, D)
    layer(nr.tensor([[1, 1, 1], [1, 4, 4]])).sum().backward()
    grad = layer.weight.grad.numpy()
    np.testing.assert_array_equal(grad[1], 4)
    np.testing.assert_array_equal(grad[4], 2)
    assert grad.sum() == 6 * D


def test_init_is_standard_normal_float32():
    nr.manual_seed(0)
    w = nn.Embedding(1000, 50).weight.numpy()
    assert w.dtype == np.float32
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01


def test_int32_and_list_indices():
    layer = nn.Embedding(V, D)
    expected = layer.weight.numpy()[[3, 1]]
    np.testing.assert_array_equal(layer(np.array([3, 1], dtype=np.int32)).numpy(), expected)
    np.testing.assert_array_equal(layer([3, 1]).numpy(), expected)


def test_double_backward_matches_torch():
    """The backward of a lookup is itself differentiable (a scatter whose backward is a lookup)."""
    rng = np.random.default_rng(1)
    w = rng.standard_normal((V, D))
    idx = np.array([[1, 3, 1], [0, 3, 7]])
    weight = nr.tensor(w, dtype=np.float64, requires_grad=True)
    c, v = rng.standard_normal((2, 3, D)), rng.standard_normal((V, D))
    (g,) = nr.autograd.grad((embedding(idx, weight, padding_idx=3) ** 2 * nr.tensor(c, dtype=np.float64)).sum(),
                            weight, create_graph=True)
    (gg,) = nr.autograd.grad((g * nr.tensor(v, dtype=np.float64)).sum(), weight)
    wt = torch.tensor(w, requires_grad=True)
    (gt,) = torch.autograd.grad((torch.nn.functional.embedding(torch.tensor(idx), wt, padding_idx=3) ** 2
                                 * torch.tensor(c)).sum(), wt, create_graph=True)
    (ggt,) = torch.autograd.grad((gt * torch.tensor(v)).sum(), wt)
    np.testing.assert_allclose(g.numpy(), gt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(gg.numpy(), ggt.numpy(), rtol=1e-12)


def test_from_pretrained():
    table = np.arange(12, dtype=np.float32).reshape(4, 3)
    frozen = nn.Embedding.from_pretrained(nr.tensor(table))
    assert not frozen.weight.requires_grad
    np.testing.assert_array_equal(frozen(nr.tensor([2])).numpy(), table[[2]])
    trainable = nn.Embedding.from_pretrained(table, freeze=False, padding_idx=0)
    assert trainable.weight.requires_grad and trainable.padding_idx == 0
    assert repr(trainable) == "Embedding(4, 3, padding_idx=0)"


@pytest.mark.parametrize("bad", [10, -1])
def test_index_out_of_range_is_explained(bad):
    with pytest.raises(IndexError, match=rf"Embedding\(10, 4\) got index {bad}, out of range: indices must be in \[0, 9\]"):
        nn.Embedding(V, D)(nr.tensor([1, bad, 2]))


def test_float_indices_are_rejected():
    with pytest.raises(DTypeError, match=r"integer indices.*\.long\(\)"):
        nn.Embedding(V, D)(nr.tensor([1.0, 2.0]))


@pytest.mark.parametrize("kwargs", [dict(padding_idx=10), dict(padding_idx=-11), dict(embedding_dim=0)])
def test_bad_arguments(kwargs):
    args = dict(num_embeddings=V, embedding_dim=D) | kwargs
    with pytest.raises(ValueError):
        nn.Embedding(**args)
