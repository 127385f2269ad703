"""``ConvNet``: a small VGG-style network (stacks of 3x3 convolutions, then 2x2 max pooling)."""

from __future__ import annotations

from collections.abc import Sequence

from neurona.errors import ConfigError
from neurona.models._common import as_images, check_fraction, check_int, check_sizes
from neurona.nn.activation import ReLU
from neurona.nn.containers import Flatten, Sequential
from neurona.nn.conv import Conv2d
from neurona.nn.dropout import Dropout
from neurona.nn.linear import Linear
from neurona.nn.normalization import BatchNorm2d
from neurona.nn.pooling import MaxPool2d
from neurona.tensor import Tensor


class ConvNet(Sequential):
    """A small VGG-style CNN (Simonyan & Zisserman, 2015), sized for 8x8 to 32x32 images.

    One block per entry of ``channels``; block ``b`` with ``c_b`` channels is ::

        [Conv2d(c_{b-1}, c_b, 3, padding=1) -> (BatchNorm2d) -> ReLU] x convs_per_block -> MaxPool2d(2)

    so each block keeps the size through its 3x3 convolutions and halves it in the pooling. Then ::

        Flatten -> (Dropout) -> Linear(c_last * s * s, num_classes)      s = input_size / 2**len(channels)

    Two 3x3 convolutions see a 5x5 window with fewer parameters than one 5x5 convolution and one more
    non-linearity: VGG's idea. With batch norm the convolutions have no bias (the norm's beta replaces
    it). For the 8x8 digits and the default ``channels=(16, 32)``: 8 -> 4 -> 2, 32*2*2 = 128 features.

    Parameters
    ----------
    in_channels : int, default 1
    num_classes : int, default 10
    channels : sequence of int, default (16, 32)
        Channels of each block; ``len(channels)`` poolings must leave at least 1x1.
    input_size : int, default 8
        Height and width of the square input images.
    batchnorm : bool, default True
    dropout : float, default 0.0
        Dropout before the output layer.
    convs_per_block : int, default 2

    State-dict keys are those of the equivalent ``torch.nn.Sequential``. Flat images ``(N, C*H*W)``
    are reshaped to ``(N, C, H, W)``.

    Examples
    --------
    >>> model = ConvNet(in_channels=1, num_classes=10, channels=(16, 32), input_size=8)
    >>> model(nr.zeros(5, 1, 8, 8)).shape
    (5, 10)
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10, channels: Sequence[int] = (16, 32),
                 input_size: int = 8, batchnorm: bool = True, dropout: float = 0.0,
                 convs_per_block: int = 2) -> None:
        check_int("ConvNet", "in_channels", in_channels)
        check_int("ConvNet", "num_classes", num_classes)
        check_int("ConvNet", "input_size", input_size)
        check_int("ConvNet", "convs_per_block", convs_per_block)
        channels = check_sizes("ConvNet", "channels", channels)
        side = input_size // 2 ** len(channels)
        if side < 1:
            raise ConfigError(
                f"ConvNet: {len(channels)} blocks halve the size {len(channels)} times, too many for "
                f"input_size={input_size}; use at most {max(input_size.bit_length() - 1, 0)} blocks"
            )
        check_fraction("ConvNet", "dropout", dropout)
        layers, fan_in = [], in_channels
        for width in channels:
            for _ in range(convs_per_block):
                layers.append(Conv2d(fan_in, width, 3, padding=1, bias=not batchnorm))
                if batchnorm:
                    layers.append(BatchNorm2d(width))
                layers.append(ReLU())
                fan_in = width
            layers.append(MaxPool2d(2))
        layers.append(Flatten())
        if dropout:
            layers.append(Dropout(dropout))
        layers.append(Linear(channels[-1] * side * side, num_classes))
        super().__init__(*layers)
        self.in_channels, self.num_classes, self.input_size = in_channels, num_classes, input_size
        self.channels = tuple(channels)

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(as_images(self, x, self.in_channels, self.input_size))

    def extra_repr(self) -> str:
        return f"in_channels={self.in_channels}, num_classes={self.num_classes}, input_size={self.input_size}"
