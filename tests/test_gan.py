"""The GAN training loop and the mode-coverage metric on the ring of Gaussians."""

import math
import warnings

import numpy as np
import pytest

import neurona as nr
from neurona.data import DataLoader, TensorDataset
from neurona.datasets import digits, ring_of_gaussians
from neurona.datasets.signals import ring_centres
from neurona.errors import ConfigError, ShapeError
from neurona.models import DCGAN, GAN
from neurona.train.gan import GANHistory, _generate_fixed, mode_coverage, train_gan


# ---- mode coverage --------------------------------------------------------------------------------
def test_samples_from_every_mode_cover_all_eight():
    result = mode_coverage(ring_of_gaussians(n=800, seed=5).X)
    assert result["modes_covered"] == 8
    assert len(result["per_mode_fraction"]) == 8
    assert all(f == pytest.approx(0.125, abs=0.01) for f in result["per_mode_fraction"])
    assert result["high_quality_fraction"] > 0.97  # 3 sigma holds 98.9% of a 2-D Gaussian


def test_collapsed_samples_cover_few_modes():
    rng = np.random.default_rng(0)
    centres = ring_centres(8, 2.0)
    collapsed = np.concatenate([centres[0] + 0.02 * rng.standard_normal((700, 2)),
                                centres[3] + 0.02 * rng.standard_normal((300, 2))])
    result = mode_coverage(collapsed)
    assert result["modes_covered"] == 2
    assert result["per_mode_fraction"][0] == pytest.approx(0.7, abs=0.02)
    assert result["per_mode_fraction"][1] == 0.0

    one_mode = centres[5] + 0.01 * rng.standard_normal((500, 2))
    assert mode_coverage(nr.tensor(one_mode))["modes_covered"] == 1  # a Tensor is fine


def test_blurry_samples_cover_nothing_and_min_fraction_counts():
    blurry = np.random.default_rng(0).standard_normal((1000, 2))  # near the origin, far from the modes
    result = mode_coverage(blurry)
    assert result["modes_covered"] == 0 and result["high_quality_fraction"] < 0.05

    centres = ring_centres(8, 2.0)
    counts = [30, 130, 140, 140, 140, 140, 140, 140]  # mode 0 holds 3% < 5%
    points = np.concatenate([np.repeat(centres[j][None], c, axis=0) for j, c in enumerate(counts)])
    assert mode_coverage(points)["modes_covered"] == 7
    assert mode_coverage(points, min_fraction=0.02)["modes_covered"] == 8
    # a wider sigma widens the 3-sigma disc around each centre
    shifted = points + 0.1
    assert mode_coverage(shifted)["modes_covered"] == 0
    wider = mode_coverage(shifted, sigma=0.05)
    assert wider["modes_covered"] == 7 and wider["high_quality_fraction"] == 1.0


def test_mode_coverage_checks_its_input():
    with pytest.raises(ShapeError, match=r"\(n, 2\)"):
        mode_coverage(np.zeros((10, 3)))
    with pytest.raises(ConfigError, match="k must be"):
        mode_coverage(np.zeros((10, 2)), k=0)


# ---- train_gan ------------------------------------------------------------------------------------
def _short_run(seed=0, **options):
    nr.manual_seed(seed)
    gan = GAN(latent_dim=2, data_dim=2, hidden=(32, 32))
    data = ring_of_gaussians(n=256, seed=1).X
    kwargs = dict(epochs=3, batch_size=64, lr=1e-3, seed=seed, n_samples=50)
    kwargs.update(options)
    return gan, train_gan(gan, data, **kwargs)


def test_short_run_on_the_ring_fills_the_history():
    calls = []
    gan, history = _short_run(on_epoch_end=lambda epoch, model, h: calls.append((epoch, len(h.samples))))
    assert isinstance(history, GANHistory)
    assert history.epoch == [1, 2, 3]
    for key in ("d_loss", "g_loss", "d_real", "d_fake"):
        values = history[key]
        assert len(values) == 3 and all(math.isfinite(v) for v in values)
        assert getattr(history, key) == values
    assert all(0 < v < 1 for v in history.d_real + history.d_fake)
    assert history.sample_epochs == [1, 2, 3]
    assert [s.shape for s in history.samples] == [(50, 2)] * 3
    assert history.fixed_noise.shape == (50, 2)
    assert not np.allclose(history.samples[0], history.samples[-1])  # the generator learnt something
    assert calls == [(1, 1), (2, 2), (3, 3)]
    assert "d_loss" in history.to_csv()


def test_same_seed_same_run():
    _, a = _short_run(seed=2)
    _, b = _short_run(seed=2)
    assert a.history == b.history
    np.testing.assert_array_equal(a.samples[-1], b.samples[-1])
    _, c = _short_run(seed=3)
    assert a.history != c.history


def test_options_d_steps_smoothing_and_sampling():
    gan, history = _short_run(epochs=3, d_steps=2, label_smoothing=0.1, sample_every=2)
    assert history.sample_epochs == [2, 3]  # every 2nd epoch and the last
    assert all(math.isfinite(v) for v in history.g_loss)
    assert all(p.requires_grad for p in gan.discriminator.parameters())  # unfrozen after the G steps
    _, none = _short_run(epochs=1, sample_every=0)
    assert none.samples == [] and none.sample_epochs == []


def test_d_steps_larger_than_an_epoch_leaves_g_loss_nan():
    _, history = _short_run(epochs=1, d_steps=10)  # 4 batches per epoch, no G step yet
    assert math.isnan(history.g_loss[0]) and math.isfinite(history.d_loss[0])


def test_accepts_loaders_and_bundles():
    nr.manual_seed(0)
    gan = GAN(latent_dim=2, data_dim=2, hidden=(8,))
    bundle = ring_of_gaussians(n=64)
    loader = DataLoader(TensorDataset(bundle.X, bundle.y), batch_size=32, shuffle=True, seed=0)  # (x, y) batches
    assert len(train_gan(gan, loader, epochs=1).d_loss) == 1
    assert len(train_gan(gan, bundle, epochs=1, batch_size=32).d_loss) == 1
    assert len(train_gan(gan, nr.tensor(bundle.X), epochs=1, batch_size=32).d_loss) == 1


def test_dcgan_on_digits_one_epoch():
    nr.manual_seed(0)
    dcgan = DCGAN(latent_dim=8, features=8)
    images = digits(as_images=True).X[:128] / 8.0 - 1.0  # to [-1, 1] for the Tanh output
    history = train_gan(dcgan, images, epochs=1, batch_size=32, seed=0, n_samples=16)
    assert all(math.isfinite(history[k][0]) for k in ("d_loss", "g_loss", "d_real", "d_fake"))
    assert history.samples[0].shape == (16, 1, 8, 8) and np.abs(history.samples[0]).max() <= 1.0


def test_fixed_samples_leave_batch_norm_statistics_alone():
    nr.manual_seed(0)
    dcgan = DCGAN(latent_dim=4, features=8)
    before = [b.data.copy() for b in dcgan.generator.buffers()]
    _generate_fixed(dcgan.generator, dcgan.noise(8))
    for old, new in zip(before, dcgan.generator.buffers()):
        np.testing.assert_array_equal(old, new.data)


def test_shape_mismatch_and_bad_options():
    gan = GAN(latent_dim=2, data_dim=2, hidden=(8,))
    with pytest.raises(ShapeError, match=r"generator makes examples of shape \(2,\).*\(3,\)"):
        train_gan(gan, np.zeros((64, 3), np.float32), epochs=1)
    with pytest.raises(ConfigError, match="label_smoothing"):
        train_gan(gan, np.zeros((64, 2), np.float32), label_smoothing=0.7)
    with pytest.raises(ConfigError, match="d_steps"):
        train_gan(gan, np.zeros((64, 2), np.float32), d_steps=0)
    with pytest.raises(ConfigError, match=r"\.generator, \.discriminator and \.latent_dim"):
        train_gan(nr.nn.Linear(2, 2), np.zeros((64, 2), np.float32))


def test_non_finite_losses_stop_training_with_a_warning():
    nr.manual_seed(0)
    gan = GAN(latent_dim=2, data_dim=2, hidden=(8,))
    data = np.full((64, 2), np.nan, np.float32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = train_gan(gan, data, epochs=5, batch_size=32, seed=0)
    assert len(history.epoch) == 1
    assert any("non-finite" in str(w.message) for w in caught)
