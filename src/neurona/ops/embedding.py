"""Embedding lookup: a gather of weight rows, and its adjoint, a scatter-add of gradient rows.

For integer indices idx (any shape, M entries in all) into a table W (V, D):

    y[m] = W[idx[m]]                      forward: a gather
    dL/dW = S^T G,   S = onehot(idx) (M, V)   backward: every row of G added to the row it was read from

S^T G is a sparse matrix product: SciPy multiplies it in one pass over G, much faster than
``np.add.at`` and than sorting. Repeated indices add up, as they should. Rows read at
``padding_idx`` send no gradient (torch's convention: that row stays a fixed "nothing" vector).

The two ops are each other's adjoints, so gradients of gradients work too.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from neurona.errors import DTypeError, fmt_shape
from neurona.tensor import Function, Tensor


def _onehot_transposed(indices: np.ndarray, num_rows: int, weights: np.ndarray) -> sparse.csc_matrix:
    """S^T (V, M) in compressed-column form: column m holds ``weights[m]`` in row ``indices[m]``."""
    m = indices.size
    return sparse.csc_matrix((weights, indices, np.arange(m + 1)), shape=(num_rows, m))


class Embedding(Function):
    """y = W[idx] (rows of the table, idx of any shape);  dL/dW = scatter-add of dL/dy into the rows read.

    With ``mask`` (the adjoint of :class:`EmbeddingBackward`), rows read at ``padding_idx`` are zero.
    """

    def forward(self, ctx, weight):
        y = np.take(weight, self.indices, axis=0)
        if self.mask and self.padding_idx is not None:
            y[self.indices == self.padding_idx] = 0
        return y

    def backward(self, ctx, grad):
        return EmbeddingBackward.apply(grad, indices=self.indices, num_embeddings=ctx.inputs[0].shape[0],
                                       padding_idx=self.padding_idx)


class EmbeddingBackward(Function):
    """G_W = S^T G: each row g_m of G added to row idx[m] (none to padding_idx);  its adjoint is the
    gather G_W -> G_W[idx] (zero where idx = padding_idx)."""

    def forward(self, ctx, grad):
        flat = self.indices.reshape(-1)
        rows = grad.reshape(flat.size, -1)
        weights = np.ones(flat.size, dtype=grad.dtype)
        if self.padding_idx is not None:
            weights[flat == self.padding_idx] = 0
        out = _onehot_transposed(flat, self.num_embeddings, weights) @ rows
        return np.asarray(out, dtype=grad.dtype)

    def backward(self, ctx, grad):
        return Embedding.apply(grad, indices=self.indices, padding_idx=self.padding_idx, mask=True)


def embedding(input, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """Rows of ``weight`` (V, D) at the integer indices ``input`` (any shape) -> shape (*input.shape, D),
    as ``torch.nn.functional.embedding``. Rows read at ``padding_idx`` get no gradient."""
    indices = input.data if isinstance(input, Tensor) else np.asarray(input)
    if indices.dtype.kind not in "iu":
        raise DTypeError(f"embedding: indices must be integers, got dtype {indices.dtype}; "
                         "convert them with .long()")
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be a 2-D table (num_embeddings, embedding_dim), "
                         f"got shape {fmt_shape(weight.shape)}")
    num = weight.shape[0]
    if indices.size and (indices.min() < 0 or indices.max() >= num):
        bad = int(indices.min()) if indices.min() < 0 else int(indices.max())
        raise IndexError(f"embedding: index {bad} is out of range for a table of {num} rows; "
                         f"indices must be in [0, {num - 1}]")
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(f"embedding: padding_idx must be in [-{num}, {num - 1}], got {padding_idx}")
        padding_idx = padding_idx % num
    return Embedding.apply(weight, indices=indices.astype(np.intp, copy=False), padding_idx=padding_idx,
                           mask=False)
