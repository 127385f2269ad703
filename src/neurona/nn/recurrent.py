"""Recurrent layers, as ``torch.nn``: ``RNN``, ``LSTM``, ``GRU`` and their one-step ``*Cell`` versions.

The sequence layers run each layer-direction through :mod:`neurona.ops.rnn` (the cell loop, or its
fused kernel with hand-written backpropagation through time). The cells are one step of the same
equations (``neurona.ops.rnn.lstm_cell`` ...), written with ordinary ops, differentiable to any order.

Parameter names, shapes and gate order are torch's (``weight_ih_l0`` (gates*H, input_size),
``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``, ``_reverse`` for the backward direction), so
``layer.load_state_dict(torch_layer.state_dict())`` works in both directions.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from neurona.device import check_device
from neurona.errors import DTypeError, ShapeError, fmt_shape
from neurona.nn import init
from neurona.nn._checks import check_floating, check_tensor
from neurona.nn.module import Module, Parameter
from neurona.ops.normalization import dropout as _dropout
from neurona.ops.rnn import gru_cell, gru_layer, lstm_cell, lstm_layer, rnn_cell, rnn_layer
from neurona.ops.shape import cat, squeeze, stack, transpose, unsqueeze
from neurona.tensor import Tensor


def _check_size(layer: str, **sizes: int) -> None:
    for name, value in sizes.items():
        if not isinstance(value, int | np.integer) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"{layer}: {name} must be a positive integer, got {value!r}")


class RNNBase(Module):
    """What RNN, LSTM and GRU share: parameters, input checks, layers, directions and dropout."""

    gates = 1  # gate blocks in the weights: 1 (RNN), 4 (LSTM), 3 (GRU)

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 dtype=np.float32, device: Any = None) -> None:
        check_device(device)  # the CPU is the only device: None/"cpu" pass, others raise clearly
        super().__init__()
        name = type(self).__name__
        _check_size(name, input_size=input_size, hidden_size=hidden_size, num_layers=num_layers)
        if isinstance(dropout, bool) or not isinstance(dropout, int | float) or not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout must be a number in [0, 1] (the probability of zeroing "
                             f"an element), got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{name}: dropout={dropout} acts between stacked layers only, so it does nothing "
                          "with num_layers=1", stacklevel=2)
        self.input_size, self.hidden_size, self.num_layers = int(input_size), int(hidden_size), int(num_layers)
        self.bias, self.batch_first, self.bidirectional = bool(bias), bool(batch_first), bool(bidirectional)
        self.dropout = float(dropout)
        self.num_directions = 2 if bidirectional else 1
        rows = self.gates * self.hidden_size
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else self.hidden_size * self.num_directions
            for suffix in self._suffixes(layer):
                setattr(self, f"weight_ih{suffix}", Parameter(np.empty((rows, layer_input), dtype=dtype)))
                setattr(self, f"weight_hh{suffix}", Parameter(np.empty((rows, self.hidden_size), dtype=dtype)))
                if self.bias:
                    setattr(self, f"bias_ih{suffix}", Parameter(np.empty(rows, dtype=dtype)))
                    setattr(self, f"bias_hh{suffix}", Parameter(np.empty(rows, dtype=dtype)))
        self.reset_parameters()

    def _suffixes(self, layer: int) -> list[str]:
        return [f"_l{layer}", f"_l{layer}_reverse"][: self.num_directions]

    def reset_parameters(self) -> None:
        """Every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as torch."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def flatten_parameters(self) -> None:
        """Does nothing; kept so code written for torch's cuDNN layers runs unchanged."""

    def _weights(self, layer: int, direction: int) -> list[Tensor]:
        suffix = self._suffixes(layer)[direction]
        names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if self.bias else [])
        return [getattr(self, name + suffix) for name in names]

    # ---- checks ---------------------------------------------------------------------------------
    def _input_layout(self) -> str:
        seq = "(N, L, {0})" if self.batch_first else "(L, N, {0})"
        return seq.format(self.input_size) + f" (or (L, {self.input_size}) unbatched)"

    def _check_input(self, x: Tensor) -> None:
        check_tensor(x, self)
        check_floating(x, self)
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size:
            raise ShapeError(
                f"{self!r} expects input of shape {self._input_layout()}, got {fmt_shape(x.shape)}"
                + (f"; its last dimension must be input_size={self.input_size}" if x.ndim in (2, 3) else "")
            )
        if 0 in x.shape[:-1]:
            raise ShapeError(f"{self!r} got an empty input of shape {fmt_shape(x.shape)}")
        weight = self.weight_ih_l0
        if x.dtype != weight.dtype:
            raise DTypeError(
                f"{self!r} has {weight.data.dtype} weights but got input of dtype {x.data.dtype}; convert one of them "
                f"(x.to({weight.dtype}) or layer.to({x.dtype}))"
            )

    def _check_state(self, state, name: str, batch: int | None, dtype) -> Tensor:
        """The initial state ``name`` checked and shaped (D*num_layers, N, H); None stays None (zeros)."""
        layers = self.num_directions * self.num_layers
        if state is None:
            return None
        check_tensor(state, self)
        expected = (layers, self.hidden_size) if batch is None else (layers, batch, self.hidden_size)
        if state.shape != expected:
            meaning = "(num_layers * num_directions, hidden_size) for unbatched input" if batch is None else \
                "(num_layers * num_directions, N, hidden_size)"
            raise ShapeError(f"{self!r} expects {name} of shape {fmt_shape(expected)} {meaning}, "
                             f"got {fmt_shape(state.shape)}")
        if state.dtype != dtype:
            raise DTypeError(f"{self!r}: {name} has dtype {state.dtype}, but the input has {dtype}")
        return unsqueeze(state, 1) if batch is None else state

    # ---- the stacked, (bi)directional loop --------------------------------------------------------
    def _run(self, x: Tensor, states: list[Tensor | None]) -> tuple[Tensor, list[Tensor]]:
        """``x`` (L, N, input_size) and initial states (D*num_layers, N, H) or None -> output (L, N, D*H)
        and the final states, one (D*num_layers, N, H) tensor per state."""
        batch = x.shape[1]
        zeros = Tensor._wrap(np.zeros((batch, self.hidden_size), dtype=x.dtype))
        finals: list[list[Tensor]] = [[] for _ in states]
        layer_input = x
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(self.num_directions):
                k = layer * self.num_directions + direction
                initial = [zeros if s is None else s[k] for s in states]
                y, *last = self._layer_op(layer_input, initial, self._weights(layer, direction), reverse=direction == 1)
                for final, state in zip(finals, last):  # h_T (and c_T)
                    final.append(state)
                outputs.append(y)
            layer_input = outputs[0] if len(outputs) == 1 else cat(outputs, dim=2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = _dropout(layer_input, self.dropout, True)
        return layer_input, [stack(f) if len(f) > 1 else unsqueeze(f[0], 0) for f in finals]

    def _layer_op(self, x: Tensor, states: list[Tensor], weights: list[Tensor], reverse: bool) -> tuple:
        """(outputs (T, N, H), the final state(s)) of one layer-direction."""
        raise NotImplementedError

    def _forward(self, input: Tensor, hx: list) -> tuple[Tensor, list[Tensor]]:
        self._check_input(input)
        batched = input.ndim == 3
        batch = (input.shape[0] if self.batch_first else input.shape[1]) if batched else None
        names = ["h0", "c0"][: len(hx)]
        states = [self._check_state(s, n, batch, input.dtype) for s, n in zip(hx, names)]
        if not batched:
            x = unsqueeze(input, 1)
        else:
            x = transpose(input, 0, 1) if self.batch_first else input
        output, finals = self._run(x, states)
        if not batched:
            return squeeze(output, 1), [squeeze(f, 1) for f in finals]
        return (transpose(output, 0, 1) if self.batch_first else output), finals

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity!r}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(RNNBase):
    """Elman recurrent network:  h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh),  act = tanh or relu.

    Parameters
    ----------
    input_size, hidden_size : features of x_t and of h_t.
    num_layers : stacked layers; layer l > 0 reads the outputs of layer l - 1.
    nonlinearity : 'tanh' (default) or 'relu'.
    bias : learn b_ih and b_hh (both kept, as torch).
    batch_first : input and output are (N, L, features) instead of (L, N, features).
    dropout : dropout on the outputs of every layer but the last, in training only.
    bidirectional : also run the sequence backwards and concatenate both directions' outputs.

    ``forward(input, h0=None)`` returns ``(output, h_n)``: output (L, N, D*H) (or (N, L, D*H) with
    batch_first), the last layer's h_t for every t; h_n (D*num_layers, N, H), every layer-direction's
    final state. Unbatched input (L, input_size) gives output (L, D*H) and h_n (D*num_layers, H).

    Examples
    --------
    >>> rnn = nn.RNN(10, 20, num_layers=2)
    >>> output, h_n = rnn(nr.randn(5, 3, 10))      # output (5, 3, 20), h_n (2, 3, 20)
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, dtype=np.float32, device: Any = None) -> None:
        check_device(device)  # the CPU is the only device: None/"cpu" pass, others raise clearly
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, dtype)
        self.nonlinearity = nonlinearity

    def _layer_op(self, x, states, weights, reverse):
        return rnn_layer(x, *states, *weights, nonlinearity=self.nonlinearity, reverse=reverse)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        output, (h_n,) = self._forward(input, [hx])
        return output, h_n


class LSTM(RNNBase):
    """Long short-term memory (Hochreiter & Schmidhuber, 1997), gate order i, f, g, o as torch:

        i_t = sigmoid(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)
        f_t = sigmoid(W_if x_t + b_if + W_hf h_{t-1} + b_hf)
        g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)
        o_t = sigmoid(W_io x_t + b_io + W_ho h_{t-1} + b_ho)
        c_t = f_t * c_{t-1} + i_t * g_t
        h_t = o_t * tanh(c_t)

    weight_ih_l{k} is (4H, in) = [W_ii; W_if; W_ig; W_io], likewise weight_hh and both biases.
    Arguments as :class:`RNN` (no nonlinearity). ``forward(input, (h0, c0)=None)`` returns
    ``(output, (h_n, c_n))``, h_n and c_n of shape (D*num_layers, N, H).

    Examples
    --------
    >>> lstm = nn.LSTM(32, 128, batch_first=True)
    >>> output, (h_n, c_n) = lstm(nr.randn(16, 50, 32))   # output (16, 50, 128), h_n (1, 16, 128)
    """

    gates = 4

    def _layer_op(self, x, states, weights, reverse):
        return lstm_layer(x, *states, *weights, reverse=reverse)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None):
        if hx is None:
            hx = (None, None)
        elif not isinstance(hx, tuple | list) or len(hx) != 2:
            raise TypeError(f"{self!r} expects the initial state as a tuple (h0, c0), got {type(hx).__name__}")
        output, (h_n, c_n) = self._forward(input, list(hx))
        return output, (h_n, c_n)


class GRU(RNNBase):
    """Gated recurrent unit (Cho et al., 2014), gate order r, z, n and formula as torch:

        r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
        z_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
        n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
        h_t = (1 - z_t) * n_t + z_t * h_{t-1}

    Arguments and outputs as :class:`RNN` (no nonlinearity); weights (3H, in) = [W_ir; W_iz; W_in].

    Examples
    --------
    >>> gru = nn.GRU(10, 20, bidirectional=True)
    >>> output, h_n = gru(nr.randn(5, 3, 10))      # output (5, 3, 40), h_n (2, 3, 20)
    """

    gates = 3

    def _layer_op(self, x, states, weights, reverse):
        return gru_layer(x, *states, *weights, reverse=reverse)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        output, (h_n,) = self._forward(input, [hx])
        return output, h_n


# --------------------------------------------------------------------------------------------------
# cells: one time step, from ordinary differentiable ops
# --------------------------------------------------------------------------------------------------
class RNNCellBase(Module):
    gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, dtype=np.float32, device: Any = None) -> None:
        check_device(device)  # the CPU is the only device: None/"cpu" pass, others raise clearly
        super().__init__()
        _check_size(type(self).__name__, input_size=input_size, hidden_size=hidden_size)
        self.input_size, self.hidden_size, self.bias = int(input_size), int(hidden_size), bool(bias)
        rows = self.gates * self.hidden_size
        self.weight_ih = Parameter(np.empty((rows, self.input_size), dtype=dtype))
        self.weight_hh = Parameter(np.empty((rows, self.hidden_size), dtype=dtype))
        if bias:
            self.bias_ih = Parameter(np.empty(rows, dtype=dtype))
            self.bias_hh = Parameter(np.empty(rows, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as torch."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _check(self, x: Tensor, states: list) -> tuple[Tensor, list[Tensor], bool]:
        """(x as (N, input_size), states as (N, H) — zeros when None —, whether the input was batched)."""
        check_tensor(x, self)
        check_floating(x, self)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ShapeError(f"{self!r} expects input of shape (N, {self.input_size}) (or ({self.input_size},) "
                             f"unbatched), got {fmt_shape(x.shape)}")
        if x.dtype != self.weight_ih.dtype:
            raise DTypeError(f"{self!r} has {self.weight_ih.data.dtype} weights but got input of dtype {x.data.dtype}")
        batched = x.ndim == 2
        x = x if batched else unsqueeze(x, 0)
        expected = (x.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        out = []
        for s in states:
            if s is None:
                out.append(Tensor._wrap(np.zeros((x.shape[0], self.hidden_size), dtype=x.dtype)))
                continue
            check_tensor(s, self)
            if s.shape != expected:
                raise ShapeError(f"{self!r} expects a hidden state of shape {fmt_shape(expected)}, "
                                 f"got {fmt_shape(s.shape)}")
            out.append(s if batched else unsqueeze(s, 0))
        return x, out, batched

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity!r}"
        return s


class RNNCell(RNNCellBase):
    """One Elman step:  h' = act(W_ih x + b_ih + W_hh h + b_hh),  act = tanh or relu.

    ``forward(input, hx=None)``: input (N, input_size) or (input_size,), hx (N, H) (zeros when None)
    -> h' of hx's shape.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 dtype=np.float32, device: Any = None) -> None:
        check_device(device)  # the CPU is the only device: None/"cpu" pass, others raise clearly
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, (h,), batched = self._check(input, [hx])
        h_new = rnn_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, self.nonlinearity)
        return h_new if batched else squeeze(h_new, 0)


class LSTMCell(RNNCellBase):
    """One LSTM step (gate order i, f, g, o):

        (i, f, g, o) = split(W_ih x + b_ih + W_hh h + b_hh)
        c' = sigmoid(f) * c + sigmoid(i) * tanh(g)
        h' = sigmoid(o) * tanh(c')

    ``forward(input, (h, c)=None)`` -> ``(h', c')``.
    """

    gates = 4

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        if hx is None:
            hx = (None, None)
        elif not isinstance(hx, tuple | list) or len(hx) != 2:
            raise TypeError(f"{self!r} expects the state as a tuple (h, c), got {type(hx).__name__}")
        x, (h, c), batched = self._check(input, list(hx))
        h_new, c_new = lstm_cell(x, h, c, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return (h_new, c_new) if batched else (squeeze(h_new, 0), squeeze(c_new, 0))


class GRUCell(RNNCellBase):
    """One GRU step (gate order r, z, n):

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr),   z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
        h' = (1 - z) * n + z * h

    ``forward(input, hx=None)`` -> h'.
    """

    gates = 3

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, (h,), batched = self._check(input, [hx])
        h_new = gru_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h_new if batched else squeeze(h_new, 0)
