"""The list of data sets by name: :func:`available`, :func:`describe_all` and :func:`load`.

The facts listed here (sizes, classes, licence) are written down, not computed, so that listing the
data sets needs no files and loads nothing; a test checks them against the loaders.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable
from dataclasses import dataclass

from neurona.datasets import bundled, images, playground
from neurona.datasets.base import DatasetBundle
from neurona.errors import ConfigError, DatasetError


@dataclass(frozen=True)
class Entry:
    name: str
    loader: Callable[..., DatasetBundle]
    task: str
    n_samples: str  # text, because some depend on the split or on n
    shape: tuple[int, ...]  # shape of one sample
    n_classes: int | None
    source: str  # 'bundled', 'generated' or 'local files'
    licence: str
    summary: str


_UCI = "CC BY 4.0 (UCI), via scikit-learn"
_PLAY = "generated (TensorFlow Playground algorithm, Apache-2.0)"

REGISTRY: dict[str, Entry] = {
    e.name: e
    for e in [
        Entry(
            "iris",
            bundled.iris,
            "classification",
            "150",
            (4,),
            3,
            "bundled",
            _UCI,
            "Iris flowers: 4 measurements, 3 species",
        ),
        Entry(
            "digits",
            bundled.digits,
            "classification",
            "1797",
            (64,),
            10,
            "bundled",
            _UCI,
            "8x8 handwritten digits (as_images=True gives (1, 8, 8))",
        ),
        Entry(
            "wine",
            bundled.wine,
            "classification",
            "178",
            (13,),
            3,
            "bundled",
            _UCI,
            "Italian wines: 13 chemical measurements, 3 cultivars",
        ),
        Entry(
            "breast_cancer",
            bundled.breast_cancer,
            "classification",
            "569",
            (30,),
            2,
            "bundled",
            _UCI,
            "Breast Cancer Wisconsin (Diagnostic): malignant or benign",
        ),
        Entry(
            "diabetes",
            bundled.diabetes,
            "regression",
            "442",
            (10,),
            None,
            "bundled",
            "via scikit-learn (BSD-3-Clause); Efron et al. 2004",
            "Disease progression one year after baseline, 10 variables",
        ),
        Entry(
            "boston_housing",
            bundled.boston_housing,
            "regression",
            "506",
            (13,),
            None,
            "bundled",
            "no licence stated; Harrison & Rubinfeld 1978 (StatLib)",
            "Boston house prices; ETHICS NOTE: column B encodes race (drop_b=True removes it)",
        ),
        Entry(
            "circle",
            playground.circle,
            "classification",
            "n (500)",
            (2,),
            2,
            "generated",
            _PLAY,
            "Playground: disc inside a ring",
        ),
        Entry(
            "xor",
            playground.xor,
            "classification",
            "n (500)",
            (2,),
            2,
            "generated",
            _PLAY,
            "Playground: exclusive or of the quadrants",
        ),
        Entry(
            "gauss",
            playground.gauss,
            "classification",
            "n (500)",
            (2,),
            2,
            "generated",
            _PLAY,
            "Playground: two Gaussian clouds",
        ),
        Entry(
            "spiral",
            playground.spiral,
            "classification",
            "n (500)",
            (2,),
            2,
            "generated",
            _PLAY,
            "Playground: interleaved spirals (k_arms for more classes)",
        ),
        Entry(
            "blobs",
            playground.blobs,
            "classification",
            "n (500)",
            (2,),
            3,
            "generated",
            _PLAY,
            "k Gaussian clouds on a circle (k=3 by default)",
        ),
        Entry(
            "reg_plane",
            playground.reg_plane,
            "regression",
            "n (1200)",
            (2,),
            None,
            "generated",
            _PLAY,
            "Playground regression: a tilted plane",
        ),
        Entry(
            "reg_gauss",
            playground.reg_gauss,
            "regression",
            "n (1200)",
            (2,),
            None,
            "generated",
            _PLAY,
            "Playground regression: six signed Gaussian bumps",
        ),
        Entry(
            "mnist",
            images.mnist,
            "classification",
            "60000 train / 10000 test",
            (1, 28, 28),
            10,
            "local files",
            "CC BY-SA 3.0; LeCun, Cortes & Burges",
            "Handwritten digits 28x28 (needs root=folder of IDX files)",
        ),
        Entry(
            "fashion_mnist",
            images.fashion_mnist,
            "classification",
            "60000 train / 10000 test",
            (1, 28, 28),
            10,
            "local files",
            "MIT; Zalando Research",
            "Clothing images 28x28 (needs root=folder of IDX files)",
        ),
        Entry(
            "cifar10",
            images.cifar10,
            "classification",
            "50000 train / 10000 test",
            (3, 32, 32),
            10,
            "local files",
            "no licence stated; cite Krizhevsky 2009",
            "Colour images 32x32, 10 classes (needs root=folder with cifar-10-batches-bin/)",
        ),
    ]
}

ALIASES = {
    "boston": "boston_housing",
    "fashion": "fashion_mnist",
    "fmnist": "fashion_mnist",
    "cifar": "cifar10",
    "cifar_10": "cifar10",
    "cancer": "breast_cancer",
}


def available() -> list[str]:
    """Names of all data sets :func:`load` knows.

    Examples
    --------
    >>> "iris" in available()
    True
    """
    return list(REGISTRY)


def describe_all() -> list[dict]:
    """One dict per data set: name, task, samples, sample shape, classes, source, licence and summary.

    Loads nothing, so it also lists the data sets that need downloaded files (for ``neurona datasets``).

    Examples
    --------
    >>> row = describe_all()[0]
    >>> row["name"], row["task"], row["shape"], row["classes"]
    ('iris', 'classification', (4,), 3)
    """
    return [
        {
            "name": e.name,
            "task": e.task,
            "n_samples": e.n_samples,
            "shape": e.shape,
            "classes": e.n_classes,
            "source": e.source,
            "licence": e.licence,
            "summary": e.summary,
        }
        for e in REGISTRY.values()
    ]


def _resolve(name: str) -> Entry:
    if not isinstance(name, str):
        raise DatasetError(f"dataset name must be a string, got {type(name).__name__}")
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    key = ALIASES.get(key, key)
    if key not in REGISTRY:
        close = difflib.get_close_matches(key, list(REGISTRY), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise DatasetError(f"unknown dataset {name!r}.{hint} Valid names: {', '.join(REGISTRY)}.")
    return REGISTRY[key]


def load(name: str, **options) -> DatasetBundle:
    """Load a data set by name, passing ``options`` to its loader.

    Parameters
    ----------
    name : str
        One of :func:`available` (case and ``-``/``_`` do not matter: ``'reg-plane'`` works).
    **options
        Arguments of that loader, e.g. ``noise=20, seed=1`` for ``'spiral'`` or ``root='data/'`` for
        ``'mnist'``.

    Raises
    ------
    DatasetError
        Unknown name (the message lists the valid ones).
    ConfigError
        An option the loader does not take (the message lists those it does).

    Examples
    --------
    >>> load("spiral", n=200, noise=10).X.shape
    (200, 2)
    """
    entry = _resolve(name)
    params = inspect.signature(entry.loader).parameters
    unknown = [k for k in options if k not in params]
    if unknown:
        valid = ", ".join(params) or "none"
        raise ConfigError(
            f"dataset {entry.name!r} takes no option(s) {', '.join(map(repr, unknown))}; "
            f"its options are: {valid}"
        )
    required = [k for k, p in params.items() if p.default is inspect.Parameter.empty and k not in options]
    if required:
        raise ConfigError(
            f"dataset {entry.name!r} needs the option(s) {', '.join(required)}, e.g. "
            f"load({entry.name!r}, root='path/to/folder')"
        )
    return entry.loader(**options)
