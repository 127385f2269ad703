"""neurona.viz.draw_graph: the SVG's boxes and arrows are the graph's op calls and tensors, with shapes,
and after backward the gradient norms (checked against the gradients themselves)."""

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import neurona as nr
import neurona.functional as F
from neurona.viz import draw_graph

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str):
    root = ET.fromstring(svg)
    nodes = {g.get("data-id"): "".join(g.itertext()) for g in root.iter(f"{SVG}g") if g.get("class") == "node"}
    edges = [(g.get("data-src"), g.get("data-dst"), "".join(g.itertext()))
             for g in root.iter(f"{SVG}g") if g.get("class") == "edge"]
    return nodes, edges


def _two_layer():
    rng = np.random.default_rng(0)
    W1 = nr.tensor(rng.standard_normal((5, 2)), requires_grad=True)
    b1 = nr.zeros(5, requires_grad=True)
    W2 = nr.tensor(rng.standard_normal((3, 5)), requires_grad=True)
    x = nr.tensor(rng.standard_normal((12, 2)))
    h = (x @ W1.T + b1).tanh()
    loss = F.cross_entropy(h @ W2.T, nr.tensor(rng.integers(0, 3, 12)))
    return loss, h, {"W1": W1, "b1": b1, "W2": W2}


def test_nodes_and_edges_match_the_graph():
    loss, _, params = _two_layer()
    drawing = draw_graph(loss, names=params)
    nodes, edges = _parse(drawing.svg())
    # every op call reachable from the loss is one box; count them independently of draw_graph
    ops, stack, seen = [], [loss._ctx], set()
    while stack:
        ctx = stack.pop()
        if id(ctx) in seen:
            continue
        seen.add(id(ctx))
        ops.append(ctx.fn_name)
        stack.extend(t._ctx for t in ctx.tensors if t._ctx is not None and t.requires_grad)
    op_boxes = sorted(text for text in nodes.values() if "(" not in text and text != "result scalar")
    assert op_boxes == sorted(ops)
    for name, t in params.items():  # each named parameter appears once, with its shape
        assert [v for v in nodes.values() if v.startswith(name + " ")] == [f"{name} {tuple(t.shape)}".replace(",)", ")")]
    # one arrow per input of every op call, plus the one into the result
    assert len(edges) == sum(len(c.tensors) for c in _contexts(loss)) + 1
    assert all(src in nodes and dst in nodes for src, dst, _ in edges)
    assert any("(12, 5)" in text for *_, text in edges)  # the hidden layer's shape is on its edges
    assert not any("|grad|" in text for *_, text in edges)  # no gradients before backward


def _contexts(t):
    out, stack, seen = [], [t._ctx], set()
    while stack:
        ctx = stack.pop()
        if id(ctx) not in seen:
            seen.add(id(ctx))
            out.append(ctx)
            stack.extend(x._ctx for x in ctx.tensors if x._ctx is not None and x.requires_grad)
    return out


def test_gradient_norms_on_edges_after_backward():
    loss, h, params = _two_layer()
    drawing = draw_graph(loss, names=params)
    loss.backward()
    _, edges = _parse(drawing.svg())
    norms = [float(m) for *_, text in edges for m in re.findall(r"\|grad\| (\S+)", text)]
    for t in (*params.values(), h):
        expected = float(np.linalg.norm(t.grad.numpy()))
        assert any(np.isclose(n, expected, rtol=2e-3) for n in norms), (expected, norms)
    assert drawing._repr_svg_() == drawing.svg()


def test_layout_puts_producers_above_consumers():
    loss, _, params = _two_layer()
    drawing = draw_graph(loss, names=params)
    nodes = {n.id: n for n in drawing.nodes}
    assert all(nodes[e.src].y < nodes[e.dst].y for e in drawing.edges)
    boxes = {(n.x, n.y) for n in drawing.nodes}
    assert len(boxes) == len(drawing.nodes)  # no two boxes on top of each other


def test_clear_errors():
    with pytest.raises(TypeError, match="neurona Tensor"):
        draw_graph(np.ones(3))
    loss, _, _ = _two_layer()
    loss.backward()
    with pytest.raises(ValueError, match="freed by backward"):
        draw_graph(loss)
    loss, _, _ = _two_layer()
    with pytest.raises(ValueError, match="max_nodes=3"):
        draw_graph(loss, max_nodes=3)
