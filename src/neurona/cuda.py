"""``neurona.cuda``: the answers PyTorch code asks before choosing a device. neurona has no GPU backend,
so ``is_available()`` is False and ``device_count()`` is 0; seeding and synchronising are no-ops, so
scripts that call them run unchanged; anything that needs a GPU raises a clear error."""

from __future__ import annotations

from typing import Any

from neurona.device import _unavailable


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    """No-op (there is no GPU generator); ``neurona.manual_seed`` seeds everything neurona draws."""


def manual_seed_all(seed: int) -> None:
    """No-op, as :func:`manual_seed`."""


def synchronize(device: Any = None) -> None:
    """No-op: CPU work is synchronous."""


def empty_cache() -> None:
    """No-op: there is no GPU memory cache."""


def is_bf16_supported() -> bool:
    return False


def current_device() -> int:
    raise RuntimeError(_unavailable("cuda"))


def get_device_name(device: Any = None) -> str:
    raise RuntimeError(_unavailable("cuda"))
