"""The house rule, checked on the source: every op outside the kernels is a reference definition a
student can read at once, its forward and backward together at most 20 lines, the math in its
docstring; and an op keeps state for its backward only on its context, never on its Function instance."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "neurona"
KERNELS = SRC / "ops" / "kernels"
MAX_LINES = 20


def _classes() -> list[tuple[Path, ast.ClassDef]]:
    return [(path, node) for path in sorted(SRC.rglob("*.py"))
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(node, ast.ClassDef)]


def _functions() -> list[tuple[Path, ast.ClassDef]]:
    """Every class deriving (directly or through others) from neurona's Function, outside the kernels."""
    classes = _classes()
    by_name: dict[str, list[ast.ClassDef]] = {}
    for _, node in classes:
        by_name.setdefault(node.name, []).append(node)

    def is_op(node: ast.ClassDef, seen: frozenset = frozenset()) -> bool:
        for base in (b.id for b in node.bases if isinstance(b, ast.Name)):
            if base == "Function" or any(is_op(c, seen | {base}) for c in by_name.get(base, []) if base not in seen):
                return True
        return False

    return [(path, node) for path, node in classes if KERNELS not in path.parents and is_op(node)]


def _method_lines(method: ast.FunctionDef) -> int:
    """Non-blank source lines of a method, without its docstring."""
    lines = range(method.lineno, method.end_lineno + 1)
    doc = method.body[0] if method.body and isinstance(method.body[0], ast.Expr) and isinstance(method.body[0].value, ast.Constant) else None
    skip = set(range(doc.lineno, doc.end_lineno + 1)) if doc else set()
    text = _SOURCE_LINES[method]
    return sum(1 for i in lines if i not in skip and text[i - 1].strip() and not text[i - 1].strip().startswith("#"))


_SOURCE_LINES: dict = {}
FUNCTIONS = _functions()


def test_the_check_sees_the_ops():
    names = {node.name for _, node in FUNCTIONS}
    assert {"Add", "MatMul", "Linear", "Conv", "MaxPool", "SoftmaxCrossEntropy", "ReLU"} <= names
    assert "ConvGemmBatchLast" not in names  # kernels are exempt


@pytest.mark.parametrize("path, node", FUNCTIONS, ids=[node.name for _, node in FUNCTIONS])
def test_every_reference_op_is_short_and_documented(path, node):
    source = path.read_text(encoding="utf-8").splitlines()
    methods = [m for m in node.body if isinstance(m, ast.FunctionDef) and m.name in ("forward", "backward")]
    for m in methods:
        _SOURCE_LINES[m] = source
    total = sum(_method_lines(m) for m in methods)
    where = f"{path.relative_to(SRC.parent)}:{node.lineno} {node.name}"
    assert total <= MAX_LINES, f"{where}: forward + backward take {total} lines (at most {MAX_LINES}); move the fast form to a kernel"
    if methods:
        assert ast.get_docstring(node), f"{where}: an op states its math in its docstring"


@pytest.mark.parametrize("path, node", FUNCTIONS, ids=[node.name for _, node in FUNCTIONS])
def test_ops_keep_backward_state_on_the_context_not_on_themselves(path, node):
    for method in (m for m in node.body if isinstance(m, ast.FunctionDef) and m.name in ("forward", "backward")):
        for target in ast.walk(method):
            if isinstance(target, ast.Attribute) and isinstance(target.ctx, ast.Store):
                owner = target.value
                assert not (isinstance(owner, ast.Name) and owner.id == "self"), (
                    f"{node.name}.{method.name} sets self.{target.attr}: keep state on ctx (ctx.{target.attr} = ...)"
                )
