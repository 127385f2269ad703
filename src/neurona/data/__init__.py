"""Data pipeline, as ``torch.utils.data``: datasets, samplers, ``DataLoader``; plus splits and checks.

    from neurona.data import TensorDataset, DataLoader
    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)
    for xb, yb in loader:
        ...

Splitting and scaling use scikit-learn (:func:`train_val_test_split`, :func:`kfold`, :func:`fit_scaler`);
:func:`validate_xy` is the check a training run makes on its data before it starts.
"""

from neurona.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    make_generator,
    random_split,
)
from neurona.data.loader import DataLoader, default_collate, default_convert
from neurona.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from neurona.data.splits import fit_scaler, is_class_labels, kfold, train_val_test_split
from neurona.data.validation import validate_xy
from neurona.data.workers import WorkerInfo, get_worker_info

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "WorkerInfo",
    "default_collate",
    "default_convert",
    "fit_scaler",
    "get_worker_info",
    "is_class_labels",
    "kfold",
    "make_generator",
    "random_split",
    "train_val_test_split",
    "validate_xy",
]
