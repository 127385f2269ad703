"""``neurona.backends``: what PyTorch code checks or sets about accelerators. ``mps.is_available()`` is
False; ``cudnn.deterministic = True`` and ``cudnn.benchmark = False`` (common in seeding code) are
accepted and change nothing, as neurona's CPU runs are already bit-reproducible under ``manual_seed``."""

from __future__ import annotations

from types import SimpleNamespace

mps = SimpleNamespace(is_available=lambda: False, is_built=lambda: False)
cudnn = SimpleNamespace(deterministic=False, benchmark=False, enabled=False, is_available=lambda: False)
cuda = SimpleNamespace(is_built=lambda: False, matmul=SimpleNamespace(allow_tf32=False))
