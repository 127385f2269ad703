"""Tensor factories: dtypes as torch's defaults, shapes given as varargs or a tuple, seeded randomness."""

import numpy as np
import pytest
import torch

import neurona as nr


@pytest.mark.parametrize("name", ["zeros", "ones", "randn", "rand"])
def test_shape_factories(name):
    fn = getattr(nr, name)
    assert (
        fn(2, 3).shape == (2, 3) and fn((2, 3)).shape == (2, 3) and fn([4]).shape == (4,) and fn().shape == ()
    )
    assert fn(2).dtype == np.float32 and fn(2, dtype=nr.float64).dtype == np.float64
    t = fn(3, requires_grad=True)
    assert t.requires_grad and t.is_leaf


def test_values_and_dtypes_match_torch():
    pairs = [
        (nr.zeros(2, 3), torch.zeros(2, 3)),
        (nr.ones(4), torch.ones(4)),
        (nr.full((2,), 7), torch.full((2,), 7)),
        (nr.full((2, 2), 1.5), torch.full((2, 2), 1.5)),
        (nr.arange(5), torch.arange(5)),
        (nr.arange(1, 7, 2), torch.arange(1, 7, 2)),
        (nr.arange(0, 1, 0.25), torch.arange(0, 1, 0.25)),
        (nr.arange(3.0), torch.arange(3.0)),
        (nr.linspace(0, 1, 5), torch.linspace(0, 1, 5)),
        (nr.eye(3), torch.eye(3)),
        (nr.eye(2, 3), torch.eye(2, 3)),
    ]
    for ours, theirs in pairs:
        assert str(ours.dtype).removeprefix("neurona.") == str(theirs.dtype).removeprefix("torch."), (ours, theirs)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_like_factories():
    base = nr.tensor([[1, 2], [3, 4]])
    assert nr.zeros_like(base).dtype == np.int64 and nr.zeros_like(base).numpy().sum() == 0
    assert nr.ones_like(base, dtype=nr.float32).dtype == np.float32
    assert nr.full_like(base, 9).numpy().tolist() == [[9, 9], [9, 9]]
    assert nr.ones_like(nr.ones(2), requires_grad=True).requires_grad


def test_manual_seed_makes_random_tensors_reproducible():
    nr.manual_seed(0)
    a, b, c = nr.randn(2, 3), nr.rand(4), nr.randint(0, 10, (5,))
    nr.manual_seed(0)
    np.testing.assert_array_equal(a.numpy(), nr.randn(2, 3).numpy())
    np.testing.assert_array_equal(b.numpy(), nr.rand(4).numpy())
    np.testing.assert_array_equal(c.numpy(), nr.randint(0, 10, (5,)).numpy())
    assert not np.array_equal(nr.randn(2, 3).numpy(), a.numpy())  # the stream moves on
    assert ((0 <= b.numpy()) & (b.numpy() < 1)).all()
    assert c.dtype == np.int64 and ((0 <= c.numpy()) & (c.numpy() < 10)).all()
    assert ((0 <= nr.randint(3, size=(20,)).numpy()) & (nr.randint(3, size=(20,)).numpy() < 3)).all()


def test_tensor_from_a_tensor_copies_and_detaches():
    x = nr.ones(2, requires_grad=True)
    y = nr.tensor(x)
    assert not y.requires_grad and not np.shares_memory(x.numpy(), y.numpy())
    assert nr.tensor(x, dtype=nr.float64).dtype == np.float64


def test_tensor_conversion_rules():
    assert nr.tensor(np.ones(3)).dtype == np.float32  # float64 data becomes float32 ...
    assert nr.tensor(np.ones(3), dtype=nr.float64).dtype == np.float64  # ... unless asked
    assert nr.tensor([1.5, 2]).dtype == np.float32 and nr.tensor(3.5).dtype == np.float32
    assert nr.tensor([1, 2]).dtype == np.int64 and nr.tensor(np.arange(3, dtype=np.int32)).dtype == np.int64
    assert nr.tensor(7).dtype == np.int64 and nr.tensor(7).ndim == 0
    assert nr.tensor([True]).dtype == np.bool_
    assert nr.tensor(np.ones(2, np.float16), dtype=nr.float16).dtype == np.float16
    assert nr.Tensor(np.ones(2)).dtype == np.float32
    with pytest.raises(TypeError, match="cannot make a Tensor from data of dtype"):
        nr.tensor(["a", "b"])
    x = nr.ones(2)
    assert (
        x.double().dtype == np.float64
        and x.double().float().dtype == np.float32
        and x.long().dtype == np.int64
    )


def test_tensor_copies_its_data():
    a = np.ones(3, dtype=np.float32)
    t = nr.tensor(a)
    a[0] = 5.0
    assert t.numpy()[0] == 1.0
