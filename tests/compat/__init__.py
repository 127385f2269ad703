"""PyTorch-style scripts, written as a student would write them (``import torch``), run by
``tests/test_compat_tensors.py`` twice: once on real PyTorch and once with ``neurona`` standing in for
``torch``. Each script puts what it computed into the dict ``out``; the two runs must agree.

``run_script(path, library)`` is the runner: with ``library="neurona"`` it maps ``torch``,
``torch.nn``, ``torch.nn.functional`` and ``torch.autograd`` to neurona's modules for the duration of
the run only, so the script's own text is never changed.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
SCRIPTS = sorted(p for p in HERE.glob("*.py") if not p.name.startswith("_"))
_NAMES = ("torch", "torch.nn", "torch.nn.functional", "torch.autograd", "torch.utils", "torch.utils.data",
          "torch.optim", "torch.distributions", "neurona.nn.functional")


def _neurona_modules() -> dict[str, Any]:
    import neurona
    import neurona.autograd
    import neurona.functional
    import neurona.nn
    import neurona.optim

    modules = {"torch": neurona, "torch.nn": neurona.nn, "torch.autograd": neurona.autograd,
               "torch.nn.functional": neurona.functional, "torch.optim": neurona.optim}
    # `import torch.nn.functional as F` finds the module as neurona.nn.functional (part B of issue 22
    # makes that a real module; until then the runner names it for the duration of a run)
    modules["neurona.nn.functional"] = sys.modules.get("neurona.nn.functional", neurona.functional)
    try:
        import neurona.distributions

        modules["torch.distributions"] = neurona.distributions
    except ImportError:
        pass
    return modules


def run_script(path: Path, library: str) -> dict[str, Any]:
    """Run one script on ``library`` ("torch" or "neurona") and return its ``out`` as plain values."""
    import torch
    import torch.distributions
    import torch.nn.functional
    import torch.optim
    import torch.utils.data

    saved = {name: sys.modules.get(name) for name in _NAMES}
    try:
        if library == "neurona":
            for name in _NAMES:
                sys.modules.pop(name, None)
            sys.modules.update(_neurona_modules())
        namespace = runpy.run_path(str(path), run_name="__compat__")
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    return {key: plain(value) for key, value in namespace["out"].items()}


def plain(value: Any) -> Any:
    """Tensors of either library as NumPy arrays; containers element by element; the rest as is."""
    if hasattr(value, "detach") and hasattr(value, "numpy"):
        return np.array(value.detach().numpy(), copy=True)
    if isinstance(value, list | tuple):
        return type(value)(plain(v) for v in value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value
