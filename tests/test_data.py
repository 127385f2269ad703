"""neurona.data: datasets, samplers, DataLoader (order, reproducibility, collate), splits, validate_xy."""

import json

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

import neurona as nr
from neurona.data import (
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    fit_scaler,
    kfold,
    random_split,
    train_val_test_split,
    validate_xy,
)
from neurona.errors import ConfigError, DatasetError, DTypeError, ShapeError


def make_ds(n=17, d=3):
    rng = np.random.default_rng(0)
    return TensorDataset(rng.normal(size=(n, d)), np.arange(n))


def epoch_labels(loader):
    return [y.tolist() for _, y in loader]


class ArrayDataset(Dataset):
    """A plain Python dataset (no get_batch), for the generic path."""

    def __init__(self, X, y):
        self.X, self.y = X, y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], self.y[i]


# --------------------------------------------------------------------------------------------------
# TensorDataset, Subset, random_split
# --------------------------------------------------------------------------------------------------
def test_tensor_dataset_converts_like_tensor_and_indexes():
    ds = TensorDataset(
        np.zeros((5, 2)), np.arange(5, dtype=np.int32), nr.tensor(np.ones(5), dtype=np.float64)
    )
    assert len(ds) == 5
    assert [a.dtype for a in ds.arrays] == [np.float32, np.int64, np.float64]
    x, y, w = ds[2]
    assert isinstance(x, nr.Tensor) and x.shape == (2,) and y.item() == 2 and w.dtype == np.float64
    assert [t.shape for t in ds.tensors] == [(5, 2), (5,), (5,)]


def test_tensor_dataset_length_mismatch_names_both_lengths():
    with pytest.raises(ShapeError, match=r"array 0 has 10 rows.*array 1 has 9 rows"):
        TensorDataset(np.zeros((10, 3)), np.zeros(9))
    with pytest.raises(ShapeError):
        TensorDataset()


def test_subset_views_indices():
    ds = make_ds(10)
    sub = Subset(ds, [7, 2, 5])
    assert len(sub) == 3 and sub[0][1].item() == 7 and sub[-1][1].item() == 5
    with pytest.raises(IndexError, match="out of range"):
        Subset(ds, [10])


@pytest.mark.parametrize("lengths", [[0.7, 0.2, 0.1], [0.5, 0.5], [10, 5, 2], [1 / 3, 1 / 3, 1 / 3]])
def test_random_split_sizes_disjoint_and_complete(lengths):
    ds = make_ds(17)
    parts = random_split(ds, lengths, seed=3)
    assert sum(len(p) for p in parts) == 17
    if all(isinstance(x, int) for x in lengths):
        assert [len(p) for p in parts] == lengths
    else:  # floor, then the remainder one each to the first parts (torch's rule)
        floors = [int(np.floor(17 * f)) for f in lengths]
        assert all(len(p) - f in (0, 1) for p, f in zip(parts, floors))
    together = np.concatenate([p.indices for p in parts])
    assert sorted(together.tolist()) == list(range(17))
    again = random_split(ds, lengths, seed=3)
    assert all(np.array_equal(a.indices, b.indices) for a, b in zip(parts, again))


def test_random_split_bad_lengths_and_manual_seed():
    ds = make_ds(10)
    with pytest.raises(ConfigError, match="sum to"):
        random_split(ds, [5, 4])
    with pytest.raises(ConfigError, match="sum to 1"):
        random_split(ds, [0.5, 0.2])
    nr.manual_seed(4)
    a = random_split(ds, [0.5, 0.5])
    nr.manual_seed(4)
    b = random_split(ds, [0.5, 0.5])
    assert np.array_equal(a[0].indices, b[0].indices)


# --------------------------------------------------------------------------------------------------
# DataLoader: coverage, order, reproducibility
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [10, 17])
@pytest.mark.parametrize("batch_size", [1, 3, 4, 10, 32])
@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("drop_last", [False, True])
def test_every_sample_once_per_epoch(n, batch_size, shuffle, drop_last):
    loader = DataLoader(make_ds(n), batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, seed=1)
    for _ in range(2):
        batches = epoch_labels(loader)
        assert len(batches) == len(loader)
        seen = [i for b in batches for i in b]
        assert len(seen) == len(set(seen))  # nothing twice
        if drop_last:
            assert all(len(b) == batch_size for b in batches)
            assert len(seen) == n - n % batch_size
        else:
            assert sorted(seen) == list(range(n))
            assert all(len(b) == batch_size for b in batches[:-1])
        if not shuffle:
            assert seen == list(range(len(seen)))


def test_same_seed_same_order_new_order_each_epoch():
    a = DataLoader(make_ds(50), batch_size=8, shuffle=True, seed=7)
    b = DataLoader(make_ds(50), batch_size=8, shuffle=True, seed=7)
    epochs_a = [epoch_labels(a) for _ in range(3)]
    epochs_b = [epoch_labels(b) for _ in range(3)]
    assert epochs_a == epochs_b
    assert epochs_a[0] != epochs_a[1] != epochs_a[2]
    c = DataLoader(make_ds(50), batch_size=8, shuffle=True, seed=8)
    assert epoch_labels(c) != epochs_a[0]


def test_manual_seed_fixes_order_when_no_seed_given():
    nr.manual_seed(123)
    a = epoch_labels(DataLoader(make_ds(30), batch_size=4, shuffle=True))
    nr.manual_seed(123)
    b = epoch_labels(DataLoader(make_ds(30), batch_size=4, shuffle=True))
    nr.manual_seed(124)
    c = epoch_labels(DataLoader(make_ds(30), batch_size=4, shuffle=True))
    assert a == b and a != c


def test_unshuffled_loader_draws_nothing_from_the_global_generator():
    nr.manual_seed(5)
    DataLoader(make_ds(), batch_size=4)
    after = nr.default_generator().bit_generator.state
    nr.manual_seed(5)
    assert nr.default_generator().bit_generator.state == after


def test_state_dict_resumes_the_same_order():
    original = DataLoader(make_ds(40), batch_size=6, shuffle=True, seed=11)
    epoch_labels(original), epoch_labels(original)
    state = json.loads(json.dumps(original.state_dict()))  # survives a JSON round trip (checkpoint metadata)
    assert state["epochs_started"] == 2 and state["generator"]["bit_generator"] == "PCG64"
    expected = [epoch_labels(original) for _ in range(2)]

    resumed = DataLoader(make_ds(40), batch_size=6, shuffle=True, seed=999)
    resumed.load_state_dict(state)
    assert [epoch_labels(resumed) for _ in range(2)] == expected
    assert resumed.epochs_started == 4


def test_state_dict_of_a_sampler_and_errors():
    loader = DataLoader(make_ds(20), batch_size=5, sampler=RandomSampler(20, seed=2))
    epoch_labels(loader)
    state = loader.state_dict()
    expected = epoch_labels(loader)
    other = DataLoader(make_ds(20), batch_size=5, sampler=RandomSampler(20, seed=3))
    other.load_state_dict(state)
    assert epoch_labels(other) == expected
    with pytest.raises(ConfigError, match="does not shuffle"):
        DataLoader(make_ds(20)).load_state_dict({"generator": state["sampler"]["generator"]})


def test_len_and_bad_arguments():
    assert len(DataLoader(make_ds(17), batch_size=4)) == 5
    assert len(DataLoader(make_ds(17), batch_size=4, drop_last=True)) == 4
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ConfigError, match="batch_size"):
            DataLoader(make_ds(), batch_size=bad)
    with pytest.raises(ConfigError, match="mutually exclusive"):
        DataLoader(make_ds(), sampler=[0, 1], shuffle=True)


# --------------------------------------------------------------------------------------------------
# Samplers
# --------------------------------------------------------------------------------------------------
def test_samplers():
    assert list(SequentialSampler(4)) == [0, 1, 2, 3]
    r = RandomSampler(10, seed=0)
    first, second = list(r), list(r)
    assert sorted(first) == list(range(10)) and first != second
    with_repl = RandomSampler(5, replacement=True, num_samples=20, seed=0)
    assert len(list(with_repl)) == 20 == len(with_repl) and max(with_repl) < 5
    with pytest.raises(ConfigError):
        RandomSampler(5, num_samples=6)
    sub = SubsetRandomSampler([3, 8, 9], seed=1)
    assert sorted(sub) == [3, 8, 9]
    w = WeightedRandomSampler([0.0, 0.0, 1.0, 3.0], num_samples=400, seed=0)
    counts = np.bincount(list(w), minlength=4)
    assert counts[0] == counts[1] == 0 and 2 < counts[3] / counts[2] < 4.5
    with pytest.raises(ConfigError):
        WeightedRandomSampler([0.0, 0.0], num_samples=1)


def test_any_iterable_of_indices_is_a_sampler():
    loader = DataLoader(make_ds(10), batch_size=2, sampler=[9, 0, 4, 4, 1])
    assert epoch_labels(loader) == [[9, 0], [4, 4], [1]]
    assert len(loader) == 3
    gen_loader = DataLoader(make_ds(10), batch_size=3, sampler=range(0, 10, 2))
    assert epoch_labels(gen_loader) == [[0, 2, 4], [6, 8]]
    sub = DataLoader(make_ds(10), batch_size=10, sampler=SubsetRandomSampler([1, 2, 3], seed=0))
    assert sorted(epoch_labels(sub)[0]) == [1, 2, 3]


# --------------------------------------------------------------------------------------------------
# Collate and the fast path
# --------------------------------------------------------------------------------------------------
def test_default_collate_dtypes_and_structure():
    x, y = default_collate([(np.zeros(3), 1), (np.ones(3), 0)])
    assert (x.shape, x.dtype, y.shape, y.dtype) == ((2, 3), np.float32, (2,), np.int64)
    batch = default_collate([{"a": np.float64(1.5), "m": True, "t": "x"}, {"a": 2.0, "m": False, "t": "y"}])
    assert batch["a"].dtype == np.float32 and batch["m"].dtype == np.bool_ and batch["t"] == ["x", "y"]
    t = default_collate([nr.tensor([1.0], dtype=np.float64), nr.tensor([2.0], dtype=np.float64)])
    assert t.dtype == np.float64 and t.shape == (2, 1)
    ints = default_collate([np.int32(1), np.int32(2)])
    assert ints.dtype == np.int64
    with pytest.raises(ShapeError, match="different shapes"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(DTypeError, match="cannot batch"):
        default_collate([object(), object()])


def test_loader_batch_dtypes():
    ds = TensorDataset(np.random.default_rng(0).random((8, 2)), np.arange(8, dtype=np.int32))
    x, y = next(iter(DataLoader(ds, batch_size=4)))
    assert isinstance(x, nr.Tensor) and x.dtype == np.float32 and y.dtype == np.int64
    generic = DataLoader(
        ArrayDataset(np.random.default_rng(0).random((8, 2)), np.arange(8, dtype=np.int32)), batch_size=4
    )
    x, y = next(iter(generic))
    assert x.dtype == np.float32 and y.dtype == np.int64 and x.shape == (4, 2)


@pytest.mark.parametrize("shuffle", [False, True])
def test_fast_path_equals_generic_path(shuffle):
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(23, 2, 3)), rng.integers(0, 4, 23)
    fast = DataLoader(TensorDataset(X, y), batch_size=5, shuffle=shuffle, seed=3)
    forced = DataLoader(
        TensorDataset(X, y), batch_size=5, shuffle=shuffle, seed=3, collate_fn=default_collate
    )
    plain = DataLoader(ArrayDataset(X, y), batch_size=5, shuffle=shuffle, seed=3)
    for (xf, yf), (xg, yg), (xp, yp) in zip(fast, forced, plain, strict=True):
        for a, b in ((xf, xg), (yf, yg), (xf, xp), (yf, yp)):
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_fast_path_has_no_per_sample_loop(monkeypatch):
    ds = make_ds(20)
    sub = random_split(ds, [0.5, 0.5], seed=0)[0]

    def no_single_items(self, i):
        raise AssertionError("the fast path must not index single samples")

    monkeypatch.setattr(TensorDataset, "__getitem__", no_single_items)
    assert sum(len(y) for _, y in DataLoader(ds, batch_size=6, shuffle=True, seed=0)) == 20
    labels = [i for _, y in DataLoader(sub, batch_size=3) for i in y.tolist()]
    assert labels == sub.indices.tolist()  # a Subset of a TensorDataset uses it too


# --------------------------------------------------------------------------------------------------
# Splits and scaling
# --------------------------------------------------------------------------------------------------
def imbalanced(n=1000):
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], [700, 200, 100])[:n]
    return rng.normal(size=(n, 4)), y


def test_train_val_test_split_stratified_like_sklearn():
    X, y = imbalanced()
    X_tr, X_va, X_te, y_tr, y_va, y_te = train_val_test_split(X, y, val=0.2, test=0.1, seed=5)
    assert (len(X_tr), len(X_va), len(X_te)) == (700, 200, 100)
    for part in (y_tr, y_va, y_te):
        np.testing.assert_allclose(np.bincount(part) / len(part), [0.7, 0.2, 0.1], atol=0.01)
    # the test part is exactly scikit-learn's stratified split with the same seed
    _, X_te_sk, _, y_te_sk = train_test_split(X, y, test_size=0.1, random_state=5, stratify=y)
    np.testing.assert_array_equal(X_te, X_te_sk)
    np.testing.assert_array_equal(y_te, y_te_sk)
    # disjoint and complete
    rows = np.concatenate([X_tr, X_va, X_te])
    assert len(np.unique(rows, axis=0)) == 1000
    # shuffled: not the first/last rows, and the seed decides
    assert not np.array_equal(X_te, X[-100:])
    assert np.array_equal(train_val_test_split(X, y, val=0.2, test=0.1, seed=5)[2], X_te)
    assert not np.array_equal(train_val_test_split(X, y, val=0.2, test=0.1, seed=6)[2], X_te)


def test_split_regression_zero_parts_and_errors():
    rng = np.random.default_rng(0)
    X, y = rng.random((50, 2)), rng.random(50)  # float targets: not stratified, no error
    X_tr, X_va, X_te, *_ = train_val_test_split(X, y, val=0.0, test=0.2)
    assert (len(X_tr), len(X_va), len(X_te)) == (40, 0, 10) and X_va.shape == (0, 2)
    with pytest.raises(ConfigError, match="below 1"):
        train_val_test_split(X, y, val=0.5, test=0.5)
    with pytest.raises(ConfigError):
        train_val_test_split(X, y, val=-0.1)
    with pytest.raises(ShapeError, match="50 rows but y has 49"):
        train_val_test_split(X, y[:-1])
    y_rare = np.array([0] * 49 + [1])
    with pytest.raises(DatasetError, match="stratify"):
        train_val_test_split(X, y_rare, val=0.2, test=0.2)
    assert len(train_val_test_split(X, y_rare, val=0.2, test=0.2, stratify=False)[0]) == 30


def test_kfold_partitions_and_stratifies():
    X, y = imbalanced()
    folds = list(kfold(X, y, k=5, seed=0))
    assert len(folds) == 5
    all_val = np.concatenate([v for _, v in folds])
    assert sorted(all_val.tolist()) == list(range(1000))
    for train, val in folds:
        assert not set(train) & set(val)
        np.testing.assert_allclose(np.bincount(y[val]) / len(val), [0.7, 0.2, 0.1], atol=0.01)
    plain = list(kfold(10, k=5))
    assert [len(v) for _, v in plain] == [2] * 5
    with pytest.raises(ConfigError):
        list(kfold(10, k=1))


def test_fit_scaler_uses_train_only():
    X, y = imbalanced()
    X = X * 5 + 3
    X_tr, _X_va, _X_te, *_ = train_val_test_split(X, y)
    scaler = fit_scaler(X_tr)
    np.testing.assert_allclose(scaler.mean_, X_tr.mean(axis=0))
    assert not np.allclose(scaler.mean_, X.mean(axis=0), atol=1e-9)
    mm = fit_scaler(X_tr, "minmax")
    assert mm.transform(X_tr).min() == 0 and mm.transform(X_tr).max() == 1
    assert fit_scaler(X_tr, None) is None
    with pytest.raises(ConfigError, match="kind"):
        fit_scaler(X_tr, "zscore")
    with pytest.raises(ShapeError, match="flatten"):
        fit_scaler(np.zeros((4, 1, 2, 2)))


# --------------------------------------------------------------------------------------------------
# validate_xy
# --------------------------------------------------------------------------------------------------
def test_validate_xy_accepts_good_data():
    X, y = validate_xy(nr.tensor(np.zeros((4, 2))), [0, 1, 2, 1], task="classification", n_classes=3)
    assert X.shape == (4, 2) and y.tolist() == [0, 1, 2, 1]
    X, y = validate_xy(np.zeros((3, 2)), None)
    assert y is None
    validate_xy(np.zeros((3, 2)), np.zeros((3, 1), np.float32), task="regression")


def test_validate_xy_errors():
    with pytest.raises(ShapeError, match="X has 4 rows but y has 3"):
        validate_xy(np.zeros((4, 2)), np.zeros(3))
    X = np.zeros((10, 3))
    X[4, 1], X[7, 0], X[7, 2] = np.nan, np.inf, np.nan
    with pytest.raises(DatasetError, match=r"NaN or inf values in 2 of its 10 rows \(the first at row 4\)"):
        validate_xy(X, np.zeros(10))
    with pytest.raises(DatasetError, match="in 1 of its 3 rows"):
        validate_xy(np.zeros((3, 1)), np.array([0.0, np.nan, 1.0]))
    with pytest.raises(DTypeError, match=r"integer class labels.*astype\('int64'\)"):
        validate_xy(np.zeros((3, 1)), np.array([0.0, 1.0, 1.0]), task="classification")
    with pytest.raises(DatasetError, match=r"\[0, 3\).*the first is 3 at row 2"):
        validate_xy(np.zeros((4, 1)), np.array([0, 1, 3, -1]), n_classes=3)
    with pytest.raises(DatasetError, match="empty"):
        validate_xy(np.zeros((0, 2)), np.zeros(0))
    with pytest.raises(DTypeError, match="LabelEncoder"):
        validate_xy(np.zeros((2, 1)), np.array(["a", "b"]))
    with pytest.raises(ConfigError):
        validate_xy(np.zeros((2, 1)), np.zeros(2), task="clustering")
