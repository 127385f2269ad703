"""Autoencoder, VAE and GAN runs from a config (neurona.generative.run): the run folder, the metrics,
`neurona evaluate`, bit-identical resume after an interruption, reproducibility, and configs that do not fit
the model refused (naming the field) before any run folder exists."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from neurona.cli import app
from neurona.experiment import run
from neurona.io import load

ROOT = Path(__file__).resolve().parents[1]
DIGITS = {"dataset": "digits", "options": {"as_images": True}, "val": 0.1, "test": 0.2, "scale": "none"}
AE = {"name": "ae", "seed": 3, "data": DIGITS, "model": {"name": "conv_autoencoder", "channels": [8, 16], "latent_dim": 4},
      "optimizer": {"name": "adam", "lr": 0.003}, "training": {"epochs": 3, "batch_size": 32}}
VAE = {**AE, "name": "vae", "model": {"name": "vae", "hidden": [32], "latent_dim": 2}, "loss": {"name": "elbo",
                                                                                                 "options": {"beta": 2.0}}}
GAN = {"name": "gan", "seed": 1, "data": {"dataset": "ring_of_gaussians", "options": {"n": 600}, "val": 0.0, "test": 0.2,
                                          "scale": "none"},
       "model": {"name": "gan", "hidden": [32, 32]}, "optimizer": {"name": "adam", "lr": 0.001},
       "training": {"epochs": 3, "batch_size": 64}, "gan": {"label_smoothing": 0.1, "d_steps": 2, "n_samples": 40}}


def invoke(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


def _weights(run_dir):
    return load(Path(run_dir) / "model.safetensors").model_state


def _same_weights(a, b):
    wa, wb = _weights(a), _weights(b)
    return wa.keys() == wb.keys() and all(np.array_equal(wa[k], wb[k]) for k in wa)


@pytest.mark.parametrize("config", [AE, VAE, GAN], ids=["autoencoder", "vae", "gan"])
def test_a_run_folder_like_any_other_and_evaluate(config, tmp_path):
    run_dir = run(config, out=tmp_path, verbose=0, quick=True)
    for name in ("config.yaml", "status.json", "history.csv", "metrics.json", "model.safetensors", "report.html",
                 "checkpoint.safetensors", "log.txt"):
        assert (run_dir / name).is_file(), name
    saved = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert saved["loss"]["name"] == {"ae": "mse", "vae": "elbo", "gan": "gan"}[config["name"]]  # implied, written down
    status = json.loads((run_dir / "status.json").read_text())
    assert status["status"] == "completed" and status["epochs_done"] == 3
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["epochs_run"] == 3
    code, out = invoke("evaluate", run_dir, "--split", "test")
    assert code == 0, out
    if config is GAN:
        assert set(metrics["final"]) == {"d_loss", "g_loss", "d_real", "d_fake"}
        assert 0 < metrics["test"]["d_real"] < 1 and 0 < metrics["test"]["d_fake"] < 1
        coverage = metrics["mode_coverage"]
        assert len(coverage["per_mode_fraction"]) == 8 and 0 <= coverage["modes_covered"] <= 8
        assert "d_real" in out and "modes_covered" in out
        header = (run_dir / "history.csv").read_text().splitlines()[0]
        assert header == "epoch,d_fake,d_loss,d_real,g_loss"
    else:
        test = metrics["test"]
        assert 0 < test["mse"] < 0.25 and test["loss"] > 0
        if config is VAE:  # the negative ELBO = reconstruction + beta * KL, and both are reported
            assert test["loss"] == pytest.approx(test["recon"] + 2.0 * test["kl"], rel=1e-4)
            assert "kl" in out and "recon" in out
        assert "mse" in out


def test_the_trained_autoencoder_reconstructs_better_than_the_mean_image(tmp_path):
    """A behaviour check beyond "it runs": after 10 epochs the reconstructions beat predicting the mean image."""
    run_dir = run({**AE, "training": {"epochs": 10, "batch_size": 32}}, out=tmp_path, verbose=0)
    from neurona.experiment import open_run

    _, _, split, _, _ = open_run(run_dir)
    baseline = float(((split.X_test - split.X_train.mean(0)) ** 2).mean())
    assert json.loads((run_dir / "metrics.json").read_text())["test"]["mse"] < 0.8 * baseline


def _interrupt_after(monkeypatch, target, name, calls):
    """Make ``target.name`` raise KeyboardInterrupt on its ``calls``-th call (Ctrl-C in the middle of an epoch)."""
    original, count = getattr(target, name), [0]

    def wrapper(*args, **kwargs):
        count[0] += 1
        if count[0] == calls:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, wrapper)


@pytest.mark.parametrize("config", [AE, VAE, GAN], ids=["autoencoder", "vae", "gan"])
def test_an_interrupted_run_resumes_bit_identically(config, tmp_path, monkeypatch):
    from neurona.generative import gan_loop
    from neurona.generative.vae_trainer import VAETrainer
    from neurona.train.trainer import Trainer

    whole = run(config, out=tmp_path / "whole", verbose=0, quick=True)
    with monkeypatch.context() as patch:  # stopped in the middle of epoch 2
        if config is GAN:
            _interrupt_after(patch, gan_loop, "_discriminator_step", 8)  # 6 batches an epoch (d_steps 2: mid G step)
        else:
            _interrupt_after(patch, VAETrainer if config is VAE else Trainer, "_compute_loss", 16)  # 14 batches an epoch
        with pytest.raises(KeyboardInterrupt):
            run(config, out=tmp_path / "cut", verbose=0, quick=True)
    (cut,) = (tmp_path / "cut").iterdir()
    status = json.loads((cut / "status.json").read_text())
    assert status["status"] == "interrupted" and status["epochs_done"] == 1
    assert not (cut / "report.html").exists()
    code, out = invoke("train", "--resume", cut, "-v", "0")
    assert code == 0, out
    assert _same_weights(whole, cut)
    assert (whole / "history.csv").read_text() == (cut / "history.csv").read_text()
    assert json.loads((cut / "status.json").read_text())["resumes"] == 1


def test_a_killed_gan_run_resumes_bit_identically(tmp_path):
    """SIGKILL (no chance to clean up) after a few epochs; the last epoch checkpoint carries the run on."""
    config = {**GAN, "data": {**GAN["data"], "options": {"n": 6000}}, "training": {"epochs": 8, "batch_size": 64}}
    path = tmp_path / "gan.yaml"
    path.write_text(yaml.safe_dump(config))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-m", "neurona.cli", "train", str(path), "--out", str(tmp_path / "cut"),
                             "-v", "0"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        deadline, done = time.time() + 120, 0
        while time.time() < deadline and done < 2:
            statuses = list((tmp_path / "cut").glob("*/status.json"))
            if statuses:
                try:
                    done = json.loads(statuses[0].read_text()).get("epochs_done") or 0
                except json.JSONDecodeError:
                    pass
            time.sleep(0.05)
        assert done >= 2, "the run never got through two epochs"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    (cut,) = (tmp_path / "cut").iterdir()
    if (cut / "report.html").exists():
        pytest.skip("the run finished before it could be killed (a very fast machine)")
    assert json.loads((cut / "status.json").read_text())["status"] in ("running", "died")  # no chance to say more
    code, out = invoke("runs", tmp_path / "cut")
    assert "died" in out
    code, out = invoke("train", "--resume", cut, "-v", "0")
    assert code == 0, out
    whole = run(config, out=tmp_path / "whole", verbose=0)
    assert _same_weights(whole, cut)


def test_same_seed_same_weights_and_another_seed_differs(tmp_path):
    a, b = (run(GAN, out=tmp_path / name, verbose=0, quick=True) for name in ("a", "b"))
    c = run({**GAN, "seed": 2}, out=tmp_path / "c", verbose=0, quick=True)
    assert _same_weights(a, b) and not _same_weights(a, c)
    d, e = (run(VAE, out=tmp_path / name, verbose=0, quick=True) for name in ("d", "e"))
    assert _same_weights(d, e)


@pytest.mark.parametrize("config,message", [
    ({**VAE, "loss": "cross_entropy"}, "loss: 'cross_entropy' does not fit model 'vae'"),
    ({**AE, "loss": "cross_entropy"}, "loss: 'cross_entropy' does not fit model 'conv_autoencoder'"),
    ({**GAN, "loss": "mse"}, "loss: 'mse' does not fit model 'gan'"),
    ({**VAE, "loss": {"name": "elbo", "options": {"beta": 1.0, "reconstruction": "mse"}}},
     "loss.options.reconstruction: 'mse' does not fit model.likelihood 'bernoulli'"),
    ({**VAE, "loss": {"name": "elbo", "options": {"gamma": 1.0}}}, "loss.options.gamma: 'elbo' takes beta, reconstruction"),
    ({**VAE, "loss": {"name": "elbo", "options": {"beta": -1.0}}}, "loss.options.beta: must be in [0, inf)"),
    ({**GAN, "model": {"name": "dcgan"}}, "model: dcgan generates square images (C, H, W) but dataset "
                                          "'ring_of_gaussians' has samples of shape (2,)"),
    ({**GAN, "model": {"name": "dcgan"}, "data": {**DIGITS, "options": {}}}, "(set data.options.as_images: true)"),
    ({**GAN, "model": {"name": "gan", "data_dim": 3}}, "model.data_dim: 3 does not match dataset 'ring_of_gaussians'"),
    ({**AE, "data": {**DIGITS, "options": {}}}, "model: conv_autoencoder needs images (C, H, W)"),
    ({**GAN, "loss": {"name": "gan", "options": {"label_smoothing": 0.1}}},
     "loss.options.label_smoothing: the GAN loss takes no options; GAN training options (label_smoothing"),
    ({**GAN, "model": {"name": ["gan"]}}, "model.name: expected a string"),
    ({**GAN, "gan": {"label_smothing": 0.1}}, "gan.label_smothing: unknown key (did you mean 'label_smoothing'?)"),
    ({**GAN, "gan": {"n_critic": 5}}, "gan.n_critic: unknown key; the keys here are label_smoothing, d_steps"),
    ({**GAN, "gan": {"label_smoothing": 0.7}}, "gan.label_smoothing: must be < 0.5, got 0.7"),
    ({**AE, "gan": {"d_steps": 2}}, "gan: this section holds GAN training options, but model 'conv_autoencoder'"),
    ({**GAN, "optimizer": {"name": "sgd", "lr": 0.01}}, "optimizer.name: GANs train both networks with adam"),
    ({**GAN, "training": {"epochs": 3, "early_stopping": {"patience": 2}}}, "training.early_stopping: a GAN's losses"),
    ({**AE, "metrics": ["accuracy"]}, "metrics: a autoencoder run logs its own quantities"),
    ({**AE, "model": {"name": "conv_autoencoder", "output_activation": None}, "loss": "bce"},
     "loss: 'bce' needs probabilities"),
    ({"data": {"dataset": "iris"}, "model": {"name": "mlp"}, "loss": "elbo", "optimizer": {"name": "adam"}},
     "loss: 'elbo' is the loss of a VAE or a GAN, not of model mlp"),
    ({"data": {"dataset": "iris"}, "model": {"name": "mlp"}, "optimizer": {"name": "adam"}},
     "loss: required field is missing"),
])
def test_configs_that_do_not_fit_the_model_are_refused_before_any_run_folder(config, message, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    code, out = invoke("train", path, "--out", tmp_path / "runs", "-v", "0")
    assert code == 2, out
    assert message in " ".join(out.split()), out
    assert not (tmp_path / "runs").exists() or not list((tmp_path / "runs").iterdir())


def test_predict_says_what_to_use_instead(tmp_path):
    run_dir = run(AE, out=tmp_path, verbose=0, quick=True)
    csv = tmp_path / "x.csv"
    csv.write_text(",".join(["0"] * 64) + "\n")
    code, out = invoke("predict", run_dir, csv)
    assert code == 2 and "use neurona evaluate" in " ".join(out.split())


def test_export_writes_the_generator_of_a_gan_and_refuses_a_vae(tmp_path):
    pytest.importorskip("onnx")
    gan_dir = run(GAN, out=tmp_path / "gan", verbose=0, quick=True)
    code, out = invoke("export", gan_dir, "--format", "onnx")
    assert code == 0, out
    assert (gan_dir / "model.onnx").is_file()
    vae_dir = run(VAE, out=tmp_path / "vae", verbose=0, quick=True)
    code, out = invoke("export", vae_dir, "--format", "onnx")
    assert code == 2 and "returns (reconstruction, mu, logvar)" in " ".join(out.split())


def test_summary_of_a_gan_config_runs_its_generator_from_noise(tmp_path):
    path = ROOT / "examples" / "dcgan.yaml"
    code, out = invoke("summary", path)
    assert code == 0, out
    assert "ConvTranspose2d" in out and "Total params: 71,266" in out


def test_a_gan_run_writes_its_curves_for_tensorboard(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing import event_accumulator

    run_dir = run({**GAN, "report": {"tensorboard": True}}, out=tmp_path, verbose=0, quick=True)
    acc = event_accumulator.EventAccumulator(str(run_dir / "tensorboard"), size_guidance={event_accumulator.SCALARS: 0})
    acc.Reload()
    history = np.genfromtxt(run_dir / "history.csv", delimiter=",", names=True)
    assert sorted(acc.Tags()["scalars"]) == ["d_fake", "d_loss", "d_real", "g_loss"]
    for tag in acc.Tags()["scalars"]:
        events = acc.Scalars(tag)
        assert [e.step for e in events] == [1, 2, 3]
        np.testing.assert_allclose([e.value for e in events], history[tag], rtol=1e-6)
