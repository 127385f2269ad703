"""Convolutions: ``conv1d``, ``conv2d``, ``conv_transpose1d``, ``conv_transpose2d`` (reference definitions).

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

The arithmetic is one matrix product per group. ``_columns`` is im2col: the windows of the padded
input (``Window.windows``, a view) copied into one column per output pixel, (C/G kH kW, N Ho Wo);
then  y = W @ columns.  ``ConvTranspose`` multiplies the other way and adds every tap's columns
back into the padded input (col2im). The fast forms (batch-last columns, per-row products) are
kernels in ``neurona.ops.kernels.conv``. 1-D convolutions are 2-D ones with a height of 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from neurona.errors import ShapeError, fmt_shape
from neurona.ops.elementwise import pair
from neurona.ops.kernels import select
from neurona.ops.shape import BroadcastTo, squeeze, unsqueeze
from neurona.ops.window import Window, ntuple
from neurona.tensor import Function, Tensor


@dataclass(frozen=True)
class ConvGeometry(Window):
    """A 2-D convolution's window and groups. ``in_size`` is the convolution's input (a transposed
    convolution's output), ``out_size`` its output."""

    groups: int


def _columns(x: np.ndarray, geom: ConvGeometry) -> np.ndarray:
    """im2col: x (N, C, H, W) -> (G, C/G kH kW, N Ho Wo); column (n, i, j) holds output pixel (i, j)'s window."""
    n, c, g = x.shape[0], x.shape[1], geom.groups
    windows = geom.windows(geom.pad(x)).reshape(n, g, c // g, *geom.out_size, *geom.kernel)
    return windows.transpose(1, 2, 5, 6, 0, 3, 4).reshape(g, (c // g) * geom.kernel[0] * geom.kernel[1], -1)


def _pixels(u: np.ndarray, g: int) -> np.ndarray:
    """An output-shaped u (N, O, Ho, Wo) as one column per output pixel, per group: (G, O/G, N Ho Wo)."""
    n, o = u.shape[:2]
    return u.reshape(n, g, o // g, -1).transpose(1, 2, 0, 3).reshape(g, o // g, -1)


def _image(columns: np.ndarray, n: int, size: tuple[int, int]) -> np.ndarray:
    """The inverse of ``_pixels``: (G, O/G, N Ho Wo) -> (N, O, Ho, Wo)."""
    g, o, _ = columns.shape
    return columns.reshape(g, o, n, *size).transpose(2, 0, 1, 3, 4).reshape(n, g * o, *size)


def _weight_rows(w: np.ndarray, g: int) -> np.ndarray:
    """A weight (O, C/G, kH, kW) as (G, O/G, C/G kH kW)."""
    return w.reshape(g, w.shape[0] // g, -1)


class Conv(Function):
    """y[n,o,i,j] = b[o] + sum_{c,p,q} w[o,c,p,q] x_pad[n, c', i*s + p*d, j*s + q*d]

    As one GEMM per group:  y = W (O/G, C/G kH kW) @ im2col(x) (C/G kH kW, N Ho Wo).
    dL/dx = conv_transpose(g, w),  dL/dw = ConvWeight(x, g),  dL/db[o] = sum_{n,i,j} g[n,o,i,j].
    """

    def forward(self, ctx, x, weight, *bias):
        g = self.geom.groups
        y = _image(_weight_rows(weight, g) @ _columns(x, self.geom), x.shape[0], self.geom.out_size)
        return y + bias[0].reshape(-1, 1, 1) if bias else y

    def backward(self, ctx, grad):
        (x, weight, *_), needs = ctx.inputs, ctx.needs_input_grad
        gx = select(ConvTranspose).apply(grad, weight, geom=self.geom) if needs[0] else None
        gw = select(ConvWeight).apply(x, grad, geom=self.geom) if needs[1] else None
        gb = select(ChannelSum).apply(grad) if len(needs) > 2 and needs[2] else None
        return gx, gw, gb


class ConvTranspose(Function):
    """z[n,c,h,w] = b[c] + sum_{o,p,q,i,j: i*s + p*d = h + pad_h, j*s + q*d = w + pad_w} w[o,c,p,q] u[n,o,i,j]

    The adjoint of ``Conv`` in its input: columns = W^T (C/G kH kW, O/G) @ u (O/G, N Ho Wo), then each
    tap's columns added back where that tap reads (col2im).
    dL/du = conv(g, w),  dL/dw = ConvWeight(g, u),  dL/db[c] = sum_{n,h,w} g[n,c,h,w].
    """

    def forward(self, ctx, u, weight, *bias):
        geom, n = self.geom, u.shape[0]
        cols = _weight_rows(weight, geom.groups).transpose(0, 2, 1) @ _pixels(u, geom.groups)  # (G, C/G kH kW, N Ho Wo)
        cols = cols.reshape(geom.groups, -1, *geom.kernel, n, *geom.out_size)  # (G, C/G, kH, kW, N, Ho, Wo)
        taps = cols.transpose(4, 0, 1, 2, 3, 5, 6).reshape(n, -1, *geom.kernel, *geom.out_size)  # (N, C, kH, kW, Ho, Wo)
        z = np.zeros((n, taps.shape[1], *geom.padded_size), dtype=taps.dtype)
        for p, q, rows, columns in geom.tap_slices():
            z[:, :, rows, columns] += taps[:, :, p, q]
        z = np.ascontiguousarray(geom.unpad(z))
        return z + bias[0].reshape(-1, 1, 1) if bias else z

    def backward(self, ctx, grad):
        (u, weight, *_), needs = ctx.inputs, ctx.needs_input_grad
        gu = select(Conv).apply(grad, weight, geom=self.geom) if needs[0] else None
        gw = select(ConvWeight).apply(grad, u, geom=self.geom) if needs[1] else None
        gb = select(ChannelSum).apply(grad) if len(needs) > 2 and needs[2] else None
        return gu, gw, gb


class ConvWeight(Function):
    """w'[o,c,p,q] = sum_{n,i,j} u[n,o,i,j] x_pad[n, c', i*s + p*d, j*s + q*d]   (the weight gradient)

    As one GEMM per group:  w' = u (O/G, N Ho Wo) @ im2col(x)^T (N Ho Wo, C/G kH kW).
    dL/dx = conv_transpose(u, g),  dL/du = conv(x, g).
    """

    def forward(self, ctx, x, u):
        w = _pixels(u, self.geom.groups) @ _columns(x, self.geom).transpose(0, 2, 1)
        return w.reshape(u.shape[1], x.shape[1] // self.geom.groups, *self.geom.kernel)

    def backward(self, ctx, grad):
        (x, u), needs = ctx.inputs, ctx.needs_input_grad
        gx = select(ConvTranspose).apply(u, grad, geom=self.geom) if needs[0] else None
        gu = select(Conv).apply(x, grad, geom=self.geom) if needs[1] else None
        return gx, gu


class ChannelSum(Function):
    """y[c] = sum_{n,h,w} g[n,c,h,w]  (a bias gradient);  dy/dg = 1, broadcast back"""

    def forward(self, ctx, g):
        return g.sum(axis=(0, *range(2, g.ndim)))

    def backward(self, ctx, grad):
        shape = ctx.shapes[0]
        return BroadcastTo.apply(grad.reshape(1, -1, *(1,) * (len(shape) - 2)), shape=shape)


# --------------------------------------------------------------------------------------------------
# argument handling
# --------------------------------------------------------------------------------------------------
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


def conv_padding(padding: Any, kernel: tuple, stride: tuple, dilation: tuple, fn: str) -> tuple[tuple, tuple]:
    """Zeros (before, after) the input in each dimension, for an int, a tuple, 'valid' or 'same' (an odd
    total puts the extra one after, like torch); any number of dimensions."""
    nd = len(kernel)
    if padding == "valid":
        return (0,) * nd, (0,) * nd
    if padding == "same":
        if any(s != 1 for s in stride):
            raise ValueError(f"{fn}: padding='same' is not supported for strided convolutions (stride={stride})")
        total = tuple(d * (k - 1) for d, k in zip(dilation, kernel))
        return tuple(t // 2 for t in total), tuple(t - t // 2 for t in total)
    if isinstance(padding, str):
        raise ValueError(f"{fn}: padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
    pad = ntuple(padding, nd, "padding", fn)
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
    stride, dilation = ntuple(stride, 2, "stride", fn), ntuple(dilation, 2, "dilation", fn)
    kernel = tuple(weight.shape[2:])
    if min(stride) < 1 or min(dilation) < 1:
        raise ValueError(f"{fn}: stride and dilation must be >= 1, got stride={stride}, dilation={dilation}")
    lo, hi = conv_padding(padding, kernel, stride, dilation, fn)
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
    geom = ConvGeometry(tuple(x.shape[2:]), out_size, kernel, stride, lo, dilation, groups)
    x, weight, b = _dtypes(x, weight, bias)
    y = select(Conv).apply(x, weight, *b, geom=geom)
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
    stride, dilation = ntuple(stride, 2, "stride", fn), ntuple(dilation, 2, "dilation", fn)
    padding, output_padding = ntuple(padding, 2, "padding", fn), ntuple(output_padding, 2, "output_padding", fn)
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
    geom = ConvGeometry(out_size, tuple(x.shape[2:]), kernel, stride, padding, dilation, groups)
    x, weight, b = _dtypes(x, weight, bias)
    y = select(ConvTranspose).apply(x, weight, *b, geom=geom)
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
    """A 1-D convolution's argument as the 2-D one's: ``fill`` for the height of 1, then the value."""
    return fill, ntuple(value, 1, name, fn)[0]


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
