"""Leave the page for code: the session's network and settings as a neurona YAML config (for
``neurona train``), a neurona script and a PyTorch script that rebuild and train the same model.

The data comes from :func:`neurona.datasets.playground.playground` in all three (the same generator,
seed and features the page used; uploaded points are written into the file). The scripts train
exactly as the page does (shuffled mini-batches, the schedule applied per epoch, the regulariser's
gradient added to the weights'); ``neurona train`` splits with its own stratified shuffle instead of
the page's first-``ratio``-percent split.
"""

from __future__ import annotations

import json

import yaml

LAYER_TYPES = {"relu": "relu", "tanh": "tanh", "sigmoid": "sigmoid", "linear": "identity"}
MODULES = {"relu": "ReLU()", "tanh": "Tanh()", "sigmoid": "Sigmoid()", "linear": "Identity()"}
INITS = {"xavier": "nn.init.xavier_uniform_(layer.weight)", "he": "nn.init.kaiming_normal_(layer.weight, nonlinearity=\"relu\")",
         "normal": "nn.init.normal_(layer.weight, 0.0, 1.0)", "zeros": "nn.init.zeros_(layer.weight)"}


def _data_options(session) -> dict:
    s = session.settings
    if s.dataset == "upload":
        rows = [[round(float(v), 6) for v in row] for row in session.uploaded]
        return {"source": "points", "task": s.problem, "points": rows, "features": list(s.features)}
    options = {"source": s.dataset, "features": list(s.features), "n": s.n_points, "noise": s.noise, "seed": s.seed}
    if s.dataset == "spiral":
        options["k_arms"] = s.classes
    elif s.dataset == "blobs":
        options["k"] = s.classes
    elif s.dataset == "boundary":
        options["fn"] = s.curve
    return options


def _loss(session) -> str:
    if session.task == "regression":
        return "mse"
    return "bce_with_logits" if session.n_classes == 2 else "cross_entropy"


def _epochs(session) -> int:
    return max(session.epoch, 100)


def to_yaml(session) -> str:
    """A config that ``neurona train`` runs: same data, features, layers, loss, optimiser and schedule."""
    s = session.settings
    layers: list[dict] = []
    for width, act in zip(s.hidden, s.activations()):
        layers.append({"type": "linear", "out_features": width})
        if s.batchnorm:
            layers.append({"type": "batchnorm1d"})
        layers.append({"type": LAYER_TYPES[act]})
        if s.dropout > 0:
            layers.append({"type": "dropout", "p": s.dropout})
    layers.append({"type": "linear", "out_features": "auto"})
    optimizer: dict = {"name": {"momentum": "sgd", "nesterov": "sgd"}.get(s.optimizer, s.optimizer), "lr": s.learning_rate}
    if s.optimizer in ("momentum", "nesterov"):
        optimizer.update(momentum=0.9, nesterov=s.optimizer == "nesterov")
    notes = []
    if s.regularization == "l2" and s.reg_rate > 0:
        optimizer["weight_decay"] = s.reg_rate  # the gradient of rate/2 * w^2 (on biases too, here)
    elif s.regularization == "l1" and s.reg_rate > 0:
        notes.append(f"L1 regularisation (rate {s.reg_rate:g}) has no config field: the Python exports include it.")
    if s.init != "default":
        notes.append(f"'{s.init}' weight init has no config field: the Python exports include it.")
    config: dict = {
        "name": f"playground-{s.dataset}",
        "seed": s.seed,
        "data": {"dataset": "playground", "options": _data_options(session), "val": 0.0,
                 "test": round(1 - s.ratio / 100, 4), "scale": "none"},
        "model": {"layers": layers},
        "loss": _loss(session),
        "optimizer": optimizer,
    }
    horizon = s.schedule_epochs
    if s.schedule == "step":
        config["schedule"] = {"name": "step", "options": {"step_size": horizon, "gamma": 0.5}}
    elif s.schedule == "exponential":
        config["schedule"] = {"name": "exponential", "options": {"gamma": round(0.5 ** (1 / horizon), 8)}}
    elif s.schedule == "cosine":
        config["schedule"] = {"name": "cosine", "options": {"T_max": horizon}}
    config["training"] = {"epochs": _epochs(session), "batch_size": s.batch_size}
    header = ["Exported from `neurona playground`; run it with:  neurona train playground.yaml",
              *notes]
    return "".join(f"# {line}\n" for line in header) + yaml.safe_dump(config, sort_keys=False, default_flow_style=None)


def to_python(session, framework: str = "neurona") -> str:
    """A short script that rebuilds and trains the same network with ``framework`` (neurona or pytorch)."""
    s, torch = session.settings, framework == "pytorch"
    lib = "torch" if torch else "nr"
    n_out = 1 if session.task == "regression" or session.n_classes == 2 else session.n_classes
    layers, width = [], len(s.features)
    for w, act in zip(s.hidden, s.activations()):
        layers.append(f"nn.Linear({width}, {w})")
        if s.batchnorm:
            layers.append(f"nn.BatchNorm1d({w})")
        layers.append(f"nn.{MODULES[act]}")
        if s.dropout > 0:
            layers.append(f"nn.Dropout({s.dropout})")
        width = w
    layers.append(f"nn.Linear({width}, {n_out})")
    binary = session.task == "classification" and n_out == 1
    loss = {"mse": "nn.MSELoss()", "bce_with_logits": "nn.BCEWithLogitsLoss()",
            "cross_entropy": "nn.CrossEntropyLoss()"}[_loss(session)]
    optimizer = {"sgd": f"optim.SGD(model.parameters(), lr={s.learning_rate!r})",
                 "momentum": f"optim.SGD(model.parameters(), lr={s.learning_rate!r}, momentum=0.9)",
                 "nesterov": f"optim.SGD(model.parameters(), lr={s.learning_rate!r}, momentum=0.9, nesterov=True)",
                 "rmsprop": f"optim.RMSprop(model.parameters(), lr={s.learning_rate!r})",
                 "adam": f"optim.Adam(model.parameters(), lr={s.learning_rate!r})"}[s.optimizer]
    factor = {"none": "1.0", "step": f"0.5 ** (epoch // {s.schedule_epochs})",
              "exponential": f"0.5 ** (epoch / {s.schedule_epochs})",
              "cosine": f"0.5 * (1 + math.cos(math.pi * min(epoch, {s.schedule_epochs}) / {s.schedule_epochs}))"}[s.schedule]
    options = _data_options(session)
    source = options.pop("source")
    args = ", ".join(f"{k}={json.dumps(v)}" for k, v in options.items())
    head = ["import torch", "from torch import nn, optim"] if torch else [
        "import neurona as nr", "from neurona import nn, optim"]
    lines = [
        f'"""The network of `neurona playground`, rebuilt and trained with {"PyTorch" if torch else "neurona"}."""',
        "",
        "import math",
        "",
        "import numpy as np",
        *head,
        "from neurona.datasets.playground import playground",
        "",
        *(["torch.set_num_threads(1)  # a network this small runs fastest on one thread"] if torch else []),
        f"{lib}.manual_seed({s.seed})",
        f"data = playground({source!r}, {args})",
        f"n_train = min(max(round(len(data.X) * {s.ratio} / 100), 1), len(data.X) - 1)",
        f"y = data.y.astype(np.{'float32' if binary or session.task == 'regression' else 'int64'})",
        "X_train, y_train, X_test, y_test = data.X[:n_train], y[:n_train], data.X[n_train:], y[n_train:]",
        "",
        "model = nn.Sequential(",
        *[f"    {layer}," for layer in layers],
        ")",
    ]
    if s.init != "default":
        lines += ["for layer in model:", "    if isinstance(layer, nn.Linear):", f"        {INITS[s.init]}",
                  "        nn.init.zeros_(layer.bias)"]
    squeeze = ".reshape(-1)" if n_out == 1 else ""
    lines += [
        f"loss_fn = {loss}",
        f"optimizer = {optimizer}",
        "",
        "",
        "def loss_of(X, y):",
        f"    return loss_fn(model({lib}.tensor(X)){squeeze}, {lib}.tensor(y))",
        "",
        "",
        f"rng = np.random.default_rng({s.seed})",
        f"for epoch in range({_epochs(session)}):",
        "    for group in optimizer.param_groups:",
        f"        group['lr'] = {s.learning_rate!r} * {factor}",
        "    model.train()",
        "    order = rng.permutation(n_train)",
        f"    for start in range(0, n_train, {s.batch_size}):",
        f"        batch = order[start:start + {s.batch_size}]",
    ]
    if s.batchnorm:
        lines += ["        if len(batch) < 2:", "            continue"]
    lines += ["        loss = loss_of(X_train[batch], y_train[batch])", "        optimizer.zero_grad()",
              "        loss.backward()"]
    if s.regularization != "none" and s.reg_rate > 0:
        term = "layer.weight.detach()" if s.regularization == "l2" else "layer.weight.detach().sign()"
        lines += [f"        with {lib}.no_grad():  # the {s.regularization.upper()} penalty's gradient",
                  "            for layer in model:", "                if isinstance(layer, nn.Linear):",
                  f"                    layer.weight.grad += {s.reg_rate!r} * {term}"]
    lines += [
        "        optimizer.step()",
        "model.eval()",
        f"with {lib}.no_grad():",
        '    print(f"train loss {loss_of(X_train, y_train).item():.4f}  test loss {loss_of(X_test, y_test).item():.4f}")',
        "",
    ]
    return "\n".join(lines)


def export(session, fmt: str) -> dict:
    """The ``export`` frame: the text and a file name for the page's download link."""
    if fmt == "yaml":
        return {"type": "export", "format": fmt, "filename": "playground.yaml", "text": to_yaml(session)}
    name = "playground_torch.py" if fmt == "pytorch" else "playground_neurona.py"
    return {"type": "export", "format": fmt, "filename": name, "text": to_python(session, fmt)}

