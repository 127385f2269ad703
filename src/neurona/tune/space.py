"""From ``search:`` entries to Optuna distributions and back: what a trial samples, and the values it runs with.

Optuna's categorical values must be scalars (None, bool, int, float, str); a choice between lists such as
``model.hidden: {choice: [[64], [128, 64]]}`` is offered to Optuna as the JSON strings ``"[64]"`` and
``"[128, 64]"`` and decoded back before the value reaches the run config.
"""

from __future__ import annotations

import json
from typing import Any

from neurona.tune.config import SearchEntry

_SCALARS = (type(None), bool, int, float, str)


def _encoded(entry: SearchEntry) -> bool:
    return entry.kind == "choice" and not all(isinstance(c, _SCALARS) for c in entry.choice)


def distribution(entry: SearchEntry) -> Any:
    """The Optuna distribution of one search entry."""
    import optuna.distributions as d

    kind = entry.kind
    if kind == "choice":
        return d.CategoricalDistribution([json.dumps(c) for c in entry.choice] if _encoded(entry) else entry.choice)
    low, high = entry.range_of(kind)
    if kind == "int":
        return d.IntDistribution(int(low), int(high), log=entry.log, step=int(entry.step or 1))
    return d.FloatDistribution(float(low), float(high), log=kind == "loguniform" or entry.log, step=entry.step)


def distributions(search: dict[str, SearchEntry]) -> dict[str, Any]:
    return {path: distribution(entry) for path, entry in search.items()}


def decode(search: dict[str, SearchEntry], params: dict[str, Any]) -> dict[str, Any]:
    """Trial parameters (as Optuna stores them) to the values the run config gets."""
    return {path: json.loads(value) if path in search and _encoded(search[path]) else value
            for path, value in params.items()}


def suggest(trial: Any, search: dict[str, SearchEntry]) -> dict[str, Any]:
    """Sample every searched field for ``trial``; returns {dotted path: value for the config}."""
    import optuna.distributions as d

    raw = {}
    for path, dist in distributions(search).items():
        if isinstance(dist, d.CategoricalDistribution):
            raw[path] = trial.suggest_categorical(path, dist.choices)
        elif isinstance(dist, d.IntDistribution):
            raw[path] = trial.suggest_int(path, dist.low, dist.high, step=dist.step, log=dist.log)
        else:
            raw[path] = trial.suggest_float(path, dist.low, dist.high, step=dist.step, log=dist.log)
    return decode(search, raw)


def grid_space(search: dict[str, SearchEntry]) -> dict[str, list[Any]]:
    """The search space of Optuna's GridSampler: every value of every entry (choices and linear int ranges)."""
    space = {}
    for path, entry in search.items():
        dist = distribution(entry)
        if entry.kind == "choice":
            space[path] = list(dist.choices)
        else:
            space[path] = list(range(dist.low, dist.high + 1, dist.step))
    return space
