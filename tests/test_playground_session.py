"""neurona.playground.session, network and diagnostics: a session trains the playground's networks with
neurona's engine (circle below 0.1 test loss, multi-class, regression), its views match direct
computations and PyTorch, live settings do not reset, and each alert fires where it should."""

import numpy as np
import pytest
import torch

import neurona as nr
from neurona.datasets.playground import derive_features
from neurona.errors import ConfigError
from neurona.playground import Session, Settings
from neurona.playground.network import GRID, decode_map, grid_points


def test_default_session_is_tf_playground_first_screen_and_learns_the_circle():
    s = Session()
    assert (s.settings.dataset, s.settings.hidden, s.settings.activation, s.settings.batch_size) == ("circle", [4, 2], "tanh", 10)
    assert len(s.X_train) == 250 and len(s.X_test) == 250 and s.epoch == 0
    first = s.test_loss
    s.train(epochs=150)
    assert s.epoch == 150 and s.steps == 150 * 25
    assert s.test_loss < 0.1 < first
    assert [h[0] for h in s.history][:3] == [0, 1, 2]


def test_seeded_sessions_are_bit_identical():
    a, b = Session(Settings(seed=5)), Session(Settings(seed=5))
    a.train(epochs=3)
    b.train(epochs=3)
    for pa, pb in zip(a.model.parameters(), b.model.parameters()):
        assert np.array_equal(pa.numpy(), pb.numpy())


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "rmsprop", "adam"])
def test_every_optimizer_learns_xor_with_the_product_feature(optimizer):
    lr = 0.01 if optimizer in ("rmsprop", "adam") else 0.1
    s = Session(Settings(dataset="xor", features=["x1", "x2", "x1x2"], optimizer=optimizer, learning_rate=lr))
    s.train(epochs=20)
    assert s.test_loss < 0.3


def test_multiclass_blobs_with_batchnorm_dropout_and_per_layer_activation():
    s = Session(Settings(dataset="blobs", classes=3, hidden=[16, 16], optimizer="adam", learning_rate=0.02,
                         features=["x1", "x2", "sin(x1)", "sin(x2)"], batchnorm=True, dropout=0.1,
                         layer_activations=["relu", None]))
    assert s.n_classes == 3 and s.model.head.out_features == 3
    assert [type(a).__name__ for a in s.model.acts] == ["ReLU", "Tanh"]
    before = s.train_loss
    s.train(epochs=40)
    assert s.train_loss < 0.3 * before
    maps = s.state()["maps"]
    assert set(maps) == {"size", "neurons", "classes", "output", "class_probs"}
    assert set(decode_map(maps["classes"]).tolist()) <= {0, 1, 2}
    probs = np.stack([decode_map(m).astype(int) for m in maps["class_probs"]])
    assert probs.shape == (3, GRID * GRID) and np.abs(probs.sum(axis=0) - 255).max() <= 2  # they sum to 1
    winner = probs[decode_map(maps["classes"]), np.arange(GRID * GRID)]
    assert (probs.max(axis=0) - winner).max() <= 1  # the class map shows the most probable class


@pytest.mark.parametrize("dataset", ["reg_plane", "reg_gauss"])
def test_regression_sets(dataset):
    s = Session(Settings(problem="regression", dataset=dataset, learning_rate=0.01, hidden=[8, 8]))
    assert s.task == "regression" and s.y_train.dtype == np.float32
    before = s.test_loss
    s.train(epochs=15)
    assert s.test_loss < before


def test_heat_maps_are_one_forward_over_the_grid():
    s = Session(Settings(hidden=[3, 2], features=["x1", "x2", "x1^2"]))
    s.train(epochs=2)
    maps = s.state()["maps"]
    assert maps["size"] == GRID and [len(layer) for layer in maps["neurons"]] == [3, 2]
    with nr.no_grad():
        s.model.eval()
        x = nr.tensor(derive_features(grid_points(), ["x1", "x2", "x1^2"]))
        h1 = np.tanh(s.model.linears[0](x).numpy())
        p = 1 / (1 + np.exp(-s.model(x).numpy()[:, 0]))
    for j in range(3):
        np.testing.assert_allclose(decode_map(maps["neurons"][0][j]), np.round((h1[:, j] + 1) / 2 * 255), atol=1)
    np.testing.assert_allclose(decode_map(maps["output"]), np.round(p * 255), atol=1)


def test_backprop_view_matches_torch():
    s = Session(Settings(hidden=[3, 2], activation="sigmoid"))
    view = s.backprop(7, apply=False)
    layers = [torch.nn.Linear(2, 3), torch.nn.Linear(3, 2), torch.nn.Linear(2, 1)]
    with torch.no_grad():
        for tl, nl in zip(layers, s.model.all_linears()):
            tl.weight.copy_(torch.tensor(nl.weight.numpy()))
            tl.bias.copy_(torch.tensor(nl.bias.numpy()))
    h = torch.tensor(s.X_train[7:8])
    zs = []
    for tl in layers[:-1]:
        z = tl(h)
        z.retain_grad()
        zs.append(z)
        h = torch.sigmoid(z)
    out = layers[-1](h)
    out.retain_grad()
    loss = torch.nn.functional.binary_cross_entropy_with_logits(out.reshape(-1), torch.tensor(s.y_train[7:8]))
    loss.backward()
    assert view["loss"] == pytest.approx(loss.item(), rel=1e-5)
    for got, z in zip(view["deltas"], [*zs, out]):
        np.testing.assert_allclose(got, z.grad.numpy()[0], rtol=1e-4, atol=1e-7)
    for got, tl in zip(view["weight_grads"], layers):
        np.testing.assert_allclose(got, tl.weight.grad.numpy(), rtol=1e-4, atol=1e-7)
    before = s.model.head.weight.numpy().copy()
    s.backprop(7, apply=True)  # the SGD step on that one sample
    np.testing.assert_allclose(s.model.head.weight.numpy(), before - 0.03 * layers[-1].weight.grad.numpy(), rtol=1e-4)


def test_live_settings_keep_training_state_and_others_rebuild():
    s = Session()
    s.train(epochs=3)
    assert s.configure(s.settings.model_copy(update={"learning_rate": 0.1, "batch_size": 5})) is False
    assert s.epoch == 3 and s.lr == 0.1
    assert s.configure(s.settings.model_copy(update={"hidden": [5]})) is True
    assert s.epoch == 0 and s.model.linears[0].out_features == 5


def test_schedules_change_the_rate_per_epoch():
    s = Session(Settings(schedule="step", schedule_epochs=2, learning_rate=0.1))
    s.train(epochs=4)
    assert s.lr == pytest.approx(0.1 * 0.25)
    s = Session(Settings(schedule="cosine", schedule_epochs=4, learning_rate=0.1))
    s.train(epochs=2)
    assert s.lr == pytest.approx(0.05)


def test_regularisation_shrinks_weights():
    plain, l2, l1 = (Session(Settings(regularization=r, reg_rate=0.3 if r != "none" else 0.0)) for r in ("none", "l2", "l1"))
    for s in (plain, l2, l1):
        s.train(epochs=10)
    norm = lambda s: sum(float(np.abs(lin.weight.numpy()).sum()) for lin in s.model.all_linears())  # noqa: E731
    assert norm(l2) < norm(plain) and norm(l1) < norm(plain)


@pytest.mark.parametrize("init", ["xavier", "he", "normal", "zeros"])
def test_init_choices(init):
    s = Session(Settings(init=init))
    w = s.model.linears[0].weight.numpy()
    assert (w == 0).all() if init == "zeros" else w.std() > 0
    assert all((lin.bias.numpy() == 0).all() for lin in s.model.all_linears())


def test_alerts_symmetry_divergence_dead_relu_saturation_vanishing():
    kinds = lambda s: {a["kind"] for a in s.alerts()}  # noqa: E731
    zeros = Session(Settings(init="zeros"))
    zeros.train(epochs=2)
    assert "symmetry" in kinds(zeros)
    wild = Session(Settings(learning_rate=10.0, activation="linear", hidden=[8, 8], features=["x1^2", "x2^2"]))
    wild.train(epochs=20)
    assert wild.diverged and kinds(wild) == {"divergence"} and "learning rate 10" in wild.alerts()[0]["message"]
    dead = Session(Settings(activation="relu", hidden=[4]))
    dead.set_weight(0, 1, None, -100.0)  # a bias that keeps neuron 2 below zero everywhere
    alerts = [a for a in dead.alerts() if a["kind"] == "dead_relu"]
    assert alerts and alerts[0]["layer"] == 0 and alerts[0]["neuron"] == 1
    sat = Session(Settings(init="normal", hidden=[4]))
    sat.set_weight(0, 0, 0, 80.0)
    assert any(a["kind"] == "saturation" and a["neuron"] == 0 for a in sat.alerts())
    deep = Session(Settings(activation="sigmoid", hidden=[8] * 8, learning_rate=0.03))
    deep.train(epochs=1)
    assert "vanishing" in kinds(deep)
    assert kinds(Session()) == set()


def test_set_weight_and_its_errors():
    s = Session()
    s.set_weight(1, 0, 3, 1.5)
    s.set_weight(2, 0, None, -0.5)
    assert s.model.linears[1].weight.numpy()[0, 3] == 1.5 and s.model.head.bias.numpy()[0] == -0.5
    with pytest.raises(ConfigError, match=r"layers 0\.\.2, got 3"):
        s.set_weight(3, 0, 0, 1.0)
    with pytest.raises(ConfigError, match=r"shape \(2, 4\)"):
        s.set_weight(1, 2, 0, 1.0)


def test_upload_scales_maps_labels_and_trains():
    rows = "\n".join(f"{x},{y},{7 if x * y > 0 else 3}" for x, y in np.random.default_rng(0).uniform(-100, 100, (80, 2)))
    s = Session()
    s.upload("a,b,label\n" + rows, "classification")
    assert s.settings.dataset == "upload" and s.n_classes == 2
    pts = np.concatenate([s.points_train, s.points_test])
    assert np.abs(pts[:, :2]).max() <= 5.5 + 1e-9 and set(pts[:, 2]) == {0.0, 1.0}
    s.train(epochs=2)
    reg = Session()
    reg.upload("0,0,0.5\n1,1,-0.5\n2,0,0.1", "regression")
    assert reg.task == "regression"


@pytest.mark.parametrize("text, match", [
    ("1,2,0", r"expected 2\.\.2000 rows"),
    ("1,2,0\n1,2", "row 2 has 2 columns"),
    ("1,2,0\n3,x,1", "every cell must be a number"),
    ("1,2,0\n3,4,0.5", "labels .* must be integers"),
    ("1,2,0\n3,4,0", r"expected 2\.\.6 classes"),
    ("1,2,0\n3,inf,1", "finite"),
    ("\n".join(f"{i},{i},0" for i in range(2001)), r"got 2001"),
])
def test_upload_rejects_bad_csv_and_keeps_the_session(text, match):
    s = Session()
    with pytest.raises(ConfigError, match=match):
        s.upload(text, "classification")
    assert s.settings.dataset == "circle"
    s.train(epochs=1)


def test_settings_validation():
    with pytest.raises(ValueError, match="regression set"):
        Settings(dataset="reg_plane")
    with pytest.raises(ValueError, match="less than or equal to 32"):
        Settings(hidden=[33])
    with pytest.raises(ValueError, match="at most 8 items"):
        Settings(hidden=[2] * 9)
    with pytest.raises(ValueError, match="each feature at most once"):
        Settings(features=["x1", "x1"])
    assert Settings(hidden=[8] * 8).hidden == [8] * 8 and Settings(hidden=[]).hidden == []
    with pytest.raises(ConfigError, match="batch normalisation needs batches of at least 2"):
        Session().configure(Settings(batchnorm=True, batch_size=1))
    with pytest.raises(ConfigError, match="upload"):
        Session().configure(Settings(dataset="upload"))
