"""neurona.playground.server through FastAPI's TestClient: the page and its files, the JSON API, every
websocket control, and hostile messages (each answered by an error frame; the session keeps working)."""

import contextlib
import json
import time

import pytest
import yaml
from fastapi.testclient import TestClient

from neurona.playground.server import create_app


@pytest.fixture
def client():
    app = create_app(max_sessions=3)
    with TestClient(app) as c:
        yield c


@contextlib.contextmanager
def connect(client):
    with client.websocket_connect("/ws") as ws:
        hello, state = ws.receive_json(), ws.receive_json()
        assert hello["type"] == "settings" and state["type"] == "state"
        yield ws, hello, state


def frames_until(ws, kind, limit=50):
    for _ in range(limit):
        frame = ws.receive_json()
        if frame["type"] == kind:
            return frame
    raise AssertionError(f"no {kind} frame in {limit} frames")


def test_page_static_files_and_api(client):
    page = client.get("/")
    assert page.status_code == 200 and "neurona playground" in page.text
    for name in ("app.js", "draw.js", "style.css"):
        assert client.get(f"/static/{name}").status_code == 200
    assert "https://" not in page.text and "http://" not in client.get("/static/app.js").text  # no CDN
    assert client.get("/api/health").json() == {"status": "ok", "sessions": 0, "max_sessions": 3}
    api = client.get("/api/settings").json()
    assert api["defaults"]["hidden"] == [4, 2] and api["limits"]["max_neurons"] == 32
    preview = client.get("/api/preview/spiral").json()
    assert len(preview["points"]) == 200 and preview["task"] == "classification"
    assert client.get("/api/preview/moons").status_code == 404


def test_export_api(client):
    r = client.post("/api/export/yaml", json={"settings": {"dataset": "xor", "hidden": [3]}})
    config = yaml.safe_load(r.json()["text"])
    assert config["data"]["options"]["source"] == "xor" and config["model"]["layers"][0]["out_features"] == 3
    assert client.post("/api/export/pytorch", json={"settings": {}}).json()["filename"] == "playground_torch.py"
    assert "noise" in client.post("/api/export/yaml", json={"settings": {"noise": 99}}).json()["error"]
    assert client.post("/api/export/onnx", json={}).status_code == 422


def test_connect_state_frame_contents(client):
    with connect(client) as (ws, hello, state):
        assert hello["settings"]["dataset"] == "circle" and len(hello["points"]["train"]) == 250
        assert set(hello["inputs"]) == {"x1", "x2", "x1^2", "x2^2", "x1x2", "sin(x1)", "sin(x2)"}
        assert state["epoch"] == 0 and [len(w) for w in state["weights"]] == [4, 2, 1]
        assert [len(layer) for layer in state["maps"]["neurons"]] == [4, 2] and state["alerts"] == []
        assert client.get("/api/health").json()["sessions"] == 1


def test_step_play_pause_reset_regenerate(client):
    with connect(client) as (ws, _, _):
        ws.send_json({"type": "step", "epochs": 3})
        assert ws.receive_json()["epoch"] == 3
        ws.send_json({"type": "step", "steps": 7})
        assert ws.receive_json()["steps"] == 3 * 25 + 7
        ws.send_json({"type": "play"})
        first = frames_until(ws, "state")
        second = frames_until(ws, "state")
        assert first["playing"] and second["epoch"] > first["epoch"] >= 3
        ws.send_json({"type": "pause"})
        while (frame := ws.receive_json())["playing"]:
            pass
        paused_at = frame["epoch"]
        ws.send_json({"type": "ping"})
        assert frames_until(ws, "pong")
        ws.send_json({"type": "step"})
        assert frames_until(ws, "state")["epoch"] == paused_at + 1
        ws.send_json({"type": "reset"})
        assert frames_until(ws, "settings") and frames_until(ws, "state")["epoch"] == 0
        ws.send_json({"type": "regenerate"})
        regenerated = frames_until(ws, "settings")
        assert regenerated["settings"]["seed"] == 1


@pytest.mark.parametrize("changes", [
    {"dataset": "xor"}, {"dataset": "gauss"}, {"dataset": "spiral", "classes": 4}, {"dataset": "blobs", "classes": 5},
    {"dataset": "boundary", "curve": "cubic"}, {"problem": "regression", "dataset": "reg_plane"},
    {"problem": "regression", "dataset": "reg_gauss"}, {"ratio": 80}, {"noise": 25}, {"batch_size": 30},
    {"n_points": 100}, {"features": ["x1^2", "x2^2", "x1x2", "sin(x1)", "sin(x2)"]}, {"hidden": []},
    {"hidden": [32] * 8}, {"activation": "relu"}, {"layer_activations": ["sigmoid", "linear"]},
    {"learning_rate": 0.3}, {"regularization": "l1", "reg_rate": 0.01}, {"regularization": "l2", "reg_rate": 0.1},
    {"optimizer": "adam"}, {"schedule": "exponential", "schedule_epochs": 50}, {"batchnorm": True},
    {"dropout": 0.5}, {"init": "he"}, {"discretize": True}, {"show_test": True},
])
def test_every_control_configures_and_trains(client, changes):
    with connect(client) as (ws, hello, _):
        ws.send_json({"type": "configure", "settings": {**hello["settings"], **changes}})
        settings = frames_until(ws, "settings")
        for key, value in changes.items():
            assert settings["settings"][key] == value
        state = frames_until(ws, "state")
        ws.send_json({"type": "step", "epochs": 1})
        after = frames_until(ws, "state")
        assert after["epoch"] == state["epoch"] + 1 and after["train_loss"] is not None
        n_out = settings["n_classes"] if settings["n_classes"] > 2 else 1
        assert [len(w) for w in after["weights"]] == [*settings["settings"]["hidden"], n_out]


def test_set_weight_backprop_export_upload(client):
    with connect(client) as (ws, _, _):
        ws.send_json({"type": "set_weight", "layer": 0, "to": 1, "from": 0, "value": 2.5})
        assert ws.receive_json()["weights"][0][1][0] == 2.5
        ws.send_json({"type": "set_weight", "layer": 2, "to": 0, "from": None, "value": -1.0})
        assert ws.receive_json()["biases"][2][0] == -1.0
        ws.send_json({"type": "backprop", "index": 3, "apply": False})
        bp = frames_until(ws, "backprop")
        assert [len(d) for d in bp["deltas"]] == [4, 2, 1] and len(bp["weight_grads"]) == 3
        for fmt, marker in (("yaml", "dataset: playground"), ("neurona", "import neurona"), ("pytorch", "import torch")):
            ws.send_json({"type": "export", "format": fmt})
            assert marker in frames_until(ws, "export")["text"]
        ws.send_json({"type": "upload", "csv": "x1,x2,label\n" + "\n".join(f"{i},{i % 7},{i % 2}" for i in range(40))})
        uploaded = frames_until(ws, "settings")
        assert uploaded["settings"]["dataset"] == "upload" and len(uploaded["points"]["train"]) == 20


HOSTILE = [
    ("not json", "not valid JSON"),
    ("[1, 2]", "JSON object with a 'type'"),
    ('{"type": 3}', "JSON object with a 'type'"),
    ('{"type": "rm -rf"}', "does not match any of the expected tags"),
    ('{"type": "play", "extra": 1}', "Extra inputs are not permitted"),
    ('{"type": "step", "epochs": 100000}', "less than or equal to 100"),
    ('{"type": "step", "epochs": "many"}', "valid integer"),
    ('{"type": "set_weight", "layer": 0, "to": 0, "from": 0, "value": NaN}', "not a number JSON allows"),
    ('{"type": "set_weight", "layer": 0, "to": 0, "from": 0, "value": 1e300}', "less than or equal to 100"),
    ('{"type": "set_weight", "layer": 2, "to": 0, "from": 5, "value": 1}', "shape (1, 2)"),
    ('{"type": "configure", "settings": {"hidden": [1000]}}', "less than or equal to 32"),
    ('{"type": "configure", "settings": {"hidden": [2, 2, 2, 2, 2, 2, 2, 2, 2]}}', "at most 8 items"),
    ('{"type": "configure", "settings": {"n_points": 100000000}}', "less than or equal to 2000"),
    ('{"type": "configure", "settings": {"learning_rate": -1}}', "greater than 0"),
    ('{"type": "configure", "settings": {"features": []}}', "at least 1 item"),
    ('{"type": "configure", "settings": {"features": ["__import__"]}}', "features.0"),
    ('{"type": "configure", "settings": {"dataset": "upload"}}', "upload"),
    ('{"type": "configure", "settings": "circle"}', "valid dictionary"),
    ('{"type": "backprop", "index": 1999}', "there are 250 training points"),
    ('{"type": "upload", "csv": "1,2"}', "expected 2..2000 rows"),
    ('{"type": "export", "format": "pickle"}', "yaml"),
    (json.dumps({"type": "upload", "csv": "1,1,0\n" * 70000}), "over the limit"),
]


@pytest.mark.parametrize("text, match", HOSTILE)
def test_hostile_messages_get_an_error_frame_and_the_session_survives(client, text, match):
    with connect(client) as (ws, _, _):
        ws.send_text(text)
        error = ws.receive_json()
        assert error["type"] == "error" and match in error["message"]
        ws.send_json({"type": "step", "epochs": 1})
        assert frames_until(ws, "state")["epoch"] == 1


def test_binary_frames_are_refused(client):
    with connect(client) as (ws, _, _):
        ws.send_bytes(b"\x00\x01")
        assert "binary frames are not accepted" in ws.receive_json()["message"]


def test_session_limit_and_freeing_on_disconnect(client):
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(connect(client))[0] for _ in range(3)]
        assert client.get("/api/health").json()["sessions"] == 3
        with client.websocket_connect("/ws") as extra:
            assert "already runs 3 sessions" in extra.receive_json()["message"]
        sockets[0].send_json({"type": "play"})
        frames_until(sockets[0], "state")
    for _ in range(100):
        if client.get("/api/health").json()["sessions"] == 0:
            break
    assert client.get("/api/health").json()["sessions"] == 0
    with connect(client) as (ws, _, _):
        ws.send_json({"type": "ping"})
        assert ws.receive_json()["type"] == "pong"


def test_idle_sessions_are_paused_then_closed():
    app = create_app(idle_timeout_s=0.3)
    with TestClient(app) as client:
        with connect(client) as (ws, _, _):
            ws.send_json({"type": "play"})
            assert "paused: no input" in frames_until(ws, "error", limit=10_000)["message"]
            assert "closed: idle" in frames_until(ws, "error", limit=10_000)["message"]
            with pytest.raises(Exception):  # noqa: B017 - the server closed the socket
                ws.receive_json()
            assert client.get("/api/health").json()["sessions"] == 0


def test_steps_per_second_cap():
    """The cap is an upper bound on the rate: a slow machine only lowers it, so this cannot flake."""
    app = create_app(max_steps_per_second=200.0)
    with TestClient(app) as client, connect(client) as (ws, _, _):
        started = time.monotonic()
        ws.send_json({"type": "play"})
        frames = [frames_until(ws, "state") for _ in range(5)]
        elapsed = time.monotonic() - started
        ws.send_json({"type": "pause"})
        assert 0 < frames[-1]["steps"] <= 200.0 * elapsed + 1


def test_a_diverged_session_refuses_to_play_until_reset(client):
    with connect(client) as (ws, hello, _):
        wild = {**hello["settings"], "learning_rate": 10.0, "activation": "linear", "hidden": [8, 8],
                "features": ["x1^2", "x2^2"]}
        ws.send_json({"type": "configure", "settings": wild})
        frames_until(ws, "state")
        ws.send_json({"type": "step", "epochs": 20})
        state = frames_until(ws, "state")
        assert state["train_loss"] is None and state["alerts"][0]["kind"] == "divergence"
        ws.send_json({"type": "play"})
        assert "diverged" in frames_until(ws, "error")["message"]
        ws.send_json({"type": "reset"})
        assert frames_until(ws, "state")["train_loss"] is not None


def test_cli_rejects_bad_options_before_starting():
    from typer.testing import CliRunner

    from neurona.cli import app

    result = CliRunner().invoke(app, ["playground", "--port", "70000", "--no-browser"])
    assert result.exit_code == 2 and "--port: expected 1..65535, got 70000" in result.output
    result = CliRunner().invoke(app, ["playground", "--max-sessions", "0", "--no-browser"])
    assert result.exit_code == 2 and "--max-sessions" in result.output
