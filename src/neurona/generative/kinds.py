"""Which reference models are generative, the loss each kind implies, and the losses each kind accepts.

Kept free of heavy imports: :mod:`neurona.config` uses it to fill in an implied ``loss:``.
"""

from __future__ import annotations

from typing import Any

KINDS = {"dense_autoencoder": "autoencoder", "conv_autoencoder": "autoencoder", "vae": "vae", "gan": "gan",
         "dcgan": "gan"}
"""model.name -> kind: 'autoencoder' (reconstructs its input), 'vae' (reconstructs, with a Gaussian code) or
'gan' (generator and discriminator, no targets)."""

IMPLIED_LOSS = {"autoencoder": "mse", "vae": "elbo", "gan": "gan"}
LOSSES = {"autoencoder": ("mse", "l1", "huber", "smooth_l1", "bce"), "vae": ("elbo",), "gan": ("gan",)}
LOSS_OPTIONS = {"elbo": ("beta", "reconstruction"), "gan": ()}
WHY = {"autoencoder": "an autoencoder compares its reconstruction with its input",
       "vae": "a VAE trains on its negative ELBO (reconstruction + beta * KL), from vae_loss",
       "gan": "a GAN trains on the binary cross-entropy game between discriminator and generator"}


def generative_kind(config: Any) -> str | None:
    """'autoencoder', 'vae' or 'gan' for a config (a RunConfig) naming such a model, else None."""
    model = config.model
    if model.layers is not None or model.name is None:
        return None
    return KINDS.get(model.name)


def with_implied_loss(data: Any) -> Any:
    """The raw config with ``loss`` filled in when it is left out and the model implies it."""
    if not isinstance(data, dict) or "loss" in data or not isinstance(data.get("model"), dict):
        return data
    name = data["model"].get("name")
    kind = KINDS.get(name) if isinstance(name, str) else None
    return {**data, "loss": IMPLIED_LOSS[kind]} if kind is not None else data
