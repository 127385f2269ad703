"""The computation graph behind a Tensor, drawn as SVG with a small layered layout (no Graphviz needed).

Nodes are the op calls (``Context.fn_name``) and the leaves (parameters, inputs, constants); edges are the
tensors flowing between them, labelled with their shape and, once ``backward`` has run, the norm of the
gradient that came back along them.

Example
-------
>>> W = nr.randn(3, 2, requires_grad=True)
>>> loss = (nr.randn(4, 2) @ W.T).tanh().sum()
>>> graph = draw_graph(loss, names={"W": W})  # asks each intermediate result to keep its gradient
>>> loss.backward()
>>> graph.svg()  # or just `graph` as the last line of a notebook cell
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np

from neurona.tensor import Tensor

NODE_W, NODE_H, GAP_X, GAP_Y = 150, 40, 40, 80


@dataclass
class Node:
    """One box: an op call (``kind='op'``) or a leaf tensor (``'parameter'``, ``'input'``, ``'constant'``)."""

    id: int
    label: str
    kind: str
    level: int = 0
    x: float = 0.0
    y: float = 0.0


@dataclass
class Edge:
    """A tensor going from ``src`` to ``dst``: its shape, and the tensor itself for its gradient."""

    src: int
    dst: int
    tensor: Tensor = field(repr=False)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.tensor.data.shape)

    @property
    def grad_norm(self) -> float | None:
        g = self.tensor.grad
        return None if g is None else float(np.linalg.norm(np.asarray(getattr(g, "data", g), dtype=np.float64)))


class GraphDrawing:
    """The graph behind ``root`` as nodes and edges; :meth:`svg` draws it, reading gradients at draw time."""

    def __init__(self, root: Tensor, names: dict[str, Tensor] | None = None, max_nodes: int = 200) -> None:
        if not isinstance(root, Tensor):
            raise TypeError(f"draw_graph: expected a neurona Tensor, got {type(root).__name__}")
        if root._ctx is not None and root._ctx.released:
            raise ValueError("draw_graph: the graph behind this tensor was freed by backward(); call draw_graph "
                             "before backward(), or pass retain_graph=True to backward()")
        self.root = root
        labels = {id(t): n for n, t in (names or {}).items()}
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        by_key: dict[int, int] = {}  # id(Context) or id(leaf Tensor) -> node id

        def leaf(t: Tensor) -> int:
            if id(t) not in by_key:
                name = labels.get(id(t), "leaf" if t.requires_grad else "constant")
                by_key[id(t)] = self._add(f"{name} {_shape(t)}", "parameter" if t.requires_grad else "constant")
            return by_key[id(t)]

        # walk from the root, consumers before producers, with an explicit stack
        out = self._add(f"result {_shape(root)}", "output")
        if root._ctx is None:
            self.edges.append(Edge(leaf(root), out, root))
            self._layout()
            return
        if root.requires_grad and not root._retains_grad:
            root.retain_grad()
        stack = [root._ctx]
        by_key[id(root._ctx)] = self._add(root._ctx.fn_name, "op")
        self.edges.append(Edge(by_key[id(root._ctx)], out, root))
        while stack:
            ctx = stack.pop()
            for t in ctx.tensors:
                if t._ctx is None or not t.requires_grad:
                    src = leaf(t)
                else:
                    if id(t._ctx) not in by_key:
                        if len(self.nodes) >= max_nodes:
                            raise ValueError(f"draw_graph: the graph has more than max_nodes={max_nodes} nodes; "
                                             "draw a smaller part (e.g. one layer) or raise max_nodes")
                        by_key[id(t._ctx)] = self._add(t._ctx.fn_name, "op")
                        stack.append(t._ctx)
                    src = by_key[id(t._ctx)]
                    if not t._retains_grad:
                        t.retain_grad()  # so the edge can show the gradient that flows back along it
                self.edges.append(Edge(src, by_key[id(ctx)], t))
        self._layout()

    def _add(self, label: str, kind: str) -> int:
        self.nodes.append(Node(len(self.nodes), label, kind))
        return len(self.nodes) - 1

    def _layout(self) -> None:
        """Layered layout: a node's level is the longest path from a leaf (leaves sit right above their first
        consumer); rows ordered by the mean position of their inputs (one barycentre sweep), result at the bottom."""
        inputs: dict[int, list[int]] = {n.id: [] for n in self.nodes}
        for e in self.edges:
            inputs[e.dst].append(e.src)
        level: dict[int, int] = {}
        for n in self.nodes:  # iterative longest path (the graph is a DAG)
            stack = [(n.id, False)]
            while stack:
                v, done = stack.pop()
                if v in level:
                    continue
                if done:
                    level[v] = 1 + max((level[u] for u in inputs[v]), default=-1)
                    continue
                stack.append((v, True))
                stack.extend((u, False) for u in inputs[v] if u not in level)
        consumers: dict[int, list[int]] = {n.id: [] for n in self.nodes}
        for e in self.edges:
            consumers[e.src].append(e.dst)
        for n in self.nodes:  # a leaf sits just above its first consumer: short arrows, none through boxes
            if not inputs[n.id] and consumers[n.id]:
                level[n.id] = min(level[c] for c in consumers[n.id]) - 1
        rows: dict[int, list[int]] = {}
        for n in self.nodes:
            n.level = level[n.id]
            rows.setdefault(n.level, []).append(n.id)
        position: dict[int, float] = {}
        for lv in sorted(rows):
            row = rows[lv]
            if lv > 0:
                row.sort(key=lambda v: np.mean([position[u] for u in inputs[v]]) if inputs[v] else 0.0)
            for i, v in enumerate(row):
                position[v] = i - (len(row) - 1) / 2
        width = max(len(r) for r in rows.values())
        for n in self.nodes:
            n.x = (position[n.id] + (width - 1) / 2) * (NODE_W + GAP_X) + GAP_X / 2
            n.y = n.level * (NODE_H + GAP_Y) + 20
        self.width = width * (NODE_W + GAP_X)
        self.height = (max(rows) + 1) * (NODE_H + GAP_Y) + 20

    def svg(self) -> str:
        """The drawing as a standalone SVG document (edge labels: shape, and ``|grad|`` once known)."""
        colours = {"op": "#dbe7f6", "parameter": "#f9e3b4", "constant": "#eeeeee", "output": "#cfeccf"}
        parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width:.0f}" height="{self.height:.0f}" '
                 f'viewBox="0 0 {self.width:.0f} {self.height:.0f}" font-family="sans-serif" font-size="12">',
                 '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
                 'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>']
        nodes = {n.id: n for n in self.nodes}
        for e in self.edges:
            a, b = nodes[e.src], nodes[e.dst]
            x1, y1, x2, y2 = a.x + NODE_W / 2, a.y + NODE_H, b.x + NODE_W / 2, b.y
            label = _shape_text(e.shape)
            if e.grad_norm is not None:
                label += f" |grad| {e.grad_norm:.3g}"
            parts.append(f'<g class="edge" data-src="{e.src}" data-dst="{e.dst}">'
                         f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#555" '
                         f'marker-end="url(#arrow)"/><text x="{(x1 + x2) / 2 + 4:.1f}" y="{(y1 + y2) / 2:.1f}" '
                         f'fill="#444" font-size="10">{html.escape(label)}</text></g>')
        for n in self.nodes:
            parts.append(f'<g class="node" data-id="{n.id}" data-kind="{n.kind}">'
                         f'<rect x="{n.x:.1f}" y="{n.y:.1f}" width="{NODE_W}" height="{NODE_H}" rx="6" '
                         f'fill="{colours.get(n.kind, "#fff")}" stroke="#333"/>'
                         f'<text x="{n.x + NODE_W / 2:.1f}" y="{n.y + NODE_H / 2 + 4:.1f}" text-anchor="middle">'
                         f"{html.escape(n.label)}</text></g>")
        parts.append("</svg>")
        return "".join(parts)

    def _repr_svg_(self) -> str:
        return self.svg()

    def save(self, path: str) -> None:
        """Write the SVG to ``path`` (atomically)."""
        from neurona.io.atomic import atomic_write_bytes

        atomic_write_bytes(path, self.svg().encode("utf-8"))


def _shape(t: Tensor) -> str:
    return _shape_text(tuple(t.data.shape))


def _shape_text(shape: tuple[int, ...]) -> str:
    return "scalar" if shape == () else "(" + ", ".join(str(s) for s in shape) + ")"


def draw_graph(tensor: Tensor, names: dict[str, Tensor] | None = None, max_nodes: int = 200) -> GraphDrawing:
    """Draw the computation graph that produced ``tensor``.

    Parameters
    ----------
    tensor : Tensor
        A result whose graph is still alive (call before ``backward()``, or after ``backward(retain_graph=True)``).
    names : dict of str to Tensor, optional
        Labels for leaves, e.g. ``{"W1": W1, "b1": b1}``.
    max_nodes : int
        Refuse graphs larger than this (a drawing of thousands of boxes teaches nothing).

    Returns
    -------
    GraphDrawing
        ``.svg()`` gives the SVG text; a notebook shows it directly (``_repr_svg_``). Every intermediate
        result is asked to keep its gradient, so after ``backward()`` the edges show gradient norms.
    """
    return GraphDrawing(tensor, names, max_nodes)
