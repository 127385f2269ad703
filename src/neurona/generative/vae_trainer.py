"""``VAETrainer``: the :class:`~neurona.train.Trainer` loop with the VAE's loss, the negative ELBO.

A VAE returns ``(recon, mu, logvar)`` instead of one tensor, and its loss needs all three; everything
else (batches, the optimiser step, callbacks, checkpoints, resume, early stopping) is the Trainer's. The
two terms of the loss are logged per epoch as ``recon`` and ``kl`` (and ``val_recon``, ``val_kl``), so the
learning curves show the trade-off that ``beta`` sets.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neurona.models.autoencoder import vae_loss
from neurona.tensor import Tensor, no_grad
from neurona.train.trainer import Trainer


class VAETrainer(Trainer):
    """Train a :class:`~neurona.models.VAE` on ``(x, x)`` pairs with :func:`~neurona.models.vae_loss`.

    Parameters
    ----------
    model : VAE
    optimizer : Optimizer
    beta : float, default 1.0
        Weight of the KL term (1: the ELBO; > 1: a beta-VAE).
    reconstruction : {'bce', 'mse'}, default 'bce'
        The reconstruction term: Bernoulli pixels (logits) or Gaussian ones.

    Examples
    --------
    >>> trainer = VAETrainer(vae, optim.Adam(vae.parameters(), lr=2e-3), beta=1.0)
    >>> history = trainer.fit((X, X), epochs=5, verbose=0)
    >>> sorted(history.history)
    ['kl', 'loss', 'lr', 'recon']
    """

    def __init__(self, model: Any, optimizer: Any, beta: float = 1.0, reconstruction: str = "bce") -> None:
        self.beta, self.reconstruction = float(beta), reconstruction
        self._parts: list[float] | None = None  # sums of (recon, kl, n) over the batches of one training epoch
        super().__init__(model, self._elbo, optimizer, metrics=(), task="regression")

    def _elbo(self, out: tuple[Tensor, Tensor, Tensor], x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        recon, mu, logvar = out
        return vae_loss(recon, x, mu, logvar, beta=self.beta, reconstruction=self.reconstruction, return_parts=True)

    def _compute_loss(self, out: Any, y: Tensor) -> Tensor:
        loss, recon, kl = self._elbo(out, y.astype(out[0].dtype) if y.data.dtype != out[0].data.dtype else y)
        if self._parts is not None:
            n = len(y)
            self._parts = [self._parts[0] + recon.item() * n, self._parts[1] + kl.item() * n, self._parts[2] + n]
        return loss

    def _train_epoch(self, epoch: int = 0) -> dict[str, float]:
        self._parts = [0.0, 0.0, 0.0]
        try:
            logs = super()._train_epoch(epoch)
            recon, kl, n = self._parts
        finally:
            self._parts = None
        logs.update(recon=recon / max(n, 1), kl=kl / max(n, 1))
        return logs

    def reconstruct(self, data: Any, batch_size: int = 256) -> np.ndarray:
        """Reconstructions (probabilities for Bernoulli pixels, means otherwise), z = mu (eval mode)."""
        return self._run(data, batch_size)[1]

    def _run(self, data: Any, batch_size: int) -> tuple[dict[str, float], np.ndarray]:
        if isinstance(data, np.ndarray | Tensor):
            X = data.numpy() if isinstance(data, Tensor) else data
            data = (X, X)
        loader = self._as_loader(data, batch_size, False, "data")
        was_training = self.model.training
        self.model.eval()
        sums, count, outputs = np.zeros(3), 0, []
        try:
            with no_grad():
                for x, y in loader:
                    recon, mu, logvar = self.model(x)
                    loss, rec, kl = self._elbo((recon, mu, logvar), y.astype(recon.dtype))
                    probs = recon.sigmoid() if self.model.likelihood == "bernoulli" else recon
                    sums += np.array([loss.item(), rec.item(), kl.item()]) * len(x)
                    count += len(x)
                    outputs.append(probs.data)
        finally:
            self.model.train(was_training)
        loss, recon, kl = sums / max(count, 1)
        return {"loss": float(loss), "recon": float(recon), "kl": float(kl)}, np.concatenate(outputs)

    def evaluate(self, data: Any, batch_size: int = 256) -> dict[str, float]:
        """The negative ELBO (``loss``) and its two terms (``recon``, ``kl``), with z = mu."""
        return self._run(data, batch_size)[0]

    def predict(self, data: Any, batch_size: int = 256) -> np.ndarray:
        return self.reconstruct(data, batch_size)
