"""Autoencoder, VAE and GAN runs from ``neurona train CONFIG.yaml``.

The task follows from the model: an autoencoder or a VAE reconstructs its input (the targets are the
inputs, labels are only used to colour the latent space), a GAN learns the data's distribution with no
targets at all. So a config names the model and the data, and the rest is implied::

    data: {dataset: digits, options: {as_images: true}, scale: none}
    model: {name: vae, hidden: [128], latent_dim: 2}
    loss: {name: elbo, options: {beta: 1.0}}      # may be left out: a VAE implies its ELBO
    optimizer: {name: adam, lr: 0.002}

- :mod:`neurona.generative.kinds`: which model is which kind, the loss it implies and the ones it takes;
- :mod:`neurona.generative.prepare`: checks a generative config, loads and rescales the data, builds the
  model, all before any run folder exists;
- :mod:`neurona.generative.vae_trainer`: ``VAETrainer``, a :class:`~neurona.train.Trainer` whose loss is the
  negative ELBO (so checkpoints, resume, early stopping and schedules work as for any run);
- :mod:`neurona.generative.gan_loop`: ``GANLoop``, the alternating updates of ``train_gan`` one epoch at a
  time, with a checkpoint of both networks, both optimisers, the noise generator and the samples;
- :mod:`neurona.generative.run`: ``run_generative``, what ``neurona train`` does for these models, and
  ``evaluate_generative`` for ``neurona evaluate``.
"""

from neurona.generative.kinds import KINDS, generative_kind

__all__ = ["KINDS", "generative_kind"]
