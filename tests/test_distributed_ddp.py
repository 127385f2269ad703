"""DistributedDataParallel, SyncBatchNorm and the collectives under real ``mpirun`` (tests/distributed_jobs/equivalence.py):
2 ranks with batch B train to the same float64 weights as one process with batch 2B, SGD and Adam, an MLP and
a small ConvNet; 3 ranks on data that does not divide evenly (padded and dropped); no_sync() accumulation."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

import neurona as nr
from mpi_support import JOBS, run_mpi
from neurona import distributed as dist
from neurona import nn

TOL = 1e-6


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp2") / "result.json"
    run_mpi(2, [sys.executable, str(JOBS / "equivalence.py"), str(out)], timeout=240)
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def three_ranks(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp3") / "result.json"
    run_mpi(3, [sys.executable, str(JOBS / "equivalence.py"), str(out)], timeout=240)
    return json.loads(out.read_text())


@pytest.mark.parametrize("case", ["mlp-sgd", "mlp-adam", "convnet-sgd", "convnet-adam"])
def test_two_ranks_with_batch_b_equal_one_process_with_batch_2b(two_ranks, case):
    r = two_ranks[case]
    assert r["steps"] == 8 and r["allreduce_calls"] == 8  # one Allreduce per step, on one flat buffer
    assert r["max_diff"] < TOL, r
    assert r["rank_spread"] == 0.0  # every rank holds the same weights


@pytest.mark.parametrize("case", ["mlp-adam-padded", "convnet-adam-padded", "mlp-sgd-dropped"])
def test_three_ranks_on_uneven_data_equal_one_process(three_ranks, case):
    r = three_ranks[case]
    assert r["steps"] == 6 and r["max_diff"] < TOL and r["rank_spread"] == 0.0, r


@pytest.mark.parametrize("world", ["two_ranks", "three_ranks"])
def test_no_sync_accumulation_equals_one_large_batch(world, request):
    r = request.getfixturevalue(world)["no_sync"]
    assert r["calls_inside_no_sync"] == 0 and r["calls_after"] == 1  # no traffic inside no_sync()
    assert r["max_diff"] < TOL and r["rank_spread"] == 0.0, r


def test_sync_batchnorm_uses_the_global_batch(two_ranks):
    r = two_ranks["sync_batchnorm"]
    assert r["is_sync"] == "SyncBatchNorm"
    assert r["output_diff"] < TOL and r["grad_diff"] < TOL and r["stats_diff"] < TOL, r


def test_collectives(two_ranks, three_ranks):
    c2, c3 = two_ranks["collectives"], three_ranks["collectives"]
    assert c2["sum"] == [3.0, 4.0] and c3["sum"] == [6.0, 6.0]
    assert c2["mean"] == [0.5] and c3["max"] == [2]
    assert c3["broadcast"] == [2.0, 2.0, 2.0] and c3["json"] == {"from": 0}
    assert c3["gathered"] == [[0, 0], [1, 1], [1, 1], [2, 2], [2, 2], [2, 2]]


# ---- a world of one (no mpirun): the same code runs unchanged -------------------------------------------
def test_world_of_one_without_mpirun():
    assert dist.world_size() == 1 and dist.rank() == 0 and dist.is_main_process()
    a = np.array([1.0, 2.0])
    assert dist.all_reduce(a, op="mean") is a and a.tolist() == [1.0, 2.0]
    assert dist.broadcast_json({"k": 1}) == {"k": 1}
    dist.barrier()
    nr.manual_seed(0)
    model = nn.Linear(3, 2)
    ddp = dist.DistributedDataParallel(model)
    x = nr.randn(4, 3)
    assert np.array_equal(ddp(x).data, model(x).data)
    assert list(ddp.state_dict()) == ["weight", "bias"]  # the module's own keys, loadable without the wrapper


def test_collective_arguments_are_checked():
    with pytest.raises(ValueError, match="op must be one of"):
        dist.all_reduce(np.zeros(2), op="avg")
    with pytest.raises(TypeError, match="Tensor or a NumPy array"):
        dist.all_reduce([1.0, 2.0])
    with pytest.raises(ValueError, match="C-contiguous"):
        dist.broadcast(np.zeros((3, 4))[:, ::2])
    with pytest.raises(TypeError, match="wraps a Module"):
        dist.DistributedDataParallel(lambda x: x)


def test_convert_sync_batchnorm_keeps_weights_and_statistics():
    nr.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU())
    net[1].running_mean.data[...] = 0.5
    bn_weight = net[1].weight
    x = nr.randn(6, 3)
    before = net(x).data
    converted = dist.SyncBatchNorm.convert_sync_batchnorm(net)
    assert isinstance(converted[1], dist.SyncBatchNorm) and converted[1].weight is bn_weight
    assert np.allclose(converted[1].running_mean.data, net[1].running_mean.data)
    net2 = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU())
    net2.load_state_dict(converted.state_dict())
    assert np.allclose(net2(x).data, before, atol=1e-6)  # same keys as BatchNorm1d; one process: plain batch norm
