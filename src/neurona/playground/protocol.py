"""What the page and the server say to each other: the settings of a session and every message, as
pydantic models. Anything that does not validate is answered with an ``error`` frame naming the field.

The page sends JSON objects with a ``type``:

==============  ==========================================================================
``configure``   ``{"settings": {...}}``: the whole state of the controls (see :class:`Settings`)
``play``        train continuously, streaming ``state`` frames
``pause``       stop training
``step``        ``{"epochs": 1}`` or ``{"steps": 1}``: train that much, then send one ``state`` frame
``reset``       new weights, epoch 0 (same data)
``regenerate``  new points: the seed moves on by one
``set_weight``  ``{"layer": l, "to": j, "from": i, "value": v}``; ``from: null`` edits the bias
``upload``      ``{"csv": "x1,x2,label\\n...", "task": "classification"}``: the user's own points
``backprop``    ``{"index": i, "apply": true}``: one training sample through the network, forward
                values, backward deltas and link gradients; ``apply`` takes the SGD step
``export``      ``{"format": "yaml" | "neurona" | "pytorch"}``
``ping``        answered by ``pong``
==============  ==========================================================================

The server sends ``settings`` (normalised settings, points, input feature maps), ``state``
(epoch, losses, weights, heat maps, history, gradient norms, alerts), ``backprop``, ``export``,
``pong`` and ``error`` frames.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

from neurona.datasets.playground import FEATURES

Activation = Literal["relu", "tanh", "sigmoid", "linear"]
CLASSIFICATION_SETS = ("circle", "xor", "gauss", "spiral", "blobs", "boundary")
REGRESSION_SETS = ("reg_plane", "reg_gauss")

MAX_LAYERS, MAX_NEURONS = 8, 32  # TF Playground: 6 x 8
MAX_POINTS = 2000
MAX_UPLOAD_BYTES = 200_000
FEATURE_NAMES = tuple(FEATURES)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Settings(_Strict):
    """Every control of the page. The defaults are TensorFlow Playground's first screen."""

    problem: Literal["classification", "regression"] = "classification"
    dataset: Literal[CLASSIFICATION_SETS + REGRESSION_SETS + ("upload",)] = "circle"  # type: ignore[valid-type]
    classes: int = Field(2, ge=2, le=6, description="arms of the spiral, clouds of the blobs")
    curve: Literal["sin", "cubic", "abs"] = "sin"
    n_points: int = Field(500, ge=10, le=MAX_POINTS)
    ratio: int = Field(50, ge=10, le=90, description="percentage of the points used for training")
    noise: int = Field(0, ge=0, le=50)
    batch_size: int = Field(10, ge=1, le=500)
    seed: int = Field(0, ge=0, le=2**31 - 1)
    features: list[Literal[FEATURE_NAMES]] = Field(  # type: ignore[valid-type]
        default_factory=lambda: ["x1", "x2"], min_length=1, max_length=len(FEATURE_NAMES))
    hidden: list[Annotated[int, Field(ge=1, le=MAX_NEURONS)]] = Field(
        default_factory=lambda: [4, 2], max_length=MAX_LAYERS)
    activation: Activation = "tanh"
    layer_activations: list[Activation | None] = Field(default_factory=list, max_length=MAX_LAYERS)
    learning_rate: float = Field(0.03, gt=0.0, le=10.0)
    regularization: Literal["none", "l1", "l2"] = "none"
    reg_rate: float = Field(0.0, ge=0.0, le=10.0)
    optimizer: Literal["sgd", "momentum", "nesterov", "rmsprop", "adam"] = "sgd"
    schedule: Literal["none", "step", "exponential", "cosine"] = "none"
    schedule_epochs: int = Field(200, ge=1, le=100_000, description="step size / decay horizon in epochs")
    batchnorm: bool = False
    dropout: float = Field(0.0, ge=0.0, le=0.9)
    init: Literal["default", "xavier", "he", "normal", "zeros"] = "default"
    discretize: bool = False
    show_test: bool = False

    @field_validator("features")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"each feature at most once, got {value}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.problem == "classification" and self.dataset in REGRESSION_SETS:
            raise ValueError(f"dataset {self.dataset!r} is a regression set; choose problem 'regression' "
                             f"or one of {', '.join(CLASSIFICATION_SETS)}")
        if self.problem == "regression" and self.dataset in CLASSIFICATION_SETS:
            raise ValueError(f"dataset {self.dataset!r} is a classification set; choose problem "
                             f"'classification' or one of {', '.join(REGRESSION_SETS)}")
        if len(self.layer_activations) > len(self.hidden):
            self.layer_activations = self.layer_activations[: len(self.hidden)]
        return self

    def activations(self) -> list[str]:
        """The activation of each hidden layer (a per-layer choice, else the global one)."""
        chosen = list(self.layer_activations) + [None] * (len(self.hidden) - len(self.layer_activations))
        return [a or self.activation for a in chosen]

    def n_classes(self) -> int:
        """Classes of a classification set (spiral and blobs have ``classes``; the others two)."""
        return self.classes if self.dataset in ("spiral", "blobs") else 2


class Configure(_Strict):
    type: Literal["configure"]
    settings: Settings


class Play(_Strict):
    type: Literal["play"]


class Pause(_Strict):
    type: Literal["pause"]


class Step(_Strict):
    """Train ``epochs`` whole epochs, or ``steps`` mini-batches when given."""

    type: Literal["step"]
    epochs: int = Field(1, ge=1, le=100)
    steps: int | None = Field(None, ge=1, le=10_000)


class Reset(_Strict):
    type: Literal["reset"]


class Regenerate(_Strict):
    type: Literal["regenerate"]


class SetWeight(_Strict):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    type: Literal["set_weight"]
    layer: int = Field(ge=0, le=MAX_LAYERS)
    to: int = Field(ge=0, lt=MAX_NEURONS)
    from_: int | None = Field(None, alias="from", ge=0, lt=MAX_NEURONS)
    value: float = Field(ge=-100.0, le=100.0)


class Upload(_Strict):
    type: Literal["upload"]
    csv: str = Field(max_length=MAX_UPLOAD_BYTES)
    task: Literal["classification", "regression"] = "classification"


class Backprop(_Strict):
    type: Literal["backprop"]
    index: int = Field(0, ge=0, lt=MAX_POINTS)
    apply: bool = True


class Export(_Strict):
    type: Literal["export"]
    format: Literal["yaml", "neurona", "pytorch"]


class Ping(_Strict):
    type: Literal["ping"]


Message = Annotated[
    Configure | Play | Pause | Step | Reset | Regenerate | SetWeight | Upload | Backprop | Export | Ping,
    Field(discriminator="type"),
]
MESSAGE = TypeAdapter(Message)


def describe_error(error: dict) -> str:
    """One pydantic error as ``field.path: message`` (the path the page can show next to the control)."""
    where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("function-after",))
    return f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg", "invalid"))
