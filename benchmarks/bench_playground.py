"""The playground's speed: epochs per second of the default network with every heat map updated,
frames per second in headless Chromium while training, and the latency of one step with 20 sessions.

    python bench_playground.py            # all three (needs chromium + chromium-driver for the second)
    python bench_playground.py --quick    # shorter runs

The default network is TensorFlow Playground's first screen: circle, features x1 and x2, hidden 4-2,
tanh, batch 10, 250 training points (25 steps per epoch), SGD with learning rate 0.03.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request


def epochs_per_second(seconds: float) -> dict[str, float]:
    """Epochs/s training only, and with a full ``state`` frame (all neuron heat maps, JSON) after every epoch."""
    from neurona.playground import Session

    results = {}
    for name, with_maps in (("train only", False), ("train + all heat maps every epoch", True)):
        rates = []
        for _ in range(5):
            session = Session()
            session.train(epochs=5)  # warm-up
            start, epochs = time.perf_counter(), 0
            while time.perf_counter() - start < seconds / 5:
                session.train(epochs=1)
                if with_maps:
                    json.dumps(session.state())
                epochs += 1
            rates.append(epochs / (time.perf_counter() - start))
        results[name] = statistics.median(rates)
    return results


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server() -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "neurona.cli", "playground", "--port", str(port), "--no-browser"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "api/health", timeout=2)
            return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the playground server did not start")


def browser_fps(seconds: float) -> dict[str, float]:
    """State frames drawn per second, animation frames per second and epochs per second in Chromium."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver_path):
        return {"skipped (no chromium / chromedriver)": float("nan")}
    proc, url = _start_server()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--window-size=1400,1000",
                f"--user-data-dir={tempfile.mkdtemp()}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    try:
        driver.get(url)
        while not driver.execute_script("return window.playground.state !== null"):
            time.sleep(0.1)
        driver.execute_script("window.rafCount = 0; (function tick() { window.rafCount++; requestAnimationFrame(tick); })();")
        driver.find_element(By.ID, "play").click()
        time.sleep(2.0)  # warm-up
        probe = "return [window.playground.frames, window.rafCount, window.playground.state.epoch, performance.now()]"
        f0, r0, e0, t0 = driver.execute_script(probe)
        time.sleep(seconds)
        f1, r1, e1, t1 = driver.execute_script(probe)
        dt = (t1 - t0) / 1000
        return {"state frames drawn / s": (f1 - f0) / dt, "animation frames / s": (r1 - r0) / dt,
                "epochs / s while drawing": (e1 - e0) / dt}
    finally:
        driver.quit()
        proc.terminate()
        proc.wait(timeout=10)


def step_latency(sessions: int, steps: int) -> dict[str, float]:
    """Median and p95 round trip of one ``step`` message (train 1 mini-batch, get the state frame)."""
    from neurona.playground.loadtest import run_sessions

    proc, url = _start_server()
    try:
        result = asyncio.run(run_sessions(url.replace("http", "ws") + "ws", sessions=sessions, steps=steps))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert not result.errors, result.errors[:3]
    return {f"step latency median, {sessions} sessions (ms)": 1e3 * result.percentile(50),
            f"step latency p95, {sessions} sessions (ms)": 1e3 * result.percentile(95),
            "steps answered / s, all sessions": len(result.latencies) / result.wall_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs")
    args = parser.parse_args()
    seconds = 2.0 if args.quick else 10.0
    rows: dict[str, float] = {}
    rows.update({f"epochs / s, {k}": v for k, v in epochs_per_second(seconds).items()})
    rows.update(browser_fps(seconds))
    rows.update(step_latency(20, 50 if args.quick else 200))
    width = max(map(len, rows))
    for key, value in rows.items():
        print(f"{key:<{width}}  {value:8.1f}")


if __name__ == "__main__":
    main()
