"""Run PyTorch-style scripts with real torch or with neurona in its place, and print what they report.

    python tests/compat_nn/runner.py neurona nn_modules.py optim_groups.py
    python tests/compat_nn/runner.py torch nn_modules.py optim_groups.py

With ``neurona``, an import hook answers every ``import torch...`` with the neurona module of the same
path (``torch.nn.functional`` -> ``neurona.nn.functional``, ``torch.utils.data`` -> ``neurona.utils.data``),
so the scripts are plain PyTorch code. Each script leaves a dict ``report`` of plain values (numbers,
strings, lists); the runner prints ``{script: report}`` as JSON, or ``{script: {"error": ...}}``.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import json
import os
import runpy
import sys
import tempfile
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


class _TorchIsNeurona(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``import torch.x.y`` imports ``neurona.x.y`` and binds it under the torch name."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "torch" and not fullname.startswith("torch."):
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return importlib.import_module("neurona" + spec.name[len("torch"):])

    def exec_module(self, module):
        pass


def main(backend: str, scripts: list[str]) -> None:
    if backend == "neurona":
        sys.meta_path.insert(0, _TorchIsNeurona())
    elif backend != "torch":
        raise SystemExit(f"backend must be 'neurona' or 'torch', got {backend!r}")
    results = {}
    for name in scripts:
        with tempfile.TemporaryDirectory() as tmp:
            cwd = os.getcwd()
            os.chdir(tmp)  # scripts save files in the current folder
            try:
                results[name] = runpy.run_path(str(HERE / name), run_name="__main__")["report"]
            except Exception as e:  # reported, so the test names the script and the error
                results[name] = {"error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()}
            finally:
                os.chdir(cwd)
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
