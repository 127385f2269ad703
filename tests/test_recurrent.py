"""RNN, LSTM, GRU and their cells against torch.nn (same weights, same inputs, every gradient),
finite-difference checks of the fused ops, dropout between layers, and the error messages."""

import math
import warnings

import numpy as np
import pytest
import torch

import neurona as nr
from neurona import nn
from neurona.autograd import gradcheck
from neurona.errors import DTypeError, ShapeError
from neurona.ops.rnn import gru_layer, lstm_layer, rnn_layer

TOL = {np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-9, atol=1e-11)}
L, N, I, H = 5, 3, 4, 6

MODES = {
    "rnn_tanh": (lambda **kw: nn.RNN(I, H, **kw), lambda **kw: torch.nn.RNN(I, H, **kw)),
    "rnn_relu": (lambda **kw: nn.RNN(I, H, nonlinearity="relu", **kw),
                 lambda **kw: torch.nn.RNN(I, H, nonlinearity="relu", **kw)),
    "lstm": (lambda **kw: nn.LSTM(I, H, **kw), lambda **kw: torch.nn.LSTM(I, H, **kw)),
    "gru": (lambda **kw: nn.GRU(I, H, **kw), lambda **kw: torch.nn.GRU(I, H, **kw)),
}

CONFIGS = [  # (layer options, give initial states, unbatched input)
    (dict(), False, False),
    (dict(), True, False),
    (dict(num_layers=2), True, False),
    (dict(bidirectional=True), True, False),
    (dict(num_layers=2, bidirectional=True, batch_first=True), True, False),
    (dict(bias=False, batch_first=True), False, False),
    (dict(num_layers=2, bidirectional=True, bias=False), True, False),
    (dict(num_layers=2, bidirectional=True, batch_first=True), True, True),
    (dict(), False, True),
]


def _ids(config):
    options, states, unbatched = config
    return "-".join([f"{k}={v}" for k, v in options.items()] + ["h0"] * states + ["unbatched"] * unbatched) or "default"


def run_pair(mode, options, with_states, unbatched, dtype, rng, train=True):
    """The same layer in neurona and torch: outputs, final states and every gradient must agree."""
    make_nr, make_torch = MODES[mode]
    torch_layer = make_torch(**options).to(torch.float64 if dtype == np.float64 else torch.float32)
    layer = make_nr(**options).to(dtype)
    layer.load_state_dict(torch_layer.state_dict())
    layer.train(train)
    torch_layer.train(train)
    d = 2 if options.get("bidirectional") else 1
    layers = d * options.get("num_layers", 1)
    x_shape = (L, I) if unbatched else ((N, L, I) if options.get("batch_first") else (L, N, I))
    state_shape = (layers, H) if unbatched else (layers, N, H)
    arrays = [rng.standard_normal(x_shape).astype(dtype)]
    n_states = 2 if mode == "lstm" else 1
    if with_states:
        arrays += [rng.standard_normal(state_shape).astype(dtype) for _ in range(n_states)]
    ours = [nr.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]

    def call(module, inputs):
        if not with_states:
            return module(inputs[0])
        return module(inputs[0], tuple(inputs[1:]) if mode == "lstm" else inputs[1])

    y, state = call(layer, ours)
    yt, state_t = call(torch_layer, theirs)
    finals, finals_t = (list(state), list(state_t)) if mode == "lstm" else ([state], [state_t])
    tol = TOL[dtype]
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), **tol, err_msg="output")
    assert y.dtype == dtype
    for f, ft in zip(finals, finals_t):
        np.testing.assert_allclose(f.numpy(), ft.detach().numpy(), **tol, err_msg="final state")
    weights = [rng.standard_normal(t.shape).astype(dtype) for t in [yt, *finals_t]]
    loss = sum((t * nr.tensor(w, dtype=dtype)).sum() for t, w in zip([y, *finals], weights))
    loss_t = sum((t * torch.tensor(w)).sum() for t, w in zip([yt, *finals_t], weights))
    loss.backward()
    loss_t.backward()
    for k, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **tol, err_msg=f"gradient of input {k}")
        assert a.grad.dtype == dtype
    torch_params = dict(torch_layer.named_parameters())
    names = [name for name, _ in layer.named_parameters()]
    assert names == list(torch_params)
    for name, p in layer.named_parameters():
        assert p.grad is not None, f"no gradient for {name}"
        assert p.grad.dtype == dtype
        np.testing.assert_allclose(p.grad.numpy(), torch_params[name].grad.numpy(), **tol, err_msg=f"grad of {name}")
    return y, yt


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("config", CONFIGS, ids=_ids)
@pytest.mark.parametrize("mode", list(MODES))
def test_parity_with_torch(mode, config, dtype):
    options, with_states, unbatched = config
    run_pair(mode, options, with_states, unbatched, dtype, np.random.default_rng(0))


@pytest.mark.parametrize("mode", list(MODES))
def test_dropout_between_layers_eval_parity(mode):
    options = dict(num_layers=3, bidirectional=True, dropout=0.5)
    run_pair(mode, options, True, False, np.float64, np.random.default_rng(1), train=False)


@pytest.mark.parametrize("mode", ["lstm", "gru"])
def test_dropout_between_layers_train_is_applied_and_seeded(mode):
    layer = MODES[mode][0](num_layers=2, dropout=0.5)
    x = nr.randn(L, N, I)

    def output(seed):
        nr.manual_seed(seed)
        return layer(x)[0].numpy().copy()

    first, other, again = output(1), output(2), output(1)
    assert not np.allclose(first, other)
    np.testing.assert_array_equal(first, again)
    layer.eval()
    assert not np.allclose(first, layer(x)[0].numpy())
    layer.train()
    y, _ = layer(x)
    y.sum().backward()
    assert all(p.grad is not None for p in layer.parameters())


def test_dropout_with_one_layer_warns_like_torch():
    with pytest.warns(UserWarning, match="num_layers=1"):
        nn.LSTM(I, H, dropout=0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.LSTM(I, H, num_layers=2, dropout=0.2)


# ---- cells -------------------------------------------------------------------------------------
CELLS = {
    "rnn_tanh": (lambda **kw: nn.RNNCell(I, H, **kw), lambda **kw: torch.nn.RNNCell(I, H, **kw)),
    "rnn_relu": (lambda **kw: nn.RNNCell(I, H, nonlinearity="relu", **kw),
                 lambda **kw: torch.nn.RNNCell(I, H, nonlinearity="relu", **kw)),
    "lstm": (lambda **kw: nn.LSTMCell(I, H, **kw), lambda **kw: torch.nn.LSTMCell(I, H, **kw)),
    "gru": (lambda **kw: nn.GRUCell(I, H, **kw), lambda **kw: torch.nn.GRUCell(I, H, **kw)),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("with_state", [True, False])
@pytest.mark.parametrize("unbatched", [False, True])
@pytest.mark.parametrize("mode", list(CELLS))
def test_cell_parity_with_torch(mode, unbatched, with_state, bias, dtype):
    rng = np.random.default_rng(3)
    make_nr, make_torch = CELLS[mode]
    torch_cell = make_torch(bias=bias).to(torch.float64 if dtype == np.float64 else torch.float32)
    cell = make_nr(bias=bias).to(dtype)
    cell.load_state_dict(torch_cell.state_dict())
    batch = () if unbatched else (N,)
    arrays = [rng.standard_normal((*batch, I)).astype(dtype)]
    if with_state:
        arrays += [rng.standard_normal((*batch, H)).astype(dtype) for _ in range(2 if mode == "lstm" else 1)]
    ours = [nr.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]

    def call(module, inputs):
        if not with_state:
            return module(inputs[0])
        return module(inputs[0], tuple(inputs[1:]) if mode == "lstm" else inputs[1])

    out, out_t = call(cell, ours), call(torch_cell, theirs)
    outs, outs_t = (list(out), list(out_t)) if mode == "lstm" else ([out], [out_t])
    tol = TOL[dtype]
    weights = []
    for o, ot in zip(outs, outs_t):
        np.testing.assert_allclose(o.numpy(), ot.detach().numpy(), **tol)
        assert o.dtype == dtype and o.shape == tuple(ot.shape)
        weights.append(rng.standard_normal(o.shape).astype(dtype))
    sum((o * nr.tensor(w, dtype=dtype)).sum() for o, w in zip(outs, weights)).backward()
    sum((o * torch.tensor(w)).sum() for o, w in zip(outs_t, weights)).backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **tol)
    torch_params = dict(torch_cell.named_parameters())
    assert [n for n, _ in cell.named_parameters()] == list(torch_params)
    for name, p in cell.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), torch_params[name].grad.numpy(), **tol, err_msg=name)


def test_lstm_cell_loop_equals_fused_lstm():
    nr.manual_seed(0)
    lstm, cell = nn.LSTM(I, H).double(), nn.LSTMCell(I, H).double()
    cell.load_state_dict({k[:-3]: v for k, v in lstm.state_dict().items()})
    x = nr.randn(L, N, I, dtype=np.float64)
    y, (_, c_n) = lstm(x)
    h = c = None
    for t in range(L):
        h, c = cell(x[t], None if h is None else (h, c))
    np.testing.assert_allclose(y.numpy()[-1], h.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c_n.numpy()[0], c.numpy(), rtol=1e-12, atol=1e-14)


# ---- the fused ops ---------------------------------------------------------------------------------
def _op_inputs(rng, gates, n_states, t=3, n=2, i=2, h=2):
    shapes = [(t, n, i)] + [(n, h)] * n_states + [(gates * h, i), (gates * h, h), (gates * h,), (gates * h,)]
    return [nr.tensor(rng.standard_normal(s) * 0.8, dtype=np.float64, requires_grad=True) for s in shapes]


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("kind", ["rnn_tanh", "rnn_relu", "lstm", "gru"])
def test_fused_op_gradcheck(kind, reverse):
    rng = np.random.default_rng(4)
    if kind == "lstm":
        inputs = _op_inputs(rng, 4, 2)
        assert gradcheck(lambda *a: lstm_layer(*a, reverse=reverse), inputs)
    elif kind == "gru":
        inputs = _op_inputs(rng, 3, 1)
        assert gradcheck(lambda *a: gru_layer(*a, reverse=reverse), inputs)
    else:
        inputs = _op_inputs(rng, 1, 1)
        nonlinearity = kind[4:]
        assert gradcheck(lambda *a: rnn_layer(*a, nonlinearity=nonlinearity, reverse=reverse), inputs)


def test_fused_op_gradcheck_without_bias():
    inputs = _op_inputs(np.random.default_rng(5), 4, 2)[:5]
    assert gradcheck(lambda *a: lstm_layer(*a), inputs)


def test_cells_support_higher_order_gradients():
    cell = nn.LSTMCell(I, H).double()
    x = nr.randn(N, I, dtype=np.float64, requires_grad=True)
    h, _ = cell(x)
    (g,) = nr.autograd.grad((h * h).sum(), x, create_graph=True)
    (gg,) = nr.autograd.grad(g.sum(), x)
    assert gg.shape == x.shape and np.isfinite(gg.numpy()).all()


# ---- init, dtype, state dict ------------------------------------------------------------------------
def test_default_init_matches_torch_distribution_and_seed():
    nr.manual_seed(0)
    layer = nn.LSTM(20, 100, num_layers=2, bidirectional=True)
    bound = 1 / math.sqrt(100)
    for name, p in layer.named_parameters():
        assert p.dtype == np.float32
        assert np.abs(p.numpy()).max() <= bound and np.abs(p.numpy()).max() > 0.95 * bound, name
    nr.manual_seed(0)
    again = nn.LSTM(20, 100, num_layers=2, bidirectional=True)
    for a, b in zip(layer.parameters(), again.parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_float32_end_to_end(cls):
    layer = cls(I, H, num_layers=2, bidirectional=True)
    x = nr.randn(L, N, I, requires_grad=True)
    y, state = layer(x)
    finals = state if isinstance(state, tuple) else (state,)
    assert y.dtype == np.float32 and all(f.dtype == np.float32 for f in finals)
    y.sum().backward()
    assert x.grad.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in layer.parameters())


def test_state_dict_round_trip_to_torch():
    layer = nn.GRU(I, H, num_layers=2, bidirectional=True)
    torch_layer = torch.nn.GRU(I, H, num_layers=2, bidirectional=True)
    torch_layer.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in layer.state_dict().items()})
    x = np.random.default_rng(6).standard_normal((L, N, I)).astype(np.float32)
    np.testing.assert_allclose(layer(nr.tensor(x))[0].numpy(), torch_layer(torch.tensor(x))[0].detach().numpy(),
                               **TOL[np.float32])


def test_repr_like_torch():
    assert repr(nn.LSTM(32, 128)) == "LSTM(32, 128)"
    assert repr(nn.GRU(3, 4, num_layers=2, batch_first=True, bidirectional=True)) == \
        "GRU(3, 4, num_layers=2, batch_first=True, bidirectional=True)"
    assert repr(nn.LSTMCell(3, 4, bias=False)) == "LSTMCell(3, 4, bias=False)"


# ---- errors -------------------------------------------------------------------------------------------
def test_wrong_input_size_names_layer_and_shapes():
    with pytest.raises(ShapeError) as err:
        nn.LSTM(32, 128)(nr.randn(50, 32, 16))
    msg = str(err.value)
    assert "LSTM(32, 128) expects input of shape (L, N, 32)" in msg and "got (50, 32, 16)" in msg


def test_wrong_rank_and_batch_first_layout_in_message():
    with pytest.raises(ShapeError, match=r"GRU\(4, 6, batch_first=True\) expects input of shape \(N, L, 4\).*got \(2, 3, 4, 4\)"):
        nn.GRU(I, H, batch_first=True)(nr.randn(2, 3, 4, 4))


def test_wrong_initial_state_shape():
    with pytest.raises(ShapeError, match=r"expects h0 of shape \(2, 3, 6\).*got \(1, 3, 6\)"):
        nn.RNN(I, H, num_layers=2)(nr.randn(L, N, I), nr.randn(1, N, H))
    with pytest.raises(ShapeError, match=r"expects c0 of shape \(2, 3, 6\).*got \(2, 4, 6\)"):
        nn.LSTM(I, H, bidirectional=True)(nr.randn(L, N, I), (nr.randn(2, N, H), nr.randn(2, 4, H)))
    with pytest.raises(ShapeError, match=r"expects h0 of shape \(1, 6\)"):
        nn.GRU(I, H)(nr.randn(L, I), nr.randn(1, N, H))


def test_lstm_state_must_be_a_pair():
    with pytest.raises(TypeError, match=r"tuple \(h0, c0\)"):
        nn.LSTM(I, H)(nr.randn(L, N, I), nr.randn(1, N, H))


def test_dtype_mismatch_is_explained():
    with pytest.raises(DTypeError, match="float32 weights but got input of dtype float64"):
        nn.LSTM(I, H)(nr.randn(L, N, I, dtype=np.float64))


def test_cell_errors():
    with pytest.raises(ShapeError, match=r"LSTMCell\(4, 6\) expects input of shape \(N, 4\)"):
        nn.LSTMCell(I, H)(nr.randn(N, 5))
    with pytest.raises(ShapeError, match=r"expects a hidden state of shape \(3, 6\)"):
        nn.GRUCell(I, H)(nr.randn(N, I), nr.randn(2, H))


@pytest.mark.parametrize("kwargs, match", [
    (dict(nonlinearity="sigmoid"), "nonlinearity"),
    (dict(dropout=1.5), "dropout"),
    (dict(num_layers=0), "num_layers"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        nn.RNN(I, H, **kwargs)


def test_backward_twice_with_retain_graph_and_inference_without_grad():
    layer = nn.LSTM(I, H, bidirectional=True)
    x = nr.randn(L, N, I, requires_grad=True)
    y, (h_n, c_n) = layer(x)
    loss = y.sum() + c_n.sum()
    loss.backward(retain_graph=True)
    first = [p.grad.numpy().copy() for p in layer.parameters()] + [x.grad.numpy().copy()]
    loss.backward()
    second = [p.grad.numpy() for p in layer.parameters()] + [x.grad.numpy()]
    for a, b in zip(first, second):
        np.testing.assert_allclose(b, 2 * a, rtol=1e-6)
    with nr.no_grad():
        z, _ = layer(x)
    assert not z.requires_grad
    np.testing.assert_array_equal(z.numpy(), y.numpy())


@pytest.mark.parametrize("mode", list(MODES))
def test_sequence_of_length_one(mode):
    make_nr, make_torch = MODES[mode]
    torch_layer = make_torch(num_layers=2, bidirectional=True)
    layer = make_nr(num_layers=2, bidirectional=True)
    layer.load_state_dict(torch_layer.state_dict())
    x = np.random.default_rng(7).standard_normal((1, N, I)).astype(np.float32)
    np.testing.assert_allclose(layer(nr.tensor(x))[0].numpy(), torch_layer(torch.tensor(x))[0].detach().numpy(),
                               **TOL[np.float32])
