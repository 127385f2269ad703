"""LSTM(input 32, hidden 128), sequence length 50, batch 32, float32: forward + backward of the summed
outputs. neurona's fused LSTM against torch 2.13's nn.LSTM (oneDNN's fused kernel on CPU) and against
a Python loop over torch's nn.LSTMCell (what an unfused implementation costs), interleaved in one
process. Memory: what each keeps alive for the backward (neurona: NumPy bytes held after the
forward, by tracemalloc; torch: the distinct tensors its autograd saves, and the output).

    python benchmarks/bench_lstm.py [--threads N]     (N: BLAS and torch threads; default: theirs)
"""

from __future__ import annotations

import argparse
import tracemalloc

import numpy as np
import torch

import neurona as nr
from common import blas_info, interleaved, peak_rss_mib
from neurona import nn

T, BATCH, INPUT, HIDDEN = 50, 32, 32, 128


def torch_cell_outputs(cell: torch.nn.LSTMCell, x: torch.Tensor) -> list[torch.Tensor]:
    h = c = torch.zeros(BATCH, HIDDEN)
    outputs = []
    for t in range(T):
        h, c = cell(x[t], (h, c))
        outputs.append(h)
    return outputs


def contenders() -> tuple[dict, tuple, tuple]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, BATCH, INPUT)).astype(np.float32)
    torch_lstm = torch.nn.LSTM(INPUT, HIDDEN)
    torch_cell = torch.nn.LSTMCell(INPUT, HIDDEN)
    torch_cell.load_state_dict({k[:-3]: v for k, v in torch_lstm.state_dict().items()})
    lstm = nn.LSTM(INPUT, HIDDEN)
    lstm.load_state_dict(torch_lstm.state_dict())
    xn, xt = nr.tensor(x), torch.from_numpy(x)

    def neurona_step():
        lstm.zero_grad()
        output, _ = lstm(xn)
        output.sum().backward()

    def torch_step():
        torch_lstm.zero_grad()
        output, _ = torch_lstm(xt)
        output.sum().backward()

    def torch_cell_step():
        torch_cell.zero_grad()
        torch.stack(torch_cell_outputs(torch_cell, xt)).sum().backward()

    steps = {"neurona": neurona_step, "torch": torch_step, "torch_cell": torch_cell_step}
    return steps, (lstm, xn), (torch_lstm, torch_cell, xt)


def saved_for_backward_mib(forward) -> float:
    """MiB of distinct tensors torch keeps for the backward of ``forward()`` (its outputs included)."""
    storages = {}

    def pack(t):
        storages[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        output = forward()
    storages[output.untyped_storage().data_ptr()] = output.untyped_storage().nbytes()
    return sum(storages.values()) / 2**20


def neurona_memory_mib(lstm: nn.LSTM, x: nr.Tensor) -> tuple[float, float]:
    """(MiB of NumPy memory held after the forward, peak MiB during forward + backward), by tracemalloc."""
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    output, _ = lstm(x)
    held = tracemalloc.get_traced_memory()[0] - base
    output.sum().backward()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return held / 2**20, peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None, help="threads for BLAS and torch")
    parser.add_argument("--other-cells", action="store_true", help="also time the fused GRU and RNN layers")
    args = parser.parse_args()
    threads = args.threads
    if threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads)
        torch.set_num_threads(threads)
    steps, (lstm, xn), (torch_lstm, torch_cell, xt) = contenders()
    neurona_step, torch_step, torch_cell_step = steps.values()
    neurona_step()
    torch_step()
    torch_cell_step()
    drift = max(float(np.abs(p.grad.numpy() - q.grad.numpy()).max() / np.abs(q.grad.numpy()).max())
                for p, q in zip(lstm.parameters(), torch_lstm.parameters()))
    times = interleaved(steps, rounds=31, inner=5)
    print(f"BLAS: {blas_info()}; torch threads: {torch.get_num_threads()}")
    print(f"largest relative gradient difference vs torch: {drift:.1e}")
    print(f"LSTM({INPUT}, {HIDDEN}), T={T}, batch {BATCH}, forward + backward (median of 31 rounds):")
    print(f"  neurona nn.LSTM       {times['neurona'] * 1e3:7.2f} ms")
    print(f"  torch nn.LSTM         {times['torch'] * 1e3:7.2f} ms   neurona / torch      = "
          f"{times['neurona'] / times['torch']:.2f}x")
    print(f"  torch LSTMCell loop   {times['torch_cell'] * 1e3:7.2f} ms   neurona / cell loop  = "
          f"{times['neurona'] / times['torch_cell']:.2f}x")
    held, peak = neurona_memory_mib(lstm, xn)
    torch_held = saved_for_backward_mib(lambda: torch_lstm(xt)[0])
    cell_held = saved_for_backward_mib(lambda: torch.stack(torch_cell_outputs(torch_cell, xt)))
    print(f"memory kept for backward (activations and outputs): neurona {held:.1f} MiB, torch nn.LSTM "
          f"{torch_held:.1f} MiB, torch LSTMCell loop {cell_held:.1f} MiB")
    print(f"neurona peak during forward + backward (tracemalloc, gradients included): {peak:.1f} MiB; "
          f"peak RSS of this process: {peak_rss_mib():.0f} MiB")
    if args.other_cells:
        other_cells(xn, xt)


def other_cells(xn: nr.Tensor, xt: torch.Tensor) -> None:
    """The same step for the fused GRU and Elman RNN layers against torch's (for the record: no target)."""
    for name in ("GRU", "RNN"):
        torch_layer, layer = getattr(torch.nn, name)(INPUT, HIDDEN), getattr(nn, name)(INPUT, HIDDEN)
        layer.load_state_dict(torch_layer.state_dict())

        def neurona_step(layer=layer):
            layer.zero_grad()
            layer(xn)[0].sum().backward()

        def torch_step(torch_layer=torch_layer):
            torch_layer.zero_grad()
            torch_layer(xt)[0].sum().backward()

        times = interleaved({"neurona": neurona_step, "torch": torch_step}, rounds=15, inner=5)
        print(f"{name}({INPUT}, {HIDDEN}), same sizes: neurona {times['neurona'] * 1e3:.2f} ms, torch "
              f"{times['torch'] * 1e3:.2f} ms, ratio {times['neurona'] / times['torch']:.2f}x")


if __name__ == "__main__":
    main()
