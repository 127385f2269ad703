"""Rows for ``ops/rnn.py``: one recurrent layer-direction (Elman RNN with tanh or ReLU, LSTM, GRU) over a
whole time-major sequence, forwards and reversed, with and without biases. The torch side runs
``torch.nn.RNN/LSTM/GRU`` with the same tensors as its parameters. The fused ops are differentiable
once, so there is no second-order row."""

from __future__ import annotations

import torch
from torch.func import functional_call

from neurona.ops.rnn import gru_layer, lstm_layer, rnn_layer
from op_table.info import Op, case

T, N, I, H = 4, 3, 2, 3  # sequence length, batch, input size, hidden size


def _torch_layer(kind, x, states, w_ih, w_hh, b_ih, b_hh, reverse, **options):
    """torch's layer with our tensors as its parameters; reversed runs see the sequence flipped in time."""
    module = getattr(torch.nn, kind)(w_ih.shape[1], w_hh.shape[1], bias=b_ih is not None, dtype=x.dtype, **options)
    params = {"weight_ih_l0": w_ih, "weight_hh_l0": w_hh}
    if b_ih is not None:
        params |= {"bias_ih_l0": b_ih, "bias_hh_l0": b_hh}
    states = tuple(s.unsqueeze(0) for s in states)
    seq = x.flip(0) if reverse else x
    y, final = functional_call(module, params, (seq, states if kind == "LSTM" else states[0]))
    y = y.flip(0) if reverse else y
    return y, final


def _torch_rnn(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh", reverse=False):
    y, h_n = _torch_layer("RNN", x, (h0,), w_ih, w_hh, b_ih, b_hh, reverse, nonlinearity=nonlinearity)
    return y, h_n[0]


def _torch_gru(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
    y, h_n = _torch_layer("GRU", x, (h0,), w_ih, w_hh, b_ih, b_hh, reverse)
    return y, h_n[0]


def _torch_lstm(x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
    y, (h_n, c_n) = _torch_layer("LSTM", x, (h0, c0), w_ih, w_hh, b_ih, b_hh, reverse)
    return y, h_n[0], c_n[0]


def _cases(gates: int, states: int) -> list:
    weights = [(gates * H, I), (gates * H, H)]
    biases = [(gates * H,), (gates * H,)]
    inputs = [(T, N, I)] + [(N, H)] * states
    return [
        case(*inputs, *weights, *biases),
        case(*inputs, *weights, *biases, reverse=True),
        case(*inputs, *weights),
    ]


OPS = [
    Op("rnn_layer", rnn_layer, _torch_rnn, _cases(1, 1)),
    Op("rnn_layer relu", rnn_layer, _torch_rnn,
       [case((T, N, I), (N, H), (H, I), (H, H), (H,), (H,), nonlinearity="relu"),
        case((T, N, I), (N, H), (H, I), (H, H), nonlinearity="relu", reverse=True)]),
    Op("lstm_layer", lstm_layer, _torch_lstm, _cases(4, 2)),
    Op("gru_layer", gru_layer, _torch_gru, _cases(3, 1)),
]
