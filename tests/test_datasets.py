"""neurona.datasets: bundled sets, Boston Housing and its checks, playground generators, IDX/CIFAR readers,
bundles and splits, and the registry."""

import gzip
import hashlib
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from neurona import datasets
from neurona.data import DataLoader, TensorDataset, train_val_test_split
from neurona.datasets import images
from neurona.errors import ConfigError, DatasetError

SHARED_CSV = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "boston_housing.csv"


# --------------------------------------------------------------------------------------------------
# Bundled sets
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("loader", "shape", "task", "n_classes", "first_feature"),
    [
        (datasets.iris, (150, 4), "classification", 3, "sepal length (cm)"),
        (datasets.digits, (1797, 64), "classification", 10, "pixel_0_0"),
        (datasets.wine, (178, 13), "classification", 3, "alcohol"),
        (datasets.breast_cancer, (569, 30), "classification", 2, "mean radius"),
        (datasets.diabetes, (442, 10), "regression", None, "age"),
        (datasets.boston_housing, (506, 13), "regression", None, "CRIM"),
    ],
)
def test_bundled_shapes_names_and_dtypes(loader, shape, task, n_classes, first_feature):
    b = loader()
    assert b.X.shape == shape and b.X.dtype == np.float32
    assert b.task == task and b.n_classes == n_classes
    assert len(b.feature_names) == shape[1] and b.feature_names[0] == first_feature
    assert len(b.y) == shape[0]
    if task == "classification":
        assert b.y.dtype == np.int64 and len(b.target_names) == n_classes
        assert set(np.unique(b.y)) == set(range(n_classes))
    else:
        assert b.y.dtype == np.float32 and b.target_names is None
    assert b.description and b.licence and b.name == loader.__name__
    assert b.summary()["shape"] == shape


def test_digits_as_images_and_names():
    flat, img = datasets.digits(), datasets.digits(as_images=True)
    assert img.X.shape == (1797, 1, 8, 8) and img.n_features == 64
    np.testing.assert_array_equal(img.X.reshape(1797, -1), flat.X)
    assert datasets.iris().target_names == ["setosa", "versicolor", "virginica"]
    assert datasets.breast_cancer().target_names == ["malignant", "benign"]


# --------------------------------------------------------------------------------------------------
# Boston Housing
# --------------------------------------------------------------------------------------------------
def test_boston_is_shipped_as_package_data_and_verified():
    shipped = resources.files("neurona.datasets").joinpath("data", "boston_housing.csv").read_bytes()
    assert hashlib.sha256(shipped).hexdigest() == datasets.bundled.BOSTON_SHA256
    if SHARED_CSV.exists():
        assert shipped == SHARED_CSV.read_bytes()
    b = datasets.boston_housing()
    np.testing.assert_allclose(
        b.X[0], [0.00632, 18, 2.31, 0, 0.538, 6.575, 65.2, 4.09, 1, 296, 15.3, 396.9, 4.98], rtol=1e-6
    )
    assert b.y[0] == 24 and b.feature_names[11] == "B"
    assert np.isclose(b.X[445, 0], 10.6718)  # the corrected CRIM value
    assert b.extra["censored_rows"] == 16 == int((b.y == 50.0).sum())


def test_boston_drop_b():
    full, dropped = datasets.boston_housing(), datasets.boston_housing(drop_b=True)
    assert dropped.X.shape == (506, 12) and "B" not in dropped.feature_names
    np.testing.assert_array_equal(dropped.X, np.delete(full.X, 11, axis=1))


def test_boston_description_carries_the_ethics_note():
    text = datasets.boston_housing().description
    for phrase in (
        "1000(Bk - 0.63)^2",
        "proportion of Black residents",
        "removed it in 1.2",
        "censored at 50.0",
        "16 rows",
        "drop_b=True",
    ):
        assert phrase in text, phrase


def test_boston_tampered_or_missing_copy_raises(tmp_path):
    original = resources.files("neurona.datasets").joinpath("data", "boston_housing.csv").read_bytes()
    good = tmp_path / "good.csv"
    good.write_bytes(original)
    assert datasets.boston_housing(path=good).X.shape == (506, 13)
    tampered = tmp_path / "tampered.csv"
    tampered.write_bytes(original.replace(b"396.9,4.98,24", b"396.9,4.98,25", 1))
    with pytest.raises(DatasetError, match="sha256"):
        datasets.boston_housing(path=tampered)
    with pytest.raises(DatasetError, match="no file"):
        datasets.boston_housing(path=tmp_path / "absent.csv")


# --------------------------------------------------------------------------------------------------
# Bundles and splits
# --------------------------------------------------------------------------------------------------
def test_bundle_split_stratified_scaled_on_train_only():
    b = datasets.wine()
    split = b.split(val=0.2, test=0.2, seed=3, scale="standard")
    assert len(split.X_train) + len(split.X_val) + len(split.X_test) == 178
    X_tr_raw, *_ = train_val_test_split(b.X, b.y, val=0.2, test=0.2, seed=3)
    np.testing.assert_allclose(split.scaler.mean_, X_tr_raw.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(split.X_train.mean(axis=0), 0, atol=1e-4)
    assert split.X_train.dtype == np.float32
    for part in (split.y_train, split.y_val, split.y_test):
        np.testing.assert_allclose(np.bincount(part) / len(part), np.bincount(b.y) / 178, atol=0.03)


def test_split_datasets_and_loaders():
    split = datasets.diabetes().split(val=0.0, test=0.2, seed=0)
    assert isinstance(split.train, TensorDataset) and split.val is None
    x, y = split.train[0:4]
    assert x.shape == (4, 10) and y.shape == (4, 1)  # regression targets as a column, like a model's output
    assert split.y_train.ndim == 1
    _train_loader, val_loader, test_loader = split.loaders(batch_size=64, seed=0)
    assert val_loader is None and sum(len(yb) for _, yb in test_loader) == len(split.y_test)
    clf = datasets.iris().split()
    x, y = clf.train[0]
    assert y.dtype == np.int64 and y.shape == ()
    imgs = datasets.digits(as_images=True).split(scale="minmax")
    assert imgs.X_train.shape[1:] == (1, 8, 8) and imgs.X_train.max() == 1.0
    xb, _yb = next(iter(DataLoader(imgs.train, batch_size=8)))
    assert xb.shape == (8, 1, 8, 8)


# --------------------------------------------------------------------------------------------------
# Playground generators
# --------------------------------------------------------------------------------------------------
PLAYGROUND = [
    datasets.circle,
    datasets.xor,
    datasets.gauss,
    datasets.spiral,
    datasets.blobs,
    datasets.reg_plane,
    datasets.reg_gauss,
]


@pytest.mark.parametrize("gen", PLAYGROUND, ids=lambda g: g.__name__)
def test_playground_deterministic_shapes_and_noise(gen):
    a, b = gen(n=200, noise=20, seed=1), gen(n=200, noise=20, seed=1)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    other = gen(n=200, noise=20, seed=2)
    assert not np.array_equal(a.X, other.X)
    assert a.X.shape == (200, 2) and a.X.dtype == np.float32 and a.y.shape == (200,)
    assert np.abs(a.X).max() < 12
    quiet = gen(n=200, noise=0, seed=1)
    assert not (np.array_equal(quiet.X, a.X) and np.array_equal(quiet.y, a.y))  # noise changes them
    if a.task == "classification":
        assert a.y.dtype == np.int64 and set(np.unique(a.y)) == set(range(a.n_classes))
    else:
        assert a.y.dtype == np.float32 and a.target_names is None
    assert "Generated with n=200, noise=20" in a.description
    for bad in (-1, 51):
        with pytest.raises(ConfigError, match=r"\[0, 50\]"):
            gen(noise=bad)


def test_playground_defaults_follow_the_playground():
    assert len(datasets.circle().X) == 500 and len(datasets.reg_plane().X) == 1200
    assert datasets.load("reg-gauss").X.shape == (1200, 2)


def test_circle_semantics():
    b = datasets.circle(n=400, noise=0)
    r = np.linalg.norm(b.X, axis=1)
    assert np.all((r <= 2.5 + 1e-6) | ((r >= 3.5 - 1e-6) & (r <= 5 + 1e-6)))
    np.testing.assert_array_equal(b.y, (r < 2.5).astype(np.int64))
    assert b.y.sum() == 200
    noisy = datasets.circle(n=400, noise=50)
    r = np.linalg.norm(noisy.X, axis=1)
    assert np.any((r < 2.5) & (noisy.y == 0))  # noise flips labels near the gap, the points stay put


def test_xor_semantics():
    b = datasets.xor(n=500, noise=0)
    assert np.abs(b.X).min() >= 0.3 - 1e-6 and np.abs(b.X).max() <= 5.3 + 1e-6
    np.testing.assert_array_equal(b.y, (b.X[:, 0] * b.X[:, 1] >= 0).astype(np.int64))


def test_gauss_semantics():
    b = datasets.gauss(n=2000, noise=0)
    np.testing.assert_allclose(b.X[b.y == 1].mean(axis=0), [2, 2], atol=0.1)
    np.testing.assert_allclose(b.X[b.y == 0].mean(axis=0), [-2, -2], atol=0.1)
    np.testing.assert_allclose(b.X[b.y == 1].var(axis=0), [0.5, 0.5], rtol=0.15)
    wide = datasets.gauss(n=2000, noise=50)
    np.testing.assert_allclose(wide.X[wide.y == 1].var(axis=0), [4, 4], rtol=0.15)


def test_spiral_semantics_and_arms():
    b = datasets.spiral(n=500, noise=0)
    assert np.bincount(b.y).tolist() == [250, 250]
    r = np.linalg.norm(b.X, axis=1)
    assert r.max() < 5 and r.min() == 0
    # arm 1 is the playground's positive arm (delta 0): the point at radius 2.5 has t = 1.75 pi
    i = 125
    t = 1.75 * i / 250 * 2 * np.pi
    expected = [2.5 * np.sin(t), 2.5 * np.cos(t)]
    assert np.min(np.linalg.norm(b.X[b.y == 1] - expected, axis=1)) < 1e-5
    three = datasets.spiral(n=301, k_arms=3)
    assert three.n_classes == 3 and len(three.X) == 301
    with pytest.raises(ConfigError):
        datasets.spiral(k_arms=1)


def test_blobs_and_regression_semantics():
    b = datasets.blobs(k=5, n=500)
    assert b.n_classes == 5 and np.bincount(b.y).tolist() == [100] * 5
    plane = datasets.reg_plane(n=300, noise=0)
    np.testing.assert_allclose(plane.y, plane.X.sum(axis=1) / 10, atol=1e-6)
    bumps = datasets.reg_gauss(n=1000, noise=0)
    assert np.abs(bumps.y).max() <= 1 and bumps.y.min() < -0.5 and bumps.y.max() > 0.5
    near = np.linalg.norm(bumps.X - [-4, 2.5], axis=1) < 0.2  # a positive bump
    assert np.all(bumps.y[near] > 0.8)


# --------------------------------------------------------------------------------------------------
# IDX (MNIST, Fashion-MNIST) and CIFAR-10 readers
# --------------------------------------------------------------------------------------------------
def idx_bytes(array: np.ndarray, code: int = 0x08) -> bytes:
    header = bytes([0, 0, code, array.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    dtype = images.IDX_TYPES[code]
    return header + array.astype(dtype).tobytes()


def write_mnist(folder: Path, prefix: str, n: int, compress: bool, seed: int = 0):
    rng = np.random.default_rng(seed)
    imgs = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    folder.mkdir(parents=True, exist_ok=True)
    for name, arr in ((f"{prefix}-images-idx3-ubyte", imgs), (f"{prefix}-labels-idx1-ubyte", labels)):
        data = idx_bytes(arr)
        if compress:
            (folder / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    return imgs, labels


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("split", ["train", "test"])
def test_mnist_reads_idx_files(tmp_path, compress, split):
    imgs, labels = write_mnist(tmp_path, "train" if split == "train" else "t10k", 7, compress)
    b = datasets.mnist(tmp_path, split=split)
    assert b.X.shape == (7, 1, 28, 28) and b.X.dtype == np.float32
    np.testing.assert_array_equal(b.X[:, 0], imgs / np.float32(255))
    assert b.X.min() >= 0 and b.X.max() <= 1
    np.testing.assert_array_equal(b.y, labels)
    assert b.y.dtype == np.int64 and b.target_names[3] == "3"


def test_fashion_mnist_torchvision_layout(tmp_path):
    write_mnist(tmp_path / "FashionMNIST" / "raw", "t10k", 3, compress=True)
    b = datasets.fashion_mnist(tmp_path, split="test")
    assert b.X.shape == (3, 1, 28, 28) and b.target_names[9] == "Ankle boot"


def test_idx_missing_files_name_full_paths(tmp_path):
    with pytest.raises(DatasetError) as err:
        datasets.mnist(tmp_path / "mnist")
    message = str(err.value)
    assert str(tmp_path / "mnist" / "train-images-idx3-ubyte") in message
    assert str(tmp_path / "mnist" / "train-labels-idx1-ubyte") in message
    assert "yann.lecun.com" in message
    with pytest.raises(DatasetError, match="fashion-mnist"):
        datasets.fashion_mnist(tmp_path, split="test")
    with pytest.raises(ConfigError, match="'train' or 'test'"):
        datasets.mnist(tmp_path, split="validation")


def test_idx_truncated_and_wrong_magic(tmp_path):
    write_mnist(tmp_path, "train", 4, compress=False)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(DatasetError, match="truncated"):
        datasets.mnist(tmp_path)
    gz = tmp_path / "cut.gz"
    gz.write_bytes(gzip.compress(idx_bytes(np.zeros((4, 28, 28), np.uint8)))[:-20])
    with pytest.raises(DatasetError, match="gzip"):
        images.read_idx(gz)
    swapped = tmp_path / "swapped"
    write_mnist(swapped, "train", 4, compress=False)
    labels = (swapped / "train-labels-idx1-ubyte").read_bytes()
    (swapped / "train-images-idx3-ubyte").write_bytes(labels)
    with pytest.raises(DatasetError, match="magic number 0x00000801, expected 0x00000803"):
        datasets.mnist(swapped)
    junk = tmp_path / "junk"
    junk.write_bytes(b"PK\x03\x04 not an idx file")
    with pytest.raises(DatasetError, match="not an IDX header"):
        images.read_idx(junk)
    short = tmp_path / "short"
    short.write_bytes(b"\x00\x00")
    with pytest.raises(DatasetError, match="too short"):
        images.read_idx(short)
    mismatch = tmp_path / "mismatch"
    write_mnist(mismatch, "train", 4, compress=False)
    (mismatch / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(3, np.uint8)))
    with pytest.raises(DatasetError, match=r"4 images but .* 3"):
        datasets.mnist(mismatch)


def test_read_idx_other_types(tmp_path):
    values = np.arange(-6, 6, dtype=np.int32).reshape(3, 4)
    (tmp_path / "ints").write_bytes(idx_bytes(values, code=0x0C))
    out = images.read_idx(tmp_path / "ints")
    np.testing.assert_array_equal(out, values)
    assert out.dtype.isnative
    floats = np.linspace(0, 1, 5)
    (tmp_path / "f8").write_bytes(idx_bytes(floats, code=0x0E))
    np.testing.assert_array_equal(images.read_idx(tmp_path / "f8"), floats)


def write_cifar(folder: Path, names, n: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name in names:
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        pixels = rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)
        records = np.concatenate([labels[:, None], pixels.reshape(n, -1)], axis=1)
        (folder / name).write_bytes(records.tobytes())
        out[name] = (pixels, labels)
    return out


def test_cifar10_binary(tmp_path):
    train_names = [f"data_batch_{i}.bin" for i in range(1, 6)]
    written = write_cifar(tmp_path / "cifar-10-batches-bin", [*train_names, "test_batch.bin"])
    train = datasets.cifar10(tmp_path)
    assert train.X.shape == (15, 3, 32, 32) and train.X.dtype == np.float32 and train.y.dtype == np.int64
    pixels, labels = written["data_batch_2.bin"]
    np.testing.assert_array_equal(train.X[3:6], pixels / np.float32(255))  # channels first, R then G then B
    np.testing.assert_array_equal(train.y[3:6], labels)
    test = datasets.cifar10(tmp_path / "cifar-10-batches-bin", split="test")  # the batches folder itself
    assert test.X.shape == (3, 3, 32, 32) and test.target_names[0] == "airplane"


def test_cifar10_missing_and_truncated(tmp_path):
    with pytest.raises(DatasetError) as err:
        datasets.cifar10(tmp_path)
    message = str(err.value)
    for i in range(1, 6):
        assert str(tmp_path / "cifar-10-batches-bin" / f"data_batch_{i}.bin") in message
    assert "cifar-10-binary.tar.gz" in message
    (tmp_path / "cifar-10-batches-py").mkdir()
    with pytest.raises(DatasetError, match="pickle"):
        datasets.cifar10(tmp_path)
    write_cifar(tmp_path / "cifar-10-batches-bin", ["test_batch.bin"])
    path = tmp_path / "cifar-10-batches-bin" / "test_batch.bin"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DatasetError, match="truncated"):
        datasets.cifar10(tmp_path, split="test")


# --------------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------------
def test_available_and_describe_all():
    names = datasets.available()
    for name in (
        "iris",
        "digits",
        "wine",
        "breast_cancer",
        "diabetes",
        "boston_housing",
        "circle",
        "xor",
        "gauss",
        "spiral",
        "reg_plane",
        "reg_gauss",
        "blobs",
        "mnist",
        "fashion_mnist",
        "cifar10",
    ):
        assert name in names
    rows = datasets.describe_all()
    assert [r["name"] for r in rows] == names
    for row in rows:
        assert set(row) >= {"name", "task", "shape", "classes", "licence", "source"}
        assert row["licence"]


@pytest.mark.parametrize(
    "entry",
    [e for e in datasets.registry.REGISTRY.values() if e.source != "local files"],
    ids=lambda e: e.name,
)
def test_registry_facts_match_the_loaders(entry):
    b = datasets.load(entry.name)
    assert (b.task, b.X.shape[1:], b.n_classes) == (entry.task, entry.shape, entry.n_classes)
    if entry.n_samples.isdigit():
        assert len(b.X) == int(entry.n_samples)


def test_load_by_name_and_errors():
    assert datasets.load("Reg-Plane", n=10).X.shape == (10, 2)
    assert datasets.load("boston", drop_b=True).X.shape == (506, 12)
    with pytest.raises(
        DatasetError, match=r"unknown dataset 'irsi'\. Did you mean 'iris'\?.*Valid names: iris"
    ):
        datasets.load("irsi")
    with pytest.raises(ConfigError, match=r"no option.*'noise'.*its options are"):
        datasets.load("iris", noise=3)
    with pytest.raises(ConfigError, match=r"needs the option.*root"):
        datasets.load("mnist")


def test_recurrent_layouts_of_digits_and_waveforms_are_the_same_numbers_reshaped():
    flat = datasets.load("digits")
    rows = datasets.load("digits", as_sequences=True)
    assert rows.X.shape == (1797, 8, 8) and np.array_equal(rows.X[:, 2], flat.X[:, 16:24])  # step 2 = third row
    with pytest.raises(ConfigError, match="as_images and as_sequences exclude each other"):
        datasets.load("digits", as_images=True, as_sequences=True)
    conv = datasets.load("waveforms", n=20, length=64)
    seq = datasets.load("waveforms", n=20, length=64, steps=4)
    assert seq.X.shape == (20, 4, 16) and np.array_equal(seq.X.reshape(20, 64), conv.X[:, 0])
    assert np.array_equal(seq.y, conv.y)
    with pytest.raises(ConfigError, match="steps=5 must divide length=64"):
        datasets.load("waveforms", n=20, length=64, steps=5)
