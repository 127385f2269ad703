"""The report of an autoencoder, VAE or GAN run: ``report.html`` with ``figures/*.png`` under stable names.

============================ ============================================================
figures/learning_curves.png  loss per epoch, train vs validation (autoencoder, VAE: with recon and KL)
figures/reconstructions.png  test inputs above their reconstructions (autoencoder, VAE)
figures/latent_space.png     codes of the test inputs, coloured by class (autoencoder, VAE)
figures/vae_samples.png      z ~ N(0, I) decoded (VAE)
figures/interpolation.png    decoded points on the line between two test inputs' codes (VAE)
figures/gan_samples.png      fixed-noise samples after a few epochs (GAN)
figures/gan_losses.png       D/G losses, D(x) and D(G(z)) with the equilibrium marked (GAN)
============================ ============================================================
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neurona.report.figures import image_grid, learning_curves
from neurona.report.generative import (
    N_SHOWN,
    gan_losses_figure,
    gan_samples_figure,
    is_image_shape,
    latent_space_figure,
    reconstructions_figure,
    vectors_figure,
)
from neurona.report.html import HtmlReport
from neurona.tensor import Tensor, no_grad

WHAT = {"autoencoder": "reconstructs its input through a narrow code (the targets are the inputs)",
        "vae": "reconstructs its input through a Gaussian code and trains on the negative ELBO "
               "(reconstruction + beta * KL to N(0, I))",
        "gan": "learns to generate data like the training set: a generator against a discriminator, no targets"}


def _add(report: HtmlReport, fig: Any, caption: str, path: Any) -> None:
    """The figure with its caption, saved as ``path``, whose name the caption ends with."""
    report.figure(fig, f"{caption} (figures/{path.name})", path)


def _encode(model: Any, X: np.ndarray) -> np.ndarray:
    """The codes of X (a VAE's means), in eval mode."""
    was = model.training
    model.eval()
    try:
        with no_grad():
            out = model.encode(Tensor(X))
    finally:
        model.train(was)
    return (out[0] if isinstance(out, tuple) else out).numpy()


def _decode(vae: Any, z: np.ndarray) -> np.ndarray:
    with no_grad():
        out = vae.eval().decode(Tensor(z.astype(np.float32)))
    return (out.sigmoid() if vae.likelihood == "bernoulli" else out).numpy()


def _show(report: HtmlReport, rows: np.ndarray, shape: tuple, value_range: Any, title: str, name: str,
          caption: str, fig_dir: Any, nrow: int = N_SHOWN, titles: list[str] | None = None,
          feature_names: Any = None) -> None:
    """Generated examples as an image grid (image data) or as lines over the features (vectors)."""
    if is_image_shape(shape):
        images = rows.reshape(len(rows), *shape)
        if value_range is not None:
            images = (images - value_range[0]) / (value_range[1] - value_range[0])
        fig = image_grid(images, nrow=nrow, normalize=None if value_range is not None else "all", titles=titles,
                         title=title)
    else:
        fig = vectors_figure({"": rows.reshape(len(rows), -1)}, title, feature_names)
    _add(report, fig, caption, fig_dir / name)


def _reconstruction_figures(report: HtmlReport, p: Any, trainer: Any, fig_dir: Any, seed: int) -> None:
    split, model, bundle = p.split, p.model, p.bundle
    part = "test" if len(split.X_test) else ("val" if len(split.X_val) else "train")
    X, y = getattr(split, f"X_{part}"), getattr(split, f"y_{part}")
    value_range = p.data_range["to"] if p.data_range else None
    shape = tuple(X.shape[1:])
    report.section(f"Reconstructions ({part} split)")
    shown = X[:N_SHOWN]
    _add(report, reconstructions_figure(shown, trainer.predict(shown).reshape(shown.shape), value_range=value_range,
                                         feature_names=bundle.feature_names),
                  f"The first {len(shown)} {part} inputs and the model's reconstructions. Look at what survives the "
                  f"{model.latent_dim}-D bottleneck: the overall shape should be kept, fine detail (thin strokes, "
                  "small features) is what a narrow code loses first.", fig_dir / "reconstructions.png")

    report.section("Latent space")
    labels = y.astype(int) if bundle.task == "classification" and y.ndim == 1 else None
    fig, how = latent_space_figure(_encode(model, X), labels, bundle.target_names if labels is not None else None)
    colour = "; colours are the classes, which the model never saw" if labels is not None else ""
    what = "the means mu(x) of q(z|x)" if p.kind == "vae" else "the codes z = encode(x)"
    _add(report, fig, f"{what.capitalize()} of the {len(X)} {part} inputs: {how}{colour}. Classes that form "
                  "separate clusters were told apart without labels; overlapping ones look alike to the model.",
                  fig_dir / "latent_space.png")
    if p.kind != "vae":
        return
    report.section("VAE samples and interpolation")
    rng = np.random.default_rng(seed)
    samples = _decode(model, rng.standard_normal((2 * N_SHOWN, model.latent_dim)))
    _show(report, samples, shape, value_range, "VAE samples: z ~ N(0, I), decoded", "vae_samples.png",
          f"{len(samples)} codes drawn from the prior N(0, I) and decoded. Because the KL term pulls every q(z|x) "
          "towards the prior, most of these should look like plausible data; blurry or mixed ones come from "
          "regions between the classes.", fig_dir, feature_names=bundle.feature_names)
    a = 0
    b = int(np.flatnonzero(labels != labels[0])[0]) if labels is not None and (labels != labels[0]).any() else min(1, len(X) - 1)
    codes = _encode(model, X[[a, b]])
    steps = np.linspace(0.0, 1.0, N_SHOWN, dtype=np.float32)[:, None]
    path = _decode(model, codes[0] * (1 - steps) + codes[1] * steps)
    _show(report, path, shape, value_range, "Interpolation between two test inputs in the latent space",
          "interpolation.png", f"Ten points on the straight line from the code of {part} input {a + 1} to that of "
          f"{part} input {b + 1}, decoded ({'left to right' if is_image_shape(shape) else 'dark to light lines'}). "
          "A smooth morph means the code space is continuous there.",
          fig_dir, titles=[f"t={t:.2f}" for t in steps[:, 0]], feature_names=bundle.feature_names)


def _gan_figures(report: HtmlReport, p: Any, history: Any, metrics: dict, fig_dir: Any) -> None:
    report.section("Samples per epoch")
    shape = tuple(p.bundle.X.shape[1:]) if int(np.prod(p.bundle.X.shape[1:])) == int(np.prod(p.split.X_train.shape[1:])) \
        else tuple(p.split.X_train.shape[1:])
    value_range = p.data_range["to"] if p.data_range else None
    if history.samples:
        _add(report, gan_samples_figure(history.samples, history.sample_epochs, p.split.X_train, shape=shape,
                                         value_range=value_range),
                      "The generator's output for the same fixed noise batch after a few epochs picked evenly over "
                      "the run. Watch the samples move from noise towards the data; samples that all crowd into a "
                      "few places (the same mode, the same digit) show mode collapse.", fig_dir / "gan_samples.png")
    report.section("Adversarial training")
    _add(report, gan_losses_figure(history),
                  "Per-epoch means over the batches. At the game's equilibrium D outputs 1/2 for everything, so its "
                  "loss is 2 ln 2 (dashed) and D(x) = D(G(z)) = 1/2 (dotted). D loss far below the line with D(x) "
                  "near 1 and D(G(z)) near 0 means D is winning and G's gradient is weak.", fig_dir / "gan_losses.png")
    covered = metrics.get("mode_coverage")
    if covered is not None:
        k = len(covered["per_mode_fraction"])
        report.section("Mode coverage")
        report.text(f"{covered['samples']:,} samples from the final generator: {covered['modes_covered']} of {k} "
                    f"modes hold at least 5% of them, and {covered['high_quality_fraction']:.1%} lie within 3 sigma "
                    "of a mode (real data: about 99%).")
        report.table([{"mode": i + 1, "share of samples": f} for i, f in enumerate(covered["per_mode_fraction"])],
                     "Share of the samples at each mode of the ring (an even share is 1/k)")


def write_generative_report(folder: Any, config: Any, p: Any, history: Any, metrics: dict, engine: Any) -> None:
    """Write ``report.html`` and ``figures/*.png`` of a generative run into its folder."""
    from neurona.config import dump_config

    fig_dir = folder.path / "figures"
    report = HtmlReport(f"neurona run: {config.name}", f"{p.bundle.name} · {config.model.name} ({p.kind}) · "
                        f"{len(history)} epochs")
    report.section("Run configuration").code(dump_config(config))
    report.section("Dataset")
    report.table([{"dataset": p.bundle.name, "samples": p.bundle.n_samples,
                   "sample shape": str(tuple(p.split.X_train.shape[1:])),
                   "train / val / test": f"{len(p.split.X_train)} / {len(p.split.X_val)} / {len(p.split.X_test)}"}])
    if p.data_range is not None:
        (a, b), (lo, hi) = p.data_range["from"], p.data_range["to"]
        report.text(f"The inputs were mapped from [{a:g}, {b:g}] (the training part's range) to [{lo:g}, {hi:g}], "
                    "the range of the model's output, by one affine map for all values.")
    report.rst(p.bundle.description)
    report.section("Model")
    report.text(f"{config.model.name}: {WHAT[p.kind]}. {p.model.num_parameters():,} parameters; loss: "
                f"{config.loss.name}.")
    report.code(str(p.model))
    if p.kind == "gan":
        _gan_figures(report, p, history, metrics, fig_dir)
    else:
        report.section("Learning curves")
        vae = " The VAE's loss is the sum of recon (reconstruction) and beta times kl; their balance is what beta sets." \
            if p.kind == "vae" else ""
        _add(report, learning_curves(history.history), "Loss per epoch, training vs validation; the gap between them "
                      f"is overfitting.{vae}", fig_dir / "learning_curves.png")
    report.section("Final metrics")
    report.table({k: v for k, v in metrics.items() if isinstance(v, dict) and k != "mode_coverage"})
    if p.kind == "gan":
        report.text("final: the means over the last epoch's batches during training. The other rows: the final "
                    "networks in eval mode, D(x) on that part's real data and D(G(z)) on as many generated samples.")
    if p.kind != "gan":
        report.text("loss: the training loss on each part (the negative ELBO for a VAE); mse: the mean squared "
                    "reconstruction error per value, on the data's mapped scale.")
        _reconstruction_figures(report, p, engine, fig_dir, config.seed)
    report.write(folder.file("report.html"))
