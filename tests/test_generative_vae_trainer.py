"""VAETrainer: the Trainer loop on the negative ELBO equals the plain loop of the course, and logs its terms."""

import numpy as np
import pytest

import neurona as nr
from neurona import optim
from neurona.data import DataLoader, TensorDataset
from neurona.generative.vae_trainer import VAETrainer
from neurona.models import VAE, vae_loss


def _data():
    return np.random.default_rng(0).uniform(0, 1, (96, 16)).astype(np.float32)


def test_fit_equals_the_hand_written_loop_and_logs_recon_and_kl():
    X = _data()
    nr.manual_seed(0)
    reference = VAE(16, hidden=(8,), latent_dim=2)
    opt = optim.Adam(reference.parameters(), lr=1e-2)
    loader = DataLoader(TensorDataset(X, X), batch_size=32, shuffle=True, seed=5)
    next(iter(loader))  # Trainer.fit checks the first batch against the model before training: one shuffle
    for _ in range(2):
        for x, _ in loader:
            recon, mu, logvar = reference(x)
            loss = vae_loss(recon, x, mu, logvar, beta=0.5)
            opt.zero_grad()
            loss.backward()
            opt.step()
    nr.manual_seed(0)
    vae = VAE(16, hidden=(8,), latent_dim=2)
    trainer = VAETrainer(vae, optim.Adam(vae.parameters(), lr=1e-2), beta=0.5)
    history = trainer.fit(TensorDataset(X, X), val=TensorDataset(X, X), epochs=2, batch_size=32, seed=5, verbose=0)
    assert all(np.array_equal(a.data, b.data) for a, b in zip(reference.parameters(), vae.parameters()))
    assert {"loss", "recon", "kl", "val_loss", "val_recon", "val_kl"} <= set(history.history)
    for prefix in ("", "val_"):
        loss, recon, kl = (np.array(history[prefix + k]) for k in ("loss", "recon", "kl"))
        assert np.allclose(loss, recon + 0.5 * kl, rtol=1e-5)


def test_evaluate_uses_the_mean_code_and_predict_gives_probabilities():
    X = _data()
    nr.manual_seed(0)
    vae = VAE(16, hidden=(8,), latent_dim=2)
    trainer = VAETrainer(vae, optim.Adam(vae.parameters(), lr=1e-2))
    first, second = trainer.evaluate((X, X)), trainer.evaluate((X, X))
    assert first == second  # z = mu in eval mode: no sampling noise
    with nr.no_grad():
        recon, mu, logvar = vae.eval()(nr.tensor(X))
        expected = vae_loss(recon, nr.tensor(X), mu, logvar).item()
    assert first["loss"] == pytest.approx(expected, rel=1e-5)
    out = trainer.predict(X)
    assert out.shape == X.shape and out.min() >= 0 and out.max() <= 1
