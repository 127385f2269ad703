"""Recurrent reference models: ``SequenceClassifier`` (a sequence -> a class) and ``Seq2One`` (a 1-D
signal's past -> its next ``horizon`` values).

Both read batch-first sequences ``(N, L, features)``, run an RNN, LSTM or GRU over them and put a
linear layer on the *last hidden state*: the network's summary of the whole sequence.
"""

from __future__ import annotations

from neurona.errors import ConfigError, ShapeError, fmt_shape
from neurona.models._common import check_fraction, check_int
from neurona.nn.containers import Identity
from neurona.nn.dropout import Dropout
from neurona.nn.embedding import Embedding
from neurona.nn.linear import Linear
from neurona.nn.module import Module
from neurona.nn.recurrent import GRU, LSTM, RNN
from neurona.ops.shape import cat
from neurona.tensor import Tensor

CELLS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}


def make_recurrent(model: str, cell: str, input_size: int, hidden_size: int, num_layers: int,
                   bidirectional: bool, dropout: float) -> Module:
    """A batch-first RNN, LSTM or GRU layer by name."""
    if cell not in CELLS:
        raise ConfigError(f"{model}: cell must be one of {', '.join(CELLS)}, got {cell!r}")
    return CELLS[cell](input_size, hidden_size, num_layers=num_layers, batch_first=True,
                       dropout=dropout if num_layers > 1 else 0.0, bidirectional=bidirectional)


def last_hidden(rnn: Module, x: Tensor) -> Tensor:
    """The last layer's final hidden state, (N, H), or (N, 2H) with both directions concatenated.

    For the forward direction that is h at the last time step; for the backward direction, which
    reads the sequence from the end, it is h at the first time step, so both have seen every step.
    """
    _, state = rnn(x)
    h_n = state[0] if isinstance(state, tuple) else state  # LSTM returns (h_n, c_n)
    if rnn.bidirectional:
        return cat([h_n[-2], h_n[-1]], dim=1)
    return h_n[-1]


class SequenceClassifier(Module):
    """Sequence -> class: (Embedding) -> RNN / LSTM / GRU -> Linear on the last hidden state.

    ::

        tokens (N, L) int -> Embedding(vocab_size, E) -> (N, L, E)
                                  or  features (N, L, F) float
        -> RNN -> h_L (N, D*H) -> (Dropout) -> Linear(D*H, num_classes) -> logits

    ``D = 2`` when bidirectional. The hidden state after the last step summarises the sequence; the
    output layer reads only it (use ``cross_entropy`` on the logits).

    Parameters
    ----------
    input_size : int, optional
        Features per time step of float input ``(N, L, input_size)``. Not used when ``vocab_size``
        is given (then the embedding's width is the RNN's input size).
    hidden_size : int, default 64
    num_classes : int, default 2
    cell : {'lstm', 'gru', 'rnn'}, default 'lstm'
    num_layers : int, default 1
    bidirectional : bool, default False
    vocab_size : int, optional
        Integer token input ``(N, L)`` with ids ``0 .. vocab_size - 1``: an Embedding comes first.
    embedding_dim : int, optional
        Width of the embedding; defaults to ``hidden_size``.
    dropout : float, default 0.0
        Dropout between stacked recurrent layers and before the output layer.

    Examples
    --------
    >>> model = SequenceClassifier(input_size=3, hidden_size=16, num_classes=4, cell="gru")
    >>> model(nr.randn(8, 20, 3)).shape
    (8, 4)
    >>> text = SequenceClassifier(vocab_size=1000, embedding_dim=32, hidden_size=64, num_classes=2)
    >>> text(nr.randint(0, 1000, (8, 50))).shape
    (8, 2)
    """

    def __init__(self, input_size: int | None = None, hidden_size: int = 64, num_classes: int = 2,
                 cell: str = "lstm", num_layers: int = 1, bidirectional: bool = False,
                 vocab_size: int | None = None, embedding_dim: int | None = None, dropout: float = 0.0) -> None:
        super().__init__()
        name = "SequenceClassifier"
        check_int(name, "hidden_size", hidden_size)
        check_int(name, "num_classes", num_classes)
        check_int(name, "num_layers", num_layers)
        check_fraction(name, "dropout", dropout)
        if vocab_size is not None:
            check_int(name, "vocab_size", vocab_size)
            embedding_dim = check_int(name, "embedding_dim", embedding_dim if embedding_dim is not None
                                      else hidden_size)
            self.embedding = Embedding(vocab_size, embedding_dim)
            rnn_input = embedding_dim
        elif input_size is None:
            raise ConfigError(f"{name}: give input_size (features per step of float sequences) or vocab_size "
                              "(integer tokens, embedded first)")
        else:
            rnn_input = check_int(name, "input_size", input_size)
            self.embedding = None
        self.rnn = make_recurrent(name, cell, rnn_input, hidden_size, num_layers, bidirectional, dropout)
        self.drop = Dropout(dropout) if dropout else Identity()
        self.fc = Linear(hidden_size * (2 if bidirectional else 1), num_classes)
        self.input_size, self.vocab_size, self.cell, self.dropout = rnn_input, vocab_size, cell, float(dropout)

    def forward(self, x: Tensor) -> Tensor:
        if self.embedding is not None:
            if x.ndim != 2:
                raise ShapeError(f"SequenceClassifier(vocab_size={self.vocab_size}) expects integer tokens "
                                 f"of shape (N, L), got {fmt_shape(x.shape)}")
            x = self.embedding(x)
        elif x.ndim == 2 and self.input_size == 1:  # (N, L) samples of a 1-D signal
            x = x.unsqueeze(-1)
        return self.fc(self.drop(last_hidden(self.rnn, x)))


class Seq2One(Module):
    """Forecaster for a 1-D signal: the last ``L`` values -> the next ``horizon`` values.

    ::

        x (N, L, input_size) -> RNN / LSTM / GRU -> h_L (N, H) -> Linear(H, horizon) -> (N, horizon)

    "Sequence to one": the whole window is read, one vector is predicted (``horizon`` values at once,
    not step by step). Train with ``mse_loss`` against targets ``(N, horizon)``, e.g. from
    :func:`neurona.datasets.sine_forecast`. Input ``(N, L)`` is taken as ``(N, L, 1)``.

    Parameters
    ----------
    input_size : int, default 1
        Values per time step (1 for a single signal).
    hidden_size : int, default 32
    horizon : int, default 1
        How many future values to predict.
    cell : {'lstm', 'gru', 'rnn'}, default 'lstm'
    num_layers : int, default 1

    Examples
    --------
    >>> model = Seq2One(hidden_size=16, horizon=3)
    >>> model(nr.randn(4, 50, 1)).shape
    (4, 3)
    """

    def __init__(self, input_size: int = 1, hidden_size: int = 32, horizon: int = 1, cell: str = "lstm",
                 num_layers: int = 1) -> None:
        super().__init__()
        check_int("Seq2One", "input_size", input_size)
        check_int("Seq2One", "hidden_size", hidden_size)
        check_int("Seq2One", "horizon", horizon)
        check_int("Seq2One", "num_layers", num_layers)
        self.rnn = make_recurrent("Seq2One", cell, input_size, hidden_size, num_layers, False, 0.0)
        self.fc = Linear(hidden_size, horizon)
        self.input_size, self.horizon, self.cell = input_size, horizon, cell

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim == 2 and self.input_size == 1:
            x = x.unsqueeze(-1)
        return self.fc(last_hidden(self.rnn, x))
