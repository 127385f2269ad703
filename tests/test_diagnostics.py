"""The diagnostics' plain-language warnings, scored on a labelled collection of really trained small runs
(tests/diagnostics_runs.py): precision and recall of the five problems, no warning at all on healthy runs,
and the old false alarm (a tanh net with standardised inputs that overfits) reported as overfitting only."""

import pytest

from diagnostics_runs import CASES, train
from neurona.train.diagnosis import PROBLEMS, curve_findings


@pytest.fixture(scope="module")
def scored():
    runs = []
    for case in CASES:
        diagnostics, _ = train(case)
        runs.append((case, {f.kind for f in diagnostics.findings}))
    return runs


def precision_recall(runs):
    """Over the five problems: a warning is right when the run has that problem. The gradient and step-size
    symptoms (vanishing gradients, a large update ratio) are measurements, not diagnoses of one of the five;
    they are scored by test_healthy_runs_get_no_warning instead: a healthy run gets none of them."""
    tp = fp = fn = 0
    for case, found in runs:
        found = found & set(PROBLEMS)
        tp += len(found & case.problems)
        fn += len(case.problems - found)
        fp += len(found - case.problems)
    return tp / max(tp + fp, 1), tp / max(tp + fn, 1)


def test_collection_is_big_enough():
    problems = [c for c in CASES if c.problems]
    assert len(problems) >= 20 and len(CASES) - len(problems) >= 10
    assert {p for c in problems for p in c.problems} == set(PROBLEMS)


def test_precision_and_recall_at_least_090(scored):
    precision, recall = precision_recall(scored)
    print(f"diagnostics on {len(scored)} labelled runs: precision {precision:.3f}, recall {recall:.3f}")
    assert precision >= 0.9 and recall >= 0.9, (precision, recall, [(c.name, f) for c, f in scored
                                                                     if f != c.problems])


def test_each_problem_found_in_most_of_its_runs(scored):
    for problem in PROBLEMS:
        runs = [found for case, found in scored if problem in case.problems]
        assert sum(problem in found for found in runs) >= 0.8 * len(runs), problem


def test_healthy_runs_get_no_warning(scored):
    assert [(c.name, f) for c, f in scored if not c.problems and f] == []


def test_overfitting_tanh_is_not_called_saturated(scored):
    tanh = [found for case, found in scored if case.name.startswith("overfitting tanh")]
    assert tanh and all("saturation" not in found for found in tanh)
    assert sum("overfitting" in found for found in tanh) >= 2


def test_curve_rules_on_hand_made_histories():
    steady = {"loss": [1.0 / (e + 1) for e in range(20)], "val_loss": [1.0 / (e + 1) + 0.05 for e in range(20)]}
    assert curve_findings(steady) == []
    overfit = {"loss": [1.0 / (e + 1) for e in range(20)],
               "val_loss": [0.8 - 0.1 * e for e in range(5)] + [0.4 + 0.05 * e for e in range(15)]}
    assert [f.kind for f in curve_findings(overfit)] == ["overfitting"]
    assert "epoch 5" in curve_findings(overfit)[0].message  # names the best epoch
    assert [f.kind for f in curve_findings({"loss": [1.0, 0.5, float("nan")]})] == ["divergence"]
    jumpy = {"loss": [0.5] * 20, "val_loss": [0.6, 0.4] * 10}
    assert [f.kind for f in curve_findings(jumpy)] == ["unstable"]
