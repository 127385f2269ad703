"""Sliding windows: which input pixels each output pixel of a convolution or a pooling reads.

Output pixel (i, j), kernel tap (p, q) reads the padded input at (i*s_h + p*d_h, j*s_w + q*d_w).
``Window.windows`` shows every output pixel's window at once as a view of the padded input (NumPy's
``sliding_window_view``, no copy): shape (..., Ho, Wo, kH, kW). A convolution is a GEMM over those
windows; a pooling is a max or a mean over them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


@dataclass(frozen=True)
class Window:
    """The geometry of a 2-D sliding window. ``padding`` is what lies before the first row and column;
    whatever the last windows read beyond the input is padding too (``padded_size``)."""

    in_size: tuple[int, int]
    out_size: tuple[int, int]
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]

    @property
    def padded_size(self) -> tuple[int, int]:
        """Rows and columns of the padded input: enough for the input and for every read,
        (o - 1) s + d (k - 1) + 1 per dimension."""
        return tuple(
            max((o - 1) * s + d * (k - 1) + 1, p + n)
            for n, o, k, s, p, d in zip(self.in_size, self.out_size, self.kernel, self.stride, self.padding,
                                        self.dilation)
        )

    def tap_slices(self):
        """(p, q, rows, cols) for each kernel tap: the strided rows and columns of the padded input it reads."""
        (ho, wo), (sh, sw), (dh, dw) = self.out_size, self.stride, self.dilation
        for p in range(self.kernel[0]):
            rows = slice(p * dh, p * dh + (ho - 1) * sh + 1, sh)
            for q in range(self.kernel[1]):
                yield p, q, rows, slice(q * dw, q * dw + (wo - 1) * sw + 1, sw)

    def pad(self, x: np.ndarray, value: float = 0.0) -> np.ndarray:
        """x (..., H, W) inside a frame of ``value`` of the padded size."""
        (hp, wp), (top, left), (h, w) = self.padded_size, self.padding, x.shape[-2:]
        if (hp, wp) == (h, w):
            return x
        out = np.full((*x.shape[:-2], hp, wp), value, dtype=x.dtype)
        out[..., top : top + h, left : left + w] = x
        return out

    def unpad(self, x: np.ndarray) -> np.ndarray:
        """The input's part (..., H, W) of a padded array (a view)."""
        (top, left), (h, w) = self.padding, self.in_size
        return x[..., top : top + h, left : left + w]

    def windows(self, padded: np.ndarray) -> np.ndarray:
        """Every output pixel's window: view[..., i, j, p, q] = padded[..., i*s_h + p*d_h, j*s_w + q*d_w]."""
        (ho, wo), (kh, kw), (sh, sw), (dh, dw) = self.out_size, self.kernel, self.stride, self.dilation
        spans = ((kh - 1) * dh + 1, (kw - 1) * dw + 1)
        view = sliding_window_view(padded, spans, axis=(-2, -1))  # (..., rows, cols, span_h, span_w)
        return view[..., : (ho - 1) * sh + 1 : sh, : (wo - 1) * sw + 1 : sw, ::dh, ::dw]


def ntuple(value: Any, n: int, name: str, fn: str) -> tuple[int, ...]:
    """An int-or-tuple argument (kernel_size, stride, padding, ...) as a tuple of ``n`` ints, as torch's
    ``_ntuple``: 3 -> (3, 3); (3, 5) stays; anything else is an error naming the function and argument."""
    values = tuple(value) if isinstance(value, tuple | list) else (value,) * n
    if len(values) != n or not all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in values):
        what = "an int" if n == 1 else f"an int or a tuple of {n} ints"
        raise ValueError(f"{fn}: {name} must be {what}, got {value!r}")
    return tuple(int(v) for v in values)
