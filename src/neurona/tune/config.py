"""The ``search:`` and ``tune:`` sections of a config, validated before any trial starts.

    search:
      optimizer.lr: {loguniform: [1.0e-4, 1.0e-1]}
      model.hidden: {choice: [[64], [128], [128, 64]]}
      model.dropout: {uniform: [0.0, 0.5]}
      training.batch_size: {int: [16, 128], log: true}
    tune: {sampler: tpe, pruner: median, metric: val_accuracy, trials: 30}

Everything else in the file is an ordinary run config and goes to :func:`neurona.config.validate_config`.
Each search entry is also checked against that schema at both ends of its range (and at every choice), so
``optimizer.lr: {uniform: [-1, 1]}`` fails here, naming ``search.optimizer.lr``, not in trial 7.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from neurona.config import RunConfig, _describe, set_value, validate_config
from neurona.errors import ConfigError

SAMPLERS = ("tpe", "random", "grid", "cmaes", "qmc")
PRUNERS = ("median", "hyperband", "successive_halving", "none")
KINDS = ("loguniform", "uniform", "int", "choice")


class SearchEntry(BaseModel):
    """One searched field: exactly one of ``loguniform``, ``uniform``, ``int`` (each ``[low, high]``) or
    ``choice`` (a list of values), with optional ``log`` and ``step``."""

    model_config = ConfigDict(extra="forbid")
    loguniform: tuple[float, float] | None = None
    uniform: tuple[float, float] | None = None
    int_: tuple[int, int] | None = Field(None, alias="int")
    choice: list[Any] | None = None
    log: bool = False
    step: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _one_kind(self) -> SearchEntry:
        given = [k for k in KINDS if self.range_of(k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(KINDS)} (e.g. {{loguniform: [1.0e-4, 1.0e-1]}}), "
                             f"got {given or 'none'}")
        kind = given[0]
        if kind == "choice":
            if not self.choice:
                raise ValueError("choice needs a non-empty list of values")
            if self.log or self.step is not None:
                raise ValueError("log and step apply to ranges, not to choice")
            return self
        low, high = self.range_of(kind)
        if not low < high:
            raise ValueError(f"{kind}: low must be below high, got [{low}, {high}]")
        if (kind == "loguniform" or self.log) and low <= 0:
            raise ValueError(f"{kind}: a log scale needs low > 0, got {low}")
        if self.log and self.step is not None:
            raise ValueError("step and log cannot be combined (Optuna samples either on a grid or on a log scale)")
        if kind == "int" and self.step is not None and self.step != int(self.step):
            raise ValueError(f"int: step must be a whole number, got {self.step}")
        return self

    def range_of(self, kind: str) -> Any:
        return self.int_ if kind == "int" else getattr(self, kind)

    @property
    def kind(self) -> str:
        return next(k for k in KINDS if self.range_of(k) is not None)

    def probe_values(self) -> list[Any]:
        """The values that must all give a valid run config: both ends of a range, every choice."""
        return list(self.choice) if self.kind == "choice" else list(self.range_of(self.kind))


class TuneSection(BaseModel):
    """How to search: sampler, pruner, the metric and its direction, the budget, and cross-validation."""

    model_config = ConfigDict(extra="forbid")

    sampler: Literal[SAMPLERS] = "tpe"  # type: ignore[valid-type]
    pruner: Literal[PRUNERS] = "median"  # type: ignore[valid-type]
    pruner_options: dict[str, Any] = Field(default_factory=dict)
    metric: str = "val_loss"
    direction: Literal["minimize", "maximize", "auto"] = "auto"
    trials: int = Field(20, ge=1)
    timeout: float | None = Field(None, gt=0)
    cv: int | None = Field(None, ge=2, le=20)
    seed: int | None = Field(None, ge=0)
    retrain: bool = True

    @field_validator("metric")
    @classmethod
    def _validation_metric(cls, metric: str) -> str:
        if not metric.startswith("val_"):
            raise ValueError(f"must be a validation quantity such as val_loss or val_accuracy, got {metric!r}: "
                             "trials are judged on validation data, never on the test split")
        return metric

    @property
    def resolved_direction(self) -> str:
        if self.direction != "auto":
            return self.direction
        from neurona.train.callbacks.base import monitor_mode

        return "maximize" if monitor_mode(self.metric, "auto") == "max" else "minimize"


class TuneConfig:
    """A validated tuning config: the base run (a plain dict and its RunConfig), the search and the tune options."""

    def __init__(self, base: dict[str, Any], search: dict[str, SearchEntry], tune: TuneSection) -> None:
        self.base, self.search, self.tune = base, search, tune
        self.run = validate_config(copy.deepcopy(base))

    @property
    def name(self) -> str:
        return self.run.name

    def config_for(self, params: dict[str, Any]) -> RunConfig:
        """The run config of one trial: the base with every searched field set to its sampled value."""
        return validate_config(apply_params(self.base, params), "trial config")

    def to_dict(self) -> dict[str, Any]:
        return {**copy.deepcopy(self.base),
                "search": {k: v.model_dump(by_alias=True, exclude_defaults=True) for k, v in self.search.items()},
                "tune": self.tune.model_dump(exclude_defaults=True)}


def apply_params(base: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``base`` with each dotted path in ``params`` set to its value."""
    data = copy.deepcopy(base)
    for path, value in params.items():
        node = data
        keys = path.split(".")
        for key in keys[:-1]:
            if isinstance(node.get(key), str):  # shorthand `loss: cross_entropy` becomes {name: ...}
                node[key] = {"name": node[key]}
            node = node.setdefault(key, {})
        node[keys[-1]] = copy.deepcopy(value)
    return data


def _entry_errors(path: str, raw: Any) -> tuple[SearchEntry | None, list[str]]:
    where = f"search.{path}"
    if not isinstance(raw, dict):
        return None, [f"{where}: expected a distribution such as {{loguniform: [1.0e-4, 1.0e-1]}}, "
                      f"{{uniform: [0, 0.5]}}, {{int: [16, 128]}} or {{choice: [...]}}, got {raw!r}"]
    try:
        return SearchEntry.model_validate(raw), []
    except ValidationError as e:
        return None, [_describe(err, SearchEntry, (where,)) for err in e.errors()]


def _probe(base: dict[str, Any], path: str, entry: SearchEntry) -> list[str]:
    """Check that the searched field exists and that every end of the range gives a valid run config."""
    problems = []
    for value in entry.probe_values():
        value = int(value) if entry.kind == "int" else value
        try:
            validate_config(apply_params(base, {path: value}), "config")
        except ConfigError as e:
            lines = [line.strip() for line in str(e).splitlines()[1:] if line.strip().startswith(path)]
            detail = "; ".join(lines) or str(e).splitlines()[-1].strip()
            problems.append(f"search.{path}: the value {json.dumps(value)} does not give a valid config ({detail})")
            break
    return problems


def validate_tune_config(data: Any, source: str = "config") -> TuneConfig:
    """A TuneConfig from a dict, or ConfigError listing every invalid field by its path."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of fields (data, model, search, tune, ...), "
                          f"got {type(data).__name__}")
    data = copy.deepcopy(data)
    raw_search, raw_tune = data.pop("search", None), data.pop("tune", None) or {}
    validate_config(copy.deepcopy(data), source)  # the run part on its own; raises with paths
    problems: list[str] = []
    if not isinstance(raw_search, dict) or not raw_search:
        problems.append("search: required section is missing or empty; map field paths to distributions, "
                        "e.g. search: {optimizer.lr: {loguniform: [1.0e-4, 1.0e-1]}}")
        raw_search = {}
    search: dict[str, SearchEntry] = {}
    for path, raw in raw_search.items():
        entry, errors = _entry_errors(str(path), raw)
        problems += errors
        if entry is not None:
            errors = _probe(data, str(path), entry)
            problems += errors
            if not errors:
                search[str(path)] = entry
    tune = None
    if not isinstance(raw_tune, dict):
        problems.append(f"tune: expected a mapping (sampler, pruner, metric, trials, ...), got {raw_tune!r}")
    else:
        try:
            tune = TuneSection.model_validate(raw_tune)
        except ValidationError as e:
            problems += [_describe(err, TuneSection, ("tune",)) for err in e.errors()]
    if tune is not None and tune.sampler == "grid":
        for path, entry in search.items():
            if entry.kind not in ("choice", "int") or entry.log:
                problems.append(f"search.{path}: the grid sampler needs a finite list of values; write it as "
                                "{choice: [...]} (or a linear int range)")
    if not problems:
        problems += _generative_problems(data, tune)
    if problems:
        raise ConfigError(f"{source} is invalid:\n  " + "\n  ".join(problems))
    return TuneConfig(data, search, tune)


def _generative_problems(data: dict, tune: Any) -> list[str]:
    """What a generative run cannot tune: a GAN has no validation loss to minimise (its two losses pull
    against each other); autoencoders tune on a holdout split, not folds."""
    from neurona.generative.kinds import KINDS

    model = data.get("model") if isinstance(data.get("model"), dict) else {}
    kind = KINDS.get(model["name"]) if isinstance(model.get("name"), str) and "layers" not in model else None
    if kind == "gan":
        return ["model.name: a GAN cannot be tuned by neurona tune: its D and G losses pull against each other, so "
                "no validation number says which trial is better; train GAN configs with neurona train"]
    if kind is not None and tune is not None and tune.cv:
        return [f"tune.cv: {model.get('name')} is tuned on a holdout split; remove cv and keep data.val > 0"]
    return []


def load_tune_config(path: str | Path, overrides: list[str] | None = None) -> TuneConfig:
    """Read a YAML config with ``search:`` and ``tune:`` sections, apply ``--set`` overrides, validate."""
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
    return validate_tune_config(data, str(path))
