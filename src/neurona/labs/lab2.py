"""Lab 2 (weeks 3-4): practical deep networks, optimisation and hyper-parameter tuning, on Digits.

1. activations compared in a 5-layer MLP;
2. initialisation: zeros, small normal, Xavier, He — activation and gradient statistics per layer;
3. batch normalisation, dropout and L2 weight decay — the train/validation gap;
4. an optimiser race from the same initial weights, and learning-rate schedules;
5. tuning with Optuna: grid vs random vs TPE on the same budget, with and without pruning, on a larger
   validation split; the chosen model retrained on train + validation and evaluated once on test.

``run(out, quick, seed)`` is what ``neurona lab 2`` calls; ``labs/lab2.ipynb`` calls the same functions.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

import neurona as nr
from neurona import datasets, nn, optim
from neurona.labs.common import LabResult, lab_folder, per_epoch, pick
from neurona.models import MLP
from neurona.report import HtmlReport, histograms, line_figure
from neurona.train import LambdaCallback, LearningRateScheduler, ReduceLROnPlateau, Trainer


def digits_split(seed: int) -> Any:
    return datasets.digits().split(val=0.15, test=0.2, seed=seed, scale="standard")


def fit(model: nn.Module, optimizer: Any, split: Any, epochs: int, seed: int, callbacks: list | None = None,
        batch_size: int = 32) -> tuple[Any, Trainer]:
    """Train on the training split with validation each epoch; returns (history, trainer)."""
    trainer = Trainer(model, nn.CrossEntropyLoss(), optimizer)
    history = trainer.fit(split.train, val=split.val, epochs=epochs, batch_size=batch_size, verbose=0, seed=seed,
                          callbacks=callbacks or [])
    return history, trainer


# ---- 1. activations -------------------------------------------------------------------------------------


def section_activations(report: HtmlReport, split: Any, quick: bool, seed: int) -> dict[str, float]:
    report.section("1. Activation functions")
    epochs = 8 if quick else 25
    train_curves, val_curves, rows = {}, {}, []
    for name in ACTIVATIONS:
        nr.manual_seed(seed)
        model = MLP([64, 128, 128, 128, 128, 10], activation=name)
        history, trainer = fit(model, optim.SGD(model.parameters(), lr=0.05, momentum=0.9), split, epochs, seed)
        train_curves[name], val_curves[name] = per_epoch(history["loss"]), per_epoch(history["val_loss"])
        rows.append({"activation": name, "mean training loss over the epochs": float(np.mean(history["loss"])),
                     "final training loss": history["loss"][-1], "train accuracy": history["accuracy"][-1],
                     "validation accuracy": history["val_accuracy"][-1], "validation loss": history["val_loss"][-1],
                     "lowest validation loss at epoch": int(np.argmin(history["val_loss"])) + 1})
    order = sorted(rows, key=lambda r: r["mean training loss over the epochs"])
    fastest, slowest = order[0]["activation"], order[-1]["activation"]
    relu_family = {"relu", "leaky_relu", "gelu"}
    report.text("The same 5-layer MLP (4 hidden layers of 128) with five activations, trained by SGD with momentum "
                "from the same seed. Speed of learning shows in the training loss: "
                f"{fastest} learns fastest and {slowest} slowest (mean training loss over the {epochs} epochs, in "
                "the table). "
                + pick(slowest == "sigmoid", "The sigmoid's derivative is at most 1/4, so the gradient shrinks at "
                       "every layer on its way back and the first layers barely move. ", "")
                + pick(fastest in relu_family, "ReLU-family activations pass the gradient unchanged wherever a unit is "
                       "active, so deep layers keep learning.", ""))
    report.figure(line_figure(train_curves, "epoch", "training cross-entropy", "Activations: speed of learning",
                              log_y=True), "Training loss per epoch: lower sooner means faster learning")
    rising = [r["activation"] for r in rows
              if r["validation loss"] > 1.3 * min(val_curves[r["activation"]][1]) and r["train accuracy"] > 0.99]
    report.figure(line_figure(val_curves, "epoch", "validation cross-entropy", "Activations: validation loss",
                              log_y=True),
                  pick(bool(rising), f"{', '.join(rising)}: validation loss rises again after its lowest point while "
                       "training accuracy is ~1: fast learners start to overfit (see section 3)",
                       "Validation loss per epoch"))
    report.table(rows, f"After epoch {epochs}")
    return {r["activation"]: r["validation accuracy"] for r in rows} | {
        "fastest": fastest, "slowest": slowest,
        "mean_training_loss": {r["activation"]: r["mean training loss over the epochs"] for r in rows}}


ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "gelu")


# ---- 2. initialisation ----------------------------------------------------------------------------------


def layer_statistics(model: nn.Module, X: np.ndarray, y: np.ndarray) -> tuple[dict, dict]:
    """Activations after every nonlinearity, and the gradient of every weight, for one batch."""
    activations, handles = {}, []
    for i, module in enumerate(m for m in model if not isinstance(m, nn.Linear)):
        handles.append(module.register_forward_hook(
            lambda mod, args, out, i=i: activations.__setitem__(f"layer {i + 1}", out.numpy().copy())))
    model.zero_grad()
    nn.CrossEntropyLoss()(model(nr.tensor(X)), nr.tensor(y)).backward()
    for h in handles:
        h.remove()
    grads = {f"W{i + 1}": m.weight.grad.numpy().copy() for i, m in enumerate(x for x in model if isinstance(x, nn.Linear))}
    return activations, grads


def section_initialisation(report: HtmlReport, split: Any, quick: bool, seed: int) -> dict[str, Any]:
    report.section("2. Weight initialisation")
    report.text("A deep tanh network (6 hidden layers of 128) started four ways. Zeros: every unit computes the "
                "same thing, the symmetry is never broken and nothing is learnt. Small normal (std 0.01): each "
                "layer multiplies the signal by about 0.01 * sqrt(128), so activations and gradients vanish "
                "layer by layer. Xavier (std = sqrt(2 / (fan_in + fan_out))) keeps the variance of tanh "
                "activations steady; He (std = sqrt(2 / fan_in)) does the same for ReLU.")
    X, y = split.X_train[:256], split.y_train[:256]
    schemes = {
        "zeros": lambda w: nn.init.zeros_(w),
        "small normal": lambda w: nn.init.normal_(w, 0.0, 0.01),
        "xavier": lambda w: nn.init.xavier_normal_(w, gain=nn.init.calculate_gain("tanh")),
        "he (relu network)": lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"),
    }
    epochs = 6 if quick else 15
    rows, curves = [], {}
    for name, scheme in schemes.items():
        nr.manual_seed(seed)
        activation = "relu" if name.startswith("he") else "tanh"
        model = MLP([64] + [128] * 6 + [10], activation=activation)
        for m in model:
            if isinstance(m, nn.Linear):
                scheme(m.weight)
                nn.init.zeros_(m.bias)
        acts, grads = layer_statistics(model, X, y)
        report.figure(histograms(acts, f"{name}: activations per layer"), f"{name}: activations")
        report.figure(histograms(grads, f"{name}: weight gradients per layer"), f"{name}: gradients")
        history, _ = fit(model, optim.SGD(model.parameters(), lr=0.05, momentum=0.9), split, epochs, seed)
        curves[name] = history["val_accuracy"]
        rows.append({"initialisation": name, "activation": activation,
                     "std of last hidden activations": float(list(acts.values())[-1].std()),
                     "first / last weight-gradient norm": float(np.linalg.norm(grads["W1"]) /
                                                               (np.linalg.norm(grads[f"W{len(grads)}"]) + 1e-30)),
                     "validation accuracy": history["val_accuracy"][-1]})
    report.table(rows, f"Signal size at the last hidden layer, gradient ratio, and validation accuracy after epoch {epochs}")
    stuck = [r["initialisation"] for r in rows if r["validation accuracy"] < 0.2]
    learnt = [r["initialisation"] for r in rows if r["validation accuracy"] >= 0.5]
    report.text(pick(bool(stuck), f"Measured: {', '.join(stuck)} stay{'s' if len(stuck) == 1 else ''} at chance "
                     "(validation accuracy near 0.10, one class in ten); ", "Measured: no scheme stays at chance; ")
                + pick(bool(learnt), f"{', '.join(learnt)} learn{'s' if len(learnt) == 1 else ''}.", "none learns.")
                + " The last-hidden-layer spread and the first/last gradient ratio in the table show why.")
    report.figure(line_figure({k: per_epoch(v) for k, v in curves.items()}, "epoch", "validation accuracy",
                              "Initialisation and learning"), "Validation accuracy per epoch")
    return {r["initialisation"]: r["validation accuracy"] for r in rows}


# ---- 3. regularisation ------------------------------------------------------------------------------------


REGULARISATION_TRAIN_SIZE = 150  # few training digits: a 2x256 MLP memorises them, so a gap opens


def section_regularisation(report: HtmlReport, split: Any, quick: bool, seed: int) -> dict[str, Any]:
    report.section("3. Batch normalisation, dropout and weight decay")
    epochs = 20 if quick else 80
    small = copy.copy(split)
    keep = slice(0, REGULARISATION_TRAIN_SIZE)
    small.X_train, small.y_train = split.X_train[keep], split.y_train[keep]
    variants = {
        "plain": dict(batchnorm=False, dropout=0.0, wd=0.0),
        "batch norm": dict(batchnorm=True, dropout=0.0, wd=0.0),
        "dropout 0.2": dict(batchnorm=False, dropout=0.2, wd=0.0),
        "dropout 0.5": dict(batchnorm=False, dropout=0.5, wd=0.0),
        "weight decay 1e-2": dict(batchnorm=False, dropout=0.0, wd=1e-2),
    }
    rows, gaps, curves = [], {}, {}
    for name, v in variants.items():
        nr.manual_seed(seed)
        model = MLP([64, 256, 256, 10], activation="relu", dropout=v["dropout"], batchnorm=v["batchnorm"])
        opt = optim.Adam(model.parameters(), lr=1e-3, weight_decay=v["wd"])
        per_epoch_gap: list[float] = []
        holder: dict[str, Trainer] = {}

        def measure(epoch: int, logs: dict, per_epoch_gap=per_epoch_gap, holder=holder) -> None:
            # the gap in evaluation mode (dropout off, batch norm's running statistics), as the model is used
            per_epoch_gap.append(logs["val_loss"] - holder["trainer"].evaluate(small.train)["loss"])

        trainer = Trainer(model, nn.CrossEntropyLoss(), opt)
        holder["trainer"] = trainer
        trainer.fit(small.train, val=small.val, epochs=epochs, batch_size=32, verbose=0, seed=seed,
                    callbacks=[LambdaCallback(on_epoch_end=measure)])
        train, val = trainer.evaluate(small.train), trainer.evaluate(small.val)
        gaps[name] = {"accuracy": train["accuracy"] - val["accuracy"], "loss": val["loss"] - train["loss"]}
        curves[name] = per_epoch(per_epoch_gap)
        rows.append({"variant": name, "train accuracy": train["accuracy"], "validation accuracy": val["accuracy"],
                     "accuracy gap": gaps[name]["accuracy"], "train loss": train["loss"],
                     "validation loss": val["loss"], "loss gap": gaps[name]["loss"]})
    report.text(f"Trained on only {REGULARISATION_TRAIN_SIZE} digits for {epochs} epochs, a 2x256 MLP memorises "
                "them: training accuracy reaches 1 and a gap to validation opens. Dropout silences random units "
                "during training, weight decay pulls weights toward 0, batch normalisation standardises each "
                "layer's inputs per batch. The gap is measured two ways, in evaluation mode: in accuracy (train - "
                "validation) and in cross-entropy (validation - train).")
    report.figure(line_figure(curves, "epoch", "validation loss - training loss", "The train/validation gap"),
                  "The gap per epoch (evaluation mode): lower is less overfitting")
    report.table(rows, f"After epoch {epochs}, evaluation mode, {REGULARISATION_TRAIN_SIZE} training examples")
    base = gaps["plain"]
    lines = []
    for name, g in gaps.items():
        if name == "plain":
            continue
        acc = pick(g["accuracy"] < base["accuracy"] - 0.005, "shrinks", "does not shrink")
        loss = pick(g["loss"] < base["loss"] - 0.01, "shrinks", "does not shrink")
        lines.append(f"{name} {acc} the accuracy gap ({base['accuracy']:.3f} -> {g['accuracy']:.3f}) and {loss} "
                     f"the loss gap ({base['loss']:.3f} -> {g['loss']:.3f})")
    report.text("Measured against the plain network: " + "; ".join(lines) + ". "
                + pick(any(g["loss"] > base["loss"] + 0.01 and g["accuracy"] < base["accuracy"] - 0.005
                           for g in gaps.values()),
                       "Where the loss gap grows while the accuracy gap shrinks, the regularised network gets more "
                       "digits right but is more confidently wrong on the ones it misses, which cross-entropy "
                       "punishes hard.", ""))
    return gaps


# ---- 4. optimisers and schedules --------------------------------------------------------------------------


OPTIMIZERS = {
    "SGD": lambda p: optim.SGD(p, lr=0.05),
    "SGD + momentum": lambda p: optim.SGD(p, lr=0.05, momentum=0.9),
    "Nesterov": lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
    "AdaGrad": lambda p: optim.Adagrad(p, lr=0.05),
    "RMSprop": lambda p: optim.RMSprop(p, lr=1e-3),
    "Adam": lambda p: optim.Adam(p, lr=1e-3),
    "AdamW": lambda p: optim.AdamW(p, lr=1e-3, weight_decay=1e-2),
}


def section_optimisers(report: HtmlReport, split: Any, quick: bool, seed: int) -> dict[str, Any]:
    report.section("4. The optimiser race and learning-rate schedules")
    epochs = 8 if quick else 25
    nr.manual_seed(seed)
    start = MLP([64, 128, 64, 10], activation="relu").state_dict()
    start = {k: v.numpy().copy() for k, v in start.items()}
    losses, rows = {}, []
    for name, make in OPTIMIZERS.items():
        model = MLP([64, 128, 64, 10], activation="relu")
        model.load_state_dict(start)  # the same initial weights for every contender
        history, _ = fit(model, make(model.parameters()), split, epochs, seed)
        losses[name] = per_epoch(history["loss"])
        rows.append({"optimiser": name, "final training loss": history["loss"][-1],
                     "validation accuracy": history["val_accuracy"][-1]})
    final = {r["optimiser"]: r["final training loss"] for r in rows}
    ranking = sorted(final, key=final.get)
    report.text("Seven optimisers from the same initial weights. Momentum accumulates a velocity that carries "
                "through flat and noisy regions; Nesterov looks ahead before stepping; AdaGrad and RMSprop scale "
                "each weight's step by its gradient history; Adam combines momentum with that scaling; AdamW "
                "decouples weight decay from it. "
                f"Measured after {epochs} epochs, lowest training loss first: {', '.join(ranking)}. Momentum "
                + pick(final["SGD + momentum"] < final["SGD"], "speeds plain SGD up", "does not speed plain SGD up")
                + f" ({final['SGD']:.3g} -> {final['SGD + momentum']:.3g}) at the same learning rate 0.05.")
    report.figure(line_figure(losses, "epoch", "training cross-entropy", "Optimiser race", log_y=True),
                  "Training loss per epoch, same start")
    report.table(rows, f"After epoch {epochs}")

    peak = 0.1  # one-cycle's highest rate: the constant rate, so the schedules differ only in shape
    schedules = {
        "constant": lambda o, steps: [],
        "step (x0.3 every third)": lambda o, steps: [LearningRateScheduler(
            optim.lr_scheduler.StepLR(o, step_size=max(epochs // 3, 1), gamma=0.3))],
        "cosine": lambda o, steps: [LearningRateScheduler(optim.lr_scheduler.CosineAnnealingLR(o, T_max=epochs))],
        "one-cycle": lambda o, steps: [LearningRateScheduler(optim.lr_scheduler.OneCycleLR(
            o, max_lr=peak, total_steps=epochs * steps), per_batch=True)],
        "reduce on plateau": lambda o, steps: [ReduceLROnPlateau("val_loss", factor=0.3, patience=2)],
    }
    lrs, accs, sched_rows = {}, {}, []
    steps = int(np.ceil(len(split.X_train) / 32))
    for name, make in schedules.items():
        model = MLP([64, 128, 64, 10], activation="relu")
        model.load_state_dict(start)
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        history, _ = fit(model, opt, split, epochs, seed, callbacks=make(opt, steps))
        lrs[name], accs[name] = per_epoch(history["lr"]), per_epoch(history["val_accuracy"])
        sched_rows.append({"schedule": name, "validation accuracy": history["val_accuracy"][-1],
                           "validation loss": history["val_loss"][-1], "last learning rate": history["lr"][-1]})
    by = {r["schedule"]: r for r in sched_rows}
    base = by["constant"]["validation loss"]
    better = [n for n in by if n != "constant" and by[n]["validation loss"] < base]
    report.text("Learning-rate schedules for SGD with momentum from the same start: large steps early to make "
                "progress, small steps late to settle into a minimum. One-cycle warms up from max_lr / 25 to "
                f"max_lr = {peak} (the constant rate) by 30 % of the run, then anneals far below it. Measured: "
                + pick(bool(better), f"{', '.join(better)} end{'s' if len(better) == 1 else ''} with a lower "
                       f"validation loss than the constant rate ({base:.3f})",
                       f"no schedule beats the constant rate's validation loss ({base:.3f})")
                + f"; one-cycle ends at validation accuracy {by['one-cycle']['validation accuracy']:.3f} against "
                f"{by['constant']['validation accuracy']:.3f} for the constant rate"
                + pick(by["one-cycle"]["validation accuracy"] < by["constant"]["validation accuracy"] - 0.02,
                       ": its warm-up spends the first third of a short run at small rates, and its highest rate "
                       "comes mid-run, so it has less time at useful rates.", "."))
    report.figure(line_figure(lrs, "epoch", "learning rate (end of epoch)", "Schedules", log_y=True), "Schedules")
    report.figure(line_figure(accs, "epoch", "validation accuracy", "What the schedules achieve"),
                  "Validation accuracy per epoch")
    report.table(sched_rows, f"After epoch {epochs}")
    return {r["optimiser"]: r["final training loss"] for r in rows} | {
        "schedules": {r["schedule"]: r["validation accuracy"] for r in sched_rows}}


# ---- 5. tuning ----------------------------------------------------------------------------------------------

TUNING_BATCH = 64
SEARCH_GRID = {"lr": [3e-4, 1e-3, 3e-3], "width": [128, 256], "dropout": [0.0, 0.2], "weight_decay": [1e-4]}


def tuning_split(seed: int) -> Any:
    """Digits with a larger validation part (25 % of the rows, ~450 digits instead of ~270): one digit is then
    0.2 % of validation accuracy, so candidates are ranked by something steadier than a handful of samples.
    The test rows are the same as :func:`digits_split`'s (the test part is split off first, with the same seed)."""
    return datasets.digits().split(val=0.25, test=0.2, seed=seed, scale="standard")


def make_objective(split: Any, epochs: int, seed: int, prune: bool):
    """The Optuna objective: an MLP (two hidden layers) with AdamW, judged by its best validation accuracy.

    With ``prune`` the validation accuracy goes to Optuna after every epoch (``OptunaPruning``) and the
    pruner may stop the trial early. ``epochs`` and ``best_epoch`` are kept as trial attributes."""
    from neurona.train import OptunaPruning

    def objective(trial: Any) -> float:
        params = {"lr": trial.suggest_float("lr", 1e-4, 1e-2, log=True),
                  "width": trial.suggest_categorical("width", [64, 128, 256]),
                  "dropout": trial.suggest_float("dropout", 0.0, 0.4),
                  "weight_decay": trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True)}
        nr.manual_seed(seed)
        model = MLP([64, params["width"], params["width"], 10], activation="relu", dropout=params["dropout"])
        opt = optim.AdamW(model.parameters(), lr=params["lr"], weight_decay=params["weight_decay"])
        pruning = OptunaPruning(trial, "val_accuracy")
        try:
            history, _ = fit(model, opt, split, epochs, seed, callbacks=[pruning] if prune else [],
                             batch_size=TUNING_BATCH)
        finally:
            trial.set_user_attr("epochs", pruning.last_epoch or epochs)
        accuracy = history["val_accuracy"]
        trial.set_user_attr("best_epoch", int(np.argmax(accuracy)) + 1)
        return max(accuracy)

    return objective


def run_search(method: str, split: Any, budget: int, epochs: int, seed: int) -> Any:
    """One study of ``budget`` trials: 'grid', 'random', 'tpe' or 'tpe + pruning' (median pruner)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    samplers = {"grid": lambda: optuna.samplers.GridSampler(SEARCH_GRID, seed=seed),
                "random": lambda: optuna.samplers.RandomSampler(seed=seed),
                "tpe": lambda: optuna.samplers.TPESampler(seed=seed, n_startup_trials=max(budget // 3, 2)),
                "tpe + pruning": lambda: optuna.samplers.TPESampler(seed=seed, n_startup_trials=max(budget // 3, 2))}
    pruner = (optuna.pruners.MedianPruner(n_startup_trials=min(3, max(budget // 2, 1)), n_warmup_steps=max(epochs // 5, 1))
              if method == "tpe + pruning" else optuna.pruners.NopPruner())
    study = optuna.create_study(direction="maximize", sampler=samplers[method](), pruner=pruner)
    study.optimize(make_objective(split, epochs, seed, prune=method == "tpe + pruning"), n_trials=budget)
    return study


def section_tuning(report: HtmlReport, split: Any, quick: bool, seed: int) -> dict[str, Any]:
    """Grid vs random vs TPE on the same budget, TPE with and without pruning, then one test evaluation."""
    import optuna

    from neurona.tune.report import best_so_far, importance_figure, importances

    report.section("5. Hyper-parameter tuning")
    epochs, budget = (5, 3) if quick else (16, 12)
    tune_split = tuning_split(seed)
    studies = {m: run_search(m, tune_split, budget, epochs, seed) for m in ("grid", "random", "tpe", "tpe + pruning")}
    curves, rows = {}, []
    for method, study in studies.items():
        values = [t.value if t.state.name == "COMPLETE" else float("nan") for t in study.trials]
        curves[method] = best_so_far(values, "maximize")
        pruned = [t for t in study.trials if t.state.name == "PRUNED"]
        rows.append({"search": method, "trials": len(study.trials), "pruned": len(pruned),
                     "epochs trained": sum(t.user_attrs["epochs"] for t in study.trials),
                     "best validation accuracy": study.best_value})
    report.text(f"Every search gets the same budget of {budget} trials (an MLP with two hidden layers, AdamW, "
                f"{epochs} epochs, batches of {TUNING_BATCH}) and judges a candidate on a validation part of 25 % of the digits. A grid spends "
                "its budget on a few values of each parameter; random search draws every parameter afresh (log-"
                "uniform for rates), so it tries more distinct values of the ones that matter (Bergstra & Bengio, "
                "2012); TPE (Optuna's default) models which regions gave good results and samples there more often. "
                "Pruning stops a trial whose validation accuracy after an epoch is below the median of earlier trials "
                "at that epoch, and spends the saved epochs elsewhere.")
    report.figure(line_figure(curves, "trial", "best validation accuracy so far", "Search methods, same budget"),
                  "Best validation accuracy against the number of trials")
    report.table(rows, "The four searches")
    saved = budget * epochs - rows[-1]["epochs trained"]
    report.note(f"Pruning stopped {rows[-1]['pruned']} of {budget} trials early and saved {saved} of "
                f"{budget * epochs} epochs ({saved / (budget * epochs):.0%}).")
    imp = importances(studies["tpe"]) or importances(studies["random"])
    if imp:
        report.figure(importance_figure(imp), "Which hyper-parameters mattered (fANOVA on the TPE study)")

    method, study = max(studies.items(), key=lambda kv: kv[1].best_value)
    best: optuna.trial.FrozenTrial = study.best_trial
    params, final_epochs = dict(best.params), int(best.user_attrs["best_epoch"])
    full = datasets.digits().split(val=0.0, test=0.2, seed=seed, scale="standard")  # train + validation together
    nr.manual_seed(seed)
    model = MLP([64, params["width"], params["width"], 10], activation="relu", dropout=params["dropout"])
    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.AdamW(model.parameters(), lr=params["lr"],
                                                                weight_decay=params["weight_decay"]))
    trainer.fit(full.train, epochs=final_epochs, batch_size=TUNING_BATCH, verbose=0, seed=seed)
    test = trainer.evaluate(full.test)  # the one and only look at the test split
    report.text("The winner is trained again on the training and validation digits together, for the number of "
                "epochs at which its validation accuracy peaked, and evaluated once on the test split. The test "
                "number estimates accuracy on new digits; had it been used to choose, it would be optimistic.")
    report.note(f"Chosen by {method}: {json_params(params)}; validation accuracy {best.value:.4f}; test accuracy "
                f"{test['accuracy']:.4f} (evaluated once, after retraining on train + validation for {final_epochs} "
                "epochs).")
    return {"best_params": params, "best_val_accuracy": best.value, "test_accuracy": test["accuracy"],
            "candidates": sum(r["trials"] for r in rows), "chosen_by": method, "epochs_saved_by_pruning": saved,
            "best_by_method": {r["search"]: r["best validation accuracy"] for r in rows}}


def json_params(params: dict) -> str:
    return ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())


def run(out: Any = "runs", quick: bool = False, seed: int = 0, console: Any = None) -> LabResult:
    """Run Lab 2 end to end and write ``report.html``."""
    with lab_folder(out, "lab2", quick, seed, console) as (folder, report, log):
        split = digits_split(seed)
        numbers: dict[str, Any] = {}
        for title, section in (("activations", section_activations), ("initialisation", section_initialisation),
                               ("regularisation", section_regularisation), ("optimisers", section_optimisers),
                               ("tuning", section_tuning)):
            log(f"Lab 2: {title} ...")
            numbers[title] = section(report, split, quick, seed)
        summary = {"final model test accuracy (Digits)": numbers["tuning"]["test_accuracy"],
                   "best validation accuracy": numbers["tuning"]["best_val_accuracy"],
                   "candidates tried": numbers["tuning"]["candidates"]}
        return folder.finish(report, numbers, summary)
