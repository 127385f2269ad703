"""Keep freed memory in the process between training steps (glibc only).

By default glibc hands large freed blocks (over 128 KiB) straight back to the operating system, so a
training step that allocates the same activations again re-faults thousands of fresh pages: measured on
LeNet-5, 2,400-3,000 page faults per step, up to 5 ms of system time. Raising the mmap and trim thresholds
keeps those blocks for reuse, as PyTorch's caching allocator does for its tensors.

It changes the whole process, so ``import neurona`` never does it: ``Trainer.fit`` and the benchmarks
call ``neurona.tune_malloc()``; the environment variable NEURONA_MALLOC_TUNING=0 turns it off there too.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

_APPLIED = [False]
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def tune_malloc(mmap_threshold: int = 32 << 20, trim_threshold: int = 128 << 20) -> bool:
    """Raise glibc's mmap and trim thresholds; returns whether it was applied."""
    if os.environ.get("NEURONA_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to tune
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    _APPLIED[0] = bool(mallopt(_M_MMAP_THRESHOLD, mmap_threshold)) and bool(mallopt(_M_TRIM_THRESHOLD, trim_threshold))
    return _APPLIED[0]


def applied() -> bool:
    """Whether this process's allocator was tuned."""
    return _APPLIED[0]
