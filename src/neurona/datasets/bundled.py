"""Small real data sets that work offline: scikit-learn's bundled sets and Boston Housing.

Iris, Digits, Wine, Breast Cancer and Diabetes come from scikit-learn's ``load_*`` functions, which
read files shipped inside scikit-learn (never ``fetch_*``: no network). Boston Housing is shipped with
neurona as a CSV, checked against its sha256 on every load, and comes with the ethics note that any
use of it needs.
"""

from __future__ import annotations

import hashlib
import io
from importlib import resources
from pathlib import Path

import numpy as np

from neurona.datasets.base import DatasetBundle
from neurona.errors import ConfigError, DatasetError

UCI = "UCI Machine Learning Repository (CC BY 4.0); copy bundled with scikit-learn (BSD-3-Clause)"


def _from_sklearn(loader: str, name: str, task: str, summary: str, licence: str) -> DatasetBundle:
    from sklearn import datasets  # imported here: it is slow to import and only these loaders need it

    b = getattr(datasets, loader)()
    X = np.asarray(b.data, dtype=np.float32)
    if task == "classification":
        y = np.asarray(b.target, dtype=np.int64)
        target_names = [str(t) for t in b.target_names]
    else:
        y, target_names = np.asarray(b.target, dtype=np.float32), None
    return DatasetBundle(
        name=name,
        task=task,
        X=X,
        y=y,
        feature_names=[str(f) for f in b.feature_names],
        target_names=target_names,
        description=f"{summary}\n\n{b.DESCR}",
        licence=licence,
    )


def iris() -> DatasetBundle:
    """Fisher's Iris: 150 flowers, 4 measurements (cm), 3 species (50 each).

    Examples
    --------
    >>> iris().X.shape, iris().target_names
    ((150, 4), ['setosa', 'versicolor', 'virginica'])
    """
    return _from_sklearn(
        "load_iris",
        "iris",
        "classification",
        "Iris: sepal and petal length and width of 150 iris flowers of three species. One species is "
        "linearly separable from the other two; those two are not linearly separable from each other.",
        f"R. A. Fisher (1936), 'The use of multiple measurements in taxonomic problems'. {UCI}",
    )


def digits(as_images: bool = False, as_sequences: bool = False) -> DatasetBundle:
    """Handwritten digits: 1797 images of 8x8 pixels with intensities 0..16, 10 classes.

    Parameters
    ----------
    as_images : bool
        Give ``X`` the shape ``(n, 1, 8, 8)`` (channels first, for a CNN) instead of ``(n, 64)``.
        Pixel values stay 0..16 either way (divide by 16, or ``split(scale='minmax')``, for [0, 1]).
    as_sequences : bool
        Give ``X`` the shape ``(n, 8, 8)``: each image read top to bottom as 8 steps of one 8-pixel row, for
        a recurrent network (``sequence_classifier``).

    Examples
    --------
    >>> digits(as_images=True).X.shape
    (1797, 1, 8, 8)
    """
    bundle = _from_sklearn(
        "load_digits",
        "digits",
        "classification",
        "Digits: 8x8 images of handwritten digits 0-9 (4x4 blocks of a 32x32 bitmap, counting set pixels).",
        f"E. Alpaydin and C. Kaynak (1998), Optical Recognition of Handwritten Digits (test set). {UCI}",
    )
    if as_images and as_sequences:
        raise ConfigError("digits: as_images and as_sequences exclude each other; pick one layout")
    if as_images:
        bundle.X = bundle.X.reshape(-1, 1, 8, 8)
    elif as_sequences:
        bundle.X = bundle.X.reshape(-1, 8, 8)
    return bundle


def wine() -> DatasetBundle:
    """Wine: 178 Italian wines from three cultivars, 13 chemical measurements of very different scales
    (scale them).

    Examples
    --------
    >>> wine().X.shape
    (178, 13)
    """
    return _from_sklearn(
        "load_wine",
        "wine",
        "classification",
        "Wine: chemical analysis of 178 wines grown in one region of Italy by three cultivars. The features "
        "range from ~0.1 to ~1000, so standardise them before gradient descent.",
        f"M. Forina et al. (1988), PARVUS; via S. Aeberhard. {UCI}",
    )


def breast_cancer() -> DatasetBundle:
    """Breast Cancer Wisconsin (Diagnostic): 569 tumours, 30 features of cell nuclei, malignant or benign.

    Examples
    --------
    >>> breast_cancer().target_names
    ['malignant', 'benign']
    """
    return _from_sklearn(
        "load_breast_cancer",
        "breast_cancer",
        "classification",
        "Breast Cancer Wisconsin (Diagnostic): features computed from digitised images of fine-needle "
        "aspirates of breast masses. Label 0 is malignant (212), 1 benign (357): mind which class is "
        "'positive' when you report precision and recall.",
        f"W. H. Wolberg, W. N. Street and O. L. Mangasarian (1995). {UCI}",
    )


def diabetes() -> DatasetBundle:
    """Diabetes: 442 patients, 10 baseline variables (mean-centred and scaled), target a measure of
    disease progression one year later (25..346).

    Examples
    --------
    >>> diabetes().task
    'regression'
    """
    return _from_sklearn(
        "load_diabetes",
        "diabetes",
        "regression",
        "Diabetes: age, sex, body mass index, blood pressure and six blood serum measurements of 442 "
        "patients; the target is a quantitative measure of disease progression one year after baseline. "
        "scikit-learn ships the features already mean-centred and scaled.",
        "B. Efron, T. Hastie, I. Johnstone and R. Tibshirani (2004), 'Least Angle Regression', Annals of "
        "Statistics; copy bundled with scikit-learn (BSD-3-Clause)",
    )


# --------------------------------------------------------------------------------------------------
# Boston Housing
# --------------------------------------------------------------------------------------------------
BOSTON_SHA256 = "79ac716620024011b03c0c44d2bf99069b8173649181926d9109c25475a3804c"

BOSTON_DESCRIPTION = """\
Boston Housing (Harrison & Rubinfeld, 1978): 506 census tracts of the Boston area, 13 features, target
MEDV = median value of owner-occupied homes in $1000s.

READ BEFORE USING — known ethical problems
-------------------------------------------
* Column B is 1000(Bk - 0.63)^2, where Bk is the proportion of Black residents by town. The authors
  built it on the assumption that racial self-segregation had a positive effect on house prices, and
  did not show that this assumption was valid. The transform cannot be inverted, so Bk cannot be
  recovered from B.
* For these reasons scikit-learn deprecated load_boston in 1.0 and removed it in 1.2; its maintainers
  discourage using this data set except to study and teach ethical issues in data science
  (see also M. Carlisle, "Racist data destruction?").
* MEDV is censored at 50.0: 16 rows carry exactly 50.0, the cap, not the true value.

Use it to teach these problems, or load it with drop_b=True and explain why B was dropped. For plain
regression exercises prefer another data set (e.g. diabetes()).

Features: CRIM per-capita crime rate by town; ZN proportion of residential land zoned for lots over
25,000 sq.ft.; INDUS proportion of non-retail business acres; CHAS Charles River dummy (1 if the tract
bounds the river); NOX nitric oxides concentration (parts per 10 million); RM average number of rooms
per dwelling; AGE proportion of owner-occupied units built before 1940; DIS weighted distances to five
Boston employment centres; RAD index of accessibility to radial highways; TAX full-value property-tax
rate per $10,000; PTRATIO pupil-teacher ratio by town; B as above; LSTAT % lower status of the population.

The shipped file is scikit-learn 0.24.2's boston_house_prices.csv with its values unchanged (row 445
carries the corrected CRIM 10.6718, as in StatLib), re-laid out with one plain header row and LF endings.
"""

BOSTON_LICENCE = (
    "D. Harrison and D. L. Rubinfeld (1978), 'Hedonic housing prices and the demand for clean air', "
    "J. Environmental Economics and Management 5(1), 81-102; distributed by StatLib (CMU) and the UCI "
    "ML repository, and by scikit-learn before 1.2. No licence is stated for the data itself."
)


def _read_boston_bytes(path: str | Path | None) -> bytes:
    if path is None:
        return resources.files("neurona.datasets").joinpath("data", "boston_housing.csv").read_bytes()
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"boston_housing: no file at {path}")
    return path.read_bytes()


def boston_housing(drop_b: bool = False, path: str | Path | None = None) -> DatasetBundle:
    """Boston Housing regression data (506 rows, 13 features, target MEDV), with its ethics note.

    Read ``bundle.description`` before using it: column ``B`` encodes the proportion of Black residents
    by town, which is why scikit-learn removed this data set in 1.2, and ``MEDV`` is censored at 50.0.

    Parameters
    ----------
    drop_b : bool
        Remove column ``B`` (12 features remain).
    path : str or Path, optional
        Read this CSV instead of the copy shipped with neurona. Either way the file must have the
        sha256 ``79ac7166...a3804c``.

    Raises
    ------
    DatasetError
        When the file is missing or its sha256 differs (a changed or corrupted copy).

    Examples
    --------
    >>> boston_housing(drop_b=True).X.shape
    (506, 12)
    """
    raw = _read_boston_bytes(path)
    digest = hashlib.sha256(raw).hexdigest()
    if digest != BOSTON_SHA256:
        where = path if path is not None else "the copy shipped in neurona/datasets/data/boston_housing.csv"
        raise DatasetError(
            f"boston_housing: {where} has sha256 {digest}, expected {BOSTON_SHA256}. The file was changed or "
            "corrupted; restore the original (reinstall neurona) rather than using altered data."
        )
    text = raw.decode("ascii")
    header = text.split("\n", 1)[0].strip().split(",")
    table = np.loadtxt(io.StringIO(text), delimiter=",", skiprows=1, dtype=np.float64)
    X, y = table[:, :-1], table[:, -1]
    names = header[:-1]
    if drop_b:
        keep = [i for i, n in enumerate(names) if n != "B"]
        X, names = X[:, keep], [names[i] for i in keep]
    return DatasetBundle(
        name="boston_housing",
        task="regression",
        X=X.astype(np.float32),
        y=y.astype(np.float32),
        feature_names=names,
        target_names=None,
        description=BOSTON_DESCRIPTION,
        licence=BOSTON_LICENCE,
        extra={"sha256": digest, "censored_rows": int(np.count_nonzero(y == 50.0)), "drop_b": bool(drop_b)},
    )
