"""Autoencoders of the course: ``DenseAutoencoder``, ``ConvAutoencoder``, the variational ``VAE`` and
its loss :func:`vae_loss` (the negative ELBO).

An autoencoder squeezes x through a narrow code z = encode(x) and learns decode(z) ≈ x: with no labels,
the bottleneck forces the code to keep what matters about the data. The plain autoencoders train with
``Trainer`` on pairs ``(X, X)`` and ``mse_loss``; the VAE returns ``(recon, mu, logvar)`` and trains
with :func:`vae_loss` in a short loop of your own.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from neurona import functional as F
from neurona.errors import ConfigError
from neurona.models._common import as_images, check_int, check_sizes
from neurona.models.mlp import MLP, make_activation
from neurona.nn import activation as act
from neurona.nn.containers import Flatten, Identity, Sequential, Unflatten
from neurona.nn.conv import Conv2d, ConvTranspose2d
from neurona.nn.linear import Linear
from neurona.nn.module import Module
from neurona.ops.elementwise import exp
from neurona.random import default_generator
from neurona.tensor import Tensor, no_grad

_OUTPUTS = {"sigmoid": act.Sigmoid, "tanh": act.Tanh, None: Identity}


def _output_activation(model: str, name: str | None) -> Module:
    if name not in _OUTPUTS:
        raise ConfigError(f"{model}: output_activation must be 'sigmoid', 'tanh' or None, got {name!r}")
    return _OUTPUTS[name]()


class DenseAutoencoder(Module):
    """Fully connected autoencoder: x -> encoder MLP -> z (latent_dim) -> mirrored decoder MLP -> x_hat.

    ::

        encoder: input_dim -> hidden[0] -> ... -> hidden[-1] -> latent_dim       (no activation on z)
        decoder: latent_dim -> hidden[-1] -> ... -> hidden[0] -> input_dim -> output_activation

    Images ``(N, C, H, W)`` are flattened on the way in and the reconstruction comes back in the
    input's shape, so ``mse_loss(model(x), x)`` works for any input.

    Parameters
    ----------
    input_dim : int
        Values per example (64 for the 8x8 digits).
    hidden : sequence of int, default (128,)
        Encoder widths, in order; the decoder uses them reversed. May be empty.
    latent_dim : int, default 16
    activation : str, default 'relu'
        Any name :func:`~neurona.models.mlp.make_activation` knows.
    output_activation : {'sigmoid', 'tanh', None}, default 'sigmoid'
        'sigmoid' for data in [0, 1] (scale the digits by 1/16), 'tanh' for [-1, 1], None for
        standardised data.

    Examples
    --------
    >>> ae = DenseAutoencoder(64, hidden=(32,), latent_dim=2)
    >>> x = nr.rand(10, 64)
    >>> ae.encode(x).shape, ae(x).shape
    ((10, 2), (10, 64))
    """

    def __init__(self, input_dim: int, hidden: Sequence[int] = (128,), latent_dim: int = 16,
                 activation: str = "relu", output_activation: str | None = "sigmoid") -> None:
        super().__init__()
        check_int("DenseAutoencoder", "input_dim", input_dim)
        check_int("DenseAutoencoder", "latent_dim", latent_dim)
        hidden = check_sizes("DenseAutoencoder", "hidden", hidden, allow_empty=True)
        self.encoder = MLP([input_dim, *hidden, latent_dim], activation=activation)
        self.decoder = MLP([latent_dim, *reversed(hidden), input_dim], activation=activation)
        self.output_activation = _output_activation("DenseAutoencoder", output_activation)
        self.input_dim, self.latent_dim, self.hidden = input_dim, latent_dim, hidden

    def encode(self, x: Tensor) -> Tensor:
        """The code z, (N, latent_dim)."""
        return self.encoder(x.flatten(1) if x.ndim > 2 else x)

    def decode(self, z: Tensor) -> Tensor:
        """The reconstruction from a code, (N, input_dim)."""
        return self.output_activation(self.decoder(z))

    def forward(self, x: Tensor) -> Tensor:
        return self.decode(self.encode(x)).reshape(*x.shape)


class ConvAutoencoder(Module):
    """Convolutional autoencoder: strided convolutions down to a code, transposed convolutions back up.

    For the 8x8 digits and ``channels=(16, 32)``::

        encoder: (1, 8, 8) -Conv2d(1, 16, 3, stride 2, pad 1)-> ReLU (16, 4, 4)
                           -Conv2d(16, 32, 3, stride 2, pad 1)-> ReLU (32, 2, 2) -> Flatten -> Linear -> z
        decoder: z -> Linear -> ReLU -> (32, 2, 2) -ConvTranspose2d(32, 16, 4, stride 2, pad 1)-> ReLU (16, 4, 4)
                   -ConvTranspose2d(16, 1, 4, stride 2, pad 1)-> (1, 8, 8) -> output_activation

    A stride-2 transposed convolution with kernel 4 and padding 1 exactly doubles the size
    (``(H - 1) * 2 - 2 + 4 = 2H``): it is the gradient of the matching strided convolution, used as
    a learnt upsampling.

    Parameters
    ----------
    in_channels : int, default 1
    latent_dim : int, default 16
    input_size : int, default 8
        Height and width; must be divisible by ``2 ** len(channels)``.
    channels : sequence of int, default (16, 32)
    output_activation : {'sigmoid', 'tanh', None}, default 'sigmoid'

    Examples
    --------
    >>> ae = ConvAutoencoder(in_channels=1, latent_dim=8, input_size=8)
    >>> ae(nr.rand(4, 1, 8, 8)).shape
    (4, 1, 8, 8)
    """

    def __init__(self, in_channels: int = 1, latent_dim: int = 16, input_size: int = 8,
                 channels: Sequence[int] = (16, 32), output_activation: str | None = "sigmoid") -> None:
        super().__init__()
        check_int("ConvAutoencoder", "in_channels", in_channels)
        check_int("ConvAutoencoder", "latent_dim", latent_dim)
        check_int("ConvAutoencoder", "input_size", input_size)
        channels = check_sizes("ConvAutoencoder", "channels", channels)
        factor = 2 ** len(channels)
        if input_size % factor:
            raise ConfigError(f"ConvAutoencoder: input_size={input_size} must be divisible by 2**len(channels) = "
                              f"{factor} (each of the {len(channels)} blocks halves, then doubles, the size)")
        side = input_size // factor
        down, fan_in = [], in_channels
        for width in channels:
            down += [Conv2d(fan_in, width, 3, stride=2, padding=1), act.ReLU()]
            fan_in = width
        self.encoder = Sequential(*down, Flatten(), Linear(channels[-1] * side * side, latent_dim))
        up = [Linear(latent_dim, channels[-1] * side * side), act.ReLU(), Unflatten(1, (channels[-1], side, side))]
        widths = [*reversed(channels), in_channels]
        for i, (c_in, c_out) in enumerate(zip(widths[:-1], widths[1:])):
            up.append(ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1))
            if i < len(widths) - 2:
                up.append(act.ReLU())
        up.append(_output_activation("ConvAutoencoder", output_activation))
        self.decoder = Sequential(*up)
        self.in_channels, self.latent_dim, self.input_size, self.channels = in_channels, latent_dim, input_size, channels

    def encode(self, x: Tensor) -> Tensor:
        """The code z, (N, latent_dim)."""
        return self.encoder(as_images(self, x, self.in_channels, self.input_size))

    def decode(self, z: Tensor) -> Tensor:
        """Images (N, in_channels, input_size, input_size) from codes."""
        return self.decoder(z)

    def forward(self, x: Tensor) -> Tensor:
        return self.decode(self.encode(x)).reshape(*x.shape)


def _dense_layers(widths: Sequence[int], activation: str) -> list[Module]:
    """Linear -> activation for every consecutive pair of widths (an activation after the last one too)."""
    layers = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        layers += [Linear(fan_in, fan_out), make_activation(activation)]
    return layers


class VAE(Module):
    """Variational autoencoder (Kingma & Welling, 2014) with a Gaussian code and an MLP on each side.

    The encoder gives, for each x, a Gaussian over codes, q(z|x) = N(mu(x), diag(exp(logvar(x)))); the
    decoder gives p(x|z). Training maximises the evidence lower bound (see :func:`vae_loss`)::

        h = MLP(x)                      input_dim -> hidden ... (activation after each layer)
        mu, logvar = Linear(h), Linear(h)                         (N, latent_dim) each
        z = mu + exp(logvar / 2) * eps,  eps ~ N(0, I)            the reparameterisation trick
        recon = decoder MLP(z)          latent_dim -> reversed(hidden) -> input_dim

    The reparameterisation moves the randomness into ``eps``, so z is a differentiable function of mu
    and logvar and the gradient reaches the encoder. ``eps`` is drawn from
    :func:`neurona.random.default_generator`, so ``neurona.manual_seed`` makes runs repeatable. In
    ``eval()`` mode z = mu (the most likely code), so reconstructions are deterministic.

    ``forward(x)`` returns ``(recon, mu, logvar)``; ``recon`` has the shape of x and holds *logits*
    of Bernoulli pixels (``likelihood='bernoulli'``: use ``reconstruction='bce'`` in :func:`vae_loss`,
    ``sigmoid(recon)`` for images) or the *mean* of a Gaussian (``likelihood='gaussian'``:
    ``reconstruction='mse'``).

    Parameters
    ----------
    input_dim : int
    hidden : sequence of int, default (128,)
    latent_dim : int, default 2
        2, so the code space can be drawn.
    activation : str, default 'relu'
    likelihood : {'bernoulli', 'gaussian'}, default 'bernoulli'
        'bernoulli' for data in [0, 1] (digits / 16).

    Examples
    --------
    >>> vae = VAE(64, hidden=(64,), latent_dim=2)
    >>> x = nr.rand(16, 64)
    >>> recon, mu, logvar = vae(x)
    >>> loss = vae_loss(recon, x, mu, logvar)
    >>> vae.sample(5).shape
    (5, 64)
    """

    def __init__(self, input_dim: int, hidden: Sequence[int] = (128,), latent_dim: int = 2,
                 activation: str = "relu", likelihood: str = "bernoulli") -> None:
        super().__init__()
        check_int("VAE", "input_dim", input_dim)
        check_int("VAE", "latent_dim", latent_dim)
        hidden = check_sizes("VAE", "hidden", hidden)
        if likelihood not in ("bernoulli", "gaussian"):
            raise ConfigError(f"VAE: likelihood must be 'bernoulli' or 'gaussian', got {likelihood!r}")
        self.encoder = Sequential(*_dense_layers([input_dim, *hidden], activation))
        self.fc_mu = Linear(hidden[-1], latent_dim)
        self.fc_logvar = Linear(hidden[-1], latent_dim)
        self.decoder = MLP([latent_dim, *reversed(hidden), input_dim], activation=activation)
        self.input_dim, self.latent_dim, self.hidden, self.likelihood = input_dim, latent_dim, hidden, likelihood

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``(mu, logvar)`` of q(z|x), each (N, latent_dim)."""
        h = self.encoder(x.flatten(1) if x.ndim > 2 else x)
        return self.fc_mu(h), self.fc_logvar(h)

    def reparameterize(self, mu: Tensor, logvar: Tensor) -> Tensor:
        """z = mu + sigma * eps with sigma = exp(logvar / 2), eps ~ N(0, I); z = mu in eval mode."""
        if not self.training:
            return mu
        eps = Tensor(default_generator().standard_normal(mu.shape).astype(mu.data.dtype))
        return mu + exp(logvar * 0.5) * eps

    def decode(self, z: Tensor) -> Tensor:
        """Logits (bernoulli) or means (gaussian) of p(x|z), (N, input_dim)."""
        return self.decoder(z)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        mu, logvar = self.encode(x)
        recon = self.decode(self.reparameterize(mu, logvar))
        return recon.reshape(*x.shape), mu, logvar

    def sample(self, n: int, generator: np.random.Generator | None = None) -> Tensor:
        """``n`` new examples decoded from codes z ~ N(0, I): probabilities (bernoulli) or means."""
        rng = generator if generator is not None else default_generator()
        z = Tensor(rng.standard_normal((check_int("VAE.sample", "n", n), self.latent_dim)).astype(np.float32))
        with no_grad():
            out = self.decode(z)
        return out.sigmoid() if self.likelihood == "bernoulli" else out


def vae_loss(recon: Tensor, x: Tensor, mu: Tensor, logvar: Tensor, beta: float = 1.0,
             reconstruction: str = "bce", return_parts: bool = False):
    """The VAE's loss: the negative evidence lower bound (ELBO), averaged over the batch.

    For each example, with q(z|x) = N(mu, diag(sigma^2)) and the prior p(z) = N(0, I)::

        ELBO = E_q[log p(x|z)] - KL(q(z|x) || p(z))  <=  log p(x)

        loss = recon_term + beta * KL
        recon_term = sum_i BCEWithLogits(recon_i, x_i)      'bce': Bernoulli pixels, recon are logits
                   = sum_i (recon_i - x_i)^2                'mse': Gaussian pixels with fixed variance,
                                                                   up to a scale and a constant
        KL = -1/2 sum_j (1 + logvar_j - mu_j^2 - exp(logvar_j))     (closed form for two Gaussians)

    Both terms are *summed* over the features of one example (that is the log-likelihood of the whole
    example), then averaged over the batch. The expectation over q is estimated with the one z sampled in
    the forward pass. ``beta = 1`` is the ELBO; ``beta > 1`` (beta-VAE) pushes the codes towards the prior
    at the cost of blurrier reconstructions.

    Parameters
    ----------
    recon : Tensor
        The decoder's output, the shape of ``x``: logits for 'bce', means for 'mse'.
    x : Tensor
        The input; in [0, 1] for 'bce'.
    mu, logvar : Tensor
        (N, latent_dim), from the encoder.
    beta : float, default 1.0
    reconstruction : {'bce', 'mse'}, default 'bce'
    return_parts : bool, default False
        Also return the two terms: ``(loss, recon_term, kl)``.

    Examples
    --------
    >>> recon, mu, logvar = vae(x)
    >>> loss = vae_loss(recon, x, mu, logvar, beta=1.0)
    >>> loss.backward()
    """
    if reconstruction not in ("bce", "mse"):
        raise ConfigError(f"vae_loss: reconstruction must be 'bce' (Bernoulli, logits) or 'mse' (Gaussian), "
                          f"got {reconstruction!r}")
    if isinstance(beta, bool) or not isinstance(beta, int | float) or beta < 0:
        raise ConfigError(f"vae_loss: beta must be a number >= 0, got {beta!r}")
    if not isinstance(x, Tensor):
        x = Tensor(np.asarray(x, dtype=recon.data.dtype))
    batch = recon.shape[0] if recon.ndim else 1
    if reconstruction == "bce":
        recon_term = F.binary_cross_entropy_with_logits(recon, x, reduction="sum") / batch
    else:
        recon_term = F.mse_loss(recon, x, reduction="sum") / batch
    kl = (1.0 + logvar - mu * mu - exp(logvar)).sum() * (-0.5 / batch)
    loss = recon_term + kl * float(beta)
    return (loss, recon_term, kl) if return_parts else loss
