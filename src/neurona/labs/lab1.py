"""Lab 1 (weeks 1-2): ML fundamentals, the single neuron, shallow networks and backpropagation.

Five sections, each a part of the report with figures and a short explanation:

1. the data (Iris, Boston Housing and its ethics problem; classification vs regression);
2. linear regression as a single neuron trained by batch gradient descent, against the closed form;
3. logistic and softmax regression by gradient descent: boundaries, confusion matrix, ROC;
4. a one-hidden-layer network: backprop by hand = autograd = finite differences; playground sets;
5. model complexity: overfitting as the width grows, fixed by early stopping and L2.

``run(out, quick, seed)`` is what ``neurona lab 1`` calls; ``labs/lab1.ipynb`` calls the same functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.linear_model import LinearRegression
from sklearn.metrics import accuracy_score, mean_squared_error, roc_auc_score

import neurona as nr
import neurona.functional as F
from neurona import datasets, nn, optim
from neurona.autograd import gradcheck, numerical_grad
from neurona.labs.common import LabResult, lab_folder, per_epoch, pick, svg_figure
from neurona.report import HtmlReport, confusion_matrix_figure, decision_boundary, line_figure, roc_figure
from neurona.report.figures import mark_epoch
from neurona.train import EarlyStopping, Trainer
from neurona.viz import draw_graph

# ---- 1. data ----------------------------------------------------------------------------------------


def section_data(report: HtmlReport) -> dict[str, Any]:
    iris, boston = datasets.iris(), datasets.boston_housing()
    report.section("1. The data: classification and regression")
    report.text(
        "Classification predicts a class (Iris: which of 3 species, from 4 flower measurements); regression "
        "predicts a number (Boston Housing: the median home value MEDV, in $1000s, from 13 features of a town). "
        "Both are supervised learning: we learn from examples whose answers we know, and we judge the model "
        "on examples it never saw (the test split)."
    )
    report.table([
        {"dataset": b.name, "task": b.task, "samples": b.n_samples, "features": b.n_features,
         "classes": b.n_classes or "-", "target": ", ".join(b.target_names) if b.target_names else "MEDV"}
        for b in (iris, boston)
    ])
    report.warning(boston.description)
    return {"iris_samples": iris.n_samples, "boston_samples": boston.n_samples}


# ---- 2. linear regression as one neuron -------------------------------------------------------------


def gradient_descent_regression(X: np.ndarray, y: np.ndarray, lr: float, epochs: int) -> tuple[list[float], Any]:
    """y_hat = X w + b, loss = mean (y_hat - y)^2, full-batch gradient descent with autograd."""
    w = nr.zeros(X.shape[1], dtype=nr.float64, requires_grad=True)
    b = nr.zeros(1, dtype=nr.float64, requires_grad=True)
    Xt, yt = nr.tensor(X, dtype=nr.float64), nr.tensor(y, dtype=nr.float64)
    losses = []
    for _ in range(epochs):
        loss = F.mse_loss(Xt @ w + b, yt)
        w.grad = b.grad = None
        loss.backward()
        with nr.no_grad():
            w.data -= lr * w.grad.data
            b.data -= lr * b.grad.data
        losses.append(loss.item())
        if not np.isfinite(losses[-1]) or losses[-1] > 1e12:
            break
    return losses, (w.numpy().copy(), b.numpy().copy())


def section_linear_regression(report: HtmlReport, quick: bool, seed: int) -> dict[str, Any]:
    report.section("2. Linear regression: a single neuron trained by gradient descent")
    results = {}
    for drop_b in (False, True):
        split = datasets.boston_housing(drop_b=drop_b).split(val=0.0, test=0.2, seed=seed, scale="standard")
        X, y, Xte, yte = split.X_train.astype(np.float64), split.y_train.astype(np.float64), split.X_test, split.y_test
        # the MSE's Hessian is H = 2 X^T X / n (bias column included); its largest eigenvalue, the curvature
        # lambda_max, sets the step size: gradient descent diverges when lr > 2 / lambda_max
        design = np.hstack([X, np.ones((len(X), 1))])
        lam = float(np.linalg.eigvalsh(2 * design.T @ design / len(X)).max())
        epochs = 1500 if quick else 4000
        losses, (w, b) = gradient_descent_regression(X, y, 1.0 / lam, epochs)
        rmse_gd = float(np.sqrt(mean_squared_error(yte, Xte @ w + b)))
        closed = LinearRegression().fit(X, y)
        rmse_sk = float(np.sqrt(mean_squared_error(yte, closed.predict(Xte))))
        closed_mse = float(mean_squared_error(y, closed.predict(X)))  # the lowest training MSE there is
        near = np.flatnonzero(np.asarray(losses) <= closed_mse * 1.01)
        within = int(near[0]) + 1 if len(near) else None  # first epoch within 1 % of the least-squares optimum
        key = "boston_drop_b" if drop_b else "boston"
        results[key] = {"rmse_gd": rmse_gd, "rmse_sklearn": rmse_sk, "relative_gap": abs(rmse_gd - rmse_sk) / rmse_sk,
                        "lambda_max": lam, "closed_form_train_mse": closed_mse, "epochs_to_1_percent": within}
        if not drop_b:
            curves, finals = {}, {}
            for label, lr in (("too small (0.01/λmax)", 0.01 / lam), ("good (1/λmax)", 1.0 / lam),
                              ("too large (2.2/λmax)", 2.2 / lam)):
                curve, _ = gradient_descent_regression(X, y, lr, 60 if quick else 150)
                curves[f"lr {label} = {lr:.3g}"] = per_epoch(curve)
                finals[label.split(" (")[0]] = curve[-1]
            curves["closed form (least squares)"] = per_epoch([closed_mse] * len(curve))
            report.text(
                "One neuron with no activation is linear regression: y_hat = w . x + b. Gradient descent repeats "
                "w <- w - lr * dJ/dw on the mean squared error J(w) = mean (y_hat - y)^2. The learning rate decides "
                "everything: the largest curvature of J here (the largest eigenvalue of its Hessian 2 X^T X / n) is "
                f"λmax = {lam:.3g}, and gradient descent diverges when lr > 2/λmax."
            )
            fig = line_figure(curves, "epoch", "training MSE", "Effect of the learning rate", log_y=True)
            fig.axes[0].set_ylim(closed_mse * 0.7, max(c[1][0] for c in curves.values()) * 30)
            start = curves[next(iter(curves))][1][0]
            report.figure(fig, "Too small: " + pick(finals["too small"] > 2 * closed_mse,
                                                    "still far above the optimum at the end. ", "slow. ")
                          + "Good: " + pick(finals["good"] <= 1.01 * closed_mse, "reaches the optimum. ",
                                            "close to the optimum. ")
                          + "Too large: " + pick(finals["too large"] > start, "the loss explodes (off the top of the "
                                                 "axis).", "oscillates without exploding."))
            shown = min(len(losses), max(3 * (within or len(losses) // 3), 20))
            fig = line_figure({"gradient descent, lr = 1/λmax": per_epoch(losses[:shown]),
                               "closed-form least squares": per_epoch([closed_mse] * shown)},
                              "epoch", "training MSE", "Converging to the least-squares solution", log_y=True)
            report.figure(fig, pick(within is not None, f"Within 1 % of the closed-form optimum after {within} epochs",
                                    f"Not within 1 % of the closed-form optimum after {len(losses)} epochs"))
    rows = [{"features": "all 13" if k == "boston" else "without B", "test RMSE (gradient descent)": v["rmse_gd"],
             "test RMSE (scikit-learn closed form)": v["rmse_sklearn"], "relative gap": f"{v['relative_gap']:.2%}"}
            for k, v in results.items()]
    worst = max(v["relative_gap"] for v in results.values())
    report.table(rows, pick(worst < 0.01, "Gradient descent reaches the closed-form least-squares solution",
                            f"Gradient descent ends {worst:.1%} from the closed-form solution"))
    with_b, without_b = results["boston"]["rmse_sklearn"], results["boston_drop_b"]["rmse_sklearn"]
    change = (without_b - with_b) / with_b
    report.text(f"Dropping column B (built on a racist assumption; see section 1) changes the test RMSE from "
                f"{with_b:.3f} to {without_b:.3f} ({change:+.1%}): "
                + pick(abs(change) < 0.03, "the model barely needs it to predict prices.",
                       "a measurable difference, which is no reason to keep a feature built on a racist premise."))
    return results


# ---- 3. logistic and softmax regression -------------------------------------------------------------


def fit_linear_classifier(X: np.ndarray, y: np.ndarray, n_classes: int, lr: float, epochs: int) -> tuple:
    """Logistic (2 classes, sigmoid + BCE) or softmax regression (k classes) by gradient descent."""
    out = 1 if n_classes == 2 else n_classes
    W = nr.zeros(out, X.shape[1], requires_grad=True)
    b = nr.zeros(out, requires_grad=True)
    Xt = nr.tensor(X)
    for _ in range(epochs):
        logits = Xt @ W.T + b
        if n_classes == 2:
            loss = F.binary_cross_entropy_with_logits(logits.reshape(-1), nr.tensor(y.astype(np.float32)))
        else:
            loss = F.cross_entropy(logits, nr.tensor(y))
        W.grad = b.grad = None
        loss.backward()
        with nr.no_grad():
            W.data -= lr * W.grad.data
            b.data -= lr * b.grad.data

    def predict_proba(points: np.ndarray) -> np.ndarray:
        with nr.no_grad():
            z = (nr.tensor(points.astype(np.float32)) @ W.T + b).numpy()
        if n_classes == 2:
            p1 = 1 / (1 + np.exp(-z.reshape(-1)))
            return np.stack([1 - p1, p1], 1)
        e = np.exp(z - z.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)

    return predict_proba, loss.item()


def section_logistic(report: HtmlReport, quick: bool, seed: int) -> dict[str, Any]:
    report.section("3. Logistic and softmax regression")
    iris = datasets.iris()
    epochs = 150 if quick else 400
    petal = [2, 3]
    mask = iris.y > 0  # versicolor vs virginica: the two species that overlap
    binary = datasets.DatasetBundle("iris-2", "classification", iris.X[mask][:, petal], (iris.y[mask] - 1),
                                    ["petal length", "petal width"], ["versicolor", "virginica"])
    s = binary.split(val=0.0, test=0.3, seed=seed, scale="standard")
    proba, _ = fit_linear_classifier(s.X_train, s.y_train, 2, 0.5, epochs)
    p_test = proba(s.X_test)
    auc = float(roc_auc_score(s.y_test, p_test[:, 1]))
    acc_binary = float(accuracy_score(s.y_test, p_test.argmax(1)))
    report.text("Logistic regression is one neuron with a sigmoid: P(virginica | x) = sigmoid(w . x + b), trained "
                "by minimising the binary cross-entropy. Its decision boundary is the straight line w . x + b = 0.")
    report.figure(decision_boundary(proba, s.X_train, s.y_train, s.X_test, s.y_test, class_names=binary.target_names,
                                    feature_names=("petal length (std.)", "petal width (std.)"),
                                    title="Logistic regression: versicolor vs virginica"), "Binary decision boundary")
    report.figure(confusion_matrix_figure(s.y_test, p_test.argmax(1), display_labels=binary.target_names),
                  f"Logistic regression on the test flowers: accuracy {acc_binary:.3f}")
    report.figure(roc_figure(s.y_test, p_test[:, 1], class_names=binary.target_names), f"ROC curve, AUC = {auc:.3f}")
    errors = int((p_test.argmax(1) != s.y_test).sum())
    report.text(pick(errors == 0, "The line puts every test flower on its side: the confusion matrix has nothing "
                     "off its diagonal.", f"The confusion matrix counts {errors} test flower(s) on the wrong side of "
                     "the line: versicolor and virginica overlap in petal size, so no straight line separates them all.")
                + " The ROC curve moves the threshold on P(virginica) from 1 to 0 and plots the true-positive rate "
                f"against the false-positive rate; its area (AUC = {auc:.3f}) is the chance that a random virginica "
                "gets a higher score than a random versicolor.")

    report.text("Softmax regression generalises it to k classes: P(class c | x) = exp(z_c) / sum_j exp(z_j) with "
                "z = W x + b, trained with the cross-entropy. Boundaries between classes are still straight lines.")
    s2 = datasets.DatasetBundle("iris-petal", "classification", iris.X[:, petal], iris.y, ["petal length", "petal width"],
                                iris.target_names).split(val=0.0, test=0.3, seed=seed, scale="standard")
    proba2, _ = fit_linear_classifier(s2.X_train, s2.y_train, 3, 0.5, epochs)
    report.figure(decision_boundary(proba2, s2.X_train, s2.y_train, s2.X_test, s2.y_test, class_names=iris.target_names,
                                    feature_names=("petal length (std.)", "petal width (std.)"),
                                    title="Softmax regression on two features"), "Three-class decision regions")
    full = iris.split(val=0.0, test=0.3, seed=seed, scale="standard")
    proba3, _ = fit_linear_classifier(full.X_train, full.y_train, 3, 0.5, epochs)
    p3 = proba3(full.X_test)
    acc_softmax = float(accuracy_score(full.y_test, p3.argmax(1)))
    auc3 = float(roc_auc_score(full.y_test, p3, multi_class="ovr"))
    report.figure(confusion_matrix_figure(full.y_test, p3.argmax(1), display_labels=iris.target_names),
                  f"Softmax regression on all 4 features: test accuracy {acc_softmax:.3f}")
    report.figure(roc_figure(full.y_test, p3, class_names=iris.target_names), f"One-vs-rest ROC, macro AUC {auc3:.3f}")
    cm = np.bincount(full.y_test * 3 + p3.argmax(1), minlength=9).reshape(3, 3)
    off = [(iris.target_names[i], iris.target_names[j], int(cm[i, j])) for i in range(3) for j in range(3)
           if i != j and cm[i, j]]
    report.text(f"With all four features softmax regression classifies {acc_softmax:.1%} of the test flowers correctly. "
                + pick(bool(off), "Its mistakes: " + "; ".join(f"{n} {a} taken for {b}" for a, b, n in off) + ".",
                       "It makes no mistake on this split."))
    return {"logistic_test_accuracy": acc_binary, "logistic_auc": auc, "softmax_test_accuracy": acc_softmax,
            "softmax_auc": auc3}


# ---- 4. a shallow network and backpropagation -------------------------------------------------------


def shallow_forward(X: Any, W1: Any, b1: Any, W2: Any, b2: Any, y: np.ndarray) -> Any:
    """h = tanh(X W1^T + b1); logits = h W2^T + b2; loss = mean cross-entropy."""
    h = (X @ W1.T + b1).tanh()
    return F.cross_entropy(h @ W2.T + b2, nr.tensor(y))


def backprop_by_hand(X: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray,
                     y: np.ndarray) -> list[np.ndarray]:
    """The chain rule written out, layer by layer, in NumPy."""
    n = len(X)
    h = np.tanh(X @ W1.T + b1)                      # forward
    z = h @ W2.T + b2
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    dz = (p - np.eye(W2.shape[0])[y]) / n           # dL/dz for softmax + cross-entropy
    dW2, db2 = dz.T @ h, dz.sum(0)
    dh = dz @ W2                                    # back through the second layer
    da = dh * (1 - h**2)                            # back through tanh
    dW1, db1 = da.T @ X, da.sum(0)
    return [dW1, db1, dW2, db2]


def section_backprop(report: HtmlReport, quick: bool, seed: int) -> dict[str, Any]:
    report.section("4. A shallow network and backpropagation")
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((12, 2))
    y = rng.integers(0, 3, 12)
    params = [rng.standard_normal(s) * 0.5 for s in ((5, 2), (5,), (3, 5), (3,))]
    hand = backprop_by_hand(X, *params, y)
    tensors = [nr.tensor(p, dtype=nr.float64, requires_grad=True) for p in params]
    Xt = nr.tensor(X, dtype=nr.float64)
    loss = shallow_forward(Xt, *tensors, y)
    graph = draw_graph(loss, names=dict(zip(["W1", "b1", "W2", "b2"], tensors)))
    loss.backward()
    auto = [t.grad.numpy() for t in tensors]
    numeric = numerical_grad(lambda *ps: shallow_forward(Xt, *ps, y), tensors)
    passed = gradcheck(lambda *ps: shallow_forward(Xt, *ps, y), tensors)
    names = ["W1", "b1", "W2", "b2"]
    rows, worst = [], 0.0
    for name, h_, a, n_ in zip(names, hand, auto, numeric):
        d1, d2 = float(np.abs(h_ - a).max()), float(np.abs(a - n_).max())
        worst = max(worst, d1, d2)
        rows.append({"parameter": name, "shape": str(a.shape), "max |hand - autograd|": f"{d1:.1e}",
                     "max |autograd - finite differences|": f"{d2:.1e}"})
    report.text("Backpropagation is the chain rule applied from the loss back to every weight. Below, the gradient "
                "of a 2-5-3 tanh network's loss is computed three ways, in float64: by hand-written formulas "
                "(dz = (p - y)/n, dW2 = dz^T h, dh = dz W2, da = dh (1 - h^2), dW1 = da^T x), by neurona's autograd, "
                "and by central finite differences (what gradcheck compares against).")
    report.table(rows, pick(worst < 1e-6 and passed, f"All three agree (largest difference {worst:.1e}); gradcheck "
                            "passed", f"They disagree by up to {worst:.1e}; gradcheck passed: {passed}"))
    report.html(svg_figure(graph.svg(), "The computation graph of this loss (neurona.viz.draw_graph): every box is "
                                        "an op call, every arrow a tensor with its shape and, after backward, the norm "
                                        "of the gradient that flowed back along it"))
    report.text("Read the graph from the bottom up to follow backpropagation: the loss's gradient is 1; each op "
                "multiplies the gradient arriving from below by its local derivative and passes it up to its inputs; "
                "where a tensor feeds two ops, the two gradients add up.")

    epochs = 150 if quick else 400
    accuracies, linear = {}, {}
    for name in ("circle", "xor", "spiral"):
        data = datasets.load(name, n=300 if quick else 500, noise=5, seed=seed)
        s = data.split(val=0.0, test=0.25, seed=seed, scale="standard")
        line, _ = fit_linear_classifier(s.X_train, s.y_train, 2, 0.5, epochs)
        linear[name] = float(accuracy_score(s.y_test, line(s.X_test).argmax(1)))
        nr.manual_seed(seed)
        hidden = 32 if name == "spiral" else 8
        W1 = nr.Tensor(nr.randn(hidden, 2).numpy() * 0.5, requires_grad=True)
        b1, W2 = nr.zeros(hidden, requires_grad=True), nr.Tensor(nr.randn(2, hidden).numpy() * 0.5, requires_grad=True)
        b2 = nr.zeros(2, requires_grad=True)
        opt = optim.Adam([W1, b1, W2, b2], lr=0.03)
        Xtr = nr.tensor(s.X_train)
        for _ in range(epochs * (3 if name == "spiral" else 1)):
            loss = shallow_forward(Xtr, W1, b1, W2, b2, s.y_train)
            opt.zero_grad()
            loss.backward()
            opt.step()

        def proba(points: np.ndarray, W1=W1, b1=b1, W2=W2, b2=b2) -> np.ndarray:  # this set's weights
            with nr.no_grad():
                h = (nr.tensor(points.astype(np.float32)) @ W1.T + b1).tanh()
                return F.softmax(h @ W2.T + b2, -1).numpy()

        accuracies[name] = float(accuracy_score(s.y_test, proba(s.X_test).argmax(1)))
        report.figure(decision_boundary(proba, s.X_train, s.y_train, s.X_test, s.y_test,
                                        title=f"{name}: {hidden} tanh units, test accuracy {accuracies[name]:.2f}"),
                      f"A hidden layer bends the boundary: {name}")
    report.table([{"data set": k, "logistic regression (a straight line)": linear[k],
                   "one hidden layer of tanh units": accuracies[k]} for k in accuracies], "Test accuracy")
    better = [k for k in accuracies if accuracies[k] > linear[k] + 0.1]
    report.text(pick(len(better) == len(accuracies), "On all three sets ", "On " + (", ".join(better) or "none")
                     + " of the sets ")
                + "the hidden layer beats the straight line by more than 10 points: no straight line separates "
                "these classes, while tanh units combine into curved boundaries (more units for the spiral's "
                "harder shape).")
    return {"max_gradient_difference": worst, "gradcheck_passed": bool(passed),
            "graph_nodes": len(graph.nodes), **{f"{k}_test_accuracy": v for k, v in accuracies.items()},
            **{f"{k}_logistic_test_accuracy": v for k, v in linear.items()}}


# ---- 5. complexity and generalisation ---------------------------------------------------------------


def _classifier(width: int) -> nn.Module:
    return nn.Sequential(nn.Linear(2, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(), nn.Linear(width, 2))


COMPLEXITY_LR = 0.003  # small steps: the curves show the turn of the validation loss clearly


def _proba(model: nn.Module):
    def predict(points: np.ndarray) -> np.ndarray:
        with nr.no_grad():
            return F.softmax(model.eval()(nr.tensor(points.astype(np.float32))), -1).numpy()

    return predict


def section_complexity(report: HtmlReport, quick: bool, seed: int) -> dict[str, Any]:
    report.section("5. Model complexity, overfitting and regularisation")
    data = datasets.xor(n=300, noise=40, seed=seed)  # few noisy points: easy to memorise
    # three parts: train to fit, validation to choose (the width, the stopping epoch), test to judge once
    s = data.split(val=0.3, test=0.3, seed=seed, scale="standard")
    widths = [2, 8, 32, 128] if quick else [2, 4, 8, 16, 32, 64, 128, 256]
    epochs = 150 if quick else 300
    rows, histories, models = [], {}, {}
    for width in widths:
        nr.manual_seed(seed)
        model = _classifier(width)
        trainer = Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=COMPLEXITY_LR))
        history = trainer.fit(s.train, val=s.val, epochs=epochs, batch_size=32, verbose=0, seed=seed)
        rows.append({"hidden width": width, "parameters": model.num_parameters(),
                     "train error": 1 - history["accuracy"][-1], "validation error": 1 - history["val_accuracy"][-1],
                     "train loss": history["loss"][-1], "validation loss": history["val_loss"][-1]})
        histories[width], models[width] = history, model
    small, big = widths[0], widths[-1]
    best_width = min(rows, key=lambda r: r["validation error"])["hidden width"]
    report.text(f"{len(s.y_train)} training points of a noisy XOR (noise 40: each point's label is decided from a position jittered by up to 2 units, so labels near the axes are often wrong), networks with two hidden layers "
                f"of width {', '.join(map(str, widths))}, each trained for {epochs} epochs. The validation part "
                f"({len(s.y_val)} points) chooses; the test part ({len(s.y_test)} points) is only looked at at the end.")
    report.table(rows, f"After epoch {epochs}, by width")
    fig = line_figure({"training error": (np.array(widths, float), [r["train error"] for r in rows]),
                       "validation error": (np.array(widths, float), [r["validation error"] for r in rows])},
                      "hidden width (log scale)", "error (1 - accuracy)", "Error against capacity")
    fig.axes[0].set_xscale("log", base=2)
    fig.axes[0].set_ylim(0, max(0.6, max(r["validation error"] for r in rows) + 0.05))
    report.figure(fig, "Error against width after the last epoch")
    train_err, val_err = rows[-1]["train error"], rows[-1]["validation error"]
    report.text(f"Width {big}: training error {train_err:.1%}, validation error {val_err:.1%}. "
                + pick(val_err - train_err > 0.05, "The widest network fits its training points far better than new "
                       "ones: it has memorised noise. That gap is overfitting. ",
                       "At this scale the gap stays small. ")
                + f"The lowest validation error is at width {best_width}"
                + pick(best_width not in (big,), ", not at the largest: more capacity stopped helping.", "."))
    for width in (small, big):
        report.figure(decision_boundary(_proba(models[width]), s.X_train, s.y_train,
                                        title=f"Width {width}: training error {1 - histories[width]['accuracy'][-1]:.0%}"),
                      f"Decision regions of width {width} over its training points")
    h = histories[big]
    turn = int(np.argmin(h["val_loss"])) + 1
    fig = line_figure({f"width {w} {part}": per_epoch(histories[w][key]) for w in (small, big)
                       for part, key in (("train", "loss"), ("validation", "val_loss"))},
                      "epoch", "cross-entropy", "Training vs validation loss", log_y=True)
    report.figure(mark_epoch(fig, turn, f"width {big}: lowest validation loss (epoch {turn})"),
                  f"Width {big}: validation loss lowest at epoch {turn} ({min(h['val_loss']):.3f}), "
                  f"{h['val_loss'][-1]:.3f} at epoch {epochs}; training loss {h['loss'][-1]:.3f}")

    def fit(penalty: float, early: bool) -> tuple[Any, dict, int, str]:
        nr.manual_seed(seed)
        model = _classifier(big)

        def loss(out: Any, y: Any) -> Any:  # loss = error + complexity
            error = F.cross_entropy(out, y)
            return error + penalty * nn.utils.l2_penalty(model) if penalty else error

        trainer = Trainer(model, loss, optim.Adam(model.parameters(), lr=COMPLEXITY_LR), task="classification")
        stopper = EarlyStopping("val_loss", patience=15)
        history = trainer.fit(s.train, val=s.val, epochs=epochs, batch_size=32, verbose=0, seed=seed,
                              callbacks=[stopper] if early else [])
        epoch = stopper.restored_epoch if early else len(history)
        return history, trainer.evaluate(s.test), epoch, stopper.summary() if early else ""

    plain_h, plain, plain_epoch, _ = fit(0.0, False)
    early_h, early, early_epoch, said = fit(0.0, True)
    l2_h, l2, l2_epoch, _ = fit(3e-3, False)
    report.text("Two fixes. Early stopping watches the validation loss and keeps the weights of its best epoch. L2 "
                "regularisation adds a complexity term to the loss, loss = error + lambda * sum w^2, which pulls "
                "weights toward 0 and smooths the boundary. All three are scored on the test part, which chose nothing.")
    report.note(said)
    fig = line_figure({"no regularisation": per_epoch(plain_h["val_loss"]), "early stopping": per_epoch(early_h["val_loss"]),
                       "L2, lambda = 3e-3": per_epoch(l2_h["val_loss"])}, "epoch", "validation cross-entropy",
                      f"Width {big}: validation loss")
    report.figure(mark_epoch(fig, early_epoch, f"early stopping restores epoch {early_epoch}"),
                  "Early stopping ends the run and goes back to the marked epoch")
    report.table([{"model": "no regularisation", "weights from epoch": plain_epoch, **plain},
                  {"model": "early stopping (restores its best epoch)", "weights from epoch": early_epoch, **early},
                  {"model": "L2 penalty", "weights from epoch": l2_epoch, **l2}],
                 "Test metrics (the test part was used for nothing else)")
    report.text(f"On the test part, early stopping {pick(early['loss'] < plain['loss'], 'lowers', 'does not lower')} the "
                f"loss ({plain['loss']:.3f} -> {early['loss']:.3f}) and L2 "
                f"{pick(l2['loss'] < plain['loss'], 'lowers', 'does not lower')} it ({l2['loss']:.3f}); test accuracy "
                f"{plain['accuracy']:.3f} without regularisation, {early['accuracy']:.3f} with early stopping, "
                f"{l2['accuracy']:.3f} with L2.")
    return {"overfit_gap": val_err - train_err, "best_width": best_width, "errors_by_width": rows,
            "test_loss_plain": plain["loss"], "test_loss_early_stopping": early["loss"], "test_loss_l2": l2["loss"],
            "test_accuracy_plain": plain["accuracy"], "test_accuracy_early_stopping": early["accuracy"],
            "test_accuracy_l2": l2["accuracy"], "early_stopping_epoch": early_epoch}


def run(out: Any = "runs", quick: bool = False, seed: int = 0, console: Any = None) -> LabResult:
    """Run Lab 1 end to end and write ``report.html``; returns the summary numbers and the paths."""
    with lab_folder(out, "lab1", quick, seed, console) as (folder, report, log):
        nr.manual_seed(seed)
        numbers: dict[str, Any] = {}
        for title, section in (("data", lambda: section_data(report)),
                               ("linear regression", lambda: section_linear_regression(report, quick, seed)),
                               ("logistic and softmax regression", lambda: section_logistic(report, quick, seed)),
                               ("backpropagation", lambda: section_backprop(report, quick, seed)),
                               ("complexity", lambda: section_complexity(report, quick, seed))):
            log(f"Lab 1: {title} ...")
            numbers[title] = section()
        summary = {
            "Boston test RMSE, gradient descent": numbers["linear regression"]["boston"]["rmse_gd"],
            "Boston test RMSE, scikit-learn": numbers["linear regression"]["boston"]["rmse_sklearn"],
            "Iris softmax regression test accuracy": numbers["logistic and softmax regression"]["softmax_test_accuracy"],
            "largest gradient disagreement (float64)": numbers["backpropagation"]["max_gradient_difference"],
            "spiral test accuracy (one hidden layer)": numbers["backpropagation"]["spiral_test_accuracy"],
        }
        return folder.finish(report, numbers, summary)
