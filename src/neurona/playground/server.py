"""The playground's server: FastAPI serves the page and one websocket per page; each websocket owns a
:class:`~neurona.playground.session.Session` that trains on neurona in short slices of the event loop.

Safety: binds 127.0.0.1 unless told otherwise; every message is size-checked, parsed as strict JSON
(no NaN) and validated by pydantic before it touches a session; a bad message gets an ``error`` frame
and the session carries on. Limits: number of sessions, message size, training steps per second per
session, and an idle timeout (a playing page is paused, a paused one closed). A page that disconnects
frees its session at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
import webbrowser
from dataclasses import dataclass
from importlib import resources

import numpy as np
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError

from neurona.errors import ConfigError
from neurona.playground import protocol
from neurona.playground.export import export
from neurona.playground.protocol import MESSAGE, Settings, describe_error
from neurona.playground.session import Session

STATIC = resources.files("neurona.playground").joinpath("static")


@dataclass
class Limits:
    """Per-server limits. ``max_steps_per_second`` caps one session's mini-batches per second."""

    max_sessions: int = 32
    max_message_bytes: int = 256_000
    max_steps_per_second: float = 20_000.0
    idle_timeout_s: float = 900.0
    frame_interval_s: float = 1 / 30  # at most ~30 state frames per second while playing
    slice_s: float = 1 / 30  # training time per frame (then one state frame, then the event loop runs)


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def parse(text: str | bytes | None, limits: Limits):
    """A validated message, or raise ValueError with a message for the page."""
    if text is None:
        raise ValueError("binary frames are not accepted: send JSON text")
    if len(text) > limits.max_message_bytes:
        raise ValueError(f"message of {len(text)} bytes is over the limit of {limits.max_message_bytes}")
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except ValueError as e:
        raise ValueError(f"not valid JSON: {e}") from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise ValueError("expected a JSON object with a 'type' field, e.g. {\"type\": \"play\"}")
    try:
        return MESSAGE.validate_python(data)
    except ValidationError as e:
        raise ValueError("; ".join(describe_error(err) for err in e.errors()[:5])) from None


class Connection:
    """One page: its session, the training task while playing, and a lock so frames never interleave."""

    def __init__(self, ws: WebSocket, limits: Limits) -> None:
        self.ws, self.limits = ws, limits
        self.session = Session()
        self.lock = asyncio.Lock()
        self.player: asyncio.Task | None = None

    async def send(self, frame: dict) -> None:
        async with self.lock:
            await self.ws.send_text(json.dumps(frame))

    async def error(self, message: str) -> None:
        await self.send({"type": "error", "message": message})

    async def play(self) -> None:
        """Train in slices while playing, one ``state`` frame per slice, within the steps-per-second cap."""
        s, lim = self.session, self.limits
        began, first_step = time.perf_counter(), s.steps
        try:
            while s.playing:
                start = time.perf_counter()
                # a token bucket: the steps since play never exceed the cap times the time since play
                allowed = int(lim.max_steps_per_second * (start - began)) - (s.steps - first_step)
                if allowed > 0:
                    s.train(budget_s=lim.slice_s, max_steps=allowed)
                    await self.send(s.state())
                elapsed = time.perf_counter() - start
                await asyncio.sleep(max(lim.frame_interval_s - elapsed, 0.0))
        except (WebSocketDisconnect, RuntimeError):
            s.playing = False

    def stop(self) -> None:
        self.session.playing = False
        if self.player is not None:
            self.player.cancel()
            self.player = None

    async def handle(self, msg) -> None:
        s = self.session
        kind = msg.type
        if kind == "ping":
            await self.send({"type": "pong"})
        elif kind == "play":
            if s.diverged:
                await self.error("the loss diverged: reset (or lower the learning rate) before playing again")
            elif not s.playing:
                s.playing = True
                self.player = asyncio.create_task(self.play())
        elif kind == "pause":
            self.stop()
            await self.send(s.state())
        elif kind == "step":
            self.stop()
            if msg.steps is not None:
                s.train(budget_s=float("inf"), max_steps=msg.steps)
            else:
                s.train(epochs=msg.epochs)
            await self.send(s.state())
        elif kind == "export":
            await self.send(export(s, msg.format))
        elif kind == "backprop":
            self.stop()
            await self.send(s.backprop(msg.index, msg.apply))
            await self.send(s.state())
        elif kind == "set_weight":
            s.set_weight(msg.layer, msg.to, msg.from_, msg.value)
            await self.send(s.state())
        else:  # configure, reset, regenerate, upload: the data or network may change
            playing = s.playing
            self.stop()
            if kind == "configure":
                s.configure(msg.settings)
            elif kind == "reset":
                s.reset()
            elif kind == "regenerate":
                s.configure(s.settings.model_copy(update={"seed": (s.settings.seed + 1) % 2**31}))
            elif kind == "upload":
                s.upload(msg.csv, msg.task)
            await self.send(s.describe())
            await self.send(s.state())
            if playing and kind == "configure" and not s.diverged:
                s.playing = True
                self.player = asyncio.create_task(self.play())


def create_app(limits: Limits | None = None, **overrides) -> FastAPI:
    """The application: the page at ``/``, its files at ``/static``, a JSON API under ``/api`` and the
    websocket at ``/ws``. ``overrides`` set fields of :class:`Limits`."""
    limits = limits or Limits(**overrides)
    app = FastAPI(title="neurona playground", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.limits = limits
    app.state.connections = set()
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.get("/")
    async def page() -> FileResponse:
        return FileResponse(str(STATIC.joinpath("index.html")), media_type="text/html")

    @app.get("/api/health")
    async def health() -> dict:
        return {"status": "ok", "sessions": len(app.state.connections), "max_sessions": limits.max_sessions}

    @app.get("/api/settings")
    async def settings() -> dict:
        return {"defaults": Settings().model_dump(), "limits": {
            "max_layers": protocol.MAX_LAYERS, "max_neurons": protocol.MAX_NEURONS,
            "max_points": protocol.MAX_POINTS, "max_upload_bytes": protocol.MAX_UPLOAD_BYTES}}

    @app.get("/api/preview/{name}")
    async def preview(name: str) -> JSONResponse:
        """200 noiseless points of a data set, for the picker's thumbnails."""
        if name not in protocol.CLASSIFICATION_SETS + protocol.REGRESSION_SETS:
            return JSONResponse({"error": f"no data set {name!r}"}, 404)
        problem = "regression" if name in protocol.REGRESSION_SETS else "classification"
        session = Session(Settings(problem=problem, dataset=name, n_points=200,
                                    classes=3 if name == "blobs" else 2, hidden=[]))
        rows = np.concatenate([session.points_train, session.points_test])
        return JSONResponse({"points": np.round(rows, 3).tolist(), "task": problem, "n_classes": session.n_classes})

    @app.post("/api/export/{fmt}")
    async def export_settings(fmt: str, body: dict) -> JSONResponse:
        """Export a configuration without a websocket: ``{"settings": {...}, "epochs": 0}``."""
        if fmt not in ("yaml", "neurona", "pytorch"):
            return JSONResponse({"error": f"format must be yaml, neurona or pytorch, got {fmt!r}"}, 422)
        try:
            session = Session(Settings.model_validate(body.get("settings", {})))
        except ValidationError as e:
            return JSONResponse({"error": "; ".join(describe_error(err) for err in e.errors()[:5])}, 422)
        except ConfigError as e:
            return JSONResponse({"error": str(e)}, 422)
        return JSONResponse(export(session, fmt))

    @app.websocket("/ws")
    async def websocket(ws: WebSocket) -> None:
        await ws.accept()
        if len(app.state.connections) >= limits.max_sessions:
            await ws.send_text(json.dumps({"type": "error", "message": f"the server already runs "
                                           f"{limits.max_sessions} sessions; try again later"}))
            await ws.close(code=1013)
            return
        conn = Connection(ws, limits)
        app.state.connections.add(conn)
        try:
            await conn.send(conn.session.describe())
            await conn.send(conn.session.state())
            while True:
                try:
                    message = await asyncio.wait_for(ws.receive(), timeout=limits.idle_timeout_s)
                except TimeoutError:
                    if conn.session.playing:
                        conn.stop()
                        await conn.error(f"paused: no input for {limits.idle_timeout_s:g} s")
                        continue
                    await conn.error(f"closed: idle for {limits.idle_timeout_s:g} s")
                    await ws.close(code=1000)
                    break
                if message["type"] == "websocket.disconnect":
                    break
                try:
                    msg = parse(message.get("text"), limits)
                    await conn.handle(msg)
                except (ValueError, ConfigError) as e:  # ConfigError is a ValueError
                    await conn.error(str(e))
        except WebSocketDisconnect:
            pass
        finally:
            conn.stop()
            app.state.connections.discard(conn)

    return app


def serve(host: str = "127.0.0.1", port: int = 8765, open_browser: bool = True, **overrides) -> None:
    """Run the server with uvicorn until Ctrl-C; open the page in the default browser unless told not to."""
    import uvicorn

    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    print(f"neurona playground on {url}  (Ctrl-C to stop)", flush=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: listening on {host}: other machines can reach this server", flush=True)
    if open_browser:
        timer = threading.Timer(1.0, lambda: webbrowser.open(url))
        timer.daemon = True
        timer.start()
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.run(create_app(**overrides), host=host, port=port, log_level="warning", ws_max_size=1 << 20)
