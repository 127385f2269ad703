"""`neurona compare`: two iris runs that differ in optimizer.lr on one HTML page."""

import json
import re

import pytest
import yaml
from typer.testing import CliRunner

from neurona.cli import app
from neurona.report.compare import compare_runs, config_table, flatten, load_run, quantities

RUN = {"name": "cmp", "seed": 0, "data": {"dataset": "iris", "val": 0.3, "test": 0.2},
       "model": {"name": "mlp", "hidden": [16]}, "loss": "cross_entropy", "metrics": ["accuracy"],
       "optimizer": {"name": "adam", "lr": 0.01}, "report": {"figures": ["learning_curves"]},
       "training": {"epochs": 3, "batch_size": 16}}


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("compare")
    dirs = []
    for i, lr in enumerate((0.01, 0.1)):
        config = base / f"run{i}.yaml"
        config.write_text(yaml.safe_dump({**RUN, "name": f"lr{i}", "optimizer": {"name": "adam", "lr": lr}}))
        result = CliRunner().invoke(app, ["train", str(config), "--out", str(base / "runs"), "-v", "0"])
        assert result.exit_code == 0, result.output
        dirs.append(next((base / "runs").glob(f"lr{i}-*")))
    return base, dirs


def test_compare_page_overlays_curves_marks_lr_and_lists_both_metrics(two_runs):
    base, dirs = two_runs
    out = base / "cmp.html"
    result = CliRunner().invoke(app, ["compare", *map(str, dirs), "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    runs = [load_run(d) for d in dirs]
    qs = quantities(runs)
    assert qs[:2] == ["loss", "val_loss"] and qs.index("val_accuracy") == qs.index("accuracy") + 1
    # one overlay figure per quantity, captioned with its name
    captions = re.findall(r"<figcaption>([^<]*): one line per run</figcaption>", page)
    assert captions == qs
    assert page.count('<img alt="') == len(qs)
    # the differing key is marked, an equal one is not
    lr_row = re.search(r'<tr([^>]*) data-key="optimizer.lr">(.*?)</tr>', page)
    assert lr_row and "differs" in lr_row.group(1) and "0.01" in lr_row.group(2) and "0.1" in lr_row.group(2)
    seed_row = re.search(r'<tr([^>]*) data-key="seed">', page)
    assert seed_row and "differs" not in seed_row.group(1)
    assert 'data-key="name"' in page and re.search(r'<tr[^>]*differs[^>]*data-key="name"', page)
    # both runs' final metrics, with their own values
    for d in dirs:
        assert d.name in page
        acc = json.loads((d / "metrics.json").read_text())["test"]["accuracy"]
        assert f"{acc:.4g}" in page
    assert "test.accuracy" in page


def test_config_table_flattens_and_finds_differences():
    assert flatten({"a": {"b": 1, "c": {"d": [1, 2]}}, "e": None}) == {"a.b": 1, "a.c.d": [1, 2], "e": None}

    class R:
        def __init__(self, config):
            self.config = config

    keys, values, differ = config_table([R({"optimizer": {"lr": 0.1, "name": "sgd"}, "x": [1]}),
                                         R({"optimizer": {"lr": 0.2, "name": "sgd"}})])
    assert keys == ["optimizer.lr", "optimizer.name", "x"]
    assert differ == {"optimizer.lr", "x"}
    assert values["x"] == [[1], "—"]


def test_compare_names_a_folder_that_is_not_a_run(two_runs, tmp_path):
    _, dirs = two_runs
    empty = tmp_path / "not_a_run"
    empty.mkdir()
    result = CliRunner().invoke(app, ["compare", str(dirs[0]), str(empty), "--out", str(tmp_path / "x.html")])
    assert result.exit_code == 2
    assert "not_a_run" in result.output and "config.yaml" in result.output
    assert not (tmp_path / "x.html").exists()
    (empty / "config.yaml").write_text("name: x\n")
    with pytest.raises(FileNotFoundError, match=r"not_a_run.*no history\.csv"):
        compare_runs([dirs[0], empty], tmp_path / "y.html")
    with pytest.raises(FileNotFoundError, match="missing_dir"):
        load_run(tmp_path / "missing_dir")
