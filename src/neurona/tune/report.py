"""The study report: one self-contained HTML file (matplotlib figures embedded, written atomically).

Sections: the search (space, sampler, pruner, storage, how to open optuna-dashboard); the optimisation
history with the best value so far; parallel coordinates; parameter importances; slice plots; the trial
table with states, epochs and the epochs pruning saved; the best configuration; and the final model,
retrained on train + validation and evaluated once on the test split.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from neurona.report.figures import _new_figure
from neurona.report.html import HtmlReport
from neurona.tune.config import TuneConfig

_COLORS = {"COMPLETE": "#3465a4", "PRUNED": "#f0a020", "FAIL": "#cc0000"}


def best_so_far(values: list[float], direction: str) -> list[float]:
    """Running best of ``values`` (NaN for trials without a value)."""
    out, best = [], math.nan
    for v in values:
        if v is not None and not math.isnan(v):
            better = (v > best) if direction == "maximize" else (v < best)
            best = v if math.isnan(best) or better else best
        out.append(best)
    return out


def history_figure(study: Any, metric: str) -> Any:
    fig, (ax,) = _new_figure(1, panel_size=(7.0, 4.0))
    trials = [t for t in study.trials if t.state.name in _COLORS]
    for state, color in _COLORS.items():
        pts = [(t.number, t.value if t.value is not None else _last_report(t)) for t in trials if t.state.name == state]
        pts = [(n, v) for n, v in pts if v is not None]
        if pts:
            ax.scatter(*zip(*pts), s=18, color=color, label=state.lower())
    complete = [t for t in trials if t.state.name == "COMPLETE"]
    running = best_so_far([t.value for t in complete], study.direction.name.lower())
    ax.step([t.number for t in complete], running, where="post", color="#2e7d32", label="best so far")
    ax.set_xlabel("trial")
    ax.set_ylabel(metric)
    ax.legend(fontsize=8)
    ax.set_title("Optimisation history (pruned trials at their last reported value)")
    return fig


def _last_report(trial: Any) -> float | None:
    values = trial.intermediate_values
    return values[max(values)] if values else None


def _numeric(values: list[Any], dist: Any) -> tuple[np.ndarray, list[str] | None]:
    """Parameter values on a [0, 1] axis (log scale for log distributions; categories by index)."""
    import optuna.distributions as d

    if isinstance(dist, d.CategoricalDistribution):
        labels = [str(c) for c in dist.choices]
        idx = np.array([dist.choices.index(v) for v in values], dtype=float)
        return idx / max(len(labels) - 1, 1), labels
    x = np.array(values, dtype=float)
    low, high = float(dist.low), float(dist.high)
    if dist.log:
        x, low, high = np.log(x), math.log(low), math.log(high)
    return (x - low) / (high - low if high > low else 1.0), None


def parallel_coordinates(study: Any, metric: str) -> Any:
    import matplotlib as mpl

    complete = [t for t in study.trials if t.state.name == "COMPLETE"]
    names = sorted({p for t in complete for p in t.params})
    fig, (ax,) = _new_figure(1, panel_size=(max(6.0, 1.8 * (len(names) + 1)), 4.2))
    values = np.array([t.value for t in complete], dtype=float)
    norm = mpl.colors.Normalize(vmin=float(values.min()), vmax=float(values.max()) + 1e-12)
    cmap = mpl.colormaps["viridis"] if study.direction.name == "MAXIMIZE" else mpl.colormaps["viridis_r"]
    columns = []
    for n in names:
        dist = next(t.distributions[n] for t in complete if n in t.distributions)
        col, _ = _numeric([t.params.get(n, dist.choices[0] if hasattr(dist, "choices") else dist.low)
                           for t in complete], dist)
        columns.append(col)
    columns.append(norm(values))
    matrix = np.stack(columns, axis=1)
    for row, v in sorted(zip(matrix, values), key=lambda rv: rv[1] if study.direction.name == "MAXIMIZE" else -rv[1]):
        ax.plot(range(len(names) + 1), row, color=cmap(norm(v)), alpha=0.8, lw=1.2)
    ax.set_xticks(range(len(names) + 1), [*names, metric], rotation=15, fontsize=8)
    ax.set_yticks([0, 1], ["low", "high"])
    ax.set_title("Parallel coordinates (complete trials; brighter = better)")
    fig.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, label=metric)
    return fig


def importances(study: Any) -> dict[str, float]:
    """fANOVA importances of the parameters (empty when there are too few complete trials)."""
    import optuna

    complete = [t for t in study.trials if t.state.name == "COMPLETE"]
    if len(complete) < 3:
        return {}
    try:
        evaluator = optuna.importance.FanovaImportanceEvaluator(seed=0)
        return dict(optuna.importance.get_param_importances(study, evaluator=evaluator))
    except (RuntimeError, ValueError):  # e.g. every trial sampled the same value of a parameter
        return {}


def importance_figure(values: dict[str, float]) -> Any:
    fig, (ax,) = _new_figure(1, panel_size=(6.0, 0.5 + 0.45 * len(values)))
    names = list(values)[::-1]
    ax.barh(names, [values[n] for n in names], color="#3465a4")
    ax.set_xlabel("importance (fANOVA, sums to 1)")
    ax.set_title("Which parameters mattered")
    return fig


def slice_figure(study: Any, metric: str) -> Any:
    import optuna.distributions as d

    complete = [t for t in study.trials if t.state.name == "COMPLETE"]
    names = sorted({p for t in complete for p in t.params})
    fig, axes = _new_figure(len(names), 3, panel_size=(3.8, 3.0))
    for ax, n in zip(axes, names):
        pts = [(t.params[n], t.value, t.number) for t in complete if n in t.params]
        dist = next(t.distributions[n] for t in complete if n in t.distributions)
        xs = [str(p[0]) for p in pts] if isinstance(dist, d.CategoricalDistribution) else [p[0] for p in pts]
        ax.scatter(xs, [p[1] for p in pts], c=[p[2] for p in pts], cmap="Blues", edgecolors="#333", s=22)
        if not isinstance(dist, d.CategoricalDistribution) and dist.log:
            ax.set_xscale("log")
        ax.set_xlabel(n, fontsize=8)
        ax.set_ylabel(metric, fontsize=8)
        ax.tick_params(labelsize=7)
    fig.suptitle("Slice plots (darker = later trial)")
    return fig


def trial_rows(study: Any) -> list[dict[str, Any]]:
    rows = []
    for t in study.trials:
        budget, ran = t.user_attrs.get("epochs_budget"), t.user_attrs.get("epochs_run")
        saved = budget - ran if t.state.name == "PRUNED" and budget is not None and ran is not None else 0
        retry = t.system_attrs.get("failed_trial")
        rows.append({"trial": t.number, "state": t.state.name.lower() + (f" (retry of #{retry})" if retry is not None
                                                                          else ""),
                     "value": t.value if t.value is not None else "-", "epochs run": ran if ran is not None else "-",
                     "epochs saved": saved, **{k: v for k, v in t.params.items()},
                     "run folder": Path(t.user_attrs.get("run_dir", "-")).name})
    return rows


def write_study_report(study: Any, tc: TuneConfig, study_dir: Path, best_path: Path, final_dir: Path | None,
                       test_metrics: dict | None, storage: str, epochs_saved: int, elapsed: float) -> Path:
    """Write ``<study_dir>/report.html``; returns its path."""
    from neurona.config import dump_config

    metric = tc.tune.metric
    best = study.best_trial
    states = [t.state.name for t in study.trials]
    report = HtmlReport(f"neurona study: {study.study_name}",
                        f"{states.count('COMPLETE')} complete, {states.count('PRUNED')} pruned, "
                        f"{states.count('FAIL')} failed trials · {tc.tune.sampler} sampler · {tc.tune.pruner} pruner")
    report.section("The search")
    report.table([{"field": path, **entry.model_dump(by_alias=True, exclude_defaults=True)}
                  for path, entry in tc.search.items()], "Search space")
    report.table([{"metric": metric, "direction": study.direction.name.lower(), "sampler": tc.tune.sampler,
                   "pruner": tc.tune.pruner, "validation": f"{tc.tune.cv}-fold cross-validation" if tc.tune.cv
                   else f"hold-out ({tc.run.data.val:.0%} of the data)", "wall time (this call)": f"{elapsed:.1f} s"}])
    safe_url = storage.split("@")[-1] if "@" in storage else storage
    report.text(f"Storage: {safe_url}. Browse the same study live with optuna-dashboard: "
                f"pip install optuna-dashboard && optuna-dashboard {storage if '@' not in storage else '<the URL>'}")

    report.section("Optimisation history")
    report.figure(history_figure(study, metric), "Each trial's value and the best so far")
    if states.count("COMPLETE") >= 2:
        report.section("Parallel coordinates")
        report.figure(parallel_coordinates(study, metric), "Every complete trial across all parameters")
    imp = importances(study)
    report.section("Parameter importances")
    if imp:
        report.figure(importance_figure(imp), "fANOVA importance of each parameter")
        report.table([{"parameter": k, "importance": v} for k, v in imp.items()])
    else:
        report.text("Too few complete trials (or too little variation) to estimate importances.")
    if states.count("COMPLETE") >= 1:
        report.section("Slice plots")
        report.figure(slice_figure(study, metric), "The metric against each parameter")

    report.section("Trials")
    report.text(f"Pruning stopped {states.count('PRUNED')} trials early and saved {epochs_saved} epochs of training.")
    report.table(trial_rows(study), "Every trial (states: complete, pruned, fail, running, waiting)")

    report.section("Best configuration")
    report.note(f"Trial #{best.number}: {metric} = {best.value:.5g}. Saved as {best_path.name}; train it again "
                f"with: neurona train {best_path}")
    report.code(best_path.read_text())

    report.section("Final model: trained on train + validation, tested once")
    if test_metrics is None:
        report.text("Not retrained (tune.retrain: false): the test split was not used.")
    else:
        report.text("The chosen configuration is trained again on the training and validation rows together, for "
                    "the number of epochs its trial needed, and evaluated exactly once on the test split. That "
                    "number estimates how the tuned model does on new data; choosing by it would make it optimistic.")
        report.table({"test": test_metrics}, f"Test metrics of {final_dir.name if final_dir else 'the final run'}")
        if final_dir is not None:
            report.code(dump_config(_final_cfg(final_dir)))
    return report.write(study_dir / "report.html")


def _final_cfg(final_dir: Path) -> Any:
    import yaml

    from neurona.config import validate_config

    return validate_config(yaml.safe_load((final_dir / "config.yaml").read_text()))
