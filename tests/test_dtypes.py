"""Dtype discipline: float32 stays float32 through every op and every backward; promotion follows torch."""

import numpy as np
import pytest
import torch

import neurona as nr
import neurona.functional as F

OPS = {
    "scalar mul": lambda x: x * 2.5,
    "numpy float64 scalar": lambda x: x * np.float64(2.0) + np.float64(1.0),
    "rdiv": lambda x: 1.0 / (x * x + 1.0),
    "pow": lambda x: (x * x + 1.0) ** 1.5,
    "exp log": lambda x: (x.exp() + 1.0).log(),
    "sigmoid tanh": lambda x: x.sigmoid() * x.tanh(),
    "activations": lambda x: F.gelu(x) + F.elu(x) + F.softplus(x) + F.selu(x) + F.silu(x),
    "reductions": lambda x: x.var(0) + x.std(0) + x.logsumexp(0) + x.mean(0) + x.prod(0) + x.amax(0),
    "softmax ce": lambda x: F.cross_entropy(x, nr.tensor([0, 1, 2]), label_smoothing=0.1).reshape(1),
    "losses": lambda x: (F.mse_loss(x, x * 0.5) + F.huber_loss(x, x * 0.1)).reshape(1),
    "matmul": lambda x: x @ x.T,
    "index": lambda x: x[[0, 0, 1]] * 2.0,
    "clamp where": lambda x: x.clamp(-0.5, 0.5) + nr.where(x.numpy() > 0, x, 0.0),
}


@pytest.mark.parametrize("name", OPS)
def test_float32_forward_and_backward_stay_float32(name):
    x = nr.tensor(np.random.default_rng(0).standard_normal((3, 3)), requires_grad=True)
    assert x.dtype == np.float32
    y = OPS[name](x)
    assert y.dtype == np.float32, f"{name} forward gave {y.dtype}"
    y.sum().backward()
    assert x.grad.dtype == np.float32, f"{name} backward gave {x.grad.dtype}"


def test_promotion_follows_torch():
    f32, f64 = nr.ones(3), nr.ones(3, dtype=nr.float64)
    assert (f32 + f64).dtype == np.float64  # both dimensioned: widen
    assert (f32 * nr.tensor(2.0, dtype=nr.float64)).dtype == np.float32  # a 0-d tensor does not widen
    assert (nr.arange(3) * 1.5).dtype == np.float32  # int tensor and Python float
    assert (nr.arange(3) * 2).dtype == np.int64
    assert (nr.arange(4) / 2).dtype == np.float32  # true division of integers
    for a, b in [(f32, f64), (f32, nr.tensor(2.0, dtype=nr.float64)), (nr.arange(3), f32)]:
        ta = torch.tensor(a.numpy())
        tb = torch.tensor(b.numpy())
        assert str((a + b).dtype) == str(ta.add(tb).dtype).replace("torch.", "")


def test_mixed_dtype_gradients_come_back_in_each_inputs_dtype():
    a = nr.ones(3, requires_grad=True)
    b = nr.ones(3, dtype=nr.float64, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


def test_tensor_conversion_rules():
    assert nr.tensor(np.ones(3)).dtype == np.float32  # float64 data becomes float32 ...
    assert nr.tensor(np.ones(3), dtype=nr.float64).dtype == np.float64  # ... unless asked
    assert nr.tensor([1, 2]).dtype == np.int64 and nr.tensor(np.arange(3, dtype=np.int32)).dtype == np.int64
    assert nr.tensor([True]).dtype == np.bool_
    assert nr.tensor(3.5).ndim == 0
    x = nr.ones(2)
    assert x.double().dtype == np.float64 and x.double().float().dtype == np.float32 and x.long().dtype == np.int64
