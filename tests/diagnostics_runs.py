"""A labelled collection of small training runs for the diagnostics: each run is really trained (tiny nets
on the playground's 2-D sets, a fraction of a second each) and labelled by how it was built.

Problems, each made the way it happens to students:
- overfitting: few noisy XOR points, a wide net, many epochs (ReLU and tanh; the tanh runs reach training
  accuracy 1.0 with standardised inputs, the case that used to get a false "saturated" alarm);
- unstable validation loss: a learning rate too high for batches of 4;
- divergence: plain SGD with a learning rate far beyond 2 / curvature on a regression;
- dead ReLUs: biases started at -5, so no unit ever fires;
- saturation: tanh or sigmoid fed unscaled inputs (x 50) with large initial weights, so units sit at their
  flat ends and learning stalls.
Healthy runs: standardised inputs, enough data, a sensible learning rate and epoch count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

import neurona as nr
from neurona import datasets, nn, optim
from neurona.models import MLP
from neurona.train import Diagnostics, Trainer


@dataclass(frozen=True)
class Case:
    name: str
    problems: frozenset[str]  # what the diagnostics must say (empty: healthy, nothing to say)
    data: str = "circle"
    n: int = 400
    noise: float = 5
    widths: tuple[int, ...] = (2, 16, 2)
    activation: str = "tanh"
    optimizer: str = "adam"
    lr: float = 0.01
    epochs: int = 30
    seed: int = 0
    batch_size: int = 16
    input_scale: float = 1.0
    init_std: float | None = None
    bias: float | None = None
    regression: bool = False
    extra: dict = field(default_factory=dict)


def _cases() -> list[Case]:
    cases = []
    for seed in (0, 1, 2):
        for act in ("relu", "tanh"):
            cases.append(Case(f"overfitting {act} seed {seed}", frozenset({"overfitting"}), data="xor", n=80,
                              noise=40, widths=(2, 64, 64, 2), activation=act, epochs=150, seed=seed))
    for seed in (0, 1, 2):
        cases.append(Case(f"unstable adam seed {seed}", frozenset({"unstable"}), noise=20, n=300,
                          widths=(2, 64, 64, 2), lr=0.08, epochs=40, seed=seed, batch_size=4))
        cases.append(Case(f"unstable sgd seed {seed}", frozenset({"unstable"}), data="gauss", noise=30, n=300,
                          widths=(2, 32, 2), optimizer="sgd", lr=0.9, epochs=40, seed=seed, batch_size=4))
    for seed, lr in ((0, 0.5), (1, 1.5), (2, 1.0), (3, 2.0)):
        cases.append(Case(f"divergence lr {lr} seed {seed}", frozenset({"divergence"}), data="reg_plane", n=200, widths=(2, 16, 1),
                          activation="relu", optimizer="sgd", lr=lr, epochs=15, seed=seed, regression=True))
    for seed in (0, 1, 2, 3):
        cases.append(Case(f"dead relu seed {seed}", frozenset({"dead_relu"}), n=200, widths=(2, 32, 32, 2),
                          activation="relu", epochs=20, seed=seed, bias=-5.0))
    for seed in (0, 1, 2):
        cases.append(Case(f"saturated tanh seed {seed}", frozenset({"saturation"}), n=200, widths=(2, 32, 32, 2),
                          optimizer="sgd", epochs=20, seed=seed, input_scale=50.0, init_std=2.0))
    for seed in (0, 1):
        cases.append(Case(f"saturated sigmoid seed {seed}", frozenset({"saturation"}), n=200, widths=(2, 32, 32, 2),
                          activation="sigmoid", optimizer="sgd", epochs=20, seed=seed, input_scale=50.0, init_std=2.0))
    healthy = [("circle", "tanh"), ("circle", "relu"), ("xor", "relu"), ("xor", "tanh"), ("gauss", "relu"),
               ("gauss", "tanh"), ("circle", "sigmoid"), ("xor", "leaky_relu")]
    for i, (data, act) in enumerate(healthy):
        cases.append(Case(f"healthy {data} {act}", frozenset(), data=data, activation=act, widths=(2, 16, 16, 2),
                          seed=i, lr=0.01 if act != "sigmoid" else 0.03))
    for seed in (0, 1, 2, 3):
        cases.append(Case(f"healthy regression seed {seed}", frozenset(), data="reg_plane", n=300,
                          widths=(2, 16, 1), optimizer="sgd", lr=0.01, epochs=20, seed=seed, regression=True))
    return cases


CASES = _cases()


def train(case: Case) -> tuple[Diagnostics, dict[str, list[float]]]:
    """Train one case; returns its Diagnostics callback (records, findings) and the history."""
    bundle = datasets.load(case.data, n=case.n, noise=case.noise, seed=case.seed)
    split = bundle.split(val=0.3, test=0.0, seed=case.seed, scale="standard")
    split.X_train = (split.X_train * case.input_scale).astype(np.float32)
    split.X_val = (split.X_val * case.input_scale).astype(np.float32)
    if case.regression:
        split.y_train, split.y_val = (y.astype(np.float32).reshape(-1, 1) for y in (split.y_train, split.y_val))
    nr.manual_seed(case.seed)
    model = MLP(list(case.widths), activation=case.activation)
    for m in model:
        if isinstance(m, nn.Linear):
            if case.init_std is not None:
                nn.init.normal_(m.weight, 0.0, case.init_std)
            if case.bias is not None:
                nn.init.constant_(m.bias, case.bias)
    opt = (optim.Adam(model.parameters(), lr=case.lr) if case.optimizer == "adam"
           else optim.SGD(model.parameters(), lr=case.lr, momentum=0.9 if not case.regression else 0.0))
    diagnostics = Diagnostics()
    loss = nn.MSELoss() if case.regression else nn.CrossEntropyLoss()
    trainer = Trainer(model, loss, opt, task="regression" if case.regression else "classification")
    with np.errstate(all="ignore"):
        history = trainer.fit(split.train, val=split.val, epochs=case.epochs, batch_size=case.batch_size, verbose=0,
                              seed=case.seed, callbacks=[diagnostics])
    return diagnostics, history.history
