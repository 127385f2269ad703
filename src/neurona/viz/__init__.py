"""Pictures of what the engine does: ``draw_graph(tensor)`` draws a computation graph as SVG."""

from neurona.viz.graph import GraphDrawing, draw_graph

__all__ = ["GraphDrawing", "draw_graph"]
