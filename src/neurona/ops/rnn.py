"""Recurrent layers over a whole sequence (reference definitions): the cell loops.

Each function runs one layer in one direction over a time-major sequence x (T, N, I), one cell step
per time step, written with ordinary differentiable ops, so backpropagation through time is the chain
rule through the loop and gradients of any order work. Parameters keep torch's layout (gate blocks
i, f, g, o for the LSTM; r, z, n for the GRU); ``reverse=True`` runs from t = T down to 1 (the second
direction of a bidirectional layer) and still returns the outputs in input order.

The fused forms, one op per layer-direction with hand-written BPTT, are kernels in
``neurona.ops.kernels.rnn``; ``rnn_layer``, ``lstm_layer`` and ``gru_layer`` run whichever
``neurona.ops.kernels.select`` picks.
"""

from __future__ import annotations

from neurona.errors import DTypeError, ShapeError, fmt_shape
from neurona.ops.elementwise import sigmoid, tanh
from neurona.ops.kernels import select
from neurona.ops.linalg import linear
from neurona.ops.shape import stack
from neurona.tensor import Tensor


# --------------------------------------------------------------------------------------------------
# one step
# --------------------------------------------------------------------------------------------------
def rnn_cell(x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih=None, b_hh=None, nonlinearity: str = "tanh"):
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh),  act = tanh or relu."""
    pre = linear(x, w_ih, b_ih) + linear(h, w_hh, b_hh)
    return tanh(pre) if nonlinearity == "tanh" else pre.relu()


def lstm_cell(x: Tensor, h: Tensor, c: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih=None, b_hh=None):
    """(i, f, g, o) = split(x W_ih^T + b_ih + h W_hh^T + b_hh);
    c' = sigmoid(f) c + sigmoid(i) tanh(g);  h' = sigmoid(o) tanh(c').  Returns (h', c')."""
    i, f, g, o = (linear(x, w_ih, b_ih) + linear(h, w_hh, b_hh)).chunk(4, dim=-1)
    c_new = sigmoid(f) * c + sigmoid(i) * tanh(g)
    return sigmoid(o) * tanh(c_new), c_new


def gru_cell(x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih=None, b_hh=None):
    """r = sigmoid(x_r + h_r),  z = sigmoid(x_z + h_z),  n = tanh(x_n + r h_n),  h' = (1 - z) n + z h,
    where (x_r, x_z, x_n) = x W_ih^T + b_ih and (h_r, h_z, h_n) = h W_hh^T + b_hh."""
    xr, xz, xn = linear(x, w_ih, b_ih).chunk(3, dim=-1)
    hr, hz, hn = linear(h, w_hh, b_hh).chunk(3, dim=-1)
    r, z = sigmoid(xr + hr), sigmoid(xz + hz)
    n = tanh(xn + r * hn)
    return (1.0 - z) * n + z * h


# --------------------------------------------------------------------------------------------------
# a whole sequence: the cell loop
# --------------------------------------------------------------------------------------------------
def _steps(length: int, reverse: bool) -> range:
    return range(length - 1, -1, -1) if reverse else range(length)


def _in_input_order(outputs: list[Tensor], reverse: bool) -> Tensor:
    return stack(outputs[::-1] if reverse else outputs)


def rnn_cells(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh", reverse=False):
    """h_t = rnn_cell(x_t, h_{t-1}) for each step: (h_1 .. h_T (T, N, H), the last state)."""
    h, outputs = h0, []
    for t in _steps(x.shape[0], reverse):
        h = rnn_cell(x[t], h, w_ih, w_hh, b_ih, b_hh, nonlinearity)
        outputs.append(h)
    return _in_input_order(outputs, reverse), h


def lstm_cells(x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
    """(h_t, c_t) = lstm_cell(x_t, h_{t-1}, c_{t-1}) for each step: (h_1 .. h_T, the last h, the last c)."""
    h, c, outputs = h0, c0, []
    for t in _steps(x.shape[0], reverse):
        h, c = lstm_cell(x[t], h, c, w_ih, w_hh, b_ih, b_hh)
        outputs.append(h)
    return _in_input_order(outputs, reverse), h, c


def gru_cells(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
    """h_t = gru_cell(x_t, h_{t-1}) for each step: (h_1 .. h_T (T, N, H), the last state)."""
    h, outputs = h0, []
    for t in _steps(x.shape[0], reverse):
        h = gru_cell(x[t], h, w_ih, w_hh, b_ih, b_hh)
        outputs.append(h)
    return _in_input_order(outputs, reverse), h


# --------------------------------------------------------------------------------------------------
# the functions layers call
# --------------------------------------------------------------------------------------------------
def _check(name: str, gates: int, x: Tensor, states: tuple, w_ih: Tensor, w_hh: Tensor, biases: tuple) -> None:
    if x.ndim != 3:
        raise ShapeError(f"{name}: input must be time-major (T, N, input_size), got {fmt_shape(x.shape)}")
    t_len, n, in_size = x.shape
    hidden = w_hh.shape[-1]
    expected = {"w_ih": (gates * hidden, in_size), "w_hh": (gates * hidden, hidden)}
    for label, tensor in (("w_ih", w_ih), ("w_hh", w_hh)):
        if tensor.shape != expected[label]:
            raise ShapeError(f"{name}: {label} must have shape {fmt_shape(expected[label])}, got {fmt_shape(tensor.shape)}")
    for b in biases:
        if b.shape != (gates * hidden,):
            raise ShapeError(f"{name}: biases must have shape ({gates * hidden},), got {fmt_shape(b.shape)}")
    for s in states:
        if s.shape != (n, hidden):
            raise ShapeError(f"{name}: initial states must have shape {fmt_shape((n, hidden))}, got {fmt_shape(s.shape)}")
    if t_len == 0:
        raise ShapeError(f"{name}: the sequence is empty (length 0)")
    dtypes = {t.dtype for t in (x, *states, w_ih, w_hh, *biases)}
    if len(dtypes) != 1 or x.dtype.kind != "f":
        raise DTypeError(f"{name}: input, states and weights must share one floating dtype, got {sorted(map(str, dtypes))}")


def _biases(b_ih, b_hh) -> tuple:
    if (b_ih is None) != (b_hh is None):
        raise ValueError("recurrent layers take both biases (b_ih and b_hh) or neither")
    return () if b_ih is None else (b_ih, b_hh)


def rnn_layer(x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
              b_hh: Tensor | None = None, nonlinearity: str = "tanh", reverse: bool = False) -> tuple[Tensor, Tensor]:
    """One Elman RNN layer-direction on time-major x (T, N, I): (outputs (T, N, H), last state (N, H))."""
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn_layer: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    biases = _biases(b_ih, b_hh)
    _check("rnn_layer", 1, x, (h0,), w_ih, w_hh, biases)
    return select(rnn_cells)(x, h0, w_ih, w_hh, *biases, nonlinearity=nonlinearity, reverse=reverse)


def lstm_layer(x: Tensor, h0: Tensor, c0: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
               b_hh: Tensor | None = None, reverse: bool = False) -> tuple[Tensor, Tensor, Tensor]:
    """One LSTM layer-direction on time-major x (T, N, I): (outputs (T, N, H), last h, last c (N, H))."""
    biases = _biases(b_ih, b_hh)
    _check("lstm_layer", 4, x, (h0, c0), w_ih, w_hh, biases)
    return select(lstm_cells)(x, h0, c0, w_ih, w_hh, *biases, reverse=reverse)


def gru_layer(x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
              b_hh: Tensor | None = None, reverse: bool = False) -> tuple[Tensor, Tensor]:
    """One GRU layer-direction on time-major x (T, N, I): (outputs (T, N, H), last state (N, H))."""
    biases = _biases(b_ih, b_hh)
    _check("gru_layer", 3, x, (h0,), w_ih, w_hh, biases)
    return select(gru_cells)(x, h0, w_ih, w_hh, *biases, reverse=reverse)
