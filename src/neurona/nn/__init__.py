"""Layers, containers, losses and initialisation, as ``torch.nn``.  ``from neurona import nn``.

``neurona.nn.functional`` is the module ``neurona.functional`` itself (one object under both names), so
``import neurona.nn.functional as F`` works as ``import torch.nn.functional as F`` does.
"""

import sys as _sys

from neurona import functional
from neurona.nn import init, utils
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
from neurona.nn.containers import (
    Flatten,
    Identity,
    ModuleDict,
    ModuleList,
    ParameterDict,
    ParameterList,
    Sequential,
    Unflatten,
)
from neurona.nn.conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from neurona.nn.dropout import Dropout, Dropout1d, Dropout2d
from neurona.nn.embedding import Embedding
from neurona.nn.linear import Linear
from neurona.nn.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from neurona.nn.module import Module, Parameter
from neurona.nn.normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from neurona.nn.pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    MaxPool1d,
    MaxPool2d,
)
from neurona.nn.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell

# ``import neurona.nn.functional`` finds the module here rather than in a file of its own
_sys.modules[__name__ + ".functional"] = functional
