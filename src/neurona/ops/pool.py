"""Pooling: ``max_pool1d/2d``, ``avg_pool1d/2d``, ``adaptive_avg_pool1d/2d``, with torch.nn.functional's semantics.

Reference definitions over windows: ``Window.windows`` shows every output pixel's window as a view
of the padded input, (N, C, Ho, Wo, kH, kW), and

    max:  y = max over each window       (padding is -inf; the first maximum's tap is the winner)
    avg:  y = (sum over each window) / divisor

Every backward adds ``g`` back into the taps: all of them for an average, only the winning tap for a
max. ``TapSum`` and ``TapScatter`` are each other's adjoint, so gradients of gradients work too. The
fast max pool (pairwise maxima of the taps' strided views, winners tracked in place) and a scatter
that keeps its input's memory order are kernels in ``neurona.ops.kernels.pool``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neurona.errors import DTypeError, ShapeError, fmt_shape
from neurona.ops.elementwise import as_tensor
from neurona.ops.kernels import select
from neurona.ops.linalg import matmul
from neurona.ops.shape import squeeze, unsqueeze
from neurona.ops.window import Window, ntuple
from neurona.tensor import Function, Tensor, is_grad_enabled


class PoolWindow(Window):
    """A pooling window (see ``Window``), with what the pooling ops need on top."""

    @property
    def overlapping(self) -> bool:
        """Whether two taps can read the same input pixel (then the backward must add, not assign)."""
        return any(s < d * (k - 1) + 1 for k, s, d in zip(self.kernel, self.stride, self.dilation))

    @property
    def tiles(self) -> bool:
        """Whether the windows cover the padded input exactly (kernel = stride, no dilation, no remainder)."""
        return all(k == s and d == 1 and o * s == n
                   for n, o, k, s, d in zip(self.padded_size, self.out_size, self.kernel, self.stride, self.dilation))

    def taps(self):
        """(t, rows, cols) for each tap t = p * kW + q: the strided slice of the padded input it reads."""
        for p, q, rows, cols in self.tap_slices():
            yield p * self.kernel[1] + q, rows, cols


# --------------------------------------------------------------------------------------------------
# ops
# --------------------------------------------------------------------------------------------------
class MaxPool(Function):
    """y[n,c,i,j] = max_{p,q} x_pad[n, c, i s + p d, j s + q d]  (x_pad: x surrounded by -inf)

    dL/dx = g routed to the first position in each window that holds the maximum (torch's choice on
    ties): the forward keeps that tap's index t = p kW + q for each output pixel (``ctx.winner``).
    """

    def forward(self, ctx, x):
        windows = self.window.windows(self.window.pad(x, -np.inf))  # (N, C, Ho, Wo, kH, kW), a view
        windows = windows.reshape(*windows.shape[:4], -1)  # one row of kH kW taps per output pixel
        ctx.winner = windows.argmax(axis=-1)
        return np.take_along_axis(windows, ctx.winner[..., np.newaxis], axis=-1)[..., 0]

    def backward(self, ctx, grad):
        return select(TapScatter).apply(grad, window=self.window, winner=ctx.winner, scale=None)


class TapSum(Function):
    """y = scale * sum_t [winner = t] x_pad[tap t]   (every tap when ``winner`` is None)

    The average pool (scale = 1 / divisor), or the max pool with known winners. Linear in x;
    its adjoint is ``TapScatter``.
    """

    def forward(self, ctx, x):
        padded, y = self.window.pad(x, 0), 0
        for t, rows, cols in self.window.taps():
            tap = padded[..., rows, cols]
            y = y + (tap if self.winner is None else tap * (self.winner == t))
        return y * self.scale if self.scale is not None else y

    def backward(self, ctx, grad):
        return select(TapScatter).apply(grad, window=self.window, winner=self.winner, scale=self.scale)


class TapScatter(Function):
    """x_pad[tap t] += [winner = t] scale * g  for every tap t, then the padding is cut off.

    The gradient of a pooling; linear in g, its adjoint is ``TapSum``.
    """

    def forward(self, ctx, g):
        window, g = self.window, g if self.scale is None else g * self.scale
        padded = np.zeros((*g.shape[:-2], *window.padded_size), dtype=g.dtype)
        for t, rows, cols in window.taps():
            padded[..., rows, cols] += g if self.winner is None else g * (self.winner == t)
        return np.ascontiguousarray(window.unpad(padded))

    def backward(self, ctx, grad):
        return select(TapSum).apply(grad, window=self.window, winner=self.winner, scale=self.scale)


# --------------------------------------------------------------------------------------------------
# argument handling
# --------------------------------------------------------------------------------------------------
def _pool_out(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """torch's pooling output size; in ceil mode the last window must start inside the input or left padding."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _window(
    x: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: bool, nd: int, fn: str
) -> PoolWindow:
    """Check a pooling's arguments against its input (N, C, *spatial) and return its window (2-D)."""
    kernel = ntuple(kernel_size, nd, "kernel_size", fn)
    stride = kernel if stride is None or (isinstance(stride, tuple | list) and len(stride) == 0) else ntuple(stride, nd, "stride", fn)
    padding, dilation = ntuple(padding, nd, "padding", fn), ntuple(dilation, nd, "dilation", fn)
    if min(kernel) < 1 or min(stride) < 1 or min(dilation) < 1:
        raise ValueError(f"{fn}: kernel_size, stride and dilation must be >= 1, got {kernel}, {stride}, {dilation}")
    if any(p < 0 or p > k // 2 for p, k in zip(padding, kernel)):
        raise ValueError(f"{fn}: padding {padding} must be >= 0 and at most half of kernel_size {kernel}")
    spatial = tuple(x.shape[2:])
    out = tuple(_pool_out(*a, ceil_mode) for a in zip(spatial, kernel, stride, padding, dilation))
    if min(out) < 1:
        raise ShapeError(
            f"{fn}: input of shape {fmt_shape(x.shape)} is too small for kernel_size {kernel} with "
            f"padding {padding} and dilation {dilation}: no window fits; use a smaller kernel or pad the input"
        )
    if nd == 1:  # a 1-D pooling is a 2-D one with a window of height 1
        return PoolWindow((1, *spatial), (1, *out), (1, *kernel), (1, *stride), (0, *padding), (1, *dilation))
    return PoolWindow(spatial, out, kernel, stride, padding, dilation)


def _batched(x: Any, nd: int, fn: str) -> tuple[Tensor, bool]:
    """The input as (N, C, *spatial), and whether a batch dimension was added (torch accepts (C, *spatial))."""
    x = as_tensor(x)
    if x.ndim not in (nd + 1, nd + 2):
        layout = ("(N, C, L) or (C, L)", "(N, C, H, W) or (C, H, W)")[nd - 1]
        raise ShapeError(f"{fn}: input must be {nd + 2}-D or {nd + 1}-D {layout}, got shape {fmt_shape(x.shape)}")
    if x.data.dtype.kind != "f":
        raise DTypeError(f"{fn}: input must be floating point, got dtype {x.dtype}; call .float() first")
    return (unsqueeze(x, 0), True) if x.ndim == nd + 1 else (x, False)


def _finish(y: Tensor, nd: int, unbatched: bool) -> Tensor:
    if nd == 1:
        y = squeeze(y, 2)
    return squeeze(y, 0) if unbatched else y


def _indices(winner: np.ndarray, window: PoolWindow, nd: int) -> np.ndarray:
    """torch's return_indices: the flat position (h W + w, or l for 1-D) of each maximum in its input plane."""
    kw = window.kernel[1]
    p, q = winner // kw, winner % kw
    (ho, wo), (sh, sw), (th, tw), (dh, dw) = window.out_size, window.stride, window.padding, window.dilation
    h = np.arange(ho).reshape(-1, 1) * sh - th + p * dh
    w = np.arange(wo) * sw - tw + q * dw
    return (w if nd == 1 else h * window.in_size[1] + w).astype(np.int64)


def _max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices, nd, fn):
    x, unbatched = _batched(x, nd, fn)
    window = _window(x, kernel_size, stride, padding, dilation, ceil_mode, nd, fn)
    if nd == 1:
        x = unsqueeze(x, 2)
    y = select(MaxPool).apply(x, window=window, track=is_grad_enabled() and x.requires_grad)
    if not return_indices:
        return _finish(y, nd, unbatched)
    windows = window.windows(window.pad(x.data, -np.inf))
    winner = windows.reshape(*windows.shape[:4], -1).argmax(axis=-1)  # the taps the gradient goes to
    indices = Tensor._wrap(_indices(winner, window, nd))
    return _finish(y, nd, unbatched), _finish(indices, nd, unbatched)


def _avg_divisor(window: PoolWindow, count_include_pad: bool, dtype: np.dtype) -> np.ndarray:
    """1 / (number of elements averaged) for each output pixel, as torch counts them: padding counts
    when ``count_include_pad``, the part of a ceil-mode window beyond the padding never does."""
    counts = []
    for n, o, k, s, p in zip(window.in_size, window.out_size, window.kernel, window.stride, window.padding):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        counts.append(end - start if count_include_pad else np.minimum(end, n) - np.maximum(start, 0))
    return (1.0 / (counts[0].reshape(-1, 1) * counts[1])).astype(dtype)


def _avg_pool(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, nd, fn):
    x, unbatched = _batched(x, nd, fn)
    window = _window(x, kernel_size, stride, padding, 1, ceil_mode, nd, fn)
    if nd == 1:
        x = unsqueeze(x, 2)
    if divisor_override is not None:
        if not isinstance(divisor_override, int | np.integer) or divisor_override == 0:
            raise ValueError(f"{fn}: divisor_override must be a non-zero int, got {divisor_override!r}")
        scale = np.asarray(1.0 / divisor_override, dtype=x.dtype)
    else:
        scale = _avg_divisor(window, count_include_pad, x.dtype)
    y = select(TapSum).apply(x, window=window, winner=None, scale=scale)
    return _finish(y, nd, unbatched)


# --------------------------------------------------------------------------------------------------
# the functions users call (torch.nn.functional's signatures)
# --------------------------------------------------------------------------------------------------
def max_pool2d(
    x: Tensor,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """2-D max pooling, as ``torch.nn.functional.max_pool2d``.

    y[n,c,i,j] = max_{p < kH, q < kW} x_pad[n, c, i s_h + p d_h, j s_w + q d_w], with -inf padding.

    Ho = floor((H + 2 pad - d (kH - 1) - 1) / s) + 1, or with ``ceil_mode`` the ceiling (a last,
    partial window is kept when it starts inside the input or its left padding). ``stride`` defaults
    to ``kernel_size``; ``padding`` is at most half the kernel. The gradient goes to the first
    maximum of each window; ``return_indices`` also returns those positions as flat indices h W + w.
    """
    return _max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2, "max_pool2d")


def max_pool1d(
    x: Tensor,
    kernel_size: int,
    stride: int | None = None,
    padding: int = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """1-D max pooling over (N, C, L) or (C, L):  y[n,c,i] = max_{p < k} x_pad[n, c, i s + p d].

    Lo = floor((L + 2 pad - d (k - 1) - 1) / s) + 1 (ceiling with ``ceil_mode``); see :func:`max_pool2d`.
    """
    return _max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1, "max_pool1d")


def avg_pool2d(
    x: Tensor,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """2-D average pooling, as ``torch.nn.functional.avg_pool2d``.

    y[n,c,i,j] = (1 / D_ij) sum_{p < kH, q < kW} x_pad[n, c, i s_h + p, j s_w + q]  (zero padding),

    where D_ij counts the window's elements: with ``count_include_pad`` the padding counts (but not the
    overhang of a ceil-mode window), without it only real input does; ``divisor_override`` fixes D.
    Output size as :func:`max_pool2d` with dilation 1.
    """
    return _avg_pool(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 2, "avg_pool2d")


def avg_pool1d(
    x: Tensor,
    kernel_size: int,
    stride: int | None = None,
    padding: int = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """1-D average pooling over (N, C, L) or (C, L):  y[n,c,i] = (1 / D_i) sum_{p < k} x_pad[n, c, i s + p].

    See :func:`avg_pool2d` for D_i and the output size.
    """
    return _avg_pool(x, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1, "avg_pool1d")


def _adaptive_matrix(size: int, out: int, dtype: np.dtype) -> np.ndarray:
    """A (out, size) averaging matrix: row i is 1/len over [floor(i size / out), ceil((i + 1) size / out))."""
    i = np.arange(out)
    start, end = (i * size) // out, -((-(i + 1) * size) // out)
    cols = np.arange(size)
    inside = (cols >= start.reshape(-1, 1)) & (cols < end.reshape(-1, 1))
    return (inside / (end - start).reshape(-1, 1)).astype(dtype)


def adaptive_avg_pool2d(x: Tensor, output_size: int | tuple[int | None, int | None]) -> Tensor:
    """Average pooling to a fixed output size (Ho, Wo), as ``torch.nn.functional.adaptive_avg_pool2d``.

    Output row i averages input rows [floor(i H / Ho), ceil((i + 1) H / Ho)) (columns likewise), so
    windows may differ in size by one and overlap. As matrices: y = A_H x A_W^T with A_H (Ho, H) holding
    1/len on each window. ``None`` in ``output_size`` keeps that input size. When H and W are
    multiples of Ho and Wo this is ``avg_pool2d`` with kernel = stride = (H / Ho, W / Wo).
    """
    fn = "adaptive_avg_pool2d"
    x, unbatched = _batched(x, 2, fn)
    sizes = output_size if isinstance(output_size, tuple | list) else (output_size, output_size)
    if len(sizes) != 2:
        raise ValueError(f"{fn}: output_size must be an int or a pair, got {output_size!r}")
    (h, w) = x.shape[2:]
    oh, ow = (h if sizes[0] is None else int(sizes[0])), (w if sizes[1] is None else int(sizes[1]))
    if oh < 1 or ow < 1:
        raise ValueError(f"{fn}: output_size must be positive, got {output_size!r}")
    if h % oh == 0 and w % ow == 0:
        y = avg_pool2d(x, (h // oh, w // ow))
    else:
        rows = Tensor._wrap(_adaptive_matrix(h, oh, x.dtype))
        cols = Tensor._wrap(_adaptive_matrix(w, ow, x.dtype).T.copy())
        y = matmul(matmul(rows, x), cols)
    return squeeze(y, 0) if unbatched else y


def adaptive_avg_pool1d(x: Tensor, output_size: int) -> Tensor:
    """Average pooling of (N, C, L) or (C, L) to length Lo: output i averages [floor(i L / Lo), ceil((i + 1) L / Lo))."""
    fn = "adaptive_avg_pool1d"
    x, unbatched = _batched(x, 1, fn)
    out = ntuple(output_size, 1, "output_size", fn)[0]
    y = squeeze(adaptive_avg_pool2d(unsqueeze(x, 2), (1, out)), 2)
    return squeeze(y, 0) if unbatched else y
