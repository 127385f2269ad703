"""``Conv1dNet``: a 1-D CNN that classifies raw waveforms (audio-like signals) sample by sample."""

from __future__ import annotations

from collections.abc import Sequence

from neurona.errors import ConfigError, ShapeError, fmt_shape
from neurona.models._common import check_fraction, check_int, check_sizes
from neurona.nn.activation import ReLU
from neurona.nn.containers import Flatten, Sequential
from neurona.nn.conv import Conv1d
from neurona.nn.dropout import Dropout
from neurona.nn.linear import Linear
from neurona.nn.normalization import BatchNorm1d
from neurona.nn.pooling import AdaptiveAvgPool1d, MaxPool1d
from neurona.tensor import Tensor


class Conv1dNet(Sequential):
    """Raw waveform -> class: 1-D convolution blocks, global average pooling, a linear layer.

    ::

        x (N, C, T)
        -> [Conv1d(c_{b-1}, c_b, k, padding=k//2) -> (BatchNorm1d) -> ReLU -> MaxPool1d(2)] per block
        -> AdaptiveAvgPool1d(1) -> Flatten -> (Dropout) -> Linear(c_last, num_classes) -> logits

    Each block learns ``c_b`` filters of ``k`` samples (a bank of band-pass-like detectors in the first
    layer) and halves the time axis, so deeper blocks see longer stretches: after ``B`` blocks one
    position covers about ``k * 2**B`` input samples. Global average pooling then asks "how much of each
    pattern is present anywhere", which makes the output independent of where in the window a pattern
    occurs and lets the same model read signals of any length ``T >= 2**B``.

    Parameters
    ----------
    in_channels : int, default 1
        Signals per example (1 for mono audio).
    num_classes : int, default 5
        (5: the classes of :func:`neurona.datasets.waveforms`.)
    channels : sequence of int, default (16, 32, 64)
    kernel_size : int, default 7
        Odd, so ``padding = k // 2`` keeps the length before each pooling.
    batchnorm : bool, default True
    dropout : float, default 0.0
        Dropout before the output layer.

    Input ``(N, T)`` is taken as one channel ``(N, 1, T)``. State-dict keys are those of the
    equivalent ``torch.nn.Sequential``.

    Examples
    --------
    >>> model = Conv1dNet(in_channels=1, num_classes=5)
    >>> model(nr.randn(8, 1, 128)).shape
    (8, 5)
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 5, channels: Sequence[int] = (16, 32, 64),
                 kernel_size: int = 7, batchnorm: bool = True, dropout: float = 0.0) -> None:
        check_int("Conv1dNet", "in_channels", in_channels)
        check_int("Conv1dNet", "num_classes", num_classes)
        check_int("Conv1dNet", "kernel_size", kernel_size)
        channels = check_sizes("Conv1dNet", "channels", channels)
        check_fraction("Conv1dNet", "dropout", dropout)
        if kernel_size % 2 == 0:
            raise ConfigError(f"Conv1dNet: kernel_size must be odd so that padding kernel_size // 2 keeps the "
                              f"length, got {kernel_size}")
        layers, fan_in = [], in_channels
        for width in channels:
            layers.append(Conv1d(fan_in, width, kernel_size, padding=kernel_size // 2, bias=not batchnorm))
            if batchnorm:
                layers.append(BatchNorm1d(width))
            layers += [ReLU(), MaxPool1d(2)]
            fan_in = width
        layers += [AdaptiveAvgPool1d(1), Flatten()]
        if dropout:
            layers.append(Dropout(dropout))
        layers.append(Linear(channels[-1], num_classes))
        super().__init__(*layers)
        self.in_channels, self.num_classes, self.channels = in_channels, num_classes, channels
        self.kernel_size = kernel_size

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim == 2 and self.in_channels == 1:
            x = x.unsqueeze(1)
        min_length = 2 ** len(self.channels)
        if x.ndim != 3 or x.shape[1] != self.in_channels or x.shape[2] < min_length:
            raise ShapeError(
                f"Conv1dNet(in_channels={self.in_channels}) got input of shape {fmt_shape(x.shape)}; it expects "
                f"(N, {self.in_channels}, T) with T >= {min_length} (each of its {len(self.channels)} blocks "
                "halves the length)"
            )
        return super().forward(x)

    def extra_repr(self) -> str:
        return f"in_channels={self.in_channels}, num_classes={self.num_classes}, channels={self.channels}"
