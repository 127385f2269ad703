"""The report of a ``neurona train`` run: one self-contained HTML file with every figure embedded."""

from __future__ import annotations

from typing import Any

import numpy as np

from neurona.report.classifier import (
    COMPACT_ROC_CLASSES,
    WEAKEST_CLASSES,
    confusion_matrix_figure,
    decision_boundary,
    per_class_auc,
    roc_figure,
)
from neurona.report.figures import histograms, learning_curves, mark_epoch, regression_figure
from neurona.report.html import HtmlReport
from neurona.report.model_figures import add_model_figures


def _eval_part(split: Any) -> tuple[str, np.ndarray, np.ndarray]:
    """The held-out part the figures describe: test if there is one, else validation, else train."""
    for name in ("test", "val", "train"):
        X, y = getattr(split, f"X_{name}"), getattr(split, f"y_{name}")
        if len(X):
            return name, X, y
    raise ValueError("the split is empty")


def write_run_report(folder: Any, config: Any, bundle: Any, split: Any, model: Any, trainer: Any, history: Any,
                     metrics: dict, diagnostics: Any) -> None:
    """Write ``report.html`` and ``figures/*.png`` into the run folder."""
    from neurona.config import dump_config

    wanted = set(config.report.figures)
    fig_dir = folder.path / "figures"
    report = HtmlReport(f"neurona run: {config.name}", f"{bundle.name} · {bundle.task} · {len(history)} epochs")

    report.section("Run configuration").code(dump_config(config))
    if getattr(trainer, "distributed", None) is not None:  # launched with mpirun -n N
        report.section("Data-parallel training (MPI)")
        report.table([trainer.distributed.describe()])
        report.text("Each rank trained on its own share of every epoch; gradients were averaged over the ranks "
                    "with one Allreduce per step, so one step used the global batch.")

    report.section("Dataset")
    report.table([{"dataset": bundle.name, "task": bundle.task, "samples": bundle.n_samples,
                   "sample shape": str(tuple(bundle.X.shape[1:])), "classes": bundle.n_classes or "-",
                   "train / val / test": f"{len(split.X_train)} / {len(split.X_val)} / {len(split.X_test)}"}])
    report.rst(bundle.description)

    report.section("Model")
    report.code(str(model.summary((1, *split.X_train.shape[1:]))))

    report.section("Learning curves")
    if "learning_curves" in wanted:
        restored = metrics.get("weights_from_epoch", len(history))
        figure, caption = learning_curves(history.history), "Loss and metrics per epoch, training vs validation"
        if restored != len(history):
            mark_epoch(figure, restored, f"restored weights (epoch {restored})")
            caption += (f". Early stopping ended the run after epoch {len(history)} and restored the weights of "
                        f"epoch {restored} (dashed line), the best {_monitor(config)}")
        report.figure(figure, caption, fig_dir / "learning_curves.png")

    report.section("Final metrics")
    restored = metrics.get("weights_from_epoch", len(history))
    report.text(f"Measured with the weights of epoch {restored} of {len(history)}"
                + (" (restored by early stopping)." if restored != len(history) else "."))
    report.table({part: values for part, values in metrics.items() if isinstance(values, dict)})

    part, X, y = _eval_part(split)
    if bundle.task == "classification":
        report.section(f"Classification results ({part} split)")
        proba = trainer.predict_proba(X)
        names = bundle.target_names
        if "confusion_matrix" in wanted:
            report.figure(confusion_matrix_figure(y, proba.argmax(1), labels=list(range(proba.shape[1])),
                                                  display_labels=names, normalize="true"),
                          confusion_caption(y, proba.argmax(1), names), fig_dir / "confusion_matrix.png")
        if "roc" in wanted and len(np.unique(y)) > 1:
            scores = proba[:, 1] if proba.shape[1] == 2 else proba
            report.figure(roc_figure(y, scores, class_names=names), roc_caption(y, proba, names), fig_dir / "roc.png")
        if "decision_boundary" in wanted and split.X_train.ndim == 2 and split.X_train.shape[1] == 2:
            report.figure(decision_boundary(lambda pts: trainer.predict_proba(pts.astype(np.float32)), split.X_train,
                                            split.y_train, X, y, class_names=names),
                          "Decision boundary with training (circles) and held-out (triangles) points",
                          fig_dir / "decision_boundary.png")
    elif "regression" in wanted:
        report.section(f"Regression results ({part} split)")
        report.figure(regression_figure(y.reshape(-1), trainer.predict(X).reshape(-1)), "Predicted vs true values",
                      fig_dir / "regression.png")

    add_model_figures(report, model, bundle, split, trainer, X, y, fig_dir, part)  # conv, recurrent, surface, linear

    report.section("Weights, gradients and diagnostics")
    if "histograms" in wanted and diagnostics.weights:
        report.figure(histograms(diagnostics.weights, "Weights after the last epoch"), "Weight histograms",
                      fig_dir / "weights.png")
        if diagnostics.gradients:
            report.figure(histograms(diagnostics.gradients, "Gradients (first batch of the last epoch)"),
                          "Gradient histograms", fig_dir / "gradients.png")
    if diagnostics.warnings:
        for w in diagnostics.warnings:
            report.warning(w)
    else:
        report.note("No problems found: no dead or saturated layers, gradients of similar size across layers, "
                    "and update/weight ratios in a healthy range.")
    report.write(folder.file("report.html"))


def confusion_caption(y: np.ndarray, predicted: np.ndarray, names: Any) -> str:
    """What to read in the confusion matrix, with the most frequent confusion as measured."""
    text = "Confusion matrix: rows are the true class, normalised so each row sums to 1; the diagonal is each class's recall"
    y, predicted = np.asarray(y).ravel(), np.asarray(predicted).ravel()
    wrong = y != predicted
    if not wrong.any():
        return text + ". Every held-out sample is on the diagonal."
    pairs, counts = np.unique(np.stack([y[wrong], predicted[wrong]], 1), axis=0, return_counts=True)
    (true, guess), count = pairs[counts.argmax()], int(counts.max())
    label = (lambda c: str(names[c])) if names is not None else str
    return (text + f". The most frequent mistake: {label(true)} taken for {label(guess)}, {count} of "
            f"{int((y == true).sum())} samples of {label(true)}.")


def roc_caption(y: np.ndarray, proba: np.ndarray, names: Any) -> str:
    """What to read in the ROC figure, from the measured per-class AUCs."""
    aucs = per_class_auc(y, proba) if proba.shape[1] >= COMPACT_ROC_CLASSES else {}
    if not aucs:
        return ("ROC curves and AUC: the closer a curve hugs the top-left corner, the better the scores "
                "separate that class from the rest (the dashed diagonal is chance)")
    label = (lambda j: str(names[j])) if names is not None else str
    worst, best = min(aucs, key=aucs.get), max(aucs, key=aucs.get)
    return (f"ROC of the {len(aucs)} classes, one-vs-rest: the left panel draws the micro and macro averages and "
            f"the {min(WEAKEST_CLASSES, len(aucs))} classes with the lowest AUC; the right panel lists every "
            f"class's AUC, from {aucs[worst]:.3f} ({label(worst)}) to {aucs[best]:.3f} ({label(best)})")


def _monitor(config: Any) -> str:
    es = config.training.early_stopping
    return es.monitor if es is not None else "val_loss"
