"""The `neurona` command: every subcommand's happy path (quick mode) and its main error paths, with exit
codes and messages; every example config runs; Ctrl-C leaves an honest status and no report."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from neurona.cli import app

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
runner = CliRunner()


def invoke(*args):
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout + (result.stderr if result.stderr_bytes is not None else "")


def _write(tmp_path, data, name="c.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data) if isinstance(data, dict) else data)
    return path


def _iris(**changes):
    data = yaml.safe_load((ROOT / "examples" / "iris.yaml").read_text())
    for key, value in changes.items():
        section, _, field = key.partition("__")
        if field:
            data[section][field] = value
        else:
            data[section] = value
    return data


def test_version_and_help():
    code, out = invoke("--version")
    assert code == 0 and out.startswith("neurona ")
    code, out = invoke("--help")
    assert code == 0 and all(cmd in out for cmd in ("lab", "train", "evaluate", "predict", "summary", "datasets"))


def test_datasets_lists_names_and_provenance():
    code, out = invoke("datasets", "--json")
    assert code == 0
    names = {row["name"] for row in json.loads(out)}
    assert {"iris", "digits", "wine", "breast_cancer", "diabetes", "boston_housing", "spiral"} <= names


def test_datasets_table_keeps_whole_names_and_shows_licences_notes_and_targets(monkeypatch):
    from rich.console import Console

    from neurona import cli
    from neurona.datasets import describe_all

    for width in (80, 100):
        monkeypatch.setattr(cli, "console", Console(width=width, record=True, file=open(os.devnull, "w")))
        code, _ = invoke("datasets")
        assert code == 0
        table, cells = {}, []
        for line in cli.console.export_text().splitlines():  # each table row's cells, their lines joined
            if line.startswith("│"):
                parts = [part.strip() for part in line.split("│")[1:-1]]
                cells = [(old + " " + part).strip() for old, part in zip(cells or [""] * len(parts), parts)]
            elif cells:
                table[cells[0]], cells = cells[1:], []
        rows = describe_all()
        assert [r["name"] for r in rows] == list(table)  # whole names, none cut ("breast_can...")
        def bare(text):  # a long word may be folded across lines: compare without spaces
            return "".join(text.split())

        for r in rows:
            task, licence, notes = map(bare, table[r["name"]])
            assert task.startswith(r["task"]) and bare(r["licence"]) in licence
            assert task.endswith(bare(f"{r['classes']} classes" if r["classes"] else f"target: {r['target']}"))
            assert notes == bare(r["summary"])
        assert "columnBencodesrace" in bare(table["boston_housing"][2])  # the ethics note


def test_summary_prints_the_model_table():
    code, out = invoke("summary", ROOT / "examples" / "digits.yaml")
    assert code == 0 and "Total params: 17,226" in out and "Linear" in out


def test_train_evaluate_predict(tmp_path):
    code, out = invoke("train", ROOT / "examples" / "iris.yaml", "--quick", "--out", tmp_path, "-v", "0",
                       "--set", "optimizer.lr=0.05")
    assert code == 0, out
    assert "Final metrics" in out and "figures" in out.lower()
    (run_dir,) = tmp_path.iterdir()
    for name in ("config.yaml", "history.csv", "metrics.json", "model.safetensors", "report.html", "log.txt",
                 "status.json"):
        assert (run_dir / name).is_file(), name
    assert yaml.safe_load((run_dir / "config.yaml").read_text())["optimizer"]["lr"] == 0.05
    assert json.loads((run_dir / "status.json").read_text())["status"] == "completed"
    code, out = invoke("evaluate", run_dir, "--split", "test")
    assert code == 0 and "accuracy" in out
    csv = tmp_path / "flowers.csv"
    csv.write_text("sepal length,sepal width,petal length,petal width\n5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n")
    code, out = invoke("predict", run_dir, csv)
    assert code == 0 and out.splitlines()[0] == "class\tprobability" and out.splitlines()[1].startswith("setosa")
    code, out = invoke("predict", run_dir, ROOT / "examples" / "iris.yaml")
    assert code == 2 and "expected 4 numeric columns" in out


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_config_runs_quick(path, tmp_path):
    code, out = invoke("train", path, "--quick", "--out", tmp_path, "-v", "0")
    assert code == 0, out
    (run_dir,) = tmp_path.iterdir()
    assert (run_dir / "report.html").stat().st_size > 10_000


@pytest.mark.parametrize("data,message", [
    (_iris(optimizer__lr=-0.1), "optimizer.lr: must be > 0, got -0.1"),
    (_iris(data__dataset="irs"), "data.dataset: 'irs' is not one of"),
    (_iris(optimizer__name="adamm"), "optimizer.name: 'adamm' is not one of sgd, adagrad"),
    (_iris(model={"name": "mlp", "hidden": [8], "activation": "rleu"}), "activation: 'rleu' is not one of relu"),
    (_iris(training={"epoch": 3}), "training.epoch: unknown key (did you mean 'epochs'?)"),
    (_iris(training={"zzz": 3}), "training.zzz: unknown key; the keys here are epochs, batch_size"),
    (_iris(loss="mse"), "regression loss"),
])
def test_invalid_configs_name_the_field(tmp_path, data, message):
    code, out = invoke("train", _write(tmp_path, data), "--out", tmp_path / "runs", "-v", "0")
    assert code == 2
    assert message in out
    assert not list((tmp_path / "runs").glob("*/report.html"))


def test_missing_file_and_bad_yaml(tmp_path):
    code, out = invoke("train", tmp_path / "nope.yaml")
    assert code == 2 and "does not exist" in out
    code, out = invoke("train", _write(tmp_path, "seed: [1, 2\n"))
    assert code == 2 and "not valid YAML" in out
    code, out = invoke("evaluate", tmp_path)
    assert code == 2 and "not a run folder" in out
    code, out = invoke("lab", "4")
    assert code == 2 and "labs 1, 2 and 3" in out


def test_lab_command_quick(tmp_path):
    code, out = invoke("lab", "1", "--quick", "--out", tmp_path)
    assert code == 0, out
    assert "Lab 1 summary" in out and "report.html" in out


def test_sigint_leaves_interrupted_status_and_no_report(tmp_path):
    config = _write(tmp_path, _iris(training={"epochs": 100000, "batch_size": 4}))
    proc = subprocess.Popen([sys.executable, "-m", "neurona.cli", "train", str(config), "--out", str(tmp_path / "runs"),
                             "-v", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ})
    deadline = time.time() + 60
    status = None
    while time.time() < deadline:
        found = list((tmp_path / "runs").glob("*/history.csv")) or list((tmp_path / "runs").glob("*/status.json"))
        if found:
            status = found[0].parent / "status.json"
            break
        time.sleep(0.2)
    assert status is not None, "the run never started"
    time.sleep(1.5)  # well inside training
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)
    assert proc.returncode == 130
    assert json.loads(status.read_text())["status"] == "interrupted"
    assert not (status.parent / "report.html").exists()
    assert (status.parent / "log.txt").exists()


def test_rl_train_and_play(tmp_path):
    code, out = invoke("rl", "train", "CartPole-v1", "--agent", "a2c", "--episodes", "10", "--out", tmp_path)
    assert code == 0, out
    assert "mean return over 100 episodes" in out
    (run_dir,) = tmp_path.iterdir()
    assert (run_dir / "returns.csv").is_file() and (run_dir / "agent.safetensors").is_file()
    code, out = invoke("rl", "play", run_dir, "--episodes", "2")
    assert code == 0 and "mean return over 2 episodes" in out


def test_rl_errors_are_clear(tmp_path):
    code, out = invoke("rl", "train", "CartPoleee-v1", "--out", tmp_path)
    assert code == 2 and "CartPole-v1" in out
    code, out = invoke("rl", "train", "CartPole-v1", "--agent", "ppo", "--out", tmp_path)
    assert code == 2 and "dqn" in out
    code, out = invoke("rl", "train", "Pendulum-v1", "--agent", "dqn", "--out", tmp_path)
    assert code == 2 and "Discrete" in out


def test_models_lists_every_reference_model_with_its_options():
    import inspect

    from neurona.models import MODELS

    code, out = invoke("models", "--json")
    assert code == 0, out
    rows = {r["name"]: r for r in json.loads(out)}
    assert list(rows) == list(MODELS)
    lenet = rows["lenet5"]
    assert lenet["class"] == "LeNet5" and lenet["description"].startswith("LeNet-5")
    assert lenet["options"] == {"activation": "relu", "pooling": "max"}
    assert set(lenet["from_data"]) == {"in_channels", "num_classes", "input_size"}
    assert rows["mlp"]["options"]["hidden"] == [32] and "widths" not in rows["mlp"]["options"]
    for name, cls in MODELS.items():  # every constructor argument is either an option or filled from the data
        listed = set(rows[name]["options"]) | set(rows[name]["from_data"])
        expected = set(inspect.signature(cls.__init__).parameters) - {"self"}
        assert listed == (expected - {"widths"} | {"hidden"} if name == "mlp" else expected)


def test_every_reference_model_family_has_an_example_config():
    from neurona.config import load_config

    names = {load_config(path).model.name for path in EXAMPLES}
    assert {"mlp", "lenet5", "convnet", "conv1dnet", "seq2one"} <= names
    cells = {load_config(path).model.args.get("cell") for path in EXAMPLES if load_config(path).model.name == "seq2one"}
    assert cells == {"lstm", "gru"}


@pytest.mark.parametrize("width", [80, 160])
def test_models_table_never_breaks_a_name_or_an_option(width, monkeypatch):
    from neurona import cli
    from neurona.models import describe_models

    monkeypatch.setattr(cli.console, "width", width)
    code, out = invoke("models")
    assert code == 0, out
    lines = out.splitlines()
    for row in describe_models():
        assert any(row["name"] in line for line in lines), row["name"]
        for key, value in row["options"].items():
            pair = f"{key}={value}"
            assert any(pair in line for line in lines), (width, pair)
