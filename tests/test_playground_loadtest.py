"""Load on the real server (`neurona playground` on 127.0.0.1): 20 concurrent websocket sessions each train
200 steps. No error frames, every step counted, the server's memory bounded, all sessions freed at the end.
Bounded in count (20 x 200) and in time (a timeout, not a timed assertion)."""

import asyncio
import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from neurona.playground.loadtest import run_sessions


def _health(url: str) -> dict:
    with urllib.request.urlopen(url + "api/health", timeout=5) as r:
        return json.loads(r.read())


def _rss_mib(pid: int, field: str = "VmHWM") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


@pytest.fixture
def server():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "neurona.cli", "playground", "--port", str(port), "--no-browser",
                             "--host", "127.0.0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(300):
        try:
            _health(url)
            break
        except OSError:
            assert proc.poll() is None, "the playground server exited at start"
            time.sleep(0.2)
    yield url, proc
    proc.terminate()
    proc.wait(timeout=10)


def test_twenty_sessions_train_two_hundred_steps_each(server):
    url, proc = server

    async def load_and_probe():
        """The load, and meanwhile the HTTP API polled: the server must keep answering other requests."""
        load = asyncio.create_task(run_sessions(url.replace("http", "ws") + "ws", sessions=20, steps=200, timeout_s=400))
        seen = []
        while not load.done():
            seen.append((await asyncio.to_thread(_health, url))["sessions"])
            await asyncio.sleep(0.5)
        return await load, seen

    result, seen = asyncio.run(load_and_probe())
    assert max(seen) == 20, f"all 20 sessions should be open at once while training, saw {seen}"
    assert result.errors == []
    assert result.final_steps == [200] * 20 and len(result.latencies) == 20 * 200
    assert _rss_mib(proc.pid) < 1024, "the server's peak memory should stay far below 1 GiB"
    for _ in range(100):  # the last closes reach the server a moment after the clients return
        if _health(url)["sessions"] == 0:
            break
        time.sleep(0.05)
    assert _health(url)["sessions"] == 0
