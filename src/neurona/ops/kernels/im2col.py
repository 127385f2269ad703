"""Batch-last im2col and col2im: the data movement under the convolution kernels (``kernels.conv``).

For each of the kH*kW kernel taps, ``_im2col`` copies the strided slice of the padded input that the tap
reads into columns; ``_col2im`` is its adjoint and adds each tap's slice back. ``_Geometry`` is the
reference's ``ConvGeometry`` with the column layout on top.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass
from functools import lru_cache

import numpy as np

from neurona.ops.conv import ConvGeometry


@lru_cache(maxsize=256)
def as_kernel_geometry(geom: ConvGeometry) -> _Geometry:
    """The reference's geometry with the kernels' column layout (one per convolution shape, cached)."""
    return _Geometry(*astuple(geom))



@dataclass(frozen=True)
class _Geometry(ConvGeometry):
    """The shape of one 2-D convolution, shared by its three ops.

    ``in_size`` (H, W) is the convolution's input (a transposed convolution's output), ``out_size``
    (Ho, Wo) its output, ``padding`` the zeros before the first row and column.

    Columns, images and their gradients are laid out channel-major with the batch innermost:
    columns (C, kH, kW, Ho, Wo, N), a padded batch (C, H, W, N). Each tap then copies runs of Wo*N
    numbers (stride 1) or N, where a batch-first layout copies rows of only Wo, and a convolution's
    output is an NCHW view of (O, Ho, Wo, N) memory that ReLU, pooling and the next convolution read
    in runs of N too (``neurona.ops.kernels.layout``). benchmarks/README.md has the measurements.
    """

    @staticmethod
    def layout(n: int, size: tuple[int, int]) -> tuple[int, ...]:
        """Shape of one channel of an image batch in the column layout: (H, W, N)."""
        return (*size, n)

    lead = (slice(None),)  # index of the axes before the rows in the column layout: (C,)

    def taps(self):
        """(p, q, index): for each kernel tap, the strided slice of a channel-major padded batch it reads."""
        for p, q, rows, cols in self.tap_slices():
            yield p, q, (*self.lead, rows, cols)

    def strips(self):
        """(q, columns, [(p, rows), ...]) for each kernel column q: the index of the columns of a
        channel-major padded batch that q's taps read (a strip as wide as the output), and for each of
        those taps the index of its rows within the strip. With stride 1 those rows are one block."""
        by_column: dict[int, tuple[slice, list]] = {}
        for p, q, rows, cols in self.tap_slices():
            by_column.setdefault(q, (cols, []))[1].append((p, (*self.lead, rows)))
        for q, (cols, taps) in by_column.items():
            yield q, (*self.lead, slice(None), cols), taps

    @staticmethod
    def to_channel_major(x: np.ndarray) -> np.ndarray:
        """(N, C, H, W) -> the column layout (C, H, W, N), as a view."""
        return x.transpose(1, 2, 3, 0)

    @staticmethod
    def to_nchw(y: np.ndarray) -> np.ndarray:
        """The column layout (C, H, W, N) -> (N, C, H, W), as a view."""
        return y.transpose(3, 0, 1, 2)


def _im2col(x: np.ndarray, geom: _Geometry) -> np.ndarray:
    """cols[c, p, q, i, j, n] = x_pad[n, c, i*s + p*d, j*s + q*d]: one strided slice copy per tap."""
    n, c = x.shape[:2]
    (hp, wp), (top, left), (h, w) = geom.padded_size, geom.padding, geom.in_size
    channel_major = geom.to_channel_major(x)
    if (hp, wp) != (h, w):  # pad and reorder in one copy
        padded = np.zeros((c, *geom.layout(n, (hp, wp))), dtype=x.dtype)
        padded[_interior(geom, top, left, h, w)] = channel_major
        channel_major = padded
    else:  # the taps read runs of the batch: make them contiguous first
        channel_major = np.ascontiguousarray(channel_major)
    cols = np.empty((c, *geom.kernel, *geom.layout(n, geom.out_size)), dtype=x.dtype)
    if geom.stride[0] > 1:  # a tap's rows are every s-th row: no whole blocks to gain, copy each tap directly
        for p, q, index in geom.taps():
            cols[:, p, q] = channel_major[index]
    else:
        # In two passes, the mirror of _col2im's: for each kernel column q, one copy of the strip its taps
        # read, whose kH taps are then whole contiguous rows of it (one strided copy per
        # tap would move rows of only Wo numbers).
        strip = np.empty((c, *geom.layout(n, (hp, geom.out_size[1]))), dtype=x.dtype)
        for q, columns, taps in geom.strips():
            np.copyto(strip, channel_major[columns])
            for p, rows in taps:
                cols[:, p, q] = strip[rows]
    return cols


def _interior(geom: _Geometry, top: int, left: int, h: int, w: int) -> tuple:
    return (*geom.lead, slice(top, top + h), slice(left, left + w))


def _col2im(cols: np.ndarray, geom: _Geometry) -> np.ndarray:
    """The adjoint of ``_im2col``: add each tap's slice back where it was read; returns (N, C, H, W).

    In two passes, rows then columns: for each kernel column q, the kH taps (p, q) are added into a
    strip as wide as the output (Wo), each at its rows, then the strip is added into the padded input
    at the columns q reads. A tap's rows are whole contiguous rows of the strip, so the kH kW adds
    run at the speed of contiguous ones; only kW adds go to strided columns."""
    c, n = cols.shape[0], cols.shape[-1]
    (h, w), (top, left), wo = geom.in_size, geom.padding, geom.out_size[1]
    padded = np.zeros((c, *geom.layout(n, geom.padded_size)), dtype=cols.dtype)  # channel-major, like cols
    if geom.stride[0] > 1:  # a tap's rows are every s-th row: add each tap directly
        for p, q, index in geom.taps():
            padded[index] += cols[:, p, q]
    else:
        strip = np.empty((c, *geom.layout(n, (geom.padded_size[0], wo))), dtype=cols.dtype)
        ho = geom.out_size[0]
        for q, columns, taps in geom.strips():
            # the first tap (p = 0) covers the strip's first Ho rows: copied there, not added to zeros
            strip[:, ho:] = 0
            for p, rows in taps:
                if p == 0:
                    strip[rows] = cols[:, p, q]
                else:
                    strip[rows] += cols[:, p, q]
            padded[columns] += strip
    # NCHW seen over the channel-major memory (neurona.ops.kernels.layout): a pooling's gradient, a ReLU or the
    # next convolution read it in this order again, so a transposing copy here would be undone there
    interior = padded[_interior(geom, top, left, h, w)]
    return geom.to_nchw(interior if interior.shape == padded.shape else interior.copy(order="K"))


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Products of matching groups, (G, m, k) @ (G, k, n); one group is a plain 2-D GEMM (NumPy's
    stacked path copies a transposed operand first)."""
    if a.shape[0] == 1:
        return np.matmul(a[0], b[0])[np.newaxis]
    return np.matmul(a, b)


def _channel_major(u: np.ndarray, geom: _Geometry) -> np.ndarray:
    """(N, O, Ho, Wo) -> (G, O/G, N*Ho*Wo) in the column layout, a copy: the GEMMs' output-side operand."""
    channel_major = np.ascontiguousarray(geom.to_channel_major(u))
    return channel_major.reshape(geom.groups, u.shape[1] // geom.groups, -1)


def _add_channel_bias(y: np.ndarray, bias: tuple) -> np.ndarray:
    if bias:
        y += bias[0].reshape(-1, 1, 1)
    return y
