"""Data pipeline, as ``torch.utils.data``: datasets, samplers, ``DataLoader``; plus splits and checks.

    from neurona.data import TensorDataset, DataLoader
    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)
    for xb, yb in loader:
        ...

Splitting and scaling use scikit-learn (:func:`train_val_test_split`, :func:`kfold`, :func:`fit_scaler`);
:func:`validate_xy` is the check a training run makes on its data before it starts.
"""

from neurona.data.dataset import Dataset, Subset, TensorDataset, make_generator, random_split
from neurona.data.loader import (
    DataLoader,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
    default_collate,
)
from neurona.data.splits import fit_scaler, is_class_labels, kfold, train_val_test_split
from neurona.data.validation import validate_xy

__all__ = [
    "DataLoader",
    "Dataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "default_collate",
    "fit_scaler",
    "is_class_labels",
    "kfold",
    "make_generator",
    "random_split",
    "train_val_test_split",
    "validate_xy",
]
