"""A/B: the working tree's neurona against the neurona of a git revision, interleaved in one process.

    python benchmarks/ab.py [REV [small|mlp|lenet|lstm ...]]     # REV defaults to HEAD

The revision's ``src/neurona`` is exported to a temporary folder as a package named ``neurona_ref``
(its imports rewritten), so both versions load side by side and are timed round by round, like the
torch comparisons. Prints new / old for the MLP step, the LeNet-5 step and the LSTM forward + backward
(the speed rule: no change may make one of them more than 5 % slower).
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

import numpy as np

from common import interleaved

ROOT = Path(__file__).resolve().parents[1]


def load_revision(rev: str):
    """The neurona package of git revision ``rev``, importable as ``neurona_ref``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src/neurona"], capture_output=True, check=True).stdout
    folder = Path(tempfile.mkdtemp(prefix="neurona-ab-"))
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    package = folder / "neurona_ref"
    (folder / "src" / "neurona").rename(package)
    for path in package.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"\bneurona(?=[.\s])", "neurona_ref", text), encoding="utf-8")
    sys.path.insert(0, str(folder))
    return importlib.import_module("neurona_ref")


def _parts(nr):
    """The package's nn and functional modules (``import neurona`` alone does not load functional)."""
    name = nr.__name__
    return importlib.import_module(f"{name}.nn"), importlib.import_module(f"{name}.functional")


def mlp_step(nr, rng_seed: int = 0):
    rng = np.random.default_rng(rng_seed)
    x, y = rng.standard_normal((128, 784)).astype(np.float32), rng.integers(0, 10, 128)
    sizes = (784, 256, 256, 10)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        params.append(nr.tensor(rng.uniform(-0.05, 0.05, (fan_out, fan_in)).astype(np.float32), requires_grad=True))
        params.append(nr.tensor(np.zeros(fan_out, np.float32), requires_grad=True))
    (_, F), xt, yt = _parts(nr), nr.tensor(x), nr.tensor(y)

    def step():
        h = xt
        for i in range(0, len(params), 2):
            h = F.linear(h, params[i], params[i + 1])
            if i < len(params) - 2:
                h = F.relu(h)
        for p in params:
            p.grad = None
        F.cross_entropy(h, yt).backward()

    return step


def lenet_step(nr, seed: int = 0):
    nn, F = _parts(nr)
    nr.manual_seed(seed)
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    rng = np.random.default_rng(seed)
    x, y = nr.tensor(rng.standard_normal((64, 1, 28, 28)).astype(np.float32)), nr.tensor(rng.integers(0, 10, 64))

    def step():
        model.zero_grad()
        F.cross_entropy(model(x), y).backward()

    return step


def lstm_step(nr, seed: int = 0):
    nr.manual_seed(seed)
    layer = _parts(nr)[0].LSTM(32, 128)
    x = nr.tensor(np.random.default_rng(seed).standard_normal((50, 32, 32)).astype(np.float32), requires_grad=True)

    def step():
        layer.zero_grad()
        x.grad = None
        out, _ = layer(x)
        out.sum().backward()

    return step


def small_graph_step(nr, seed: int = 0):
    a = nr.tensor(np.random.default_rng(seed).standard_normal((4, 4)).astype(np.float32), requires_grad=True)

    def step():
        y = ((a * 2.0 + 1.0).tanh() * a).sum()  # 5 ops: the engine's own overhead
        a.grad = None
        y.backward()

    return step


def main() -> None:
    rev = sys.argv[1] if len(sys.argv) > 1 else "HEAD"
    import neurona

    old = load_revision(rev)
    print(f"new: the working tree; old: {rev}")
    cases = (("5-op graph (small)", small_graph_step, 200), ("MLP step", mlp_step, 10), ("LeNet-5 step", lenet_step, 3),
             ("LSTM fwd+bwd", lstm_step, 2))
    only = sys.argv[2:]  # optional names to run: small mlp lenet lstm
    for name, make, inner in cases:
        if only and not any(key in name.lower() for key in only):
            continue
        times = interleaved({"new": make(neurona), "old": make(old)}, rounds=21, inner=inner)
        print(f"{name}: new {times['new'] * 1e3:.3f} ms, old {times['old'] * 1e3:.3f} ms, new / old {times['new'] / times['old']:.3f}")


if __name__ == "__main__":
    main()
