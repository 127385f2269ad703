"""An MPI job (tests/test_distributed_comm.py): the BLAS threads each rank gets by default, and the watchdog.

argv[1]: output JSON (rank 0 writes). With argv[2] == 'hang', rank 1 never joins the Allreduce and rank 0's
watchdog must stop it.
"""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np

os.environ.pop("NEURONA_BLAS_THREADS", None)  # the default rule, not the tests' pin

from threadpoolctl import threadpool_info

from neurona import distributed as dist


def main() -> None:
    dist.init(timeout_s=3.0 if sys.argv[2:] == ["hang"] else None)
    if sys.argv[2:] == ["hang"]:
        if dist.rank() == 1:
            time.sleep(60)  # never joins; mpirun ends it when rank 0 gives up
        dist.all_reduce(np.zeros(3))
        return
    blas = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
    mine = np.array([max(blas) if blas else -1, dist.local_size()], dtype=np.int64)
    everyone = dist.all_gather_array(mine[None, :])
    if dist.rank() == 0:
        affinity = len(os.sched_getaffinity(0))
        with open(sys.argv[1], "w", encoding="utf-8") as f:
            json.dump({"threads": everyone[:, 0].tolist(), "local_size": everyone[:, 1].tolist(),
                       "cores": os.cpu_count(), "affinity": affinity}, f)


if __name__ == "__main__":
    main()
