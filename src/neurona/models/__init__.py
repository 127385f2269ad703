"""Reference models of the course, each usable by name from a YAML config."""

from neurona.models.mlp import MLP

__all__ = ["MLP"]
