"""Compare runs: one self-contained HTML page with the learning curves of several run folders overlaid
(a panel per quantity, a line per run), their configs side by side with the differing keys marked, and
their final metrics side by side. ``neurona compare RUN_DIR RUN_DIR ...`` writes it."""

from __future__ import annotations

import csv
import html
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from neurona.report.html import HtmlReport

_MISSING = "—"


@dataclass
class RunData:
    """What the comparison reads from one run folder."""

    name: str
    path: Path
    config: dict[str, Any]
    history: dict[str, list[float]]
    epochs: list[int]
    metrics: dict[str, Any]


def _not_a_run(path: Path, why: str) -> FileNotFoundError:
    return FileNotFoundError(f"compare: {path} is not a run folder ({why}); run folders are made by "
                             f"`neurona train` and hold config.yaml and history.csv")


def load_run(path: str | Path) -> RunData:
    """Read config.yaml, history.csv and (when present) metrics.json of a run folder.

    Raises
    ------
    FileNotFoundError
        Naming the path, when it is not a folder or lacks config.yaml or history.csv.
    """
    path = Path(path)
    if not path.is_dir():
        raise _not_a_run(path, "no such folder")
    for needed in ("config.yaml", "history.csv"):
        if not (path / needed).is_file():
            raise _not_a_run(path, f"no {needed}")
    try:
        config = yaml.safe_load((path / "config.yaml").read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"compare: {path / 'config.yaml'} is not valid YAML: {exc}") from exc
    if not isinstance(config, dict):
        raise ValueError(f"compare: {path / 'config.yaml'} should hold a mapping of fields, got {type(config).__name__}")
    history: dict[str, list[float]] = {}
    epochs: list[int] = []
    with open(path / "history.csv", newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or "epoch" not in reader.fieldnames:
            raise ValueError(f"compare: {path / 'history.csv'} has no 'epoch' column")
        keys = [k for k in reader.fieldnames if k != "epoch"]
        for row_no, row in enumerate(reader, start=2):
            try:
                epochs.append(int(row["epoch"]))
                for k in keys:
                    history.setdefault(k, []).append(float(row[k]) if row[k] not in ("", None) else math.nan)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"compare: {path / 'history.csv'} line {row_no}: not a number ({exc})") from exc
    metrics: dict[str, Any] = {}
    if (path / "metrics.json").is_file():
        try:
            metrics = json.loads((path / "metrics.json").read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"compare: {path / 'metrics.json'} is not valid JSON: {exc}") from exc
    return RunData(path.resolve().name, path, config, history, epochs, metrics if isinstance(metrics, dict) else {})


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts to dotted keys: ``{"optimizer": {"lr": 0.1}}`` -> ``{"optimizer.lr": 0.1}``.

    Lists are kept as values (shown as written), so ``model.hidden: [64, 64]`` is one key.
    """
    if not isinstance(data, dict):
        return {prefix: data} if prefix else {}
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and value:
            out.update(flatten(value, name))
        else:
            out[name] = value
    return out


def config_table(runs: list[RunData]) -> tuple[list[str], dict[str, list[Any]], set[str]]:
    """Union of dotted config keys, each run's value (``—`` where absent), and the keys whose values differ."""
    flat = [flatten(r.config) for r in runs]
    keys = sorted(set().union(*flat))
    values = {k: [f.get(k, _MISSING) for f in flat] for k in keys}
    differ = {k for k, vs in values.items() if any(json.dumps(v, sort_keys=True, default=str) !=
                                                    json.dumps(vs[0], sort_keys=True, default=str) for v in vs)}
    return keys, values, differ


def _unique_names(runs: list[RunData]) -> list[str]:
    names, seen = [], {}
    for r in runs:
        seen[r.name] = seen.get(r.name, 0) + 1
        names.append(r.name if seen[r.name] == 1 else f"{r.name} ({seen[r.name]})")
    return names


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list | dict):
        return json.dumps(value, default=str)
    return str(value)


def _config_html(runs: list[RunData], names: list[str]) -> str:
    keys, values, differ = config_table(runs)
    head = "<th>key</th>" + "".join(f"<th>{html.escape(n)}</th>" for n in names)
    rows = []
    for k in keys:
        mark = k in differ
        style = ' class="differs" style="background:#fff0c0;font-weight:bold"' if mark else ""
        label = html.escape(k) + (" ≠" if mark else "")
        cells = "".join(f"<td>{html.escape(_cell(v))}</td>" for v in values[k])
        rows.append(f'<tr{style} data-key="{html.escape(k)}"><td>{label}</td>{cells}</tr>')
    return (f"<table class=\"config-diff\"><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def quantities(runs: list[RunData]) -> list[str]:
    """The quantities to overlay: loss, val_loss, each metric followed by its val_ twin, lr last."""
    seen = list(dict.fromkeys(k for r in runs for k in r.history))
    first = [q for q in ("loss", "val_loss") if q in seen]
    rest = sorted((q for q in seen if q not in first), key=lambda q: (q == "lr", q.removeprefix("val_"), q))
    return first + rest


def compare_runs(run_dirs: list[str | Path], out: str | Path) -> Path:
    """Write the comparison page of ``run_dirs`` to ``out`` (atomically) and return its path.

    Raises
    ------
    ValueError
        Fewer than one run, or a file in a run folder that cannot be read.
    FileNotFoundError
        A path that is not a run folder (named in the message).
    """
    if not run_dirs:
        raise ValueError("compare: give at least one RUN_DIR (two or more to compare)")
    runs = [load_run(p) for p in run_dirs]  # every folder checked before any work
    from neurona.report.figures import line_figure

    names = _unique_names(runs)
    report = HtmlReport("Run comparison", ", ".join(names))
    report.section("Runs").table([{"run": n, "folder": str(r.path), "epochs": len(r.epochs)}
                                  for n, r in zip(names, runs, strict=True)])
    report.section("Learning curves")
    for q in quantities(runs):
        series = {n: ([float(e) for e in r.epochs[: len(r.history[q])]], r.history[q])
                  for n, r in zip(names, runs, strict=True) if r.history.get(q)}
        fig = line_figure(series, "epoch", q, title=q)
        report.figure(fig, f"{q}: one line per run")
    report.section("Configs")
    differ = config_table(runs)[2]
    report.text(f"{len(differ)} key(s) differ between the runs (highlighted, marked ≠): "
                + (", ".join(sorted(differ)) if differ else "none") + ".")
    report.html(_config_html(runs, names))
    report.section("Final metrics")
    flat_metrics = [flatten(r.metrics) for r in runs]
    mkeys = list(dict.fromkeys(k for f in flat_metrics for k in f))
    if mkeys:
        report.table({k: {n: f.get(k, _MISSING) for n, f in zip(names, flat_metrics, strict=True)} for k in mkeys},
                     caption="metrics.json of each run")
    else:
        report.text("No run has a metrics.json (runs that did not finish).")
    return report.write(out)
