"""``MLP``: the fully connected network of the course, with optional batch norm and dropout."""

from __future__ import annotations

from collections.abc import Sequence

from neurona.errors import ConfigError
from neurona.nn import activation as act
from neurona.nn.containers import Sequential
from neurona.nn.dropout import Dropout
from neurona.nn.linear import Linear
from neurona.nn.normalization import BatchNorm1d
from neurona.tensor import Tensor

ACTIVATIONS = {
    "relu": act.ReLU, "leaky_relu": act.LeakyReLU, "elu": act.ELU, "selu": act.SELU, "gelu": act.GELU,
    "silu": act.SiLU, "sigmoid": act.Sigmoid, "tanh": act.Tanh, "softplus": act.Softplus,
}


def make_activation(name: str):
    if name not in ACTIVATIONS:
        raise ConfigError(f"activation: {name!r} is not one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]()


class MLP(Sequential):
    """x -> [Linear -> (BatchNorm1d) -> activation -> (Dropout)] x (L-1) -> Linear.

    ``widths = [in, hidden_1, ..., out]``; the last layer has no activation (it outputs logits or values).
    State-dict keys are those of the equivalent ``torch.nn.Sequential``.

    Example
    -------
    >>> model = MLP([64, 128, 64, 10], activation="relu", dropout=0.2)
    """

    def __init__(self, widths: Sequence[int], activation: str = "relu", dropout: float = 0.0,
                 batchnorm: bool = False) -> None:
        widths = [int(w) for w in widths]
        if len(widths) < 2 or min(widths) < 1:
            raise ConfigError(f"MLP: widths must list at least an input and an output size, all >= 1, got {widths}")
        if not 0.0 <= dropout < 1.0:
            raise ConfigError(f"MLP: dropout must be in [0, 1), got {dropout}")
        layers = []
        for i, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:])):
            layers.append(Linear(fan_in, fan_out))
            if i < len(widths) - 2:
                if batchnorm:
                    layers.append(BatchNorm1d(fan_out))
                layers.append(make_activation(activation))
                if dropout:
                    layers.append(Dropout(dropout))
        super().__init__(*layers)
        self.widths, self.activation_name = widths, activation

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim > 2:  # images: flatten everything but the batch
            x = x.flatten(1)
        return super().forward(x)
