"""Memory order inside the kernels: arrays a kernel makes follow the memory order of its inputs.

NumPy arrays need not be C-ordered: a transposed view is as good an array as any, and every NumPy
function handles it. What differs is speed. An elementwise op runs its inner loop along the axis
that is contiguous in memory; when all its operands agree on that axis the loop is long and
vectorised, when they disagree one of them is read or written with a stride, element by element.

The convolution kernels compute their output channel-major, (C, H, W, N) (``kernels.im2col``), and
hand it on as an (N, C, H, W) *view* of that memory. Reference ops keep their input's order where
NumPy does by itself (ufuncs and ``*_like`` allocate in the input's order); the ReLU and pooling
kernels go further with the helpers here: zeros laid out like the input, a gradient put in the
order of the mask it meets (``in_order_of``: one copy, instead of a product that reads one operand
element by element), a scatter allocated in its input's order. torch keeps blocked layouts inside
oneDNN for the same reason.
"""

from __future__ import annotations

import numpy as np


def memory_order(x: np.ndarray) -> list[int]:
    """x's axes from the outermost in memory (largest stride) to the innermost: [0, 1, ..., n-1] for a
    C-ordered array, [1, 2, 3, 0] for an (N, C, H, W) view of (C, H, W, N) memory."""
    return sorted(range(x.ndim), key=lambda axis: -abs(x.strides[axis]))


def _arranged_like(like: np.ndarray, shape: tuple[int, ...], make) -> np.ndarray:
    """``make(shape of the memory)`` seen with ``shape`` as an array laid out in ``like``'s memory order."""
    if like.flags.c_contiguous:
        return make(shape)
    order = memory_order(like)
    return make([shape[axis] for axis in order]).transpose(np.argsort(order))


def empty_in_order_of(like: np.ndarray, shape: tuple[int, ...], dtype: np.dtype, zeros: bool = False) -> np.ndarray:
    """An uninitialised (or zero) array of ``shape`` whose memory order is ``like``'s (same number of axes)."""
    return _arranged_like(like, shape, lambda memory: (np.zeros if zeros else np.empty)(memory, dtype=dtype))


def view_in_order_of(like: np.ndarray, flat: np.ndarray) -> np.ndarray:
    """The first ``like.size`` numbers of the 1-D array ``flat`` as an array shaped like ``like`` and
    laid out in its memory order (a view)."""
    return _arranged_like(like, like.shape, lambda memory: flat[: like.size].reshape(memory))


def in_order_of(like: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``x`` (shaped like ``like``) in ``like``'s memory order: x itself when they agree, else a copy.
    An op whose operands disagree reads or writes one of them element by element."""
    if (x.flags.c_contiguous and like.flags.c_contiguous) or memory_order(x) == memory_order(like):
        return x
    out = empty_in_order_of(like, x.shape, x.dtype)
    np.copyto(out, x)
    return out
