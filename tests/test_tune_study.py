"""`neurona tune` end to end on the embedded SQLite storage: trials as run folders, local workers, continuing
a study, seeded samplers, pruning, cross-validation, the test-once protocol and the study report."""

import copy
import io
import json
import os
from html.parser import HTMLParser

import pytest
from rich.console import Console
from typer.testing import CliRunner

optuna = pytest.importorskip("optuna")

from neurona.cli import app  # noqa: E402
from neurona.config import load_config  # noqa: E402
from neurona.datasets.base import Split  # noqa: E402
from neurona.errors import ConfigError  # noqa: E402
from neurona.tune import tune, validate_tune_config  # noqa: E402

BASE = {"name": "iris-tune", "seed": 0, "data": {"dataset": "iris", "val": 0.25, "test": 0.2},
        "model": {"name": "mlp", "hidden": [8]}, "loss": "cross_entropy", "optimizer": {"name": "sgd", "lr": 0.1},
        "training": {"epochs": 8, "batch_size": 16}, "report": {"figures": ["learning_curves"]},
        "search": {"optimizer.lr": {"loguniform": [1.0e-4, 1.0]}, "model.hidden": {"choice": [[8], [16, 8]]}},
        "tune": {"sampler": "random", "pruner": "median", "metric": "val_accuracy", "trials": 6,
                 "pruner_options": {"n_startup_trials": 2, "n_warmup_steps": 1}}}


def make(tune_options=None, **changes):
    data = copy.deepcopy(BASE)
    data["tune"].update(tune_options or {})
    data.update(changes)
    return validate_tune_config(data)


def quiet():
    return Console(file=io.StringIO(), width=150)


def study_of(result):
    return optuna.load_study(study_name=result.study_name, storage=result.storage)


def finished(study):
    return [t for t in study.trials if t.state.name in ("COMPLETE", "PRUNED")]


class _Headings(HTMLParser):
    def __init__(self):
        super().__init__()
        self.headings, self.images, self._in = [], 0, False

    def handle_starttag(self, tag, attrs):
        self._in = tag == "h2"
        self.images += tag == "img" and dict(attrs).get("src", "").startswith("data:image/png;base64,")

    def handle_data(self, data):
        if self._in:
            self.headings.append(data)
            self._in = False


def test_trials_are_runs_the_test_split_is_read_once_and_the_report_is_complete(tmp_path, monkeypatch):
    reads = []
    original = Split.test
    monkeypatch.setattr(Split, "test", property(lambda self: reads.append(len(self.X_test)) or original.fget(self)))
    result = tune(make({"trials": 8, "pruner_options": {"n_startup_trials": 4}}), out=tmp_path, console=quiet(),
                  live=False)
    assert len(reads) == 1 and reads[0] > 0  # the final evaluation, and nothing else, looked at the test rows

    study = study_of(result)
    assert len(finished(study)) == 8 and {t.state.name for t in study.trials} == {"COMPLETE", "PRUNED"}
    for t in study.trials:
        folder = tmp_path / "iris-tune" / f"trial-{t.number:03d}"
        status = json.loads((folder / "status.json").read_text())
        assert status["status"] == t.state.name.lower().replace("complete", "completed")
        assert (folder / "config.yaml").is_file() and (folder / "history.csv").is_file()
        if t.state.name == "COMPLETE":
            metrics = json.loads((folder / "metrics.json").read_text())
            assert "test" not in metrics and metrics["val"]["accuracy"] == pytest.approx(t.value)
            assert (folder / "report.html").is_file() and (folder / "model.safetensors").is_file()
        else:
            assert "pruned after epoch" in status["reason"] and not (folder / "report.html").exists()

    best = load_config(result.best_config)  # what `neurona train best.yaml` reads
    assert best.optimizer.lr == pytest.approx(study.best_params["optimizer.lr"])
    assert best.model.args["hidden"] == json.loads(study.best_params["model.hidden"])
    final = json.loads((result.final_run / "metrics.json").read_text())
    assert final["test"] == result.test_metrics and "val" not in final
    assert load_config(result.final_run / "config.yaml").data.val == 0.0  # retrained on train + validation

    parser = _Headings()
    text = result.report.read_text()
    parser.feed(text)
    for heading in ("The search", "Optimisation history", "Parallel coordinates", "Parameter importances",
                    "Slice plots", "Trials", "Best configuration", "Final model: trained on train + validation, tested once"):
        assert heading in parser.headings
    assert parser.images >= 4 and "optuna-dashboard sqlite:///" in text and "saved" in text
    assert not list((tmp_path / "iris-tune").glob(".*.tmp"))  # atomic writes leave no temporary files


def test_pruning_spends_fewer_epochs_than_no_pruning_on_the_same_seeded_trials(tmp_path):
    runs = {}
    for pruner in ("median", "none"):
        result = tune(make({"pruner": pruner, "trials": 8, "retrain": False}), out=tmp_path / pruner,
                      console=quiet(), live=False)
        runs[pruner] = sorted(study_of(result).trials, key=lambda t: t.number)
    assert [t.params for t in runs["median"]] == [t.params for t in runs["none"]]  # the same trials
    epochs = {p: sum(t.user_attrs["epochs_run"] for t in trials) for p, trials in runs.items()}
    assert any(t.state.name == "PRUNED" for t in runs["median"])
    assert epochs["median"] < epochs["none"] == 8 * 8


@pytest.mark.parametrize("sampler", ["tpe", "random"])
def test_a_seeded_sampler_repeats_its_trials(tmp_path, sampler):
    seen = []
    for attempt in ("a", "b"):
        result = tune(make({"sampler": sampler, "trials": 4, "retrain": False, "pruner": "none"}),
                      out=tmp_path / attempt, console=quiet(), live=False)
        seen.append([(t.params, t.value) for t in study_of(result).trials])
    assert seen[0] == seen[1]


def test_two_local_workers_share_the_embedded_study_and_running_again_continues_it(tmp_path):
    result = tune(make({"trials": 6, "retrain": False}), out=tmp_path, workers=2, console=quiet(), live=False)
    study = study_of(result)
    assert len(finished(study)) == 6 and len(study.trials) == 6
    assert len({t.user_attrs["worker_pid"] for t in study.trials}) == 2
    threads = max(1, (os.cpu_count() or 1) // 2)
    assert all(t.user_attrs["blas_threads"] == threads for t in study.trials)

    again = tune(make({"trials": 3, "retrain": False}), out=tmp_path, console=quiet(), live=False)
    study = study_of(again)
    assert len(finished(study)) == 9 and sorted(t.number for t in study.trials) == list(range(9))
    assert len({json.dumps(t.params, sort_keys=True) for t in study.trials}) == 9  # new points, not a replay
    assert sorted(p.name for p in (tmp_path / "iris-tune").glob("trial-*")) == [f"trial-{i:03d}" for i in range(9)]


def test_continuing_with_the_other_direction_is_refused(tmp_path):
    tune(make({"trials": 1, "retrain": False, "pruner": "none"}), out=tmp_path, console=quiet(), live=False)
    with pytest.raises(ConfigError, match="tune.direction: study 'iris-tune' already exists"):
        tune(make({"trials": 1, "metric": "val_loss"}), out=tmp_path, console=quiet(), live=False)


def test_cross_validated_objective(tmp_path):
    result = tune(make({"cv": 3, "trials": 2, "pruner": "none"}), out=tmp_path, console=quiet(), live=False)
    study = study_of(result)
    for t in study.trials:
        metrics = json.loads((tmp_path / "iris-tune" / f"trial-{t.number:03d}" / "metrics.json").read_text())
        assert len(metrics["folds"]) == 3 and metrics["mean"] == pytest.approx(t.value)
        assert t.user_attrs["epochs_run"] == 3 * 8
    assert result.test_metrics["accuracy"] > 0.5


def test_grid_sampler_stops_when_the_grid_is_done(tmp_path):
    data = copy.deepcopy(BASE)
    data["search"] = {"model.hidden": {"choice": [[4], [8]]}, "training.batch_size": {"choice": [16, 32]}}
    data["tune"].update({"sampler": "grid", "trials": 10, "retrain": False, "pruner": "none"})
    result = tune(validate_tune_config(data), out=tmp_path, console=quiet(), live=False)
    assert sorted(json.dumps(t.params, sort_keys=True) for t in study_of(result).trials) == sorted(
        json.dumps({"model.hidden": h, "training.batch_size": b}, sort_keys=True)
        for h in ("[4]", "[8]") for b in (16, 32))


def test_cli_tune_runs_and_rejects_bad_search_entries_with_their_path(tmp_path):
    import yaml

    good = copy.deepcopy(BASE)
    good["tune"].update({"trials": 2, "retrain": True})
    path = tmp_path / "tune.yaml"
    path.write_text(yaml.safe_dump(good))
    result = CliRunner().invoke(app, ["tune", str(path), "--out", str(tmp_path / "runs"), "--study", "s1"])
    assert result.exit_code == 0, result.output
    assert "test (evaluated once)" in result.output and (tmp_path / "runs" / "s1" / "report.html").is_file()
    good["search"]["optimizer.lr"] = {"uniform": [-1.0, 1.0]}
    path.write_text(yaml.safe_dump(good))
    result = CliRunner().invoke(app, ["tune", str(path), "--out", str(tmp_path / "runs")])
    assert result.exit_code == 2 and "search.optimizer.lr" in result.output
