"""Layers, containers, losses and initialisation, as ``torch.nn``.  ``from neurona import nn``."""

from neurona.nn import init
from neurona.nn.activation import (
    ELU,
    GELU,
    SELU,
    Hardtanh,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from neurona.nn.containers import Flatten, Identity, ModuleDict, ModuleList, Sequential, Unflatten
from neurona.nn.linear import Linear
from neurona.nn.module import Module, Parameter
