"""PyTorch interop: move weights between a neurona model and the same model built in ``torch.nn``.

State-dict keys are PyTorch's by design (``0.weight``, ``features.3.bias``, ``bn.running_mean``), so a
``torch.nn.Sequential(Linear, ReLU, Linear)`` and ``neurona.nn.Sequential(Linear, ReLU, Linear)`` share
keys and shapes: only the array type changes. torch is optional and imported only when called.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from neurona.tensor import Tensor


def _import_torch() -> Any:
    try:
        import torch
    except ImportError as e:  # pragma: no cover - torch is installed wherever the tests run
        raise ImportError(
            "neurona.io.torch needs PyTorch, an optional dependency: pip install torch "
            "(the CPU build is enough), or pip install 'neurona[test]'"
        ) from e
    return torch


def to_torch_state_dict(model: Any) -> OrderedDict[str, Any]:
    """The model's state dict as torch tensors (copies), ready for ``torch_model.load_state_dict``.

    Parameters
    ----------
    model : Module
        A neurona model.

    Returns
    -------
    OrderedDict of str to torch.Tensor
        Same keys, shapes and dtypes as ``model.state_dict()``.

    Examples
    --------
    >>> import torch
    >>> from neurona import nn
    >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    >>> torch_net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    >>> torch_net.load_state_dict(to_torch_state_dict(net))
    <All keys matched successfully>
    """
    torch = _import_torch()
    if not callable(getattr(model, "state_dict", None)):
        raise TypeError(f"to_torch_state_dict: expected a neurona Module, got {type(model).__name__}")
    out: OrderedDict[str, Any] = OrderedDict()
    for key, value in model.state_dict().items():
        array = value.data if isinstance(value, Tensor) else np.asarray(value)
        out[key] = torch.from_numpy(np.array(array, copy=True))
    return out


def from_torch_state_dict(model: Any, state_dict: Any, strict: bool = True) -> Any:
    """Load a torch state dict (or a ``torch.nn.Module``'s weights) into a neurona model.

    Every key and shape is checked before anything changes (``Module.load_state_dict``); the values
    are copied and cast to the model's dtypes.

    Parameters
    ----------
    model : Module
        The neurona model to fill.
    state_dict : Mapping of str to torch.Tensor, or torch.nn.Module
        ``torch_model.state_dict()`` (or the torch model itself).
    strict : bool, default True
        Require the keys to match exactly.

    Returns
    -------
    IncompatibleKeys
        ``(missing_keys, unexpected_keys)``, as torch returns.

    Examples
    --------
    >>> from_torch_state_dict(net, torch_net.state_dict())  # doctest: +SKIP
    IncompatibleKeys(missing_keys=[], unexpected_keys=[])
    """
    torch = _import_torch()
    if isinstance(state_dict, torch.nn.Module):
        state_dict = state_dict.state_dict()
    if not hasattr(state_dict, "items"):
        raise TypeError(
            "from_torch_state_dict: expected a torch state dict or torch.nn.Module, "
            f"got {type(state_dict).__name__}"
        )
    arrays = OrderedDict()
    for key, value in state_dict.items():
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu()
            if value.dtype == torch.bfloat16:  # NumPy has no bfloat16
                value = value.float()
            value = value.numpy()
        arrays[key] = value
    return model.load_state_dict(arrays, strict=strict)
