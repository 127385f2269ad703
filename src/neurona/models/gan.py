"""Generative adversarial networks: ``GAN`` (two MLPs, for 2-D toy data such as the ring of Gaussians)
and ``DCGAN`` (transposed-convolution generator and convolutional discriminator, for 8x8 digits).

A GAN is two networks: the generator G maps noise z ~ N(0, I) to a fake example, the discriminator D
maps an example to one logit, "real" if positive. They are trained in turns, D to tell real from fake
and G to fool D, by :func:`neurona.train.gan.train_gan`. Both models here expose ``.generator``,
``.discriminator``, ``.latent_dim`` and ``.sample(n)``; calling the model runs the generator.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from neurona.errors import ConfigError, ShapeError, fmt_shape
from neurona.models._common import check_int, check_sizes
from neurona.models.mlp import MLP
from neurona.nn import activation as act
from neurona.nn.containers import Flatten, Sequential, Unflatten
from neurona.nn.conv import Conv2d, ConvTranspose2d
from neurona.nn.linear import Linear
from neurona.nn.module import Module
from neurona.nn.normalization import BatchNorm2d
from neurona.random import default_generator
from neurona.tensor import Tensor, no_grad


class _GenerativePair(Module):
    """What GAN and DCGAN share: ``forward(z) = generator(z)``, noise and sampling."""

    latent_dim: int

    def forward(self, z: Tensor) -> Tensor:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ShapeError(f"{type(self).__name__}(latent_dim={self.latent_dim}) generates from noise of shape "
                             f"(N, {self.latent_dim}), got {fmt_shape(z.shape)}; use model.noise(n)")
        return self.generator(z)

    def noise(self, n: int, generator: np.random.Generator | None = None) -> Tensor:
        """``n`` latent vectors z ~ N(0, I), (n, latent_dim), float32."""
        rng = generator if generator is not None else default_generator()
        return Tensor(rng.standard_normal((check_int("noise", "n", n), self.latent_dim)).astype(np.float32))

    def sample(self, n: int, generator: np.random.Generator | None = None) -> Tensor:
        """``n`` generated examples, without building a graph. The generator runs in eval mode (batch
        norm uses its running statistics) and is put back in the mode it was in."""
        was_training = self.generator.training
        self.generator.eval()
        try:
            with no_grad():
                return self.generator(self.noise(n, generator))
        finally:
            self.generator.train(was_training)


class GAN(_GenerativePair):
    """The original fully connected GAN (Goodfellow et al., 2014), sized for low-dimensional data::

        generator:     z (latent_dim) -> [Linear -> ReLU] per hidden -> Linear -> x (data_dim)
        discriminator: x (data_dim) -> [Linear -> LeakyReLU(0.2)] per hidden -> Linear -> logit (1)

    The generator's output is linear (data of any range, e.g. the ring of Gaussians of radius 2); the
    discriminator outputs a logit, for ``binary_cross_entropy_with_logits``. LeakyReLU in D keeps a
    gradient flowing to G even where D's units would be off (the DCGAN paper's advice).

    Parameters
    ----------
    latent_dim : int, default 2
    data_dim : int, default 2
    hidden : sequence of int, default (128, 128)
        Hidden widths of both networks.
    output_activation : {None, 'tanh', 'sigmoid'}, default None
        On the generator's output, for data scaled to [-1, 1] or [0, 1].

    Examples
    --------
    >>> gan = GAN(latent_dim=2, data_dim=2)
    >>> gan.sample(100).shape
    (100, 2)
    >>> gan.discriminator(gan.sample(4)).shape
    (4, 1)
    """

    def __init__(self, latent_dim: int = 2, data_dim: int = 2, hidden: Sequence[int] = (128, 128),
                 output_activation: str | None = None) -> None:
        super().__init__()
        check_int("GAN", "latent_dim", latent_dim)
        check_int("GAN", "data_dim", data_dim)
        hidden = check_sizes("GAN", "hidden", hidden, allow_empty=True)
        outputs = {None: None, "tanh": act.Tanh, "sigmoid": act.Sigmoid}
        if output_activation not in outputs:
            raise ConfigError(f"GAN: output_activation must be None, 'tanh' or 'sigmoid', got {output_activation!r}")
        generator = MLP([latent_dim, *hidden, data_dim], activation="relu")
        if output_activation is not None:
            generator.append(outputs[output_activation]())
        self.generator = generator
        layers, fan_in = [], data_dim
        for width in hidden:
            layers += [Linear(fan_in, width), act.LeakyReLU(0.2)]
            fan_in = width
        self.discriminator = Sequential(*layers, Linear(fan_in, 1))
        self.latent_dim, self.data_dim, self.hidden = latent_dim, data_dim, hidden


class DCGAN(_GenerativePair):
    """Deep convolutional GAN (Radford, Metz & Chintala, 2016), sized for small images (8x8 digits).

    For ``image_size = 8``, ``features = 32``::

        generator:     z -> Unflatten (latent, 1, 1)
                       -ConvTranspose2d(latent, 64, 2)-> BN -> ReLU            (64, 2, 2)
                       -ConvTranspose2d(64, 32, 4, stride 2, pad 1)-> BN -> ReLU  (32, 4, 4)
                       -ConvTranspose2d(32, C, 4, stride 2, pad 1)-> Tanh         (C, 8, 8)
        discriminator: x (C, 8, 8)
                       -Conv2d(C, 32, 4, stride 2, pad 1)-> LeakyReLU(0.2)        (32, 4, 4)
                       -Conv2d(32, 64, 4, stride 2, pad 1)-> BN -> LeakyReLU(0.2) (64, 2, 2)
                       -Conv2d(64, 1, 2)-> Flatten                                 logit (1)

    The DCGAN rules: no pooling (strided convolutions down, transposed convolutions up), batch norm in
    both networks except the generator's output and the discriminator's input, ReLU in G and LeakyReLU
    in D, Tanh on the generated images, weights from N(0, 0.02). So the real images must be scaled to
    [-1, 1] (digits: ``X / 8 - 1``). Larger powers of two add one stride-2 stage per doubling:
    ``image_size = 2 ** (stages + 1)``.

    Parameters
    ----------
    latent_dim : int, default 16
    channels : int, default 1
        Image channels (1 grey, 3 colour).
    image_size : int, default 8
        A power of two >= 4.
    features : int, default 32
        Channels of the generator's last hidden layer and the discriminator's first; they double per stage.

    Examples
    --------
    >>> dcgan = DCGAN(latent_dim=16, channels=1, image_size=8)
    >>> dcgan.sample(4).shape
    (4, 1, 8, 8)
    """

    def __init__(self, latent_dim: int = 16, channels: int = 1, image_size: int = 8, features: int = 32) -> None:
        super().__init__()
        check_int("DCGAN", "latent_dim", latent_dim)
        check_int("DCGAN", "channels", channels)
        check_int("DCGAN", "features", features)
        check_int("DCGAN", "image_size", image_size, 4)
        if image_size & (image_size - 1):
            raise ConfigError(f"DCGAN: image_size must be a power of two (4, 8, 16, 32, ...), got {image_size}")
        stages = int(math.log2(image_size)) - 1  # stride-2 stages between 2x2 and image_size
        widths = [features * 2 ** (stages - 1 - i) for i in range(stages)]  # e.g. [64, 32] for 8x8

        g = [Unflatten(1, (latent_dim, 1, 1)), ConvTranspose2d(latent_dim, widths[0], 2, bias=False),
             BatchNorm2d(widths[0]), act.ReLU()]
        for c_in, c_out in zip(widths[:-1], widths[1:]):
            g += [ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1, bias=False), BatchNorm2d(c_out), act.ReLU()]
        g += [ConvTranspose2d(widths[-1], channels, 4, stride=2, padding=1), act.Tanh()]
        self.generator = Sequential(*g)

        d, fan_in = [], channels
        for i, width in enumerate(reversed(widths)):
            d.append(Conv2d(fan_in, width, 4, stride=2, padding=1, bias=i == 0))
            d += [act.LeakyReLU(0.2)] if i == 0 else [BatchNorm2d(width), act.LeakyReLU(0.2)]
            fan_in = width
        d += [Conv2d(fan_in, 1, 2), Flatten()]
        self.discriminator = Sequential(*d)
        self.latent_dim, self.channels, self.image_size, self.features = latent_dim, channels, image_size, features
        self.apply(_dcgan_init)


def _dcgan_init(module: Module) -> None:
    """The DCGAN paper's initialisation: conv weights N(0, 0.02); batch-norm gamma N(1, 0.02), beta 0."""
    rng = default_generator()
    if isinstance(module, Conv2d | ConvTranspose2d):
        module.weight.data = rng.normal(0.0, 0.02, module.weight.shape).astype(module.weight.data.dtype)
        if module.bias is not None:
            module.bias.data = np.zeros_like(module.bias.data)
    elif isinstance(module, BatchNorm2d):
        module.weight.data = rng.normal(1.0, 0.02, module.weight.shape).astype(module.weight.data.dtype)
        module.bias.data = np.zeros_like(module.bias.data)

