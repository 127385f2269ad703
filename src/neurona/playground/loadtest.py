"""Many pages at once against a running playground server: each opens a websocket and trains with
``step`` messages, timing every round trip. Used by the load test and by ``benchmarks/bench_playground.py``.

Example (with ``neurona playground --no-browser`` running)::

    import asyncio
    from neurona.playground.loadtest import run_sessions
    result = asyncio.run(run_sessions("ws://127.0.0.1:8765/ws", sessions=20, steps=200))
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

import numpy as np


@dataclass
class LoadResult:
    """Latencies of every step (seconds), errors received, and steps the server counted per session."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    final_steps: list[int] = field(default_factory=list)
    wall_s: float = 0.0

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies, q)) if self.latencies else float("nan")


async def _one(url: str, steps: int, result: LoadResult) -> None:
    import websockets

    async with websockets.connect(url, max_size=1 << 22) as ws:
        for _ in range(2):  # the settings and the first state frame
            json.loads(await ws.recv())
        state = {}
        for _ in range(steps):
            start = time.perf_counter()
            await ws.send(json.dumps({"type": "step", "steps": 1}))
            while True:
                frame = json.loads(await ws.recv())
                if frame["type"] == "error":
                    result.errors.append(frame["message"])
                if frame["type"] in ("state", "error"):
                    break
            result.latencies.append(time.perf_counter() - start)
            state = frame
        result.final_steps.append(int(state.get("steps", -1)))


async def run_sessions(url: str, sessions: int = 20, steps: int = 200, timeout_s: float = 300.0) -> LoadResult:
    """Open ``sessions`` websockets at once; each trains ``steps`` single-step messages. Bounded by ``timeout_s``."""
    result = LoadResult()
    start = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(_one(url, steps, result) for _ in range(sessions))), timeout_s)
    result.wall_s = time.perf_counter() - start
    return result
