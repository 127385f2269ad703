"""``GANLoop``: :func:`~neurona.train.gan.train_gan`'s alternating updates, one epoch at a time, resumable.

``train_gan`` runs all its epochs in one call; a run from a config must be able to stop after any epoch
and continue bit-identically (``neurona train --resume``). So the loop keeps its whole state in one
object, and :meth:`GANLoop.checkpoint` / :meth:`GANLoop.restore` write and read it as one safetensors file:

- both networks (the GAN module holds the generator and the discriminator) and both Adam optimisers;
- the noise generator (a NumPy ``Generator`` seeded from the config's seed), the data order (the loader's
  generator) and neurona's global generator;
- the history: per-epoch d_loss, g_loss, D(x), D(G(z)), the fixed noise and the samples drawn from it.

The steps themselves are ``train_gan``'s (same helpers, same order of random draws), so with the same seed a
``GANLoop`` run equals a ``train_gan`` call.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from neurona.errors import CheckpointError, ConfigError
from neurona.optim import Adam
from neurona.train.gan import (
    METRICS,
    GANHistory,
    _as_loader,
    _discriminator_step,
    _generate_fixed,
    _generator_step,
    _noise,
    _real_batch,
)

_OPT_D = "optimizer_d."


class GANLoop:
    """The state of a GAN's training between epochs, and the epoch step.

    Parameters
    ----------
    gan : GAN or DCGAN (``.generator``, ``.discriminator``, ``.latent_dim``)
    data : array (n, ...)
        Real examples, shaped like the generator's output.
    batch_size, lr, betas, label_smoothing, d_steps, seed, sample_every, n_samples :
        As :func:`~neurona.train.gan.train_gan`.
    epochs : int
        The planned number of epochs (the last one is always sampled).

    Examples
    --------
    >>> loop = GANLoop(gan, ring.X, epochs=3, seed=0)
    >>> while loop.epochs_done < loop.epochs:
    ...     logs = loop.run_epoch()
    >>> loop.history["d_loss"][-1]  # doctest: +SKIP
    """

    def __init__(self, gan: Any, data: np.ndarray, epochs: int, batch_size: int = 64, lr: float = 2e-4,
                 betas: tuple[float, float] = (0.5, 0.999), label_smoothing: float = 0.0, d_steps: int = 1,
                 seed: int = 0, sample_every: int = 1, n_samples: int = 64) -> None:
        self.gan, self.epochs = gan, int(epochs)
        self.G, self.D, self.latent_dim = gan.generator, gan.discriminator, int(gan.latent_dim)
        self.d_steps, self.sample_every = int(d_steps), int(sample_every)
        self.real_label = 1.0 - float(label_smoothing)
        # the order of construction and draws is train_gan's: loader, noise generator, optimisers, fixed noise
        self.loader = _as_loader(data, batch_size, seed)
        self.rng = np.random.default_rng(seed)
        self.opt_g = Adam(self.G.parameters(), lr=lr, betas=tuple(betas))
        self.opt_d = Adam(self.D.parameters(), lr=lr, betas=tuple(betas))
        self.history = GANHistory()
        self.fixed_noise = _noise(self.rng, int(n_samples), self.latent_dim)
        self.history.fixed_noise = self.fixed_noise.data.copy()
        self.d_count = 0
        self.G.train()
        self.D.train()

    @property
    def epochs_done(self) -> int:
        return len(self.history)

    def run_epoch(self) -> dict[str, float]:
        """One pass over the data: a D step per batch, a G step after every ``d_steps`` D steps; then the
        epoch's means are appended to the history (and the fixed-noise samples, when due)."""
        epoch = self.epochs_done + 1
        sums = dict.fromkeys(METRICS, 0.0)
        d_updates = g_updates = 0
        for batch in self.loader:
            x = _real_batch(batch)
            values = _discriminator_step(self.G, self.D, self.opt_d, x, _noise(self.rng, len(x), self.latent_dim),
                                         self.real_label, check_shapes=self.d_count == 0)
            for key, value in zip(("d_loss", "d_real", "d_fake"), values):
                sums[key] += value
            d_updates, self.d_count = d_updates + 1, self.d_count + 1
            if self.d_count % self.d_steps == 0:
                sums["g_loss"] += _generator_step(self.G, self.D, self.opt_g, _noise(self.rng, len(x), self.latent_dim))
                g_updates += 1
        if d_updates == 0:
            raise ConfigError("the training data gave no batch; is it empty?")
        logs = {k: sums[k] / d_updates for k in ("d_loss", "d_real", "d_fake")}
        logs["g_loss"] = sums["g_loss"] / g_updates if g_updates else math.nan
        self.history.append(epoch, logs)
        if self.sample_every and (epoch % self.sample_every == 0 or epoch == self.epochs):
            self.history.samples.append(_generate_fixed(self.G, self.fixed_noise))
            self.history.sample_epochs.append(epoch)
        return logs

    # ---- checkpoints ------------------------------------------------------------------------------
    def checkpoint(self) -> bytes:
        """The bytes of a resumable checkpoint of the state after the last finished epoch."""
        from neurona.io.checkpoint import _OPTIM_PREFIX, _split_optimizer_state, to_bytes
        from neurona.train.checkpointing import rng_streams

        arrays: dict[str, np.ndarray] = {}
        tensors, opt_d_meta = _split_optimizer_state(self.opt_d)
        for key, value in tensors.items():
            arrays[_OPT_D + key[len(_OPTIM_PREFIX):]] = value
        for key, values in self.history.history.items():  # float64 arrays: exact, and NaN-safe
            arrays[f"history.{key}"] = np.asarray(values, dtype=np.float64)
        arrays["history.fixed_noise"] = self.history.fixed_noise
        for i, sample in enumerate(self.history.samples):
            arrays[f"history.samples.{i}"] = sample
        extra = {"gan_loop": {"epoch": self.epochs_done, "epochs": list(self.history.epoch),
                              "sample_epochs": list(self.history.sample_epochs), "d_count": self.d_count,
                              "noise_rng": self.rng.bit_generator.state, "loader_state": self.loader.state_dict(),
                              "rng_state": rng_streams(), "optimizer_d": opt_d_meta}}
        return to_bytes(self.gan, self.opt_g, extra, arrays=arrays)

    def restore(self, path: str | Path) -> int:
        """Load a checkpoint written from :meth:`checkpoint` into this loop; returns the epochs done."""
        from neurona.io import load
        from neurona.io.checkpoint import _assemble_optimizer_state
        from neurona.train.checkpointing import set_rng_streams

        path = Path(path)
        ckpt = load(path, model=self.gan, optimizer=self.opt_g)
        state = ckpt.extra.get("gan_loop")
        if not isinstance(state, dict):
            raise CheckpointError(f"checkpoint {path} holds no GAN training state; resume only from a checkpoint "
                                  "written by a GAN run")
        opt_d_arrays = {k[len(_OPT_D):]: v.copy() for k, v in ckpt.arrays.items() if k.startswith(_OPT_D)}
        self.opt_d.load_state_dict(_assemble_optimizer_state(path, state["optimizer_d"], opt_d_arrays))
        history = GANHistory()
        history.epoch = list(state["epochs"])
        history.history = {k: [float(v) for v in ckpt.arrays[f"history.{k}"]] for k in METRICS}
        history.fixed_noise = ckpt.arrays["history.fixed_noise"].copy()
        history.samples = [ckpt.arrays[f"history.samples.{i}"].copy() for i in range(len(state["sample_epochs"]))]
        history.sample_epochs = list(state["sample_epochs"])
        self.history, self.fixed_noise = history, _noise_tensor(history.fixed_noise)
        self.d_count = int(state["d_count"])
        self.rng.bit_generator.state = state["noise_rng"]
        self.loader.load_state_dict(state["loader_state"])
        set_rng_streams(state["rng_state"])
        self.G.train()
        self.D.train()
        return self.epochs_done


def _noise_tensor(array: np.ndarray) -> Any:
    from neurona.tensor import Tensor

    return Tensor(array.astype(np.float32, copy=True))
