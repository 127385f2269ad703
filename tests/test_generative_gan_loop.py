"""GANLoop: train_gan's updates one epoch at a time, with a checkpoint that carries the whole state."""

import numpy as np
import pytest

import neurona as nr
from neurona.datasets import ring_of_gaussians
from neurona.errors import CheckpointError
from neurona.generative.gan_loop import GANLoop
from neurona.io import save
from neurona.models import DCGAN, GAN
from neurona.train.gan import train_gan

OPTIONS = {"batch_size": 32, "lr": 1e-3, "label_smoothing": 0.1, "d_steps": 2, "n_samples": 16, "seed": 4}


def _gan(seed=0):
    nr.manual_seed(seed)
    return GAN(hidden=(16, 16))


def _equal(a, b):
    return all(np.array_equal(p.data, q.data) for p, q in zip(a.parameters(), b.parameters()))


def test_three_epochs_equal_one_train_gan_call():
    X = ring_of_gaussians(n=256).X
    reference = _gan()
    history = train_gan(reference, X, epochs=3, **OPTIONS)
    gan = _gan()
    loop = GANLoop(gan, X, epochs=3, **OPTIONS)
    for _ in range(3):
        loop.run_epoch()
    assert _equal(reference, gan)
    assert loop.history.history == history.history
    assert loop.history.sample_epochs == history.sample_epochs == [1, 2, 3]
    assert all(np.array_equal(a, b) for a, b in zip(loop.history.samples, history.samples))


def test_a_checkpoint_restores_both_networks_optimisers_noise_and_samples(tmp_path):
    X = ring_of_gaussians(n=256).X
    whole = GANLoop(_gan(), X, epochs=4, **OPTIONS)
    for _ in range(4):
        whole.run_epoch()
    first = GANLoop(_gan(), X, epochs=4, **OPTIONS)
    first.run_epoch()
    first.run_epoch()
    path = tmp_path / "checkpoint.safetensors"
    path.write_bytes(first.checkpoint())
    later = GANLoop(_gan(seed=9), X, epochs=4, **OPTIONS)  # other initial weights: all must come from the file
    assert later.restore(path) == 2
    later.run_epoch()
    later.run_epoch()
    assert _equal(whole.gan, later.gan)
    assert later.history.history == whole.history.history and later.history.epoch == [1, 2, 3, 4]
    assert np.array_equal(later.history.fixed_noise, whole.history.fixed_noise)
    assert all(np.array_equal(a, b) for a, b in zip(later.history.samples, whole.history.samples))


def test_batch_norm_statistics_travel_with_the_dcgan(tmp_path):
    images = np.random.default_rng(0).uniform(-1, 1, (64, 1, 8, 8)).astype(np.float32)
    nr.manual_seed(0)
    whole = GANLoop(DCGAN(latent_dim=4, features=8), images, epochs=2, batch_size=16, seed=0)
    whole.run_epoch()
    path = tmp_path / "c.safetensors"
    path.write_bytes(whole.checkpoint())
    whole.run_epoch()
    nr.manual_seed(1)
    later = GANLoop(DCGAN(latent_dim=4, features=8), images, epochs=2, batch_size=16, seed=0)
    later.restore(path)
    later.run_epoch()
    a, b = whole.gan.state_dict(), later.gan.state_dict()
    assert any("running_mean" in k for k in a)
    assert all(np.array_equal(np.asarray(a[k].data), np.asarray(b[k].data)) for k in a)


def test_a_checkpoint_without_gan_state_is_refused(tmp_path):
    gan = _gan()
    path = tmp_path / "weights.safetensors"
    save(gan, path)
    loop = GANLoop(gan, ring_of_gaussians(n=64).X, epochs=1, batch_size=32)
    with pytest.raises(CheckpointError, match="optimizer|GAN"):
        loop.restore(path)
