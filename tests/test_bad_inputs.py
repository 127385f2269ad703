"""The bad-input corpus (tests/data/bad_inputs.yaml): every row is one careless input (a config, a
`--set`, a command line, a CSV file, a checkpoint or run folder, a library call) with the exit code it
must end in and a fragment of the message that must explain it. None may end in a raw traceback, pass
silently, or (for configs) create a run folder before it is rejected."""

import copy
import json
import os
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy
import yaml
from typer.testing import CliRunner

from neurona.cli import app, exit_code_for

ROOT = Path(__file__).resolve().parents[1]
CORPUS = yaml.safe_load((Path(__file__).parent / "data" / "bad_inputs.yaml").read_text())
BASE = {
    "name": "iris-mlp", "seed": 0,
    "data": {"dataset": "iris", "val": 0.15, "test": 0.2, "scale": "standard"},
    "model": {"name": "mlp", "hidden": [16], "activation": "relu"},
    "loss": "cross_entropy",
    "optimizer": {"name": "adam", "lr": 0.01},
    "training": {"epochs": 2, "batch_size": 16, "early_stopping": {"patience": 15}},
    "metrics": ["accuracy"],
}
runner = CliRunner()


def _invoke(args):
    result = runner.invoke(app, [str(a) for a in args])
    output = result.stdout + (result.stderr if result.stderr_bytes is not None else "")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"raw exception escaped the CLI: {result.exception!r}\n{output}")
    return result.exit_code, output


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("finished")
    config = out / "base.yaml"
    config.write_text(yaml.safe_dump(BASE))
    code, text = _invoke(["train", config, "--out", out / "runs", "-v", "0"])
    assert code == 0, text
    (run,) = (out / "runs").iterdir()
    return run


def _merge(base, patch):
    for key, value in patch.items():
        if value == "__delete__":
            base.pop(key, None)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
    return base


def _prepare_run(case, finished_run, tmp_path):
    """A copy of the finished run, damaged as the row says."""
    run = tmp_path / finished_run.name
    shutil.copytree(finished_run, run)
    if "run_status" in case:
        text = case["run_status"]
        if isinstance(text, dict):
            text = json.dumps(text).replace('"__pid__"', str(os.getpid())).replace("__host__", socket.gethostname())
        (run / "status.json").write_text(text)
    for name in case.get("run_remove", []):
        target = run / name
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    if "run_config" in case:
        (run / "config.yaml").write_text(case["run_config"])
    for name, how in case.get("run_damage", {}).items():
        path = run / name
        if how == "truncate":
            path.write_bytes(path.read_bytes()[:300])
        elif how == "garbage":
            path.write_bytes(b"\x00garbage" * 20)
        elif how == "empty":
            path.write_bytes(b"")
        elif how == "integer_weights":
            with open(path, "rb") as f:
                header = json.loads(f.read(int.from_bytes(f.read(8), "little")))
            tensors = safetensors.numpy.load_file(path)
            key = sorted(k for k in tensors if k.startswith("model.") and k.endswith("weight"))[0]
            tensors[key] = np.ones(tensors[key].shape, dtype=np.int32)
            safetensors.numpy.save_file(tensors, path, metadata=header["__metadata__"])
        elif how == "plain_safetensors":
            safetensors.numpy.save_file({"w": np.zeros(3, dtype=np.float32)}, path)
    return run


def _library(case, tmp_path):
    import neurona as nr
    import neurona.functional as F
    from neurona import datasets, io, nn, optim, runs, train
    from neurona.data import DataLoader, TensorDataset

    names = {"nr": nr, "F": F, "nn": nn, "optim": optim, "io": io, "np": np, "train": train, "runs": runs,
             "datasets": datasets, "DataLoader": DataLoader, "TensorDataset": TensorDataset, "tmp": tmp_path}
    nr.manual_seed(0)
    try:
        exec(case["library"], names)
    except (Exception, KeyboardInterrupt) as e:
        return exit_code_for(e), f"{type(e).__name__}: {e}"
    return 0, ""


@pytest.mark.parametrize("case", CORPUS, ids=[c["id"] for c in CORPUS])
def test_bad_input_is_rejected_with_its_exit_code_and_a_clear_message(case, tmp_path, finished_run):
    out = tmp_path / "runs"
    if "library" in case:
        code, text = _library(case, tmp_path)
    else:
        args = [str(a) for a in case.get("args", [])]
        config = tmp_path / "c.yaml"
        if "file_bytes" in case:
            config.write_bytes(bytes.fromhex(case["file_bytes"]))
        elif "file_text" in case:
            config.write_bytes(case["file_text"].encode(case.get("encoding", "utf-8")))
        elif "file_dir" in case:
            config.mkdir()
        else:
            config.write_text(yaml.safe_dump(_merge(copy.deepcopy(BASE), case.get("patch", {}))))
        if "csv" in case:
            (tmp_path / "in.csv").write_bytes(case["csv"].encode(case.get("encoding", "utf-8")))
        run = _prepare_run(case, finished_run, tmp_path) if any(k.startswith("run_") for k in case) or \
            "{run}" in " ".join(args) else None
        if not args:
            args = ["train", "{config}", "--out", "{out}", "-v", "0"]
            for item in case.get("set", []):
                args += ["--set", item]
        args = [a.replace("{config}", str(config)).replace("{out}", str(out)).replace("{run}", str(run))
                .replace("{csv}", str(tmp_path / "in.csv")).replace("{tmp}", str(tmp_path)) for a in args]
        code, text = _invoke(args)
    assert "Traceback" not in text, text
    assert code == case["exit"], f"exit {code}, expected {case['exit']}: {text}"
    assert case["message"].lower() in " ".join(text.split()).lower(), text
    if case["exit"] == 2 and "args" not in case and "library" not in case:
        assert not out.exists() or not any(out.iterdir()), "a run folder was created before the input was rejected"


def test_the_corpus_is_large_and_covers_every_kind():
    kinds = {("library" if "library" in c else "csv" if "csv" in c else "set" if "set" in c else
              "file" if any(k.startswith("file_") for k in c) else "run" if any(k.startswith("run_") for k in c)
              else "config" if "patch" in c else "cli") for c in CORPUS}
    assert len(CORPUS) >= 150
    assert kinds == {"library", "csv", "set", "file", "run", "config", "cli"}
    assert len({c["id"] for c in CORPUS}) == len(CORPUS)
