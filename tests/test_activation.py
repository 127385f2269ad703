"""Activations (ops/activation.py) beyond the op table (tests/op_table/activation.py, which checks values,
gradients, dtypes and second order of each against torch): large inputs without overflow, special
values, and the errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import neurona as nr
import neurona.functional as F
from parity import check_parity

DTYPES = [np.float32, np.float64]
LARGE_INPUTS = {
    "gelu": (F.gelu, TF.gelu),
    "silu": (F.silu, TF.silu),
    "softplus": (F.softplus, TF.softplus),
    "elu": (F.elu, TF.elu),
    "selu": (F.selu, TF.selu),
    "sigmoid": (F.sigmoid, TF.sigmoid),
}


@pytest.mark.parametrize("dtype", DTYPES)
def test_activations_at_large_inputs(dtype):
    a = np.array([-60.0, -25.0, -3.0, 3.0, 25.0, 60.0])
    with np.errstate(over="raise"):
        for nr_fn, torch_fn in LARGE_INPUTS.values():
            check_parity(nr_fn, torch_fn, [a], dtype)


def test_relu_over_shapes_and_dtypes_in_turn():
    """ReLU of a large input after a small one, a small one after a large one, and float64 between
    float32 calls all match torch exactly, signed zeros, infinities and NaN included, and give a
    writeable array."""
    rng = np.random.default_rng(0)
    special = np.array([-0.0, 0.0, -np.inf, np.inf, np.nan, -1e-45, 1e-45])
    for shape, dtype in [((3,), np.float32), ((64, 6, 28, 28), np.float32), ((5, 7), np.float64),
                         ((2, 2), np.float32), ((300, 300), np.float64), ((7,), np.float32)]:
        a = rng.standard_normal(shape).astype(dtype)
        a.reshape(-1)[: len(special)] = special[: a.size]
        expected = TF.relu(torch.from_numpy(a)).numpy()
        got = F.relu(nr.tensor(a, dtype=dtype)).numpy()
        assert got.dtype == dtype and got.shape == shape
        np.testing.assert_array_equal(got, expected)
        assert got.flags.writeable


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh', got 'fast'"):
        F.gelu(nr.ones(2), approximate="fast")
