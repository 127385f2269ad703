"""Devices as PyTorch spells them, honestly: neurona computes on the CPU with NumPy, so ``device("cpu")``
is the one device there is, ``.to("cpu")`` is a no-op, and asking for CUDA or MPS raises an error that
says so and what to write instead (code written ``device = "cuda" if torch.cuda.is_available() else "cpu"``
runs unchanged)."""

from __future__ import annotations

from typing import Any


class device:
    """``neurona.device("cpu")``: where a tensor lives. Only the CPU exists; see the module docstring."""

    __slots__ = ("index", "type")

    def __init__(self, type: Any = "cpu", index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index
        if isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string such as 'cpu', got {type!r}")
        name, _, number = type.partition(":")
        if name != "cpu":
            raise RuntimeError(_unavailable(type))
        if number and not number.isdigit():
            raise RuntimeError(f"device: invalid device string {type!r}; expected 'cpu' or 'cpu:0'")
        self.type, self.index = "cpu", (int(number) if number else index)

    def __repr__(self) -> str:
        return "device(type='cpu')" if self.index is None else f"device(type='cpu', index={self.index})"

    def __str__(self) -> str:
        return "cpu" if self.index is None else f"cpu:{self.index}"

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except RuntimeError:
                return False
        return isinstance(other, device) and other.type == self.type

    def __hash__(self) -> int:
        return hash("cpu")


def _unavailable(what: Any) -> str:
    return (
        f"device {what!r} is not available: neurona runs on the CPU only (NumPy), it has no CUDA or MPS "
        "backend. Use device='cpu' (or drop the argument), and write "
        "device = 'cuda' if neurona.cuda.is_available() else 'cpu' to keep one script for both libraries."
    )


CPU = device("cpu")


def check_device(value: Any) -> None:
    """Accept ``device=None``, ``"cpu"``, ``device("cpu")``; raise the clear error for anything else."""
    if value is not None and not isinstance(value, device):
        device(value)


def get_default_device() -> device:
    """The device new tensors are created on: always the CPU."""
    return CPU


def set_default_device(value: Any) -> None:
    """Accepts only the CPU (``None`` or ``"cpu"``); anything else raises the clear error."""
    check_device(value)
