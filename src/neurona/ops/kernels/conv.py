"""Convolution kernels: the three ops of ``neurona.ops.conv`` with batch-last im2col columns.

The references copy each output pixel's window into one row of a (N Ho Wo, C kH kW) matrix. These
kernels lay the columns out channel-major with the batch innermost, (C, kH, kW, Ho, Wo, N)
(``im2col._Geometry``): each tap then copies runs of Wo*N (or N) numbers instead of rows of Wo, and
the GEMM's result (O, Ho Wo N) is handed on as an NCHW *view* of that memory, so the next
convolution's im2col, its ReLU and its pooling (which keep their input's memory order, as NumPy's
``*_like`` functions and ufuncs do) read it in runs of N too. ``col2im`` hands its result on the same
way. Where two GEMM forms of one product win on different shapes (one product, or one per output
row for a short, very wide product), the faster is measured once per shape (``autotune.fastest``).

Each kernel computes exactly what its reference computes; ``tests/test_kernels.py`` checks values and
gradients against the references on random shapes.
"""

from __future__ import annotations

import numpy as np

from neurona.ops.conv import ChannelSum, Conv, ConvTranspose, ConvWeight
from neurona.ops.kernels import autotune, register
from neurona.ops.kernels.im2col import (
    _add_channel_bias,
    _channel_major,
    _col2im,
    _im2col,
    _matmul,
    as_kernel_geometry,
)


@register(Conv)
class ConvGemmBatchLast(Conv):
    """Conv as  W (O, C kH kW) @ cols (C kH kW, Ho Wo N)  on batch-last columns, or as one product per
    output row when that measures faster; the (O, Ho, Wo, N) result is handed on as an NCHW view."""

    def forward(self, ctx, x, weight, *bias):
        geom = as_kernel_geometry(self.geom)
        groups = geom.groups
        cols = _im2col(x, geom)
        ctx.cols = cols  # the weight gradient needs exactly these columns again
        w = weight.reshape(groups, weight.shape[0] // groups, -1)
        flat = cols.reshape(groups, w.shape[2], -1)
        rows = geom.out_size[0]
        forms = {"gemm": lambda: _matmul(w, flat)}
        if groups == 1:
            forms["per_row"] = lambda: _row_products(w[0], cols, rows)[np.newaxis]
        form = autotune.fastest(("conv_forward", w.shape, flat.shape, x.dtype.str), forms)
        y = forms[form]().reshape(weight.shape[0], *geom.layout(x.shape[0], geom.out_size))
        if bias:
            y += bias[0].reshape(-1, 1, 1, 1)
        return geom.to_nchw(y)

    def backward(self, ctx, grad):
        (x, weight, *_), needs = ctx.inputs, ctx.needs_input_grad
        gx = ConvTransposeCol2imBatchLast.apply(grad, weight, geom=self.geom) if needs[0] else None
        cols = None if ctx.on_tensors else ctx.cols  # reuse the forward's columns at first order
        gw = ConvWeightGemmBatchLast.apply(x, grad, geom=self.geom, cols=cols) if needs[1] else None
        gb = ChannelSumGemv.apply(grad) if len(needs) > 2 and needs[2] else None
        return gx, gw, gb


def _per_row(a: np.ndarray, rows: int) -> np.ndarray:
    """A batch-last array (K, ..., Ho, Wo, N) (columns, an output or its gradient) seen as Ho matrices
    (Ho, K, Wo N), one per output row: a view."""
    return a.reshape(a.shape[0], rows, -1).transpose(1, 0, 2)


def _row_products(w: np.ndarray, cols: np.ndarray, rows: int) -> np.ndarray:
    """y = w (O, C kH kW) @ cols as Ho products, one per output row i, each written in place into the
    channel-major (O, Ho, Wo N) result: y[:, i] = w @ cols[..., i, :, :] (C kH kW, Wo N)."""
    y = np.empty((w.shape[0], cols.size // w.shape[1]), dtype=cols.dtype)
    np.matmul(w, _per_row(cols.reshape(w.shape[1], -1), rows), out=_per_row(y, rows))
    return y


@register(ConvTranspose)
class ConvTransposeCol2imBatchLast(ConvTranspose):
    """ConvTranspose as  cols = W^T (C kH kW, O) @ u (O, N Ho Wo)  on batch-last columns, then col2im,
    whose channel-major result is handed on as an NCHW view."""

    def forward(self, ctx, u, weight, *bias):
        geom = as_kernel_geometry(self.geom)
        groups = geom.groups
        w = weight.reshape(groups, weight.shape[0] // groups, -1)
        cols = _matmul(w.transpose(0, 2, 1), _channel_major(u, geom))  # (G, C/G kH kW, N Ho Wo)
        channels = groups * weight.shape[1]
        z = _col2im(cols.reshape(channels, *geom.kernel, *geom.layout(u.shape[0], geom.out_size)), geom)
        return _add_channel_bias(z, bias)

    def backward(self, ctx, grad):
        (u, weight, *_), needs = ctx.inputs, ctx.needs_input_grad
        gu = ConvGemmBatchLast.apply(grad, weight, geom=self.geom) if needs[0] else None
        gw = ConvWeightGemmBatchLast.apply(grad, u, geom=self.geom) if needs[1] else None
        gb = ChannelSumGemv.apply(grad) if len(needs) > 2 and needs[2] else None
        return gu, gw, gb


@register(ConvWeight)
class ConvWeightGemmBatchLast(ConvWeight):
    """ConvWeight as  u (O, N Ho Wo) @ cols^T (N Ho Wo, C kH kW)  on batch-last columns, in whichever
    of three forms measures fastest for the shape: that product, its transpose (cols @ u^T, for
    OpenBLAS the longer side as rows), or Ho per-row products summed by a GEMV. ``cols`` may hand in
    im2col(x) when the forward pass already built it."""

    cols = None

    def forward(self, ctx, x, u):
        geom = as_kernel_geometry(self.geom)
        groups = geom.groups
        cols = self.cols if self.cols is not None else _im2col(x, geom)
        shape = (u.shape[1], x.shape[1] // groups, *geom.kernel)
        u_rows = _channel_major(u, geom)  # (G, O/G, N Ho Wo)
        flat = cols.reshape(groups, -1, u_rows.shape[2])
        forms = {
            "gemm": lambda: _matmul(u_rows, flat.transpose(0, 2, 1)),
            "gemm_transposed": lambda: _matmul(flat, u_rows.transpose(0, 2, 1)).transpose(0, 2, 1),
        }
        if groups == 1:
            forms["per_row"] = lambda: _sum_of_row_products(u_rows[0], cols)
        form = autotune.fastest(("conv_weight", u_rows.shape, flat.shape, x.dtype.str), forms)
        return np.ascontiguousarray(forms[form]()).reshape(shape)

    def backward(self, ctx, grad):
        (x, u), needs = ctx.inputs, ctx.needs_input_grad
        gx = ConvTransposeCol2imBatchLast.apply(u, grad, geom=self.geom) if needs[0] else None
        gu = ConvGemmBatchLast.apply(x, grad, geom=self.geom) if needs[1] else None
        return gx, gu


def _sum_of_row_products(u: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """sum_i u[:, i] (O, Wo N) @ cols[..., i, :, :]^T (Wo N, C kH kW) over the output rows i, for a
    gradient u (O, Ho Wo N) and columns (C, kH, kW, Ho, Wo, N) laid out batch-last: Ho products of
    length Wo N summed by a GEMV, instead of one long, thin product."""
    rows = cols.shape[3]
    columns = _per_row(cols.reshape(-1, u.shape[1]), rows).transpose(0, 2, 1)  # (Ho, Wo N, C kH kW)
    products = np.matmul(_per_row(u, rows), columns)  # (Ho, O, C kH kW)
    return (np.ones(rows, dtype=u.dtype) @ products.reshape(rows, -1))[np.newaxis]


@register(ChannelSum)
class ChannelSumGemv(ChannelSum):
    """ChannelSum as two GEMVs with vectors of ones: first over the batch, (N,) @ (N, C H W) (for a
    batch-last gradient that reshape is a view and the GEMV reads it in order), then over the pixels."""

    def forward(self, ctx, g):
        n, c = g.shape[:2]
        per_position = np.ones(n, dtype=g.dtype) @ g.reshape(n, -1)
        return per_position.reshape(c, -1) @ np.ones(per_position.size // c, dtype=g.dtype)
