"""`neurona tune` on generative configs: an autoencoder or VAE is tuned on its validation reconstruction loss
(trials and the final run are generative runs with their own reports); a GAN is refused before any trial."""

import io
import json

import pytest
from rich.console import Console

optuna = pytest.importorskip("optuna")

from neurona.errors import ConfigError  # noqa: E402
from neurona.tune import tune, validate_tune_config  # noqa: E402

VAE = {"name": "vae-tune", "seed": 0,
       "data": {"dataset": "digits", "options": {"as_images": True}, "val": 0.2, "test": 0.2, "scale": "none"},
       "model": {"name": "vae", "hidden": [32], "latent_dim": 2},
       "optimizer": {"name": "adam", "lr": 0.002}, "training": {"epochs": 2, "batch_size": 64},
       "search": {"optimizer.lr": {"loguniform": [1.0e-3, 1.0e-2]}},
       "tune": {"sampler": "random", "pruner": "none", "metric": "val_loss", "trials": 2}}


def test_a_vae_study_picks_the_lowest_validation_loss_and_tests_the_final_run_once(tmp_path):
    result = tune(validate_tune_config(VAE), out=tmp_path, console=Console(file=io.StringIO()), live=False)
    study = optuna.load_study(study_name=result.study_name, storage=result.storage)
    values = {t.number: t.value for t in study.trials}
    assert len(values) == 2 and result.best_value == min(values.values())
    for t in study.trials:  # each trial is a generative run folder judged on its validation ELBO
        folder = tmp_path / "vae-tune" / f"trial-{t.number:03d}"
        metrics = json.loads((folder / "metrics.json").read_text())
        assert t.value == pytest.approx(metrics["val"]["loss"])
        assert "test" not in metrics and (folder / "figures" / "reconstructions.png").is_file()
    assert set(result.test_metrics) >= {"loss", "recon", "kl", "mse"}
    assert (result.final_run / "figures" / "vae_samples.png").is_file()


def test_a_gan_or_a_cross_validated_autoencoder_is_refused_before_any_trial():
    gan = {**VAE, "data": {"dataset": "ring_of_gaussians", "val": 0.2, "test": 0.2}, "model": {"name": "gan"}}
    with pytest.raises(ConfigError, match="a GAN cannot be tuned"):
        validate_tune_config(gan)
    autoencoder = {**VAE, "model": {"name": "dense_autoencoder", "latent_dim": 4},
                   "tune": {**VAE["tune"], "cv": 3}}
    with pytest.raises(ConfigError, match="tune.cv: dense_autoencoder is tuned on a holdout split"):
        validate_tune_config(autoencoder)
