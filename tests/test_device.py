"""Devices as no-ops with honest errors (``neurona/device.py``, ``cuda.py``, ``backends``)."""

from __future__ import annotations

import pytest

import neurona as nr
import neurona.nn as nn


def test_cpu_is_accepted_everywhere_torch_takes_device():
    cpu = nr.device("cpu")
    assert cpu == "cpu" and str(cpu) == "cpu" and repr(cpu) == "device(type='cpu')" and cpu.type == "cpu"
    x = nr.ones(2, device=cpu)
    assert x.device == cpu and x.to(cpu) is x and x.cpu() is x and x.to("cpu", nr.float64).dtype == nr.float64
    for make in (lambda: nr.zeros(2, device="cpu"), lambda: nr.tensor([1], device="cpu"),
                 lambda: nr.randn(2, device="cpu"), lambda: nr.arange(3, device="cpu"),
                 lambda: nn.Linear(2, 3, device="cpu"), lambda: nn.Conv2d(1, 2, 3, device=cpu),
                 lambda: nn.LSTM(2, 3, device="cpu"), lambda: nn.Embedding(4, 2, device="cpu")):
        make()
    model = nn.Linear(2, 2)
    assert model.to("cpu") is model and model.cpu() is model and model.to(cpu, nr.float64).weight.dtype == nr.float64
    assert nr.get_default_device() == "cpu"


@pytest.mark.parametrize("ask", [
    lambda: nr.device("cuda"), lambda: nr.device("cuda:0"), lambda: nr.device("mps"), lambda: nr.ones(2).cuda(),
    lambda: nr.ones(2).to("cuda"), lambda: nr.zeros(2, device="cuda"), lambda: nn.Linear(2, 2, device="cuda"),
    lambda: nn.Linear(2, 2).cuda(), lambda: nn.Linear(2, 2).to("cuda:1"), lambda: nr.cuda.current_device(),
    lambda: nr.set_default_device("cuda"),
])
def test_asking_for_a_gpu_says_neurona_runs_on_the_cpu(ask):
    with pytest.raises(RuntimeError, match=r"neurona runs on the CPU only.*Use device='cpu'"):
        ask()


def test_accelerator_queries_answer_no():
    assert nr.cuda.is_available() is False and nr.cuda.device_count() == 0
    assert nr.backends.mps.is_available() is False
    nr.cuda.manual_seed_all(0)
    nr.cuda.synchronize()
    nr.backends.cudnn.deterministic = True  # seeding code sets these; accepted
    nr.backends.cudnn.benchmark = False
