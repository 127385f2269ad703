"""Convolutions: ``conv1d``, ``conv2d``, ``conv_transpose1d``, ``conv_transpose2d``, through im2col + GEMM.

One convolution is one trilinear form. For an input z (N, C, H, W), a weight w (O, C/G, kH, kW)
and an array u shaped like the output (N, O, Ho, Wo),

    T(z, w, u) = sum_{n,o,i,j} u[n,o,i,j] * sum_{c,p,q} w[o,c,p,q] z_pad[n, c', i*s + p*d, j*s + q*d]

(c' runs over the C/G input channels of o's group; z_pad is z with zeros around it). Its three
partial derivatives are the three ops of this file, and each one's gradient is made of the others:

    Conv           y  = dT/du = conv(z, w)            dz = ConvTranspose(g, w),  dw = ConvWeight(z, g)
    ConvTranspose  z' = dT/dz = conv_transpose(u, w)  du = Conv(g, w),           dw = ConvWeight(g, u)
    ConvWeight     w' = dT/dw                         dz = ConvTranspose(u, g),  du = Conv(z, g)

So every gradient is again differentiable (``create_graph=True`` works to any order), and a
transposed convolution is simply the input-gradient of a convolution, with the very same weight
layout: torch's (in, out/groups, kH, kW) for ``conv_transpose2d`` is (O, C/G, kH, kW) above.

The arithmetic is a matrix product. ``_im2col`` copies, for each of the kH*kW kernel taps, the
strided slice of the padded input that this tap reads, into columns of shape (C, kH, kW, Ho, Wo, N)
(the batch innermost, see ``_Geometry``); then
``W (O, C kH kW) @ cols (C kH kW, Ho Wo N)`` is one GEMM (for 2, 4 or 6 output channels and a small
kernel, one per output row: ``_by_rows``), whose (O, Ho, Wo, N) result is handed on as an NCHW view
(``neurona.ops.layout``). ``_col2im`` is its adjoint: each tap's slice is added back
into the padded input, which is handed on the same way. The bias gradient is a GEMV with a vector
of ones. 1-D convolutions are 2-D ones with a height of 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neurona.errors import ShapeError, fmt_shape
from neurona.ops.elementwise import pair
from neurona.ops.im2col import _add_channel_bias, _channel_major, _col2im, _Geometry, _im2col, _matmul
from neurona.ops.shape import broadcast_to, reshape, squeeze, unsqueeze
from neurona.tensor import Function, Tensor


# --------------------------------------------------------------------------------------------------
# the three ops of a convolution
# --------------------------------------------------------------------------------------------------
class Conv(Function):
    """y[n,o,i,j] = b[o] + sum_{c,p,q} w[o,c,p,q] x_pad[n, c, i*s + p*d, j*s + q*d]

    As one GEMM: y = W (O, C kH kW) @ im2col(x) (C kH kW, N Ho Wo), whose result is channel-major
    (O, Ho, Wo, N) and handed on as an NCHW view (``neurona.ops.layout``); for a few output channels
    and small kernels, as one product per output row (``_by_rows``).
    dL/dx = conv_transpose(g, w),  dL/dw = ConvWeight(x, g),  dL/db[o] = sum_{n,i,j} g[n,o,i,j].
    """

    def forward(self, ctx, x, weight, *bias):
        geom, groups = self.geom, self.geom.groups
        cols = _im2col(x, geom)
        ctx.cols = cols  # the weight gradient needs exactly these columns again
        w = weight.reshape(groups, weight.shape[0] // groups, -1)
        if groups == 1 and _by_rows(weight.shape):
            y = _row_products(w[0], cols, geom.out_size[0])
        else:
            y = _matmul(w, cols.reshape(groups, w.shape[2], -1))  # (G, O/G, N Ho Wo): channel-major
        y = y.reshape(weight.shape[0], *geom.layout(x.shape[0], geom.out_size))
        if bias:
            y += bias[0].reshape(-1, 1, 1, 1)
        return geom.to_nchw(y)  # an (N, C, H, W) view of the channel-major memory (neurona.ops.layout)

    def backward(self, ctx, grad):
        x, weight = ctx.inputs[:2]
        gx = ConvTranspose.apply(grad, weight, geom=self.geom) if x.requires_grad else None
        gw = ConvWeight.apply(x, grad, geom=self.geom, cols=ctx.cols) if weight.requires_grad else None
        if len(ctx.inputs) == 2:
            return gx, gw
        return gx, gw, (channel_sum(grad) if ctx.inputs[2].requires_grad else None)


def _by_rows(shape: tuple[int, ...]) -> bool:
    """Whether the forward of an (ungrouped) convolution with weight ``shape`` runs one product per output
    row (``_row_products``): for 2, 4 or 6 output channels and at most 450 weights, where the one GEMM
    is short and very wide and OpenBLAS is slow on it. Measured at batch 64 with 28 x 28 outputs, per-row
    / one GEMM: 0.55-0.69 for (O, C kH kW) = (2, 25), (4, 25), (6, 25), (6, 50) (LeNet-5's first layer,
    (6, 25): 0.14 against 0.20 ms), 0.86 for (6, 75); but 1.2-1.5 for 3 or 7 channels, 1.3 for (6, 100),
    1.7 for one channel (a GEMV)."""
    return shape[0] in (2, 4, 6) and int(np.prod(shape)) <= 450


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


class ConvTranspose(Function):
    """z[n,c,h,w] = b[c] + sum_{o,p,q,i,j: i*s + p*d = h + pad_h, j*s + q*d = w + pad_w} w[o,c,p,q] u[n,o,i,j]

    The adjoint of ``Conv`` in its input: cols = W^T (C kH kW, O) @ u (O, N Ho Wo), then col2im.
    dL/du = conv(g, w),  dL/dw = ConvWeight(g, u),  dL/db[c] = sum_{n,h,w} g[n,c,h,w].
    """

    def forward(self, ctx, u, weight, *bias):
        geom, groups = self.geom, self.geom.groups
        w = weight.reshape(groups, weight.shape[0] // groups, -1)
        cols = _matmul(w.transpose(0, 2, 1), _channel_major(u, geom))  # (G, C/G kH kW, N Ho Wo)
        channels = groups * weight.shape[1]
        z = _col2im(cols.reshape(channels, *geom.kernel, *geom.layout(u.shape[0], geom.out_size)), geom)
        return _add_channel_bias(z, bias)

    def backward(self, ctx, grad):
        u, weight = ctx.inputs[:2]
        gu = Conv.apply(grad, weight, geom=self.geom) if u.requires_grad else None
        gw = ConvWeight.apply(grad, u, geom=self.geom) if weight.requires_grad else None
        if len(ctx.inputs) == 2:
            return gu, gw
        return gu, gw, (channel_sum(grad) if ctx.inputs[2].requires_grad else None)


class ConvWeight(Function):
    """w'[o,c,p,q] = sum_{n,i,j} u[n,o,i,j] x_pad[n, c, i*s + p*d, j*s + q*d]   (the weight gradient)

    As one GEMM: u (O, N Ho Wo) @ im2col(x)^T (N Ho Wo, C kH kW), computed as the transpose of
    im2col(x) @ u^T when C kH kW >= O (OpenBLAS is faster with the longer side as rows); for a small
    weight (at most 1,024 numbers, ungrouped), as Ho per-row products summed (``_sum_of_row_products``).
    ``cols`` may hand in im2col(x) when the forward pass already built it. dL/dx = conv_transpose(u, g),  dL/du = conv(x, g).
    """

    cols = None

    def forward(self, ctx, x, u):
        geom, groups = self.geom, self.geom.groups
        cols = self.cols if self.cols is not None else _im2col(x, geom)
        self.cols = None  # not needed again: a second-order backward goes through Conv/ConvTranspose
        shape = (u.shape[1], x.shape[1] // groups, *geom.kernel)
        if groups == 1 and int(np.prod(shape)) <= 1024:
            return _sum_of_row_products(_channel_major(u, geom)[0], cols).reshape(shape)
        cols = cols.reshape(groups, -1, u.shape[0] * u.shape[2] * u.shape[3])
        u = _channel_major(u, geom)  # (G, O/G, N Ho Wo)
        if cols.shape[1] >= u.shape[1]:  # the longer side as the GEMM's rows: measured 1.3-2.7x faster
            w = _matmul(cols, u.transpose(0, 2, 1)).transpose(0, 2, 1)
        else:
            w = _matmul(u, cols.transpose(0, 2, 1))  # (G, O/G, C/G kH kW)
        return w.reshape(shape)

    def backward(self, ctx, grad):
        x, u = ctx.inputs
        gx = ConvTranspose.apply(u, grad, geom=self.geom) if x.requires_grad else None
        gu = Conv.apply(x, grad, geom=self.geom) if u.requires_grad else None
        return gx, gu


def _sum_of_row_products(u: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """sum_i u[:, i] (O, Wo N) @ cols[..., i, :, :]^T (Wo N, C kH kW) over the output rows i, for a
    gradient u (O, Ho Wo N) and columns (C, kH, kW, Ho, Wo, N) laid out batch-last.

    For a small weight (e.g. a first layer's 6 x 1 x 5 x 5) one (O, N Ho Wo) @ (N Ho Wo, C kH kW) GEMM
    is long and thin, on which OpenBLAS is slow: 0.53-0.69 ms for LeNet-5's first layer at batch 64,
    against 0.14 ms for its 28 products of length Wo N = 1,792 summed by a GEMV. For the second layer's
    16 x 6 x 5 x 5 it is the other way round (0.14 ms for the one GEMM, 0.34 ms per row)."""
    rows = cols.shape[3]
    columns = _per_row(cols.reshape(-1, u.shape[1]), rows).transpose(0, 2, 1)  # (Ho, Wo N, C kH kW)
    products = np.matmul(_per_row(u, rows), columns)  # (Ho, O, C kH kW)
    return np.ones(rows, dtype=u.dtype) @ products.reshape(rows, -1)


class ChannelSum(Function):
    """y[c] = sum_{n,h,w} g[n,c,h,w]  (the bias gradient);  dy/dg = 1, broadcast back.

    Two GEMVs with vectors of ones: several times faster than ``g.sum((0, 2, 3))``. The first sums
    over the batch, (N,) @ (N, C H W): for a gradient laid out batch-last (a convolution's, see
    ``neurona.ops.layout``) that reshape is still a view and the transposed GEMV is fast; one
    (C, N H W) @ (N H W,) GEMV over a channel-major gradient instead measured 10x slower (197 us
    against 18 us for 6 channels of 64 x 28 x 28).
    """

    def forward(self, ctx, g):
        n, c = g.shape[:2]
        per_position = np.ones(n, dtype=g.dtype) @ g.reshape(n, -1)
        return per_position.reshape(c, -1) @ np.ones(per_position.size // c, dtype=g.dtype)

    def backward(self, ctx, grad):
        shape = ctx.inputs[0].shape
        return broadcast_to(reshape(grad, (1, shape[1]) + (1,) * (len(shape) - 2)), shape)


def channel_sum(g: Tensor) -> Tensor:
    """Sum over every dimension but 1 (channels) of an (N, C, ...) tensor."""
    return ChannelSum.apply(g)


# --------------------------------------------------------------------------------------------------
# argument handling
# --------------------------------------------------------------------------------------------------
def _pair(value: Any, name: str, fn: str) -> tuple[int, int]:
    values = tuple(value) if isinstance(value, tuple | list) else (value, value)
    if len(values) != 2 or not all(isinstance(v, int | np.integer) for v in values):
        raise ValueError(f"{fn}: {name} must be an int or a pair of ints, got {value!r}")
    return int(values[0]), int(values[1])


def _check_conv_inputs(x: Tensor, weight: Tensor, bias: Tensor | None, fn: str, transposed: bool) -> None:
    if not isinstance(x, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"{fn}: input and weight must be neurona Tensors")
    if weight.ndim != 4:
        layout = "(in_channels, out_channels/groups, kH, kW)" if transposed else "(out_channels, in_channels/groups, kH, kW)"
        raise ShapeError(f"{fn}: weight must be 4-D {layout}, got shape {fmt_shape(weight.shape)}")
    if x.ndim != 4:
        raise ShapeError(f"{fn}: input must be 4-D (N, C, H, W) or 3-D (C, H, W), got shape {fmt_shape(x.shape)}")
    if bias is not None and (not isinstance(bias, Tensor) or bias.ndim != 1):
        raise ShapeError(f"{fn}: bias must be a 1-D Tensor, got {getattr(bias, 'shape', type(bias).__name__)}")


def _groups(groups: Any, fn: str) -> int:
    if not isinstance(groups, int | np.integer) or groups < 1:
        raise ValueError(f"{fn}: groups must be a positive int, got {groups!r}")
    return int(groups)


def _padding(padding: Any, kernel: tuple, stride: tuple, dilation: tuple, fn: str) -> tuple[tuple, tuple]:
    """Zeros (before, after) the input in each dimension; 'same' puts an odd extra one after, like torch."""
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding == "same":
        if stride != (1, 1):
            raise ValueError(f"{fn}: padding='same' is not supported for strided convolutions (stride={stride})")
        total = tuple(d * (k - 1) for d, k in zip(dilation, kernel))
        return tuple(t // 2 for t in total), tuple(t - t // 2 for t in total)
    if isinstance(padding, str):
        raise ValueError(f"{fn}: padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
    pad = _pair(padding, "padding", fn)
    if min(pad) < 0:
        raise ValueError(f"{fn}: padding must be >= 0, got {pad}")
    return pad, pad


def _unbatched(x: Tensor, ndim: int) -> tuple[Tensor, bool]:
    """Add a batch dimension of 1 to an unbatched input (C, H, W), as torch does."""
    return (unsqueeze(x, 0), True) if isinstance(x, Tensor) and x.ndim == ndim - 1 else (x, False)


def _dtypes(x: Tensor, weight: Tensor, bias: Tensor | None) -> tuple[Tensor, Tensor, tuple[Tensor, ...]]:
    x, weight = pair(x, weight)
    return x, weight, (() if bias is None else (pair(bias, x)[0],))


# --------------------------------------------------------------------------------------------------
# the functions users call (torch.nn.functional's signatures)
# --------------------------------------------------------------------------------------------------
def conv2d(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] | str = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
) -> Tensor:
    """2-D convolution (cross-correlation, as in every deep learning library), as ``torch.nn.functional.conv2d``.

    y[n,o,i,j] = b[o] + sum_{c,p,q} w[o,c,p,q] x_pad[n, g(o) C/G + c, i s_h + p d_h, j s_w + q d_w]

    Parameters
    ----------
    x : Tensor (N, C, H, W) or unbatched (C, H, W)
    weight : Tensor (O, C/groups, kH, kW)
    bias : Tensor (O,), optional
    stride, dilation : int or (int, int)
    padding : int, (int, int), ``'valid'`` (no padding) or ``'same'`` (output size = input size, stride 1;
        an odd total d (k - 1) puts the extra zero at the bottom/right, like torch)
    groups : int; input and output channels split into ``groups`` independent convolutions

    Returns
    -------
    Tensor (N, O, Ho, Wo) with  Ho = floor((H + 2 pad_h - d_h (kH - 1) - 1) / s_h) + 1  (Wo likewise).

    Examples
    --------
    >>> y = conv2d(nr.randn(8, 3, 32, 32), nr.randn(16, 3, 3, 3), padding=1)   # y.shape == (8, 16, 32, 32)
    """
    fn = "conv2d"
    x, unbatched = _unbatched(x, 4)
    _check_conv_inputs(x, weight, bias, fn, transposed=False)
    groups = _groups(groups, fn)
    stride, dilation = _pair(stride, "stride", fn), _pair(dilation, "dilation", fn)
    kernel = tuple(weight.shape[2:])
    if min(stride) < 1 or min(dilation) < 1:
        raise ValueError(f"{fn}: stride and dilation must be >= 1, got stride={stride}, dilation={dilation}")
    lo, hi = _padding(padding, kernel, stride, dilation, fn)
    out_channels, in_per_group = weight.shape[:2]
    if x.shape[1] != in_per_group * groups:
        raise ShapeError(
            f"{fn}: input of shape {fmt_shape(x.shape)} has {x.shape[1]} channels, but a weight of shape "
            f"{fmt_shape(weight.shape)} with groups={groups} expects {in_per_group * groups} "
            f"(weight.shape[1] * groups) in dimension 1"
        )
    if out_channels % groups:
        raise ShapeError(f"{fn}: weight.shape[0] = {out_channels} output channels is not divisible by groups={groups}")
    if bias is not None and bias.shape != (out_channels,):
        raise ShapeError(f"{fn}: bias must have shape ({out_channels},), got {fmt_shape(bias.shape)}")
    sizes = zip(x.shape[2:], kernel, stride, lo, hi, dilation)
    out_size = tuple((n + a + b - d * (k - 1) - 1) // s + 1 for n, k, s, a, b, d in sizes)
    if min(out_size) < 1:
        raise ShapeError(
            f"{fn}: input of shape {fmt_shape(x.shape)} padded by {lo} is smaller than the kernel "
            f"{kernel} dilated by {dilation}, so there is no output; pad more or use a smaller kernel"
        )
    geom = _Geometry(tuple(x.shape[2:]), out_size, kernel, stride, lo, dilation, groups)
    x, weight, b = _dtypes(x, weight, bias)
    y = Conv.apply(x, weight, *b, geom=geom)
    return squeeze(y, 0) if unbatched else y


def conv_transpose2d(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    output_padding: int | tuple[int, int] = 0,
    groups: int = 1,
    dilation: int | tuple[int, int] = 1,
) -> Tensor:
    """2-D transposed convolution ("deconvolution"), as ``torch.nn.functional.conv_transpose2d``.

    The gradient of ``conv2d`` with respect to its input: each input pixel spreads its value, weighted
    by the kernel, over the output; overlapping contributions add up.

    z[n,c,h,w] = b[c] + sum_{o,p,q,i,j : i s + p d - pad = (h, w)} w[o,c,p,q] x[n,o,i,j]

    Parameters
    ----------
    x : Tensor (N, C_in, H, W) or unbatched (C_in, H, W)
    weight : Tensor (C_in, C_out/groups, kH, kW)
    bias : Tensor (C_out,), optional
    stride, padding, dilation : int or (int, int), those of the convolution this op transposes
    output_padding : int or (int, int), extra rows/columns at the bottom/right (< stride or dilation)
        that pick one of the input sizes a strided convolution maps to the same output size

    Returns
    -------
    Tensor (N, C_out, Ho, Wo) with  Ho = (H - 1) s_h - 2 pad_h + d_h (kH - 1) + output_padding_h + 1.
    """
    fn = "conv_transpose2d"
    x, unbatched = _unbatched(x, 4)
    _check_conv_inputs(x, weight, bias, fn, transposed=True)
    groups = _groups(groups, fn)
    stride, dilation = _pair(stride, "stride", fn), _pair(dilation, "dilation", fn)
    padding, output_padding = _pair(padding, "padding", fn), _pair(output_padding, "output_padding", fn)
    if min(stride) < 1 or min(dilation) < 1 or min(padding) < 0 or min(output_padding) < 0:
        raise ValueError(
            f"{fn}: need stride, dilation >= 1 and padding, output_padding >= 0; got stride={stride}, "
            f"dilation={dilation}, padding={padding}, output_padding={output_padding}"
        )
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= max(s, d):
            raise ValueError(
                f"{fn}: output_padding {output_padding} must be smaller than either stride {stride} or "
                f"dilation {dilation} in each dimension"
            )
    in_channels, out_per_group = weight.shape[:2]
    if x.shape[1] != in_channels:
        raise ShapeError(
            f"{fn}: input of shape {fmt_shape(x.shape)} has {x.shape[1]} channels, but a weight of shape "
            f"{fmt_shape(weight.shape)} expects {in_channels} (weight.shape[0]) in dimension 1"
        )
    if in_channels % groups:
        raise ShapeError(f"{fn}: weight.shape[0] = {in_channels} input channels is not divisible by groups={groups}")
    if bias is not None and bias.shape != (out_per_group * groups,):
        raise ShapeError(f"{fn}: bias must have shape ({out_per_group * groups},), got {fmt_shape(bias.shape)}")
    kernel = tuple(weight.shape[2:])
    out_size = tuple(
        (n - 1) * s - 2 * p + d * (k - 1) + op + 1
        for n, k, s, p, d, op in zip(x.shape[2:], kernel, stride, padding, dilation, output_padding)
    )
    if min(out_size) < 1:
        raise ShapeError(f"{fn}: input of shape {fmt_shape(x.shape)} with padding {padding} gives an empty output {out_size}")
    geom = _Geometry(out_size, tuple(x.shape[2:]), kernel, stride, padding, dilation, groups)
    x, weight, b = _dtypes(x, weight, bias)
    y = ConvTranspose.apply(x, weight, *b, geom=geom)
    return squeeze(y, 0) if unbatched else y


def _as_2d(x: Tensor, weight: Tensor, fn: str) -> tuple[Tensor, Tensor, bool]:
    """A 1-D convolution's input (N, C, L) and weight (O, C/G, k) with a height of 1 inserted."""
    if not isinstance(x, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"{fn}: input and weight must be neurona Tensors")
    if x.ndim not in (2, 3):
        raise ShapeError(f"{fn}: input must be 3-D (N, C, L) or 2-D (C, L), got shape {fmt_shape(x.shape)}")
    if weight.ndim != 3:
        raise ShapeError(f"{fn}: weight must be 3-D (channels, channels/groups, k), got shape {fmt_shape(weight.shape)}")
    unbatched = x.ndim == 2
    x = unsqueeze(x, 0) if unbatched else x
    return unsqueeze(x, 2), unsqueeze(weight, 2), unbatched


def _single(value: Any, fill: int, name: str, fn: str) -> tuple[int, int]:
    values = tuple(value) if isinstance(value, tuple | list) else (value,)
    if len(values) != 1 or not isinstance(values[0], int | np.integer):
        raise ValueError(f"{fn}: {name} must be an int, got {value!r}")
    return fill, int(values[0])


def conv1d(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int = 1,
    padding: int | str = 0,
    dilation: int = 1,
    groups: int = 1,
) -> Tensor:
    """1-D convolution, as ``torch.nn.functional.conv1d``:  x (N, C, L) or (C, L), weight (O, C/groups, k).

    y[n,o,i] = b[o] + sum_{c,p} w[o,c,p] x_pad[n, c, i s + p d];   Lo = floor((L + 2 pad - d (k - 1) - 1) / s) + 1.
    ``padding`` may be ``'valid'`` or ``'same'`` as in :func:`conv2d` (computed as one with a height of 1).
    """
    fn = "conv1d"
    x2, w2, unbatched = _as_2d(x, weight, fn)
    pad = padding if isinstance(padding, str) else _single(padding, 0, "padding", fn)
    y = conv2d(x2, w2, bias, _single(stride, 1, "stride", fn), pad, _single(dilation, 1, "dilation", fn), groups)
    y = squeeze(y, 2)
    return squeeze(y, 0) if unbatched else y


def conv_transpose1d(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    groups: int = 1,
    dilation: int = 1,
) -> Tensor:
    """1-D transposed convolution, as ``torch.nn.functional.conv_transpose1d``: weight (C_in, C_out/groups, k).

    Lo = (L - 1) s - 2 pad + d (k - 1) + output_padding + 1  (see :func:`conv_transpose2d`).
    """
    fn = "conv_transpose1d"
    x2, w2, unbatched = _as_2d(x, weight, fn)
    y = conv_transpose2d(
        x2, w2, bias, _single(stride, 1, "stride", fn), _single(padding, 0, "padding", fn),
        _single(output_padding, 0, "output_padding", fn), groups, _single(dilation, 1, "dilation", fn),
    )
    y = squeeze(y, 2)
    return squeeze(y, 0) if unbatched else y
