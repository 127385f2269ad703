"""``LeNet5``: LeCun et al.'s 1998 convolutional network, the first CNN of the course."""

from __future__ import annotations

from neurona.errors import ConfigError
from neurona.models._common import as_images, check_int
from neurona.nn import activation as act
from neurona.nn.containers import Flatten, Sequential
from neurona.nn.conv import Conv2d
from neurona.nn.linear import Linear
from neurona.nn.pooling import AvgPool2d, MaxPool2d
from neurona.tensor import Tensor

_ACTIVATIONS = {"relu": act.ReLU, "tanh": act.Tanh}
_POOLS = {"max": MaxPool2d, "avg": AvgPool2d}


class LeNet5(Sequential):
    """LeNet-5 (LeCun, Bottou, Bengio & Haffner, 1998) with today's usual choices (ReLU, max pooling).

    ::

        x (N, C, H, H)
        -> Conv2d(C, 6, 5, padding=2)  -> act -> pool 2      C1, S2: 6 maps of H/2 x H/2
        -> Conv2d(6, 16, 5, padding=p) -> act -> pool 2      C3, S4: 16 maps of s x s
        -> Flatten -> Linear(16 s s, 120) -> act             C5
        -> Linear(120, 84) -> act                            F6
        -> Linear(84, num_classes)                           logits (no softmax: use cross_entropy)

    For 28x28 MNIST the first convolution pads by 2, so it sees the paper's 32x32 input: 28 -> 28 -> 14
    -> 10 -> 5, flatten 16*5*5 = 400, and the model has **61,706** parameters.

    Small inputs: with ``input_size < 16`` (the 8x8 digits) a second "valid" 5x5 convolution would
    leave nothing (8 -> 8 -> 4 -> 0), so the second convolution pads by 2 as well ('same'):
    8 -> 8 -> 4 -> 4 -> 2, flatten 16*2*2 = 64, 21,386 parameters. The layers and their order stay the
    paper's; only the padding of C3 changes. (Zero-padding 8x8 images to 28x28 would also work, but
    would spend 12x the compute on zeros.)

    Flat images ``(N, C*H*W)`` (e.g. the 64 pixels of a digit) are reshaped to ``(N, C, H, W)``.
    State-dict keys are those of the equivalent ``torch.nn.Sequential`` (``0.weight`` is C1,
    ``3.weight`` C3, ``7.weight`` C5, ``9.weight`` F6, ``11.weight`` the output layer).

    Parameters
    ----------
    in_channels : int, default 1
    num_classes : int, default 10
    input_size : int, default 28
        Height and width of the (square) input images; at least 4.
    activation : {'relu', 'tanh'}, default 'relu'
        'tanh' is closer to the original (which used a scaled tanh).
    pooling : {'max', 'avg'}, default 'max'
        'avg' is closer to the original's subsampling layers.

    Examples
    --------
    >>> model = LeNet5()
    >>> model.summary((1, 1, 28, 28)).total_params
    61706
    >>> LeNet5(input_size=8)(nr.zeros(4, 1, 8, 8)).shape
    (4, 10)
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10, input_size: int = 28,
                 activation: str = "relu", pooling: str = "max") -> None:
        check_int("LeNet5", "in_channels", in_channels)
        check_int("LeNet5", "num_classes", num_classes)
        check_int("LeNet5", "input_size", input_size, 4)
        if activation not in _ACTIVATIONS:
            raise ConfigError(f"LeNet5: activation must be one of {', '.join(_ACTIVATIONS)}, got {activation!r}")
        if pooling not in _POOLS:
            raise ConfigError(f"LeNet5: pooling must be one of {', '.join(_POOLS)}, got {pooling!r}")
        c3_padding = 0 if input_size >= 16 else 2
        side = (input_size // 2 - 4 + 2 * c3_padding) // 2
        Act, Pool = _ACTIVATIONS[activation], _POOLS[pooling]
        super().__init__(
            Conv2d(in_channels, 6, 5, padding=2), Act(), Pool(2),
            Conv2d(6, 16, 5, padding=c3_padding), Act(), Pool(2),
            Flatten(),
            Linear(16 * side * side, 120), Act(),
            Linear(120, 84), Act(),
            Linear(84, num_classes),
        )
        self.in_channels, self.num_classes, self.input_size = in_channels, num_classes, input_size
        self.activation_name, self.pooling = activation, pooling

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(as_images(self, x, self.in_channels, self.input_size))

    def extra_repr(self) -> str:
        return f"in_channels={self.in_channels}, num_classes={self.num_classes}, input_size={self.input_size}"
