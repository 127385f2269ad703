"""The search: and tune: sections: valid configs load, bad entries are rejected naming their path."""

import copy
from pathlib import Path

import pytest
import yaml

pytest.importorskip("optuna")

from neurona.config import validate_config
from neurona.errors import ConfigError
from neurona.tune import load_tune_config, validate_tune_config
from neurona.tune.space import decode, distribution, grid_space

ROOT = Path(__file__).resolve().parents[1]
BASE = {"name": "t", "seed": 0, "data": {"dataset": "iris", "val": 0.2, "test": 0.2},
        "model": {"name": "mlp", "hidden": [8]}, "loss": "cross_entropy", "optimizer": {"name": "adam", "lr": 0.01},
        "training": {"epochs": 3}}


def config(search, tune=None):
    return {**copy.deepcopy(BASE), "search": search, **({"tune": tune} if tune is not None else {})}


def test_example_config_loads_and_each_trial_config_is_a_run_config():
    tc = load_tune_config(ROOT / "examples" / "tune" / "digits.yaml")
    assert set(tc.search) == {"optimizer.lr", "optimizer.weight_decay", "model.hidden", "model.dropout",
                              "training.batch_size"}
    assert tc.tune.metric == "val_accuracy" and tc.tune.resolved_direction == "maximize"
    run = tc.config_for({"optimizer.lr": 0.003, "model.hidden": [128, 64], "training.batch_size": 40})
    assert run.optimizer.lr == 0.003 and run.model.args["hidden"] == [128, 64] and run.training.batch_size == 40
    assert validate_config(yaml.safe_load(yaml.safe_dump(run.model_dump(mode="json")))) == run


@pytest.mark.parametrize("search, tune, expected", [
    ({"optimizer.lr": {"uniform": [-1.0, 1.0]}}, None, "search.optimizer.lr: the value -1.0"),
    ({"optimizer.lrr": {"uniform": [0.1, 1.0]}}, None, "search.optimizer.lrr"),
    ({"training.batch_size": {"int": [0, 64]}}, None, "search.training.batch_size"),
    ({"optimizer.lr": {"loguniform": [0.0, 1.0]}}, None, "search.optimizer.lr.loguniform: a log scale needs low > 0"),
    ({"optimizer.lr": {"uniform": [0.5, 0.1]}}, None, "low must be below high"),
    ({"optimizer.lr": {"gaussian": [0.1, 1.0]}}, None, "search.optimizer.lr.gaussian: unknown key"),
    ({"optimizer.lr": {"choice": []}}, None, "choice needs a non-empty list"),
    ({"optimizer.lr": {"uniform": [0.1, 1.0], "lgo": True}}, None,
     "search.optimizer.lr.lgo: unknown key (did you mean 'log'?)"),
    ({"optimizer.lr": {"uniform": [0.1, 1.0]}}, {"samplr": "tpe"}, "tune.samplr: unknown key (did you mean 'sampler'?)"),
    ({"optimizer.lr": 0.1}, None, "search.optimizer.lr: expected a distribution"),
    ({"optimizer.name": {"choice": ["adam", "lbfgs"]}}, None, "search.optimizer.name: the value \"lbfgs\""),
    ({}, None, "search: required section is missing"),
    ({"optimizer.lr": {"uniform": [0.1, 1.0]}}, {"sampler": "bayes"}, "tune.sampler: 'bayes' is not one of"),
    ({"optimizer.lr": {"uniform": [0.1, 1.0]}}, {"metric": "test_accuracy"}, "tune.metric: must be a validation quantity"),
    ({"optimizer.lr": {"uniform": [0.1, 1.0]}}, {"trials": 0}, "tune.trials: must be >= 1"),
    ({"optimizer.lr": {"uniform": [0.1, 1.0]}}, {"cv": 1}, "tune.cv: must be >= 2"),
    ({"optimizer.lr": {"loguniform": [0.001, 0.1]}}, {"sampler": "grid"}, "grid sampler needs a finite list"),
])
def test_bad_entries_are_rejected_with_their_path(search, tune, expected):
    with pytest.raises(ConfigError) as info:
        validate_tune_config(config(search, tune))
    assert expected in str(info.value)


def test_run_part_errors_keep_their_path():
    data = config({"optimizer.lr": {"uniform": [0.1, 1.0]}})
    data["optimizer"]["lr"] = -1
    with pytest.raises(ConfigError, match="optimizer.lr: must be > 0"):
        validate_tune_config(data)


def test_every_problem_is_listed_at_once():
    with pytest.raises(ConfigError) as info:
        validate_tune_config(config({"optimizer.lr": {"uniform": [2, 1]}, "training.batch_size": {"int": [0, 4]}},
                                    {"pruner": "never"}))
    message = str(info.value)
    assert "search.optimizer.lr" in message and "search.training.batch_size" in message and "tune.pruner" in message


def test_distributions_and_choices_of_lists_round_trip():
    import optuna.distributions as d

    tc = validate_tune_config(config({"optimizer.lr": {"loguniform": [1e-4, 1e-1]},
                                      "model.hidden": {"choice": [[8], [16, 8]]},
                                      "training.batch_size": {"int": [8, 64], "log": True},
                                      "model.dropout": {"uniform": [0.0, 0.5], "step": 0.1}}))
    lr = distribution(tc.search["optimizer.lr"])
    assert isinstance(lr, d.FloatDistribution) and lr.log and (lr.low, lr.high) == (1e-4, 1e-1)
    assert distribution(tc.search["training.batch_size"]) == d.IntDistribution(8, 64, log=True)
    assert distribution(tc.search["model.dropout"]).step == 0.1
    hidden = distribution(tc.search["model.hidden"])
    assert hidden.choices == ("[8]", "[16, 8]")
    assert decode(tc.search, {"model.hidden": "[16, 8]", "optimizer.lr": 0.01}) == {"model.hidden": [16, 8],
                                                                                      "optimizer.lr": 0.01}


def test_grid_space_lists_every_value():
    tc = validate_tune_config(config({"model.hidden": {"choice": [[8], [16]]}, "training.batch_size": {"int": [8, 24],
                                                                                                       "step": 8}},
                                     {"sampler": "grid"}))
    assert grid_space(tc.search) == {"model.hidden": ["[8]", "[16]"], "training.batch_size": [8, 16, 24]}


def test_the_worker_module_starts_without_runpy_warnings():
    """`neurona tune --workers K` starts `python -m neurona.tune.worker`; importing the package must not
    import the worker first (runpy would warn in every worker's output)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-m", "neurona.tune.worker", "--help"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and "RuntimeWarning" not in done.stderr, done.stderr[-2000:]
