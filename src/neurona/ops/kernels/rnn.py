"""Fused recurrent kernels: one op runs a whole sequence through one layer in one direction.

The references (``neurona.ops.rnn``) are the cell loops, written with ordinary ops: ~10 tiny nodes
per time step, and the engine's per-node overhead dominates. Here each layer-direction is ONE
``Function`` whose backward is
hand-written backpropagation through time (BPTT). With X the (T*N, I) input rows, H_prev the
(T*N, H) rows h_0..h_{T-1}, and a_t the pre-activations of all gates at step t:

    forward   A = X W_ih^T + b           all input projections: one GEMM before the time loop
              for t = 1..T:   a_t = A_t + h_{t-1} W_hh^T,   h_t = cell(a_t, h_{t-1})
    backward  for t = T..1:   dh_t = dL/dy_t + da_{t+1} W_hh,   da_t = cell'(dh_t, ...)
              dW_ih = dA^T X,   dW_hh = dA^T H_prev,   db = sum_t da_t,   dX = dA W_ih

so the loops hold only the small h W_hh GEMMs, and the weight gradients are one GEMM each over the
stacked per-step gate gradients dA (T, N, G*H). The gates' own derivatives (s (1 - s) for a sigmoid,
1 - y^2 for a tanh) do not depend on the recursion: they are computed for all steps at once, into dA,
before the loop, which then multiplies in the upstream gradients step by step.

Gate layout. Parameters keep torch's layout (gate blocks i, f, g, o for the LSTM; r, z, n for the
GRU). The kernels reorder the blocks (one copy of the weights per call) so that the sigmoid gates
are contiguous, and compute  sigmoid(z) = (1 + tanh(z/2)) / 2  with the 1/2 folded into the
forward's copy of the sigmoid rows: one ``np.tanh`` per step covers every gate (NumPy's tanh is
SIMD-vectorised; a sigmoid through exp, or SciPy's expit, is several times slower). Halving is exact in floating point.
The backward works with the true pre-activations z and un-permutes the weight gradients once.

The LSTM, the layer the course benchmarks, goes further: it works feature-major, every per-step array
(features, N), so each gate is one contiguous (H, N) block and the elementwise work of a step is a
dozen whole-block NumPy calls; and it stacks z_t = [x_t^T; 1; h_{t-1}], so that one GEMM per step,
a_t = [W_ih | b | W_hh] z_t, replaces the projection, the bias add and the recurrent product, and one
GEMM after the backward loop, dA (4H, T*N) @ Z (T*N, I + 1 + H), gives dW_ih, db and dW_hh together.

Sequences are time-major, x (T, N, I); ``reverse=True`` runs from t = T down to 1 (the second
direction of a bidirectional layer) and still returns outputs in input order. These kernels are
differentiable once: their backward runs on raw arrays, so ``create_graph=True`` raises (with the
kernels off, the reference cell loops are differentiable to any order).
"""

from __future__ import annotations

import numpy as np

from neurona.ops.kernels import register
from neurona.ops.rnn import gru_cells, lstm_cells, rnn_cells
from neurona.tensor import Function


def _once_differentiable(ctx, name: str) -> None:
    if ctx.on_tensors:
        raise RuntimeError(
            f"{name}: the fused recurrent kernel is differentiable once; backward(create_graph=True) through "
            "it is not supported. For higher-order gradients turn the kernels off "
            "(neurona.use_kernels(False)): the reference cell loop is differentiable to any order."
        )


class _Recurrence(Function):
    """What the three cells share: gate reordering, time flipping, the input projection and the
    weight gradients. Inputs are ``(x, *states, w_ih, w_hh[, b_ih, b_hh])``."""

    order: tuple[int, ...] = (0,)  # torch's gate blocks in kernel order
    n_sigmoid = 0  # the first n_sigmoid kernel blocks are sigmoid gates
    n_states = 1  # h0 (and c0 for the LSTM)

    # ---- gate layout ------------------------------------------------------------------------
    def _permute(self, w: np.ndarray, halve: bool = False) -> np.ndarray:
        """torch's gate blocks of ``w`` (rows of a weight, or a bias) in kernel order; with ``halve``
        the sigmoid rows are halved (the forward's tanh form of the sigmoid)."""
        if self.order == (0,):
            return w
        blocks = w.reshape(len(self.order), -1, *w.shape[1:])[list(self.order)]  # a copy
        if halve:
            blocks[: self.n_sigmoid] *= 0.5
        return blocks.reshape(w.shape)

    def _unpermute(self, dw: np.ndarray) -> np.ndarray:
        if self.order == (0,):
            return dw
        blocks = dw.reshape(len(self.order), -1, *dw.shape[1:])
        return blocks[np.argsort(self.order)].reshape(dw.shape)

    def _in_processing_order(self, seq: np.ndarray) -> np.ndarray:
        return seq[::-1] if self.reverse else seq

    def _in_input_order(self, seq: np.ndarray) -> np.ndarray:
        """Processing-order rows back in input order (a contiguous copy when reversed)."""
        return np.ascontiguousarray(seq[::-1]) if self.reverse else seq

    # ---- before and after the time loops ------------------------------------------------------
    def _project(self, ctx, x, w_ih, w_hh, bias):
        """Input projections of all T steps in one GEMM: kernel pre-activations (T, N, G*H)."""
        t, n, i = x.shape
        ctx.x_rows = self._in_processing_order(x).reshape(t * n, i)
        ctx.w_ih, ctx.w_hh = w_ih, w_hh
        a = ctx.x_rows @ self._permute(w_ih, halve=True).T
        if bias is not None:
            a += bias
        return a.reshape(t, n, -1)

    def _gradients(self, ctx, d_ih, d_hh, *d_states):
        """Every input's gradient from the stacked pre-activation gradients (T, N, G*H): those of
        the input projections (d_ih) and of the hidden projections (d_hh; the same array except in
        the GRU), and the gradients of the initial states."""
        needs = ctx.needs_input_grad
        t, n, _ = d_ih.shape
        hidden = d_states[0].shape[-1]
        shared = d_hh is d_ih
        d_ih, d_hh = d_ih.reshape(t * n, -1), d_hh.reshape(t * n, -1)
        dx = None
        if needs[0]:
            dx = self._in_input_order((d_ih @ self._permute(ctx.w_ih)).reshape(t, n, -1))
        k = 1 + self.n_states
        grads = [dx, *(d if need else None for d, need in zip(d_states, needs[1:k]))]
        grads.append(self._unpermute(d_ih.T @ ctx.x_rows) if needs[k] else None)
        h_prev = ctx.hs[:t].reshape(t * n, hidden)  # h_0 .. h_{T-1}
        grads.append(self._unpermute(d_hh.T @ h_prev) if needs[k + 1] else None)
        if len(needs) > k + 2:
            ones = np.ones(t * n, dtype=d_ih.dtype)  # a GEMV sums rows faster than sum(axis=0)
            db_ih = self._unpermute(ones @ d_ih)
            db_hh = db_ih.copy() if shared else self._unpermute(ones @ d_hh)
            grads += [db_ih if needs[k + 2] else None, db_hh if needs[k + 3] else None]
        return tuple(grads)


class RNNFused(_Recurrence):  # the kernel of rnn_cells
    """Elman RNN over a sequence, as torch.nn.RNN:

        h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh),    act = tanh or relu

    Inputs x (T, N, I), h0 (N, H), W_ih (H, I), W_hh (H, H)[, b_ih, b_hh (H,)]; output (T, N, H).

    BPTT:  da_t = (dL/dy_t + da_{t+1} W_hh) * act'(a_t),   act' = 1 - h_t^2 (tanh) or [h_t > 0] (relu);
    dh0 = da_1 W_hh.
    """

    def forward(self, ctx, x, h0, w_ih, w_hh, *biases):
        t_len, n, hidden = x.shape[0], x.shape[1], h0.shape[-1]
        bias = biases[0] + biases[1] if biases else None
        a = self._project(ctx, x, w_ih, w_hh, bias)
        hs = np.empty((t_len + 1, n, hidden), dtype=x.dtype)  # h_0 .. h_T; the output is hs[1:]
        hs[0] = h0
        w_hh_t = w_hh.T
        for t in range(t_len):
            h = hs[t + 1]
            np.matmul(hs[t], w_hh_t, out=h)
            h += a[t]
            if self.nonlinearity == "tanh":
                np.tanh(h, out=h)
            else:
                np.maximum(h, 0, out=h)
        ctx.hs = hs
        return self._in_input_order(hs[1:])

    def backward(self, ctx, grad):
        _once_differentiable(ctx, "RNN")
        g = self._in_processing_order(grad)
        hs, w_hh = ctx.hs, ctx.w_hh
        h = hs[1:]
        # da starts as act'(a_t) for every step, then takes the upstream gradient step by step
        if self.nonlinearity == "tanh":
            da = np.multiply(h, h)
            np.subtract(1, da, out=da)
        else:
            da = (h > 0).astype(h.dtype)
        dh = np.empty_like(hs[0])
        dh_next = np.zeros_like(hs[0])
        for t in reversed(range(len(h))):
            np.add(g[t], dh_next, out=dh)
            da[t] *= dh
            if t > 0 or ctx.needs_input_grad[1]:
                dh_next = da[t] @ w_hh
        return self._gradients(ctx, da, da, dh_next)


class LSTMFused(_Recurrence):
    """Long short-term memory over a sequence, as torch.nn.LSTM (gate blocks i, f, g, o):

        i_t = sigmoid(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)      input gate
        f_t = sigmoid(W_if x_t + b_if + W_hf h_{t-1} + b_hf)      forget gate
        g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)         candidate cell
        o_t = sigmoid(W_io x_t + b_io + W_ho h_{t-1} + b_ho)      output gate
        c_t = f_t * c_{t-1} + i_t * g_t
        h_t = o_t * tanh(c_t)

    Inputs x (T, N, I), h0, c0 (N, H), W_ih (4H, I), W_hh (4H, H)[, b_ih, b_hh (4H,)].
    Outputs: h_1 .. h_T (T, N, H) and c_T (N, H).

    BPTT, with dh_t = dL/dy_t + da_{t+1} W_hh and s' = s (1 - s):
        dc_t  = dc_{t+1} f_{t+1} + dh_t o_t (1 - tanh^2 c_t)      (dc_T starts from dL/dc_T)
        da_o = dh_t tanh(c_t) o'     da_i = dc_t g_t i'     da_f = dc_t c_{t-1} f'     da_g = dc_t i_t (1 - g_t^2)
        dh0 = da_1 W_hh,   dc0 = dc_1 f_1.
    """

    order, n_sigmoid, n_states = (3, 0, 1, 2), 3, 2  # kernel blocks o, i, f, g: sigmoids first

    # Feature-major layout: every per-step array is (features, N). Step t reads one stacked operand
    # z_t = [x_t^T; 1; h_{t-1}] (I + 1 + H, N) and does ONE GEMM, a_t = [W_ih | b | W_hh] z_t (4H, N),
    # so there is no separate input projection or bias add; the gates are contiguous (H, N) blocks of
    # a_t, the three sigmoids one block of 3H rows. The backward gets every weight gradient from one
    # GEMM too: d[W_ih | b | W_hh] = dA (4H, T*N) @ Z (T*N, I + 1 + H).

    def forward(self, ctx, x, h0, c0, w_ih, w_hh, *biases):
        t_len, n, hidden = x.shape[0], x.shape[1], h0.shape[-1]
        inputs = x.shape[2] + (1 if biases else 0)  # rows of z_t before h_{t-1}
        ctx.x_shape, ctx.w_ih, ctx.w_hh, ctx.inputs_rows = x.shape, w_ih, w_hh, inputs
        parts = [self._permute(w_ih, halve=True)]
        if biases:
            parts.append(self._permute(biases[0] + biases[1], halve=True)[:, None])
        w = np.concatenate([*parts, self._permute(w_hh, halve=True)], axis=1)  # (4H, I + 1 + H)
        # z[t] for t < T is step t's operand; z[T] only holds h_T (so z[1:] holds h_1 .. h_T)
        z = np.empty((t_len + 1, inputs + hidden, n), dtype=x.dtype)
        z[:t_len, : x.shape[2]] = self._in_processing_order(x).transpose(0, 2, 1)
        if biases:
            z[:t_len, x.shape[2]] = 1
        z[0, inputs:] = h0.T
        # a[t] holds the gates o, i, f, g of step t and then c_{t-1}: (i, f) and (g, c_{t-1}) are two
        # adjacent pairs of blocks, so i g and f c_{t-1} are one multiply, kept in products[t]: c_t is
        # their sum, and the backward reuses them
        a = np.empty((t_len, 5 * hidden, n), dtype=x.dtype)
        products = np.empty((t_len, 2 * hidden, n), dtype=x.dtype)
        tanh_cs = np.empty((t_len, hidden, n), dtype=x.dtype)  # tanh(c_1) .. tanh(c_T), for the backward
        c_last = np.empty((hidden, n), dtype=x.dtype)
        a[0, 4 * hidden :] = c0.T
        # per step t: all gates, the sigmoid gates, (i, f) and (g, c_{t-1}), o; then c_t and h_t's slots
        gates, sigmoids, o = a[:, : 4 * hidden], a[:, : 3 * hidden], a[:, :hidden]
        i_f, g_c = a[:, hidden : 3 * hidden], a[:, 3 * hidden :]
        c_next, hs = a[1:, 4 * hidden :], z[1:, inputs:]
        for t in range(t_len):
            gates_t, sigmoids_t, tanh_c, products_t = gates[t], sigmoids[t], tanh_cs[t], products[t]
            np.matmul(w, z[t], out=gates_t)
            np.tanh(gates_t, out=gates_t)  # tanh(z/2) for the sigmoid gates, tanh(z) for g
            sigmoids_t *= 0.5
            sigmoids_t += 0.5
            np.multiply(i_f[t], g_c[t], out=products_t)  # i g, f c_{t-1}
            c = c_next[t] if t + 1 < t_len else c_last
            np.add(products_t[:hidden], products_t[hidden:], out=c)
            np.tanh(c, out=tanh_c)
            np.multiply(o[t], tanh_c, out=hs[t])
        ctx.gates, ctx.products, ctx.z, ctx.tanh_cs = a, products, z, tanh_cs
        out = np.empty((t_len, n, hidden), dtype=x.dtype)  # h_1 .. h_T in input order
        (out[::-1] if self.reverse else out)[...] = hs.transpose(0, 2, 1)
        return out, np.ascontiguousarray(c_last.T)

    def backward(self, ctx, grad, grad_c):
        _once_differentiable(ctx, "LSTM")
        a, tanh_cs = ctx.gates, ctx.tanh_cs
        t_len, hidden, n = tanh_cs.shape
        g_h = np.ascontiguousarray(self._in_processing_order(grad).transpose(0, 2, 1))
        o, i, f, g, c_prev = (slice(k * hidden, (k + 1) * hidden) for k in range(5))
        # Everything that does not depend on the recursion, for all steps at once: each gate's
        # derivative (s (1 - s), or 1 - g^2) times the factor its upstream gradient meets, so that
        #   da_o = dh * [tanh(c) o']   and   (da_i, da_f, da_g) = dc * [g i', c_{t-1} f', i (1 - g^2)],
        # and in front of them the share dc_t gets from h_t = o_t tanh(c_t):  dh * [o (1 - tanh^2 c)].
        # The forward's h_t = o tanh(c_t) and products (i g, f c_{t-1}) save most of the multiplies:
        #   tanh(c) o' = h (1 - o),   (g i', c_{t-1} f') = (i g, f c_{t-1}) (1 - (i, f)),
        #   i (1 - g^2) = i - (i g) g,   o (1 - tanh^2 c) = o - h tanh(c).
        # Per step, d[t] = (via_h, da_o, da_i, da_f, da_g): the first two blocks meet dh, the last three dc.
        d = np.empty((t_len, 5 * hidden, n), dtype=a.dtype)
        via_h, da = d[:, :hidden], d[:, hidden:]
        h, products = ctx.z[1:, ctx.inputs_rows :], ctx.products
        np.subtract(1, a[:, : 3 * hidden], out=da[:, : 3 * hidden])  # 1 - o, 1 - i, 1 - f
        da[:, o] *= h
        da[:, i.start : f.stop] *= products
        np.multiply(products[:, :hidden], a[:, g], out=da[:, g])
        np.subtract(a[:, i], da[:, g], out=da[:, g])
        np.multiply(h, tanh_cs, out=via_h)
        np.subtract(a[:, o], via_h, out=via_h)
        # W_hh^T in kernel gate order, one (H, H) block transposed at a time (cheaper than one (H, 4H)
        # transposing copy)
        w_hh_t, blocks = np.empty((hidden, 4 * hidden), dtype=a.dtype), ctx.w_hh.reshape(4, hidden, hidden)
        for k, block in enumerate(self.order):
            w_hh_t[:, k * hidden : (k + 1) * hidden] = blocks[block].T
        dh = np.empty((hidden, n), dtype=a.dtype)
        dh_next, dc = np.zeros_like(dh), np.array(grad_c.T, order="C")  # a C-order copy, like every step array
        # per step t: the blocks that meet dh (2, H, N), those that meet dc (3, H, N), the gates' gradients
        meet_dh, meet_dc = d[:, : 2 * hidden].reshape(t_len, 2, hidden, n), d[:, 2 * hidden :].reshape(t_len, 3, hidden, n)
        gates = d[:, hidden:]
        forget = a[:, f]
        for t in reversed(range(t_len)):
            np.add(g_h[t], dh_next, out=dh)
            meets_dh = meet_dh[t]
            meets_dh *= dh  # dc's share via h_t, and da_o
            dc += meets_dh[0]
            meets_dc = meet_dc[t]
            meets_dc *= dc  # da_i, da_f, da_g
            dc *= forget[t]  # the share of c_{t-1} in c_t = f_t c_{t-1} + i_t g_t
            if t > 0 or ctx.needs_input_grad[1]:
                np.matmul(w_hh_t, gates[t], out=dh_next)  # read by the next step's first line, then free
        d = np.ascontiguousarray(da.transpose(1, 0, 2)).reshape(4 * hidden, t_len * n)
        return self._stacked_gradients(ctx, d, dh_next.T, dc.T)

    def _stacked_gradients(self, ctx, d, dh0, dc0):
        """Every input's gradient from the gate gradients d (4H, T*N): the weights and the bias from one
        GEMM with the stacked operands z_t of the forward, x from W_ih."""
        needs, (t_len, n, inputs) = ctx.needs_input_grad, ctx.x_shape
        grads = [None, dh0, dc0] + [None] * (len(needs) - 3)
        if needs[0]:
            grads[0] = self._in_input_order((d.T @ self._permute(ctx.w_ih)).reshape(t_len, n, inputs))
        if any(needs[3:]):
            rows = ctx.z[:t_len].transpose(0, 2, 1).reshape(t_len * n, -1)  # a copy: one row per (step, sequence)
            dw = self._unpermute(d @ rows)  # (4H, I + 1 + H): d[W_ih | b | W_hh]
            grads[3:5] = dw[:, :inputs], dw[:, ctx.inputs_rows :]
            if len(needs) > 5:  # b_ih and b_hh enter as their sum
                grads[5:7] = dw[:, inputs], dw[:, inputs]
        return tuple(None if g is None or not need else np.ascontiguousarray(g) for g, need in zip(grads, needs))


class GRUFused(_Recurrence):
    """Gated recurrent unit over a sequence, as torch.nn.GRU (gate blocks r, z, n):

        r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)      reset gate
        z_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)      update gate
        n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn)) candidate
        h_t = (1 - z_t) * n_t + z_t * h_{t-1}

    Inputs x (T, N, I), h0 (N, H), W_ih (3H, I), W_hh (3H, H)[, b_ih, b_hh (3H,)]; output (T, N, H).

    BPTT, with dh_t = dL/dy_t + dh_t' (from step t+1), s' = s (1 - s) and q_t = W_hn h_{t-1} + b_hn:
        da_n = dh_t (1 - z_t)(1 - n_t^2)      (n's pre-activation; its input part W_in x_t + b_in)
        da_r = da_n q_t r'     da_z = dh_t (h_{t-1} - n_t) z'     dq_t = da_n r_t
        dh_{t-1}' = dh_t z_t + (da_r, da_z, dq_t) W_hh
    """

    order, n_sigmoid = (0, 1, 2), 2  # r, z, n: the sigmoids already come first

    def forward(self, ctx, x, h0, w_ih, w_hh, *biases):
        t_len, n, hidden = x.shape[0], x.shape[1], h0.shape[-1]
        rz, r, z, new = slice(0, 2 * hidden), slice(0, hidden), slice(hidden, 2 * hidden), slice(2 * hidden, None)
        bias = b_hn = None
        if biases:
            bias = biases[0].copy()
            bias[rz] += biases[1][rz]  # b_hr, b_hz join the input projection; b_hn stays inside r * (...)
            bias, b_hn = self._permute(bias, halve=True), biases[1][new]
        a = self._project(ctx, x, w_ih, w_hh, bias)
        w_hh_t = self._permute(w_hh, halve=True).T
        hs = np.empty((t_len + 1, n, hidden), dtype=x.dtype)  # h_0 .. h_T; the output is hs[1:]
        hs[0] = h0
        hp = np.empty((t_len, n, 3 * hidden), dtype=x.dtype)  # h_{t-1} W_hh^T (+ b_hn); backward needs q_t
        rq = np.empty_like(hs[0])
        for t in range(t_len):
            a_t, hp_t = a[t], hp[t]
            np.matmul(hs[t], w_hh_t, out=hp_t)
            if b_hn is not None:
                hp_t[:, new] += b_hn
            a_t[:, rz] += hp_t[:, rz]
            np.tanh(a_t[:, rz], out=a_t[:, rz])
            a_t[:, rz] *= 0.5
            a_t[:, rz] += 0.5
            np.multiply(a_t[:, r], hp_t[:, new], out=rq)
            a_t[:, new] += rq
            np.tanh(a_t[:, new], out=a_t[:, new])
            h = hs[t + 1]
            np.subtract(hs[t], a_t[:, new], out=h)
            h *= a_t[:, z]
            h += a_t[:, new]
        ctx.gates, ctx.hs, ctx.q = a, hs, hp[..., new]
        return self._in_input_order(hs[1:])

    def backward(self, ctx, grad):
        _once_differentiable(ctx, "GRU")
        g = self._in_processing_order(grad)
        a, hs, q = ctx.gates, ctx.hs, ctx.q
        t_len, hidden = q.shape[0], q.shape[2]
        rz, r, z, new = slice(0, 2 * hidden), slice(0, hidden), slice(hidden, 2 * hidden), slice(2 * hidden, None)
        # d_hh starts as the gates' derivatives for every step: s (1 - s) for r and z, 1 - n^2 for n
        d_hh = np.multiply(a, a)
        np.subtract(a[..., rz], d_hh[..., rz], out=d_hh[..., rz])
        np.subtract(1, d_hh[..., new], out=d_hh[..., new])
        d_ih = np.empty_like(a)  # (da_r, da_z, da_n), while d_hh becomes (da_r, da_z, dq)
        w_hh = self._permute(ctx.w_hh)
        dh, dh_z, dh_new = np.empty_like(hs[0]), np.empty_like(hs[0]), np.empty_like(hs[0])
        dh_next = np.zeros_like(hs[0])
        for t in reversed(range(t_len)):
            a_t, d_t, da_n = a[t], d_hh[t], d_ih[t, :, new]
            np.add(g[t], dh_next, out=dh)
            np.multiply(dh, a_t[:, z], out=dh_z)
            np.subtract(dh, dh_z, out=dh_new)  # dL/dn = dh (1 - z)
            np.multiply(dh_new, d_t[:, new], out=da_n)
            np.multiply(da_n, a_t[:, r], out=d_t[:, new])  # dq
            d_r = np.multiply(da_n, q[t])  # dL/dr
            d_z = np.subtract(hs[t], a_t[:, new])
            d_z *= dh  # dL/dz
            d_t[:, r] *= d_r
            d_t[:, z] *= d_z
            if t > 0 or ctx.needs_input_grad[1]:
                dh_next = d_t @ w_hh
                dh_next += dh_z
        d_ih[..., rz] = d_hh[..., rz]
        return self._gradients(ctx, d_ih, d_hh, dh_next)


# --------------------------------------------------------------------------------------------------
# the kernels, registered for the reference cell loops
# --------------------------------------------------------------------------------------------------
@register(rnn_cells)
def rnn_fused(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh", reverse=False):
    """``rnn_cells`` as one fused op: (h_1 .. h_T (T, N, H), h_T)."""
    biases = () if b_ih is None else (b_ih, b_hh)
    y = RNNFused.apply(x, h0, w_ih, w_hh, *biases, nonlinearity=nonlinearity, reverse=reverse)
    return y, y[0 if reverse else -1]


@register(lstm_cells)
def lstm_fused(x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
    """``lstm_cells`` as one fused op: (h_1 .. h_T (T, N, H), h_T, c_T)."""
    biases = () if b_ih is None else (b_ih, b_hh)
    y, c = LSTMFused.apply(x, h0, c0, w_ih, w_hh, *biases, reverse=reverse)
    return y, y[0 if reverse else -1], c


@register(gru_cells)
def gru_fused(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
    """``gru_cells`` as one fused op: (h_1 .. h_T (T, N, H), h_T)."""
    biases = () if b_ih is None else (b_ih, b_hh)
    y = GRUFused.apply(x, h0, w_ih, w_hh, *biases, reverse=reverse)
    return y, y[0 if reverse else -1]
