"""The module import graph of the ``neurona`` package has no cycle, except ``neurona.tensor`` <-> ``neurona.ops*``.

The graph is read from the source with ``ast``, without importing anything: an edge A -> B means that
importing module A runs ``import B`` (or ``from B import ...``) at module level, that is outside any
function body, and outside ``if TYPE_CHECKING:`` blocks, which never run. Imports inside functions are
deferred to call time and are left out, as are the parent packages Python imports on the way.
``from package import name`` counts as an import of ``package.name`` when that is a module, else of
``package``. Inside ``neurona.rl`` the imports in functions count too: no agent module may reach back
to another through a deferred import (the registry sits above the agents).
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "neurona"


def module_name(path: Path, src: Path = SRC) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_modules(src: Path = SRC) -> dict[str, Path]:
    """Every module of the package under ``src``, by dotted name."""
    return {module_name(path, src): path for path in sorted((src / PACKAGE).rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(body: list[ast.stmt], in_functions: bool) -> list[ast.Import | ast.ImportFrom]:
    """Import statements that run when the module is imported: walk into if/try/with/class bodies (and
    into functions when ``in_functions``), skipping the body of ``if TYPE_CHECKING:``."""
    found: list[ast.Import | ast.ImportFrom] = []
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if in_functions:
                found += _imports(node.body, in_functions)
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                found += _imports(node.body, in_functions)
            found += _imports(node.orelse, in_functions)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody, *[h.body for h in node.handlers]):
                found += _imports(block, in_functions)
        elif isinstance(node, (ast.With, ast.For, ast.While, ast.ClassDef)):
            found += _imports(node.body, in_functions)
    return found


def _resolve_from(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def import_graph(src: Path = SRC, in_functions: bool = False) -> dict[str, set[str]]:
    """module -> the package modules it imports at module level (also inside functions when ``in_functions``)."""
    modules = package_modules(src)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in _imports(tree.body, in_functions):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                source = _resolve_from(name, path.name == "__init__.py", node)
                targets = [
                    f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source
                    for alias in node.names
                ]
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def cycle_path(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One cycle through the first module of ``component``, as a path that ends where it started."""
    members, start = set(component), component[0]
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:  # breadth first, so the path shown is a shortest one
        next_frontier = []
        for node in frontier:
            for child in sorted(graph[node] & members):
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return [*reversed(path), start]
                if child not in parents:
                    parents[child] = node
                    next_frontier.append(child)
        frontier = next_frontier
    raise AssertionError(f"no cycle through {start} in {component}")


def _is_engine_core(module: str) -> bool:
    return module == f"{PACKAGE}.tensor" or module == f"{PACKAGE}.ops" or module.startswith(f"{PACKAGE}.ops.")


def _describe(graph: dict[str, set[str]], cycles: list[list[str]]) -> str:
    return "\n".join(" -> ".join(cycle_path(graph, c)) + f"   (cycle among {len(c)} modules)" for c in cycles)


def test_no_import_cycle_other_than_tensor_and_ops():
    graph = import_graph()
    bad = [c for c in find_cycles(graph) if not all(_is_engine_core(m) for m in c)]
    assert not bad, f"import cycles in the neurona package:\n{_describe(graph, bad)}"


def test_rl_has_no_cycle_even_through_imports_inside_functions():
    graph = import_graph(in_functions=True)
    rl = {m: {t for t in targets if t.startswith("neurona.rl")} for m, targets in graph.items() if m.startswith("neurona.rl")}
    cycles = find_cycles(rl)
    assert not cycles, f"import cycles inside neurona.rl:\n{_describe(rl, cycles)}"


# ---- the checker itself ---------------------------------------------------------------------------------
def _graph_of(tmp_path: Path, files: dict[str, str], in_functions: bool = False) -> dict[str, set[str]]:
    for name, text in files.items():
        path = tmp_path / PACKAGE / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return import_graph(tmp_path, in_functions)


def test_the_checker_counts_module_level_imports_only(tmp_path):
    files = {
        "__init__.py": "",
        "a.py": "from neurona import b\nimport neurona.c as c\n",
        "b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from neurona.a import x\n"
        "def f():\n    from neurona import a\n",
        "c.py": "try:\n    from .d import y\nexcept ImportError:\n    pass\n",
        "d.py": "class K:\n    from neurona.a import z\n",
        "sub/__init__.py": "from . import e\nfrom .. import a\n",
        "sub/e.py": "from ..b import thing\n",
    }
    graph = _graph_of(tmp_path, files)
    assert graph["neurona.a"] == {"neurona.b", "neurona.c"}
    assert graph["neurona.b"] == set()  # TYPE_CHECKING and function-level imports are left out
    assert graph["neurona.c"] == {"neurona.d"} and graph["neurona.d"] == {"neurona.a"}
    assert graph["neurona.sub"] == {"neurona.sub.e", "neurona.a"}
    assert graph["neurona.sub.e"] == {"neurona.b"}
    (cycle,) = find_cycles(graph)
    assert cycle == ["neurona.a", "neurona.c", "neurona.d"]
    assert cycle_path(graph, cycle) == ["neurona.a", "neurona.c", "neurona.d", "neurona.a"]
    with_functions = import_graph(tmp_path, in_functions=True)
    assert with_functions["neurona.b"] == {"neurona.a"}  # still not the TYPE_CHECKING import
    assert find_cycles(with_functions) == [["neurona.a", "neurona.b", "neurona.c", "neurona.d"]]
