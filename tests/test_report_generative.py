"""Reports of autoencoder, VAE and GAN runs (neurona.report.generative, generative_report): each example config
gets exactly its figures, saved under stable names and embedded in report.html with a caption naming them; the
figure helpers draw what they claim."""

import html
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from matplotlib.image import AxesImage
from sklearn.decomposition import PCA
from typer.testing import CliRunner

from neurona.cli import app
from neurona.report import generative as gf

ROOT = Path(__file__).resolve().parents[1]
GENERATIVE = {"reconstructions.png", "latent_space.png", "vae_samples.png", "interpolation.png", "gan_samples.png",
              "gan_losses.png", "learning_curves.png"}
EXPECTED = {
    "dense_autoencoder": {"learning_curves.png", "reconstructions.png", "latent_space.png"},
    "conv_autoencoder": {"learning_curves.png", "reconstructions.png", "latent_space.png"},
    "vae": {"learning_curves.png", "reconstructions.png", "latent_space.png", "vae_samples.png", "interpolation.png"},
    "gan": {"gan_samples.png", "gan_losses.png"},
    "dcgan": {"gan_samples.png", "gan_losses.png"},
}


def _train(config: Path, out: Path, *extra: str) -> Path:
    result = CliRunner().invoke(app, ["train", str(config), "--quick", "--out", str(out), "-v", "0",
                                      "--set", "training.epochs=2", *extra])
    assert result.exit_code == 0, result.output
    (run,) = [p for p in out.iterdir() if p.is_dir()]
    return run


def _check_figures(run: Path, expected: set[str]) -> str:
    figures = {p.name for p in (run / "figures").glob("*.png")}
    assert figures == expected  # exactly the figures of this kind of model
    page = (run / "report.html").read_text()
    captions = [html.unescape(c.split("</figcaption>")[0]) for c in page.split("<figcaption>")[1:]]
    assert page.count('src="data:image/png;base64,') == len(captions) == len(expected)
    for name in expected:
        png = (run / "figures" / name).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
        assert sum(c.endswith(f"(figures/{name})") for c in captions) == 1, f"no caption names {name}"
    return page


@pytest.mark.parametrize("example", sorted(EXPECTED))
def test_each_example_report_has_the_figures_of_its_model(example, tmp_path):
    run = _train(ROOT / "examples" / f"{example}.yaml", tmp_path)
    page = _check_figures(run, EXPECTED[example])
    if example in ("dense_autoencoder", "vae"):  # 2-D codes: drawn as they are
        assert "the 2-D codes as they are; colours are the classes" in html.unescape(page)
    if example == "conv_autoencoder":  # 16-D codes: a PCA projection, said in the caption
        assert "a PCA projection (scikit-learn) of the 16-D codes" in html.unescape(page)
    if example == "gan":
        assert "Mode coverage" in page
    if example != "gan":
        assert "mapped from [0, 16]" in page  # the digits' scale, as the model's output range needs


def test_vector_data_get_bars_and_lines_instead_of_images(tmp_path):
    config = {"name": "iris-vae", "data": {"dataset": "iris", "scale": "standard"},
              "model": {"name": "vae", "hidden": [8], "latent_dim": 3}, "optimizer": {"name": "adam"}}
    path = tmp_path / "iris.yaml"
    path.write_text(yaml.safe_dump(config))
    run = _train(path, tmp_path / "runs")
    _check_figures(run, EXPECTED["vae"])


def test_every_generative_model_has_an_example_config():
    from neurona.config import load_config

    for name in EXPECTED:
        assert load_config(ROOT / "examples" / f"{name}.yaml").model.name == name


# ---- the helpers -----------------------------------------------------------------------------------
def _image_axes(fig):
    return [ax for ax in fig.axes if any(isinstance(a, AxesImage) for a in ax.get_children())]


def test_reconstructions_put_inputs_above_their_reconstructions():
    rng = np.random.default_rng(0)
    inputs, recon = rng.uniform(0, 1, (5, 1, 4, 4)), rng.uniform(0, 1, (5, 1, 4, 4))
    fig = gf.reconstructions_figure(inputs, recon, value_range=(0.0, 1.0))
    panels = _image_axes(fig)
    assert len(panels) == 10
    np.testing.assert_allclose(panels[2].get_images()[0].get_array(), inputs[2, 0])
    np.testing.assert_allclose(panels[7].get_images()[0].get_array(), recon[2, 0])
    vectors = gf.reconstructions_figure(inputs.reshape(5, -1), recon.reshape(5, -1))
    assert not _image_axes(vectors) and len(vectors.axes) == 4 and vectors.legends


def test_latent_space_scatter_is_the_codes_or_their_pca_coloured_by_class():
    rng = np.random.default_rng(0)
    codes, labels = rng.standard_normal((60, 2)), np.repeat([0, 1, 2], 20)
    fig, how = gf.latent_space_figure(codes, labels, ["a", "b", "c"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b", "c"]
    np.testing.assert_allclose(ax.collections[1].get_offsets(), codes[20:40])
    assert ax.get_xlabel() == "z1" and "as they are" in how
    wide = rng.standard_normal((60, 5))
    fig, how = gf.latent_space_figure(wide)
    expected = PCA(n_components=2).fit_transform(wide)
    np.testing.assert_allclose(fig.axes[0].collections[0].get_offsets(), expected, rtol=1e-6, atol=1e-9)
    assert "PCA projection" in how and "5-D codes" in how


def test_gan_samples_pick_at_most_four_epochs_evenly_over_the_same_noise():
    samples = [np.full((10, 2), float(e)) for e in range(1, 11)]
    fig = gf.gan_samples_figure(samples, list(range(1, 11)), real=np.zeros((50, 2)))
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["after epoch 1", "after epoch 4", "after epoch 7", "after epoch 10"]
    assert fig.axes[0].get_xlabel() == "x1" and fig.legends
    images = [np.zeros((6, 1, 4, 4)) for _ in range(2)]
    grid = gf.gan_samples_figure(images, [1, 2], value_range=(-1.0, 1.0), per_row=3)
    assert len(_image_axes(grid)) == 6
    np.testing.assert_allclose(_image_axes(grid)[0].get_images()[0].get_array(), 0.5)  # -1..1 shown as 0..1


def test_gan_losses_mark_the_equilibrium():
    history = {"d_loss": [1.2, 1.3], "g_loss": [0.8, 0.7], "d_real": [0.6, 0.55], "d_fake": [0.4, 0.45]}
    left, right = gf.gan_losses_figure(history).axes
    assert {line.get_ydata()[0] for line in left.lines} >= {2 * math.log(2)}
    assert 0.5 in {line.get_ydata()[0] for line in right.lines}
    for ax in (left, right):
        assert ax.get_xlabel() == "epoch" and ax.get_ylabel() and ax.get_title() and ax.get_legend()
