"""Pooling kernels: the max pool as pairwise maxima of the taps' strided views, and the pooling
gradient's scatter in its input's memory order.

``MaxPoolTaps`` loops over the kH*kW taps doing whole-array ``np.maximum`` (no window array is built),
tracking the winning tap in place only when a gradient will be needed (``track``). ``TapScatterInOrder``
allocates the gradient laid out like the pooling's input (a convolution kernel's batch-last output,
see ``kernels.layout``), and skips the zero fill when the windows tile the input. Both compute what
their references in ``neurona.ops.pool`` compute; ``tests/test_kernels.py`` checks it.
"""

from __future__ import annotations

import numpy as np

from neurona.ops.kernels import register
from neurona.ops.kernels.layout import empty_in_order_of, in_order_of
from neurona.ops.pool import MaxPool, PoolWindow, TapScatter


@register(MaxPool)
class MaxPoolTaps(MaxPool):
    """MaxPool as the pairwise maximum of the taps' strided views; a tap wins where it beats the running
    maximum strictly, so the winner is the first maximum, as in the reference."""

    def forward(self, ctx, x):
        y, ctx.winner = _max_over_taps(x, self.window, self.track)
        return y


def _max_over_taps(x: np.ndarray, window: PoolWindow, track: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """The pairwise maximum of the taps' strided views, and (with ``track``) the first winning tap.

    When tracking, each tap is first copied into a contiguous buffer, so that its two reads (the
    comparison and the maximum) run over contiguous memory."""
    taps = iter(window.taps())
    padded = window.pad(x, -np.inf)
    _, rows, cols = next(taps)
    y = padded[..., rows, cols].copy(order="K")  # in x's memory order
    n_taps = window.kernel[0] * window.kernel[1]
    winner = np.zeros_like(y, dtype=np.uint8 if n_taps <= 256 else np.int32) if track else None
    buffer = np.empty_like(y) if track else None
    for t, rows, cols in taps:
        tap = padded[..., rows, cols]
        if winner is not None:
            np.copyto(buffer, tap)
            tap = buffer
            beats = np.greater(tap, y).view(np.uint8)
            np.maximum(winner, beats * winner.dtype.type(t), out=winner)
        np.maximum(y, tap, out=y)
    return y, winner


@register(TapScatter)
class TapScatterInOrder(TapScatter):
    """TapScatter into a gradient laid out like the winners (the pooling's input), without a zero fill
    when disjoint windows tile the padded input (then every element is written exactly once)."""

    def forward(self, ctx, g):
        window = self.window
        if self.scale is not None:
            g = g * self.scale
        shape = (*g.shape[:-2], *window.padded_size)
        zeros = window.overlapping or not window.tiles
        if self.winner is not None:
            g = in_order_of(self.winner, g)
        padded = empty_in_order_of(g, shape, g.dtype, zeros=zeros)
        for t, rows, cols in window.taps():
            target = padded[..., rows, cols]
            if window.overlapping:
                target += g if self.winner is None else g * (self.winner == t)
            elif self.winner is None:
                target[...] = g
            else:
                np.multiply(g, self.winner == t, out=target)
        return padded if padded.shape[-2:] == window.in_size else window.unpad(padded).copy(order="K")
