"""Checkpoints (safetensors, written atomically, no pickle) and PyTorch interop.

    from neurona import io
    io.save(model, "runs/mlp/model.safetensors", optimizer, epoch=10, rng_state=io.rng_state())
    ckpt = io.load("runs/mlp/model.safetensors", model, optimizer)
    io.set_rng_state(ckpt.rng_state)

``neurona.io.torch`` moves weights to and from ``torch.nn`` models (torch imported only when used).
"""

from neurona.io import torch
from neurona.io.atomic import atomic_write_bytes
from neurona.io.checkpoint import Checkpoint, load, save
from neurona.io.rng import rng_state, set_rng_state
from neurona.io.torch import from_torch_state_dict, to_torch_state_dict

__all__ = [
    "Checkpoint",
    "atomic_write_bytes",
    "from_torch_state_dict",
    "load",
    "rng_state",
    "save",
    "set_rng_state",
    "to_torch_state_dict",
    "torch",
]
