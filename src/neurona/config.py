"""Experiment configs: one YAML file describes a run, validated by pydantic before any work starts.

    seed: 0
    data: {dataset: iris, val: 0.15, test: 0.2, scale: standard}
    model: {name: mlp, hidden: [16], activation: relu}          # or  layers: [{type: linear, out_features: 16}, ...]
    loss: cross_entropy
    optimizer: {name: adam, lr: 0.01}
    training: {epochs: 50, batch_size: 16, early_stopping: {patience: 10}}

Errors name the field's path and what is allowed: ``optimizer.lr: must be > 0, got -0.1``.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from neurona.errors import ConfigError

LOSSES = ("cross_entropy", "nll", "bce", "bce_with_logits", "mse", "l1", "huber", "smooth_l1")
OPTIMIZERS = ("sgd", "adagrad", "rmsprop", "adadelta", "adam", "adamw", "nadam")
SCHEDULES = ("step", "multistep", "exponential", "cosine", "cosine_warm_restarts", "linear", "onecycle", "plateau")
FIGURES = ("learning_curves", "confusion_matrix", "roc", "decision_boundary", "regression", "histograms")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataConfig(_Strict):
    dataset: str
    options: dict[str, Any] = Field(default_factory=dict)
    val: float = Field(0.15, ge=0.0, lt=1.0)
    test: float = Field(0.2, ge=0.0, lt=1.0)
    stratify: bool = True
    scale: Literal["standard", "minmax", "none"] = "standard"

    @field_validator("dataset")
    @classmethod
    def _known(cls, name: str) -> str:
        from neurona import datasets

        names = datasets.available()
        if name not in names:
            close = difflib.get_close_matches(name, names, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"{name!r} is not one of {', '.join(names)}{hint}")
        return name

    @model_validator(mode="after")
    def _fractions(self) -> DataConfig:
        if self.val + self.test >= 1.0:
            raise ValueError(f"val + test must be < 1 to leave training data, got {self.val} + {self.test}")
        return self


class ModelConfig(_Strict):
    """A reference model by ``name`` with its arguments, or a list of ``layers`` that becomes a Sequential."""

    model_config = ConfigDict(extra="allow")
    name: str | None = None
    layers: list[dict[str, Any]] | None = None

    @model_validator(mode="after")
    def _one_way(self) -> ModelConfig:
        if (self.name is None) == (self.layers is None):
            raise ValueError("give either a reference model 'name' or a 'layers' list, not both or neither")
        if self.layers is not None and self.model_extra:
            raise ValueError(f"unexpected keys {sorted(self.model_extra)} beside 'layers'")
        for i, layer in enumerate(self.layers or []):
            if "type" not in layer:
                raise ValueError(f"layers[{i}] needs a 'type' (e.g. linear, relu, conv2d), got {layer}")
        return self

    @property
    def args(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class LossConfig(_Strict):
    name: Literal[LOSSES]  # type: ignore[valid-type]
    options: dict[str, Any] = Field(default_factory=dict)


class OptimizerConfig(_Strict):
    name: Literal[OPTIMIZERS]  # type: ignore[valid-type]
    lr: float = Field(0.01, gt=0.0)
    weight_decay: float = Field(0.0, ge=0.0)
    momentum: float | None = Field(None, ge=0.0, lt=1.0)
    nesterov: bool | None = None
    betas: tuple[float, float] | None = None
    options: dict[str, Any] = Field(default_factory=dict)


class ScheduleConfig(_Strict):
    name: Literal[SCHEDULES]  # type: ignore[valid-type]
    options: dict[str, Any] = Field(default_factory=dict)


class EarlyStoppingConfig(_Strict):
    monitor: str = "val_loss"
    patience: int = Field(10, ge=0)
    min_delta: float = Field(0.0, ge=0.0)


class TrainingConfig(_Strict):
    epochs: int = Field(20, ge=1)
    batch_size: int = Field(32, ge=1)
    early_stopping: EarlyStoppingConfig | None = None
    checkpoint: bool = True
    l2: float = Field(0.0, ge=0.0)


class ReportConfig(_Strict):
    figures: list[Literal[FIGURES]] = Field(default_factory=lambda: list(FIGURES))  # type: ignore[valid-type]


class RunConfig(_Strict):
    name: str = Field("run", pattern=r"^[A-Za-z0-9_.-]+$")
    seed: int = Field(0, ge=0)
    data: DataConfig
    model: ModelConfig
    loss: LossConfig
    optimizer: OptimizerConfig
    schedule: ScheduleConfig | None = None
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    metrics: list[str] | None = None
    report: ReportConfig = Field(default_factory=ReportConfig)

    @field_validator("loss", "optimizer", "schedule", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value


def _describe(error: dict) -> str:
    path = ".".join(str(p) for p in error["loc"]) or "config"
    kind, ctx, value = error["type"], error.get("ctx", {}), error.get("input")
    if kind == "literal_error":
        allowed = ctx.get("expected", "").replace("'", "").replace(" or ", ", ")
        return f"{path}: {value!r} is not one of {allowed}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        op = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}[kind]
        bound = next(iter(ctx.values()))
        return f"{path}: must be {op} {bound:g}, got {value!r}"
    if kind == "extra_forbidden":
        return f"{path}: unknown key (check the spelling)"
    if kind == "missing":
        return f"{path}: required field is missing"
    message = error["msg"].removeprefix("Value error, ")
    return f"{path}: {message}" + (f", got {value!r}" if kind.endswith("_type") or kind.endswith("_parsing") else "")


def validate_config(data: Any, source: str = "config") -> RunConfig:
    """A RunConfig from a dict, or ConfigError listing every invalid field by its path."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of fields (seed, data, model, ...), got {type(data).__name__}")
    try:
        return RunConfig.model_validate(data)
    except ValidationError as e:
        problems = "\n  ".join(_describe(err) for err in e.errors())
        raise ConfigError(f"{source} is invalid:\n  {problems}") from None


def set_value(data: dict, dotted: str, value: str) -> None:
    """Apply a ``--set key.sub=value`` override (the value is parsed as YAML: numbers, lists, booleans)."""
    keys = dotted.split(".")
    node = data
    for key in keys[:-1]:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise ConfigError(f"--set {dotted}: {key!r} is not a section")
    node[keys[-1]] = yaml.safe_load(value)


def load_config(path: str | Path, overrides: list[str] | None = None) -> RunConfig:
    """Read, override and validate a YAML config file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"config file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise ConfigError(f"{path} is not valid YAML: {e}") from None
    for item in overrides or []:
        if "=" not in item:
            raise ConfigError(f"--set expects key=value, got {item!r}")
        key, value = item.split("=", 1)
        set_value(data if isinstance(data, dict) else {}, key.strip(), value)
    return validate_config(data, str(path))


def dump_config(config: RunConfig) -> str:
    return yaml.safe_dump(config.model_dump(mode="json", exclude_none=True), sort_keys=False)
