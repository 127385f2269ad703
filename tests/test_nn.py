"""softmax, log_softmax, cross_entropy and nll_loss (ops/nn.py) beyond the op table (tests/op_table/nn.py,
which checks their options, reductions and K-dimensional inputs against torch): large and masked logits,
target types, and the errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import neurona as nr
import neurona.functional as F
from neurona.errors import DTypeError, ShapeError
from parity import check_parity

DTYPES = [np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_is_stable_for_large_logits(dtype):
    a = np.array([[1000.0, 0.0, -1000.0], [-5000.0, -5000.0, -5000.0]])
    with np.errstate(over="raise"):
        check_parity(lambda x: F.softmax(x, 1), lambda x: TF.softmax(x, 1), [a], dtype)
        check_parity(lambda x: F.log_softmax(x, 1), lambda x: TF.log_softmax(x, 1), [a], dtype)
        check_parity(
            lambda x: F.cross_entropy(x, nr.tensor([2, 1])),
            lambda x: TF.cross_entropy(x, torch.tensor([2, 1])),
            [a],
            dtype,
        )


def test_cross_entropy_accepts_numpy_and_list_targets_and_default_ignore_index():
    target = [1, -100, 3]
    for t in (target, np.array(target), nr.tensor(target)):
        check_parity(
            lambda x: F.cross_entropy(x, t),
            lambda x: TF.cross_entropy(x, torch.tensor(target)),
            [(3, 4)],
            np.float64,
        )


def test_cross_entropy_out_of_range_label_names_the_label_and_the_range():
    x = nr.randn(3, 4, requires_grad=True)
    with pytest.raises(
        ValueError, match=r"target 4 is out of range for 4 classes; labels must be in \[0, 3\]"
    ):
        F.cross_entropy(x, nr.tensor([0, 4, 1]))
    with pytest.raises(
        ValueError, match=r"target -1 is out of range for 4 classes; labels must be in \[0, 3\]"
    ):
        F.cross_entropy(x, nr.tensor([0, -1, 1]))
    with pytest.raises(ValueError, match=r"target 7 is out of range .* \(or ignore_index=5\)"):
        F.cross_entropy(x, nr.tensor([5, 7, 1]), ignore_index=5)
    with pytest.raises(ValueError, match=r"nll_loss: target 9 is out of range for 4 classes"):
        F.nll_loss(x, nr.tensor([9, 0, 0]))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\]"):
        F.cross_entropy(nr.randn(2, 4, 3), nr.tensor([[0, 1, 2], [3, 4, 0]]))


def test_cross_entropy_shape_and_dtype_errors():
    x = nr.randn(3, 4)
    with pytest.raises(
        ShapeError, match=r"class-index targets must have shape \(3,\) for input \(3, 4\), got \(4,\)"
    ):
        F.cross_entropy(x, nr.tensor([0, 1, 2, 3]))
    with pytest.raises(
        ShapeError, match=r"target shape \(2, 4\) does not match input \(2, 4, 3\); expected \(2, 3\)"
    ):
        F.cross_entropy(nr.randn(2, 4, 3), nr.tensor(np.zeros((2, 4), dtype=int)))
    with pytest.raises(
        ShapeError, match=r"probability targets must have the input's shape \(3, 4\), got \(3, 5\)"
    ):
        F.cross_entropy(x, nr.tensor(np.full((3, 5), 0.2)))
    with pytest.raises(ShapeError, match=r"weight must have one entry per class, shape \(4,\), got \(3,\)"):
        F.cross_entropy(x, nr.tensor([0, 1, 2]), weight=nr.ones(3))
    with pytest.raises(DTypeError, match="logits must be floating point"):
        F.cross_entropy(nr.tensor([[1, 2]]), nr.tensor([0]))
    with pytest.raises(DTypeError, match="class indices"):
        F.cross_entropy(x, nr.tensor([True, False, True]))
    with pytest.raises(DTypeError, match="class indices"):
        F.nll_loss(x, nr.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\]"):
        F.cross_entropy(x, nr.tensor([0, 1, 2]), label_smoothing=1.5)
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        F.cross_entropy(x, nr.tensor([0, 1, 2]), reduction="avg")


@pytest.mark.parametrize("dtype", DTYPES)
def test_masked_logits_of_minus_infinity(dtype):
    """A class masked out with a -inf logit (invalid actions, padding) gets probability 0 and adds nothing."""
    a = np.array([[0.0, -np.inf, 1.0, 0.5], [2.0, 0.5, -np.inf, -np.inf]])
    target = np.array([0, 1])
    check_parity(lambda x: F.softmax(x, 1), lambda x: TF.softmax(x, 1), [a], dtype)
    check_parity(
        lambda x: F.log_softmax(x, 1)[:, [0, 3]], lambda x: TF.log_softmax(x, 1)[:, [0, 3]], [a], dtype
    )
    check_parity(
        lambda x, t: F.cross_entropy(x, t, reduction="none"),
        lambda x, t: TF.cross_entropy(x, t, reduction="none"),
        [a, target],
        dtype,
    )
    check_parity(
        lambda x, t: F.nll_loss(F.log_softmax(x, 1), t),
        lambda x, t: TF.nll_loss(TF.log_softmax(x, 1), t),
        [a, target],
        dtype,
    )
