"""neurona.playground.export: the neurona script retrains the page's network to the very same losses,
the PyTorch script trains the same architecture, and the YAML config runs with `neurona train`."""

import re
import runpy
import subprocess
import sys

import pytest
import yaml
from typer.testing import CliRunner

from neurona.cli import app as cli
from neurona.playground import Session, Settings
from neurona.playground.export import export, to_python, to_yaml

CASES = {
    "default": Settings(),
    "beyond": Settings(dataset="xor", features=["x1", "x2", "x1x2"], hidden=[6, 3], layer_activations=["relu"],
                       optimizer="nesterov", schedule="cosine", schedule_epochs=50, regularization="l1",
                       reg_rate=0.001, init="xavier", batchnorm=True, dropout=0.1),
    "multiclass": Settings(dataset="blobs", classes=4, hidden=[8], optimizer="adam", learning_rate=0.01,
                           regularization="l2", reg_rate=0.01, schedule="step", schedule_epochs=30),
    "regression": Settings(problem="regression", dataset="reg_plane", n_points=300, hidden=[4], learning_rate=0.01,
                           schedule="exponential", schedule_epochs=40),
}


def _losses(output: str) -> tuple[float, float]:
    match = re.search(r"train loss ([\d.]+)  test loss ([\d.]+)", output)
    assert match, output
    return float(match[1]), float(match[2])


def _run(tmp_path, name, text, capsys):
    path = tmp_path / name
    path.write_text(text)
    runpy.run_path(str(path), run_name="__main__")
    return _losses(capsys.readouterr().out)


@pytest.mark.parametrize("case", sorted(CASES))
def test_neurona_script_reproduces_the_session(case, tmp_path, capsys):
    session = Session(CASES[case])
    session.train(epochs=100)
    train, test = _run(tmp_path, "play.py", to_python(session, "neurona"), capsys)
    assert train == pytest.approx(session.train_loss, abs=2e-4) and test == pytest.approx(session.test_loss, abs=2e-4)


@pytest.mark.parametrize("case", ["default", "beyond", "multiclass"])
def test_pytorch_script_trains_the_same_architecture(case, tmp_path):
    session = Session(CASES[case])
    text = to_python(session, "pytorch")
    assert "import torch" in text and "neurona as nr" not in text
    path = tmp_path / "play_torch.py"
    path.write_text(text)
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    train, test = _losses(done.stdout)
    assert test < session.test_loss  # 100 epochs improve on the untrained network


@pytest.mark.parametrize("case", ["default", "regression"])
def test_yaml_runs_with_neurona_train(case, tmp_path):
    session = Session(CASES[case])
    text = to_yaml(session)
    config = yaml.safe_load(text)
    assert config["data"] == {"dataset": "playground", "options": config["data"]["options"], "val": 0.0,
                              "test": 0.5, "scale": "none"}
    path = tmp_path / "playground.yaml"
    path.write_text(text)
    result = CliRunner().invoke(cli, ["train", str(path), "--out", str(tmp_path / "runs"), "--quick", "--verbose", "0"])
    assert result.exit_code == 0, result.output


def test_yaml_mapping_of_every_beyond_setting():
    s = Session(CASES["beyond"])
    text = to_yaml(s)
    config = yaml.safe_load(text)
    assert "L1 regularisation (rate 0.001)" in text and "'xavier' weight init" in text
    assert [layer["type"] for layer in config["model"]["layers"]] == [
        "linear", "batchnorm1d", "relu", "dropout", "linear", "batchnorm1d", "tanh", "dropout", "linear"]
    assert config["optimizer"] == {"name": "sgd", "lr": 0.03, "momentum": 0.9, "nesterov": True}
    assert config["schedule"] == {"name": "cosine", "options": {"T_max": 50}}
    assert config["data"]["options"]["features"] == ["x1", "x2", "x1x2"]
    multi = yaml.safe_load(to_yaml(Session(CASES["multiclass"])))
    assert multi["loss"] == "cross_entropy" and multi["optimizer"]["weight_decay"] == 0.01
    assert multi["data"]["options"]["k"] == 4


def test_uploaded_points_travel_inside_the_exports(tmp_path, capsys):
    s = Session()
    s.upload("\n".join(f"{i % 9},{i % 5},{int(i % 9 > 4)}" for i in range(60)), "classification")
    config = yaml.safe_load(export(s, "yaml")["text"])
    assert config["data"]["options"]["source"] == "points" and len(config["data"]["options"]["points"]) == 60
    s.train(epochs=100)
    train, _ = _run(tmp_path, "upload.py", export(s, "neurona")["text"], capsys)
    assert train == pytest.approx(s.train_loss, abs=2e-4)
