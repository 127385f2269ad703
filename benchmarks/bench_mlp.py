"""MLP 784-256-256-10 training step (ReLU, softmax cross-entropy, SGD), batch 128, float32:
neurona's engine and F ops against torch 2.13 CPU, interleaved in one process.

Also the per-op overhead of a small graph: 5 ops forward + backward on tiny tensors.

    python benchmarks/bench_mlp.py
"""

from __future__ import annotations

import numpy as np
import torch

import neurona as nr
import neurona.functional as F
from common import blas_info, interleaved, neurona_sgd_update, torch_sgd_update

BATCH, SIZES, LR = 128, (784, 256, 256, 10), 0.01


def make_data(seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    weights = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        bound = 1 / np.sqrt(fan_in)
        weights.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        weights.append(rng.uniform(-bound, bound, (fan_out,)).astype(np.float32))
    return x, y, weights


def neurona_step_fn(x, y, weights):
    params = [nr.tensor(w, requires_grad=True) for w in weights]
    xt, yt = nr.tensor(x), nr.tensor(y)

    def step():
        h = xt
        for i in range(0, len(params), 2):
            h = F.linear(h, params[i], params[i + 1])
            if i < len(params) - 2:
                h = F.relu(h)
        loss = F.cross_entropy(h, yt)
        neurona_sgd_update(loss, params, LR)

    return step, params


def torch_step_fn(x, y, weights):
    params = [torch.tensor(w, requires_grad=True) for w in weights]
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        h = xt
        for i in range(0, len(params), 2):
            h = torch.nn.functional.linear(h, params[i], params[i + 1])
            if i < len(params) - 2:
                h = torch.relu(h)
        loss = torch.nn.functional.cross_entropy(h, yt)
        torch_sgd_update(loss, params, LR)

    return step, params


def small_graph_fns():
    a_np = np.random.default_rng(1).standard_normal((4, 4)).astype(np.float32)
    a, ta = nr.tensor(a_np, requires_grad=True), torch.tensor(a_np, requires_grad=True)

    def nr_small():
        y = ((a * 2.0 + 1.0).tanh() * a).sum()  # 5 ops
        a.grad = None
        y.backward()

    def torch_small():
        y = ((ta * 2.0 + 1.0).tanh() * ta).sum()
        ta.grad = None
        y.backward()

    return nr_small, torch_small


def main() -> None:
    x, y, weights = make_data()
    nr_step, nr_params = neurona_step_fn(x, y, weights)
    torch_step, torch_params = torch_step_fn(x, y, weights)
    for _ in range(3):  # the two implementations stay in lock-step: same numbers, same updates
        nr_step()
        torch_step()
    drift = max(float(np.abs(p.data - q.detach().numpy()).max()) for p, q in zip(nr_params, torch_params))
    times = interleaved({"neurona": nr_step, "torch": torch_step}, rounds=21, inner=10)
    nr_small, torch_small = small_graph_fns()
    small = interleaved({"neurona": nr_small, "torch": torch_small}, rounds=21, inner=200)
    print(f"BLAS: {blas_info()}; torch threads: {torch.get_num_threads()}")
    print(f"parameter drift after 3 steps vs torch: {drift:.2e}")
    print(f"MLP 784-256-256-10 step, batch {BATCH}: neurona {times['neurona'] * 1e3:.2f} ms, "
          f"torch {times['torch'] * 1e3:.2f} ms, ratio {times['neurona'] / times['torch']:.2f}x")
    print(f"5-op graph forward+backward: neurona {small['neurona'] * 1e6:.1f} us, "
          f"torch {small['torch'] * 1e6:.1f} us, ratio {small['neurona'] / small['torch']:.2f}x")


if __name__ == "__main__":
    main()
