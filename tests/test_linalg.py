"""Matrix products against torch: matmul with 1-D operands and batch broadcasting, and the fused linear op."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import neurona as nr
import neurona.functional as F
from neurona.errors import ShapeError
from parity import check_parity

DTYPES = [np.float32, np.float64]
MATMUL_SHAPES = [
    ((3, 4), (4, 5)),
    ((1, 4), (4, 1)),
    ((4,), (4, 5)),
    ((3, 4), (4,)),
    ((4,), (4,)),
    ((1,), (1,)),
    ((2, 3, 4), (4, 5)),
    ((3, 4), (2, 4, 5)),
    ((2, 3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((4,), (2, 4, 3)),
    ((2, 3, 4), (4,)),
    ((1, 3, 4), (2, 4, 1)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(shapes, dtype):
    check_parity(lambda a, b: a @ b, lambda a, b: a @ b, shapes, dtype)
    check_parity(nr.matmul, torch.matmul, shapes, dtype)
    check_parity(lambda a, b: a.matmul(b), lambda a, b: a.matmul(b), shapes, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_matmul_with_an_array_operand_and_without_grad_on_one_side(dtype):
    w = np.random.default_rng(1).standard_normal((4, 2))
    check_parity(lambda a: a @ w, lambda a: a @ torch.tensor(w.astype(dtype)), [(3, 4)], dtype)
    check_parity(lambda a, b: a @ b, lambda a, b: a @ b, [(3, 4), (4, 2)], dtype, grad_inputs=1)


LINEAR_INPUTS = [(5, 4), (2, 3, 4), (4,), (1, 4), (2, 1, 3, 4)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", LINEAR_INPUTS, ids=str)
def test_linear(shape, bias, dtype):
    shapes = [shape, (3, 4), (3,)] if bias else [shape, (3, 4)]
    check_parity(F.linear, TF.linear, shapes, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_linear_with_frozen_parts(dtype):
    check_parity(lambda x, w, b: F.linear(x, w, b), TF.linear, [(5, 4), (3, 4), (3,)], dtype, grad_inputs=1)
    check_parity(
        lambda w, b, x: F.linear(x, w, b),
        lambda w, b, x: TF.linear(x, w, b),
        [(3, 4), (3,), (5, 4)],
        dtype,
        grad_inputs=2,
    )


def test_matmul_shape_errors_name_the_op_and_both_shapes():
    with pytest.raises(ShapeError, match=r"matmul: shapes \(3, 4\) and \(5, 2\) are not aligned"):
        nr.ones(3, 4) @ nr.ones(5, 2)
    with pytest.raises(ShapeError, match=r"matmul: shapes \(4,\) and \(5, 2\) are not aligned"):
        nr.ones(4) @ nr.ones(5, 2)
    with pytest.raises(ShapeError, match=r"matmul: shapes \(3, 4\) and \(5,\) are not aligned"):
        nr.ones(3, 4) @ nr.ones(5)
    with pytest.raises(ShapeError, match=r"matmul: vectors of shapes \(3,\) and \(4,\)"):
        nr.ones(3) @ nr.ones(4)
    with pytest.raises(ShapeError, match=r"matmul: batch dimensions of \(2, 3, 4\) and \(3, 4, 5\)"):
        nr.ones(2, 3, 4) @ nr.ones(3, 4, 5)
    with pytest.raises(ShapeError, match=r"at least 1 dimension"):
        nr.ones(3) @ nr.tensor(2.0)
    with pytest.raises(ValueError):  # ShapeError is a ValueError
        nr.ones(3, 4) @ nr.ones(5, 2)


def test_linear_shape_errors():
    with pytest.raises(
        ShapeError,
        match=r"linear: input of shape \(5, 3\) does not fit a weight of shape \(2, 4\); "
        r"the input's last dimension must be 4",
    ):
        F.linear(nr.ones(5, 3), nr.ones(2, 4))
    with pytest.raises(ShapeError, match=r"bias must have shape \(2,\), got \(3,\)"):
        F.linear(nr.ones(5, 4), nr.ones(2, 4), nr.ones(3))
    with pytest.raises(ShapeError, match="weight must be 2-D"):
        F.linear(nr.ones(5, 4), nr.ones(4))
