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
import math
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from neurona.errors import ConfigError

LOSSES = ("cross_entropy", "nll", "bce", "bce_with_logits", "mse", "l1", "huber", "smooth_l1",
          "elbo", "gan")  # the last two: a VAE's negative ELBO and the GAN game (neurona.generative)
OPTIMIZERS = ("sgd", "adagrad", "rmsprop", "adadelta", "adam", "adamw", "nadam")
SCHEDULES = ("step", "multistep", "exponential", "cosine", "cosine_warm_restarts", "linear", "onecycle", "plateau")
FIGURES = ("learning_curves", "confusion_matrix", "roc", "decision_boundary", "regression", "histograms")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


# option: (kind, low, high, low_inclusive, high_inclusive); None for an open side
_POS = ("float", 0.0, None, False, False)
_NONNEG = ("float", 0.0, None, True, False)
_UNIT = ("float", 0.0, 1.0, True, True)
_POS_INT = ("int", 1, None, True, False)
_NONNEG_INT = ("int", 0, None, True, False)
SCHEDULE_OPTIONS: dict[str, dict[str, tuple]] = {
    "step": {"step_size": _POS_INT, "gamma": _POS},
    "multistep": {"gamma": _POS},
    "exponential": {"gamma": _POS},
    "cosine": {"T_max": _POS_INT, "eta_min": _NONNEG},
    "cosine_warm_restarts": {"T_0": _POS_INT, "T_mult": _POS_INT, "eta_min": _NONNEG},
    "linear": {"start_factor": ("float", 0.0, 1.0, False, True), "end_factor": _UNIT, "total_iters": _POS_INT},
    "onecycle": {"max_lr": _POS, "total_steps": _POS_INT, "pct_start": ("float", 0.0, 1.0, False, False),
                 "div_factor": _POS, "final_div_factor": _POS},
    "plateau": {"factor": ("float", 0.0, 1.0, False, False), "patience": _NONNEG_INT, "min_delta": _NONNEG,
                "cooldown": _NONNEG_INT, "min_lr": _NONNEG, "monitor": ("str",)},
}
LOSS_OPTIONS = {"label_smoothing": _UNIT, "delta": _POS, "beta": _NONNEG, "ignore_index": ("int", None, None, True, True),
                "reduction": ("choice", "mean", "sum"), "reconstruction": ("choice", "bce", "mse")}
OPTIMIZER_OPTIONS = {"eps": _POS, "dampening": _NONNEG, "alpha": _UNIT, "rho": _UNIT, "lr_decay": _NONNEG,
                     "initial_accumulator_value": _NONNEG, "momentum_decay": _NONNEG, "amsgrad": ("bool",),
                     "maximize": ("bool",)}


def check_options(options: dict[str, Any], spec: dict[str, tuple], prefix: str) -> None:
    """Range-check the known keys of a free-form ``options`` mapping (unknown keys are left to the class
    they are passed to, which names the ones it takes)."""
    for key, value in options.items():
        rule = spec.get(key)
        if rule is None:
            continue
        kind, where = rule[0], f"{prefix}{key}"
        if kind == "str":
            if not isinstance(value, str):
                raise ValueError(f"{where}: expected a name, got {value!r}")
            continue
        if kind == "bool":
            if not isinstance(value, bool):
                raise ValueError(f"{where}: expected true or false, got {value!r}")
            continue
        if kind == "choice":
            if value not in rule[1:]:
                raise ValueError(f"{where}: {value!r} is not one of {', '.join(rule[1:])}")
            continue
        _, low, high, low_in, high_in = rule
        if kind == "int" and not _is_int(value):
            raise ValueError(f"{where}: expected an integer, got {value!r}")
        if not _is_number(value):
            raise ValueError(f"{where}: expected a finite number, got {value!r}")
        too_low = low is not None and (value < low if low_in else value <= low)
        too_high = high is not None and (value > high if high_in else value >= high)
        if too_low or too_high:
            lo = "(-inf" if low is None else ("[" if low_in else "(") + f"{low:g}"
            hi = "inf)" if high is None else f"{high:g}" + ("]" if high_in else ")")
            raise ValueError(f"{where}: must be in {lo}, {hi}, got {value!r}")


class _Strict(BaseModel):
    # strict: YAML's true is not 1, 16.7 is not 16, "0.1" is not a number; no inf or nan anywhere
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


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
        hidden = (self.model_extra or {}).get("hidden")
        if hidden is not None and not (isinstance(hidden, list) and hidden and all(_is_int(h) and h >= 1
                                                                                     for h in hidden)):
            raise ValueError(f"hidden: expected a list of integers >= 1 (the widths of the hidden layers, e.g. "
                             f"[16, 16]), got {hidden!r}")
        for i, layer in enumerate(self.layers or []):
            if not isinstance(layer, dict):
                raise ValueError(f"layers[{i}]: expected a mapping such as {{type: linear, out_features: 16}}, "
                                 f"got {layer!r}")
            if "type" not in layer:
                raise ValueError(f"layers[{i}] needs a 'type' (e.g. linear, relu, conv2d), got {layer}")
        return self

    @property
    def args(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class LossConfig(_Strict):
    name: Literal[LOSSES]  # type: ignore[valid-type]
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("options")
    @classmethod
    def _options(cls, options: dict[str, Any]) -> dict[str, Any]:
        check_options(options, LOSS_OPTIONS, "")
        return options


class OptimizerConfig(_Strict):
    name: Literal[OPTIMIZERS]  # type: ignore[valid-type]
    lr: float = Field(0.01, gt=0.0)
    weight_decay: float = Field(0.0, ge=0.0)
    momentum: float | None = Field(None, ge=0.0, lt=1.0)
    nesterov: bool | None = None
    betas: list[float] | None = Field(None, min_length=2, max_length=2)
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("betas")
    @classmethod
    def _betas(cls, betas: list[float] | None) -> list[float] | None:
        if betas is not None and not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"both betas must be in [0, 1), got {betas}")
        return betas

    @field_validator("options")
    @classmethod
    def _options(cls, options: dict[str, Any]) -> dict[str, Any]:
        check_options(options, OPTIMIZER_OPTIONS, "")
        return options


class ScheduleConfig(_Strict):
    name: Literal[SCHEDULES]  # type: ignore[valid-type]
    options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _ranges(self) -> ScheduleConfig:
        check_options(self.options, SCHEDULE_OPTIONS.get(self.name, {}), "options.")
        milestones = self.options.get("milestones")
        if milestones is not None:
            if not isinstance(milestones, list) or not all(_is_int(m) and m >= 1 for m in milestones):
                raise ValueError(f"options.milestones: expected a list of epoch numbers >= 1, got {milestones!r}")
            if milestones != sorted(set(milestones)):
                raise ValueError(f"options.milestones: must increase, got {milestones}")
        return self


class EarlyStoppingConfig(_Strict):
    monitor: str = "val_loss"
    patience: int = Field(10, ge=0)
    min_delta: float = Field(0.0, ge=0.0)


class TrainingConfig(_Strict):
    epochs: int = Field(20, ge=1)
    batch_size: int = Field(32, ge=1)
    early_stopping: EarlyStoppingConfig | None = None
    checkpoint: bool = True
    checkpoint_every: int = Field(1, ge=0)  # epochs between resumable checkpoints; 0: none
    l2: float = Field(0.0, ge=0.0)


class ReportConfig(_Strict):
    figures: list[Literal[FIGURES]] = Field(default_factory=lambda: list(FIGURES))  # type: ignore[valid-type]
    # TensorBoard event files in RUN_DIR/tensorboard/ (needs neurona[tensorboard]); batch_loss adds per-batch loss
    tensorboard: bool = False
    tensorboard_batch_loss: bool = False


class GANConfig(_Strict):
    """Options of GAN training (model.name gan or dcgan), as :func:`neurona.train.gan.train_gan` takes them."""

    label_smoothing: float = Field(0.0, ge=0.0, lt=0.5)  # one-sided: the real label is 1 - label_smoothing
    d_steps: int = Field(1, ge=1)  # discriminator steps per generator step (n_critic)
    n_samples: int = Field(64, ge=1, le=1024)  # size of the fixed noise batch drawn after each sampled epoch
    sample_every: int = Field(1, ge=1)  # keep the fixed-noise samples every this many epochs (and the last)


class RunConfig(_Strict):
    name: str = Field("run", pattern=r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*$", max_length=100)
    seed: int = Field(0, ge=0)
    data: DataConfig
    model: ModelConfig
    loss: LossConfig
    optimizer: OptimizerConfig
    schedule: ScheduleConfig | None = None
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    metrics: list[str] | None = None

    @field_validator("data", "model", "training", "report", mode="before")
    @classmethod
    def _section(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            raise ValueError(f"expected a section of fields (key: value lines), got {value!r}")
        return value
    report: ReportConfig = Field(default_factory=ReportConfig)
    gan: GANConfig | None = None  # GAN runs only

    @field_validator("loss", "optimizer", "schedule", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value


_TYPE_WORDS = {"int_type": "expected an integer", "int_from_float": "expected an integer",
               "float_type": "expected a number", "bool_type": "expected true or false",
               "string_type": "expected a string", "finite_number": "expected a finite number",
               "list_type": "expected a list", "dict_type": "expected a mapping of fields", "model_type": "expected a mapping of fields",
               "tuple_type": "expected a list", "int_parsing": "expected an integer", "float_parsing": "expected a number"}


def _sibling_keys(loc: tuple, root: type[BaseModel]) -> list[str]:
    """The field names a config section at ``loc[:-1]`` allows, found by walking ``root``'s pydantic models
    (nested sections, ``X | None``); empty where the path leaves the typed sections."""
    import typing

    model: Any = root
    for part in loc[:-1]:
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return []
        annotation = fields[part].annotation
        candidates = [a for a in (typing.get_args(annotation) or (annotation,)) if isinstance(a, type)
                      and issubclass(a, BaseModel)]
        if not candidates:
            return []
        model = candidates[0]
    return list(getattr(model, "model_fields", {}))


def _unknown_key(loc: tuple, root: type[BaseModel] | None) -> str:
    known = _sibling_keys(tuple(str(p) for p in loc), root or RunConfig)
    close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
    if close:
        return f"unknown key (did you mean {close[0]!r}?)"
    return f"unknown key; the keys here are {', '.join(known)}" if known else "unknown key (check the spelling)"


def _describe(error: dict, root: type[BaseModel] | None = None, prefix: tuple = ()) -> str:
    """One line naming the field by its dotted path and what was expected. ``root`` is the model that
    validated (default :class:`RunConfig`), for "did you mean" on unknown keys; ``prefix`` is the path of
    that model's section in the file (``("tune",)``)."""
    if prefix:
        message = _describe(error, root)
        return ".".join(map(str, prefix)) + ("." + message if error["loc"] else message.removeprefix("config"))
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
        return f"{path}: {_unknown_key(tuple(error['loc']), root)}"
    if kind == "missing":
        return f"{path}: required field is missing"
    if kind in _TYPE_WORDS:
        return f"{path}: {_TYPE_WORDS[kind]}, got {value!r}"
    if kind == "string_pattern_mismatch":
        return (f"{path}: {value!r} cannot name a run folder; use letters, digits, '-', '_' and '.', not starting "
                "with '.'")
    if kind in ("too_short", "too_long"):
        return f"{path}: expected {ctx.get('min_length', ctx.get('max_length'))} items, got {value!r}"
    message = error["msg"].removeprefix("Value error, ")
    head, sep, rest = message.partition(": ")
    if sep and head.replace(".", "").replace("_", "").replace("[", "").replace("]", "").isalnum() and " " not in head:
        return f"{path}.{head}: {rest}"  # a validator that named the field inside the section
    return f"{path}: {message}"


def validate_config(data: Any, source: str = "config") -> RunConfig:
    """A RunConfig from a dict, or ConfigError listing every invalid field by its path."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of fields (seed, data, model, ...), got {type(data).__name__}")
    from neurona.generative.kinds import with_implied_loss

    try:
        return RunConfig.model_validate(with_implied_loss(data))
    except ValidationError as e:
        problems = "\n  ".join(_describe(err) for err in e.errors())
        raise ConfigError(f"{source} is invalid:\n  {problems}") from None


def set_value(data: dict, dotted: str, value: str) -> None:
    """Apply a ``--set key.sub=value`` override (the value is parsed as YAML: numbers, lists, booleans)."""
    keys = dotted.split(".")
    if not all(keys):
        raise ConfigError(f"--set {dotted}={value}: {dotted!r} is not a field path such as optimizer.lr")
    node = data
    for key in keys[:-1]:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise ConfigError(f"--set {dotted}: {key!r} is not a section")
    try:
        node[keys[-1]] = yaml.load(value, Loader=_UniqueKeyLoader) if value.strip() else None
    except yaml.YAMLError as e:
        problem = str(e).splitlines()[0]
        raise ConfigError(f"--set {dotted}={value}: the value is not valid YAML ({problem}); quote strings, "
                          "write lists as [1, 2]") from None
    if node[keys[-1]] is None:
        raise ConfigError(f"--set {dotted}=: a value is needed after '='")


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (YAML would silently keep the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(None, None, f"unhashable key {key!r}",
                                                        key_node.start_mark) from None
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first at line {seen[key]}; YAML would silently keep "
                    "the last one)", key_node.start_mark)
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def read_config_text(path: Path) -> str:
    """The text of a config file, or a ConfigError naming the file and what is wrong with it."""
    if path.is_dir():
        raise ConfigError(f"{path} is a directory; give the path of a YAML config file (e.g. examples/iris.yaml)")
    if not path.is_file():
        raise FileNotFoundError(f"config file {path} does not exist")
    raw = path.read_bytes()
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ConfigError(f"{path} is UTF-16 text; save it as UTF-8")
    if b"\x00" in raw:
        raise ConfigError(f"{path} is a binary file (it holds NUL bytes), not a YAML config; give a text file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path} is not UTF-8 text: byte 0x{raw[e.start]:02x} at offset {e.start} cannot be "
                          "decoded; save the file as UTF-8") from None


def parse_config_text(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as e:
        raise ConfigError(f"{source} is not valid YAML: {e}") from None


def load_config(path: str | Path, overrides: list[str] | None = None) -> RunConfig:
    """Read, override and validate a YAML config file."""
    path = Path(path)
    data = parse_config_text(read_config_text(path), str(path))
    if data is None:
        raise ConfigError(f"{path} is empty; a config needs at least data, model, loss and optimizer")
    for item in overrides or []:
        if "=" not in item:
            raise ConfigError(f"--set expects key=value, got {item!r}")
        key, value = item.split("=", 1)
        if not isinstance(data, dict):
            break  # validate_config reports the file itself
        set_value(data, key.strip(), value)
    return validate_config(data, str(path))


def dump_config(config: RunConfig) -> str:
    return yaml.safe_dump(config.model_dump(mode="json", exclude_none=True), sort_keys=False)
