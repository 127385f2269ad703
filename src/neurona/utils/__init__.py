"""PyTorch's ``torch.utils`` paths: ``neurona.utils.data`` is the data package :mod:`neurona.data` itself.

So ``from torch.utils.data import DataLoader, TensorDataset`` runs as
``from neurona.utils.data import DataLoader, TensorDataset`` (or with ``import neurona as torch``).
"""

import sys as _sys

from neurona import data

# ``import neurona.utils.data`` finds the same module object as ``import neurona.data``
_sys.modules[__name__ + ".data"] = data

__all__ = ["data"]
