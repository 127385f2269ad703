"""MNIST, Fashion-MNIST and CIFAR-10 from files you downloaded yourself (neurona never downloads).

- MNIST and Fashion-MNIST come as IDX files (``train-images-idx3-ubyte`` and so on, plain or ``.gz``).
  :func:`read_idx` reads one: a 4-byte magic number (two zero bytes, a type code, the number of
  dimensions), one big-endian int32 per dimension, then the values.
- CIFAR-10 is read from its *binary* version (``cifar-10-batches-bin/*.bin``): each record is one
  label byte and 3072 pixel bytes (1024 red, 1024 green, 1024 blue, row by row). The Python version of
  CIFAR-10 is a pickle, and unpickling runs code from the file, so neurona does not read it.

Pixels are scaled to [0, 1] float32, images are channels first: ``(n, 1, 28, 28)`` and ``(n, 3, 32, 32)``.
A missing file raises :class:`~neurona.errors.DatasetError` naming every path looked at and where the
files come from; a damaged file (wrong magic number, truncated) raises one saying what is wrong.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from neurona.datasets.base import DatasetBundle
from neurona.errors import ConfigError, DatasetError

# IDX type codes -> NumPy dtypes (big-endian where it matters)
IDX_TYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
IDX_IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions (n, rows, cols)
IDX_LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension (n,)


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when it starts with the gzip magic number (whatever its name)."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as e:
            raise DatasetError(
                f"{path}: the gzip stream is damaged or truncated ({e}); download it again"
            ) from e
    return raw


def read_idx(path: str | Path, magic: int | None = None) -> np.ndarray:
    """Read an IDX file (plain or gzip-compressed) into a NumPy array.

    Parameters
    ----------
    path : str or Path
    magic : int, optional
        The expected magic number, e.g. ``0x803`` for images or ``0x801`` for labels.

    Returns
    -------
    numpy.ndarray
        Shape and dtype from the file's header (native byte order).

    Raises
    ------
    DatasetError
        Bad magic number, unknown type code, or a size that does not match the header (truncated file).

    Examples
    --------
    >>> labels = read_idx("mnist/train-labels-idx1-ubyte.gz", magic=0x801)  # doctest: +SKIP
    """
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise DatasetError(
            f"{path}: only {len(raw)} bytes, too short for an IDX header; the file is truncated"
        )
    found = int.from_bytes(raw[:4], "big")
    if raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_TYPES:
        raise DatasetError(
            f"{path}: magic number 0x{found:08x} is not an IDX header (expected two zero bytes, "
            "a type code and a dimension count); is this the right file?"
        )
    if magic is not None and found != magic:
        raise DatasetError(
            f"{path}: magic number 0x{found:08x}, expected 0x{magic:08x} "
            f"({_magic_meaning(magic)}); the file names may be swapped"
        )
    dtype, ndim = IDX_TYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DatasetError(
            f"{path}: the header needs {header} bytes but the file has {len(raw)}; it is truncated"
        )
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    actual = len(raw) - header
    if actual != expected:
        problem = "is truncated" if actual < expected else "has extra bytes at the end"
        raise DatasetError(
            f"{path}: the header announces shape {shape} ({expected} bytes of data) but the file "
            f"holds {actual} bytes; it {problem}. Download it again."
        )
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _magic_meaning(magic: int) -> str:
    return {
        IDX_IMAGES_MAGIC: "IDX images: unsigned bytes, 3 dimensions",
        IDX_LABELS_MAGIC: "IDX labels: unsigned bytes, 1 dimension",
    }.get(magic, "IDX")


def _check_split(split: str) -> str:
    if split not in ("train", "test"):
        raise ConfigError(f"split must be 'train' or 'test', got {split!r}")
    return split


# --------------------------------------------------------------------------------------------------
# MNIST and Fashion-MNIST
# --------------------------------------------------------------------------------------------------
MNIST_SOURCE = (
    "http://yann.lecun.com/exdb/mnist/ (or the mirror torchvision uses, "
    "https://ossci-datasets.s3.amazonaws.com/mnist/)"
)
FASHION_SOURCE = "https://github.com/zalandoresearch/fashion-mnist (the files in its data/fashion/ folder)"
FASHION_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]


def _find_idx(root: Path, name: str, torchvision_dir: str) -> Path | None:
    """The first existing file among ``root/name[.gz]`` and torchvision's ``root/<Dir>/raw/name[.gz]``."""
    for folder in (root, root / torchvision_dir / "raw"):
        for suffix in ("", ".gz"):
            if (folder / (name + suffix)).is_file():
                return folder / (name + suffix)
    return None


def _load_idx_pair(root: str | Path, split: str, dataset: str, torchvision_dir: str, source: str):
    root = Path(root).expanduser()
    prefix = "train" if _check_split(split) == "train" else "t10k"
    names = (f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte")
    found = [_find_idx(root, name, torchvision_dir) for name in names]
    missing = [name for name, path in zip(names, found) if path is None]
    if missing:
        expected = "\n".join(f"  {root / name}  (or {root / name}.gz)" for name in missing)
        raise DatasetError(
            f"{dataset} ({split} split): missing file(s). Put them here:\n{expected}\n"
            f"(torchvision's layout {root / torchvision_dir / 'raw'}/ works too.) "
            f"Download them from {source}."
        )
    images = read_idx(found[0], magic=IDX_IMAGES_MAGIC)
    labels = read_idx(found[1], magic=IDX_LABELS_MAGIC)
    if images.shape[1:] != (28, 28):
        raise DatasetError(
            f"{found[0]}: images are {images.shape[1]}x{images.shape[2]}, expected 28x28 for {dataset}"
        )
    if len(images) != len(labels):
        raise DatasetError(
            f"{dataset}: {found[0]} holds {len(images)} images but {found[1]} holds {len(labels)} "
            "labels; the two files are from different sets"
        )
    if labels.size and labels.max() > 9:
        raise DatasetError(f"{found[1]}: label {int(labels.max())} is out of range 0..9")
    X = images.reshape(-1, 1, 28, 28).astype(np.float32)
    X /= 255.0
    return X, labels.astype(np.int64), found


def mnist(root: str | Path, split: str = "train") -> DatasetBundle:
    """MNIST handwritten digits from local IDX files: 60,000 train / 10,000 test images of 28x28.

    Parameters
    ----------
    root : str or Path
        Folder holding ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``
        and ``t10k-labels-idx1-ubyte`` (each may end in ``.gz``). torchvision's ``root/MNIST/raw/`` works too.
    split : {'train', 'test'}

    Returns
    -------
    DatasetBundle
        ``X`` float32 in [0, 1] of shape ``(n, 1, 28, 28)``, ``y`` int64 digits.

    Raises
    ------
    DatasetError
        Missing files (the message gives the full paths expected and where to download them), or
        damaged ones.

    Examples
    --------
    >>> train = mnist("~/data/mnist")  # doctest: +SKIP
    >>> train.X.shape  # doctest: +SKIP
    (60000, 1, 28, 28)
    """
    X, y, files = _load_idx_pair(root, split, "MNIST", "MNIST", MNIST_SOURCE)
    return DatasetBundle(
        name="mnist",
        task="classification",
        X=X,
        y=y,
        feature_names=None,
        target_names=[str(d) for d in range(10)],
        description=f"MNIST ({split}): 28x28 grey-level images of handwritten digits, centred by centre of "
        f"mass, pixels scaled to [0, 1]. Read from {', '.join(map(str, files))}.",
        licence="Y. LeCun, C. Cortes and C. J. C. Burges, The MNIST database of handwritten digits; "
        "CC BY-SA 3.0.",
        extra={"split": split, "files": [str(f) for f in files]},
    )


def fashion_mnist(root: str | Path, split: str = "train") -> DatasetBundle:
    """Fashion-MNIST from local IDX files: 60,000 train / 10,000 test 28x28 images of 10 clothing classes.

    Same file names and layout as :func:`mnist` (torchvision's ``root/FashionMNIST/raw/`` works too).

    Examples
    --------
    >>> test = fashion_mnist("~/data/fashion", split="test")  # doctest: +SKIP
    >>> test.target_names[:2]  # doctest: +SKIP
    ['T-shirt/top', 'Trouser']
    """
    X, y, files = _load_idx_pair(root, split, "Fashion-MNIST", "FashionMNIST", FASHION_SOURCE)
    return DatasetBundle(
        name="fashion_mnist",
        task="classification",
        X=X,
        y=y,
        feature_names=None,
        target_names=list(FASHION_CLASSES),
        description=f"Fashion-MNIST ({split}): 28x28 grey-level images of Zalando articles in 10 classes, a "
        f"drop-in replacement for MNIST that is harder. Read from {', '.join(map(str, files))}.",
        licence="H. Xiao, K. Rasul and R. Vollgraf (2017), Fashion-MNIST, Zalando Research; MIT licence.",
        extra={"split": split, "files": [str(f) for f in files]},
    )


# --------------------------------------------------------------------------------------------------
# CIFAR-10 (binary version)
# --------------------------------------------------------------------------------------------------
CIFAR_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
CIFAR_RECORD = 1 + 3 * 32 * 32
CIFAR_SOURCE = (
    "https://www.cs.toronto.edu/~kriz/cifar.html: 'CIFAR-10 binary version (suitable for C "
    "programs)', cifar-10-binary.tar.gz; extract it in the root folder"
)


def cifar10(root: str | Path, split: str = "train") -> DatasetBundle:
    """CIFAR-10 from its binary version: 50,000 train / 10,000 test colour images of 32x32, 10 classes.

    Parameters
    ----------
    root : str or Path
        Folder holding ``cifar-10-batches-bin/`` (as extracted from ``cifar-10-binary.tar.gz``), or that
        folder itself. Train reads ``data_batch_1.bin`` .. ``data_batch_5.bin``, test ``test_batch.bin``.
    split : {'train', 'test'}

    Returns
    -------
    DatasetBundle
        ``X`` float32 in [0, 1] of shape ``(n, 3, 32, 32)`` (RGB, channels first), ``y`` int64.

    Raises
    ------
    DatasetError
        Missing files (with the full paths expected), or a file whose size is not a whole number of
        3073-byte records (truncated).

    Examples
    --------
    >>> cifar10("~/data", split="test").X.shape  # doctest: +SKIP
    (10000, 3, 32, 32)
    """
    root = Path(root).expanduser()
    names = (
        [f"data_batch_{i}.bin" for i in range(1, 6)] if _check_split(split) == "train" else ["test_batch.bin"]
    )
    folder = root / "cifar-10-batches-bin"
    if not (folder / names[0]).is_file() and (root / names[0]).is_file():
        folder = root  # root is the batches folder itself
    missing = [folder / name for name in names if not (folder / name).is_file()]
    if missing:
        listed = "\n".join(f"  {p}" for p in missing)
        pickled = (
            (
                " (found the Python/pickle version 'cifar-10-batches-py': neurona reads only the binary "
                "version, because unpickling runs code)"
            )
            if (root / "cifar-10-batches-py").exists()
            else ""
        )
        raise DatasetError(
            f"CIFAR-10 ({split} split): missing file(s){pickled}. Put them here:\n{listed}\n"
            f"Download from {CIFAR_SOURCE}."
        )
    records = []
    for name in names:
        raw = (folder / name).read_bytes()
        if len(raw) == 0 or len(raw) % CIFAR_RECORD:
            raise DatasetError(
                f"{folder / name}: {len(raw)} bytes is not a whole number of {CIFAR_RECORD}-byte "
                "records (1 label byte + 3072 pixel bytes); the file is truncated or not CIFAR-10 "
                "binary. Download it again."
            )
        records.append(np.frombuffer(raw, dtype=np.uint8).reshape(-1, CIFAR_RECORD))
    data = np.concatenate(records) if len(records) > 1 else records[0]
    labels = data[:, 0].astype(np.int64)
    if labels.max() > 9:
        bad = int(np.argmax(labels > 9))
        raise DatasetError(
            f"CIFAR-10 ({split}): record {bad} has label {int(labels[bad])}, expected 0..9; "
            "is this CIFAR-100 or a damaged file?"
        )
    X = data[:, 1:].reshape(-1, 3, 32, 32).astype(np.float32)
    X /= 255.0
    return DatasetBundle(
        name="cifar10",
        task="classification",
        X=X,
        y=labels,
        feature_names=None,
        target_names=list(CIFAR_CLASSES),
        description=f"CIFAR-10 ({split}): 32x32 RGB images of 10 object classes, pixels scaled to [0, 1], "
        f"channels first. Read from {folder}.",
        licence="A. Krizhevsky (2009), 'Learning Multiple Layers of Features from Tiny Images', "
        "University of Toronto; no licence stated: cite the report when you use it.",
        extra={"split": split, "files": [str(folder / n) for n in names]},
    )
