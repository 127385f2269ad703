"""Matrix products (ops/linalg.py) beyond the op table (tests/op_table/linalg.py, which checks matmul over
1-D operands and batch broadcasting, and linear, against torch): NumPy operands, inputs that need no
grad, and the shape errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import neurona as nr
import neurona.functional as F
from neurona.errors import ShapeError
from parity import check_parity

DTYPES = [np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES)
def test_matmul_with_an_array_operand_and_without_grad_on_one_side(dtype):
    w = np.random.default_rng(1).standard_normal((4, 2))
    check_parity(lambda a: a @ w, lambda a: a @ torch.tensor(w.astype(dtype)), [(3, 4)], dtype)
    check_parity(lambda a, b: a @ b, lambda a, b: a @ b, [(3, 4), (4, 2)], dtype, grad_inputs=1)


@pytest.mark.parametrize("dtype", DTYPES)
def test_linear_with_a_constant_input(dtype):
    """(A frozen weight is the op table's row 'linear frozen weight'.)"""
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
