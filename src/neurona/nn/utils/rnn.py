"""Sequence helpers, as ``torch.nn.utils.rnn``: pad sequences of different lengths into one batch."""

from __future__ import annotations

from collections.abc import Sequence

from neurona.errors import ShapeError, fmt_shape
from neurona.ops import pad, stack, transpose
from neurona.tensor import Tensor

__all__ = ["pad_sequence"]


def pad_sequence(
    sequences: Sequence[Tensor],
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Stack sequences of shape (L_i, *) into one (L_max, B, *) tensor (``batch_first``: (B, L_max, *)),
    filling the missing steps with ``padding_value``. Differentiable: each sequence gets the gradient
    of its own steps.

    Parameters
    ----------
    sequences : list of Tensor
        Shapes (L_i, *rest), the same rest for all.
    batch_first : bool, default False
    padding_value : float, default 0.0
    padding_side : {"right", "left"}
        Pad after the sequence (default) or before it.

    Examples
    --------
    >>> pad_sequence([nr.ones(2, 3), nr.zeros(4, 3)], batch_first=True).shape
    (2, 4, 3)
    """
    if padding_side not in ("right", "left"):
        raise ValueError(f"pad_sequence: padding_side must be 'right' or 'left', got {padding_side!r}")
    sequences = list(sequences)
    if not sequences:
        raise ValueError("pad_sequence: got an empty list of sequences")
    rests = {tuple(s.shape[1:]) for s in sequences}
    if any(s.ndim == 0 for s in sequences) or len(rests) > 1:
        shapes = ", ".join(fmt_shape(s.shape) for s in sequences)
        raise ShapeError(
            f"pad_sequence: every sequence must have shape (L_i, *rest) with the same rest; got {shapes}"
        )
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        missing = longest - s.shape[0]
        widths = [0, 0] * (s.ndim - 1) + ([0, missing] if padding_side == "right" else [missing, 0])
        padded.append(pad(s, widths, value=padding_value) if missing else s)
    out = stack(padded, 0)
    return out if batch_first else transpose(out, 0, 1)
