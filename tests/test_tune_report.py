"""The study report's pieces: the running best, and the figures from a small real study."""

import math

import pytest

optuna = pytest.importorskip("optuna")

from neurona.tune.report import best_so_far, history_figure, importances, parallel_coordinates, slice_figure  # noqa: E402


def test_best_so_far_follows_the_direction_and_skips_missing_values():
    assert best_so_far([0.5, 0.7, 0.6, float("nan"), 0.9], "maximize") == [0.5, 0.7, 0.7, 0.7, 0.9]
    assert best_so_far([0.5, 0.7, 0.4], "minimize") == [0.5, 0.5, 0.4]
    assert math.isnan(best_so_far([float("nan"), 1.0], "maximize")[0])


def test_figures_from_a_study_with_complete_pruned_and_failed_trials():
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))

    def objective(trial):
        x, kind = trial.suggest_float("x", 1e-3, 1.0, log=True), trial.suggest_categorical("kind", ["a", "b"])
        trial.report(x, 0)
        if trial.number == 3:
            raise optuna.TrialPruned()
        if trial.number == 4:
            raise RuntimeError("a failed trial")
        return x + (kind == "b")

    study.optimize(objective, n_trials=10, catch=(RuntimeError,))
    for fig in (history_figure(study, "val_accuracy"), parallel_coordinates(study, "val_accuracy"),
                slice_figure(study, "val_accuracy")):
        assert fig.axes
    values = importances(study)
    assert set(values) == {"x", "kind"} and sum(values.values()) == pytest.approx(1.0)
