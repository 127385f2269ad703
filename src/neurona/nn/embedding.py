"""The embedding layer: a learnt lookup table from integer ids (words, items, classes) to vectors."""

from __future__ import annotations

from typing import Any

import numpy as np

from neurona.device import check_device
from neurona.errors import DTypeError, ShapeError, fmt_shape
from neurona.nn import init
from neurona.nn.module import Module, Parameter
from neurona.ops.embedding import embedding
from neurona.tensor import Tensor, no_grad


class Embedding(Module):
    """y = W[idx]: row idx of a (num_embeddings, embedding_dim) table for every integer in the input.

    The same as multiplying one-hot vectors by W, without building them: the gradient of W is the
    output gradient's rows added to the rows that were read (repeated indices add up).

    Parameters
    ----------
    num_embeddings : size of the vocabulary (valid indices are 0 .. num_embeddings - 1).
    embedding_dim : length of each vector.
    padding_idx : an index whose row starts at zero and never receives a gradient (a "no token"
        filler for padded sequences). Negative values count from the end, as in torch.

    Weights: N(0, 1), as torch.nn.Embedding.

    Examples
    --------
    >>> emb = nn.Embedding(10, 3, padding_idx=0)
    >>> emb(nr.tensor([[1, 2, 0], [4, 0, 0]])).shape     # (2, 3, 3)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 _weight=None, dtype=np.float32, device: Any = None) -> None:
        check_device(device)  # the CPU is the only device: None/"cpu" pass, others raise clearly
        super().__init__()
        for name, value in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if not isinstance(value, int | np.integer) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Embedding: {name} must be a positive integer, got {value!r}")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx must be within num_embeddings: in "
                                 f"[-{num_embeddings}, {num_embeddings - 1}], got {padding_idx}")
            padding_idx = int(padding_idx) % num_embeddings
        self.num_embeddings, self.embedding_dim, self.padding_idx = int(num_embeddings), int(embedding_dim), padding_idx
        if _weight is None:
            self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dtype=dtype))
            self.reset_parameters()
        else:
            data = _weight.data if isinstance(_weight, Tensor) else np.asarray(_weight)
            if data.shape != (num_embeddings, embedding_dim):
                raise ShapeError(f"Embedding: _weight must have shape {fmt_shape((num_embeddings, embedding_dim))}, "
                                 f"got {fmt_shape(data.shape)}")
            self.weight = Parameter(data.copy())

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight.data[self.padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx: int | None = None) -> Embedding:
        """An Embedding holding a copy of ``embeddings`` (V, D); ``freeze=True`` keeps it fixed in training."""
        data = embeddings.data if isinstance(embeddings, Tensor) else np.asarray(embeddings)
        if data.ndim != 2:
            raise ShapeError(f"Embedding.from_pretrained: embeddings must be 2-D (num_embeddings, "
                             f"embedding_dim), got {fmt_shape(data.shape)}")
        layer = cls(data.shape[0], data.shape[1], padding_idx=padding_idx, _weight=data)
        layer.weight.requires_grad_(not freeze)
        return layer

    def forward(self, input) -> Tensor:
        indices = input.data if isinstance(input, Tensor) else np.asarray(input)
        if indices.dtype.kind not in "iu":
            raise DTypeError(f"{self!r} expects integer indices, got dtype {indices.dtype}; "
                             "convert them with .long()")
        if indices.size and (indices.min() < 0 or indices.max() >= self.num_embeddings):
            bad = int(indices.min()) if indices.min() < 0 else int(indices.max())
            raise IndexError(f"{self!r} got index {bad}, out of range: indices must be in "
                             f"[0, {self.num_embeddings - 1}] (num_embeddings={self.num_embeddings})")
        return embedding(indices, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s
