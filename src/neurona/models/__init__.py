"""Reference models of the course, each usable by name from a YAML config.

    from neurona.models import LeNet5, build_model
    model = LeNet5(input_size=8)                       # or build_model("lenet5", input_size=8)

==================== =========================== ==============================================
name                 class                       what it is
==================== =========================== ==============================================
mlp                  :class:`MLP`                fully connected network
lenet5               :class:`LeNet5`             LeCun et al. 1998 CNN (61,706 params on 28x28)
convnet              :class:`ConvNet`            small VGG-style CNN
sequence_classifier  :class:`SequenceClassifier` (Embedding) -> RNN/LSTM/GRU -> Linear
seq2one              :class:`Seq2One`            RNN forecaster of a 1-D signal
conv1dnet            :class:`Conv1dNet`          1-D CNN for raw waveforms
dense_autoencoder    :class:`DenseAutoencoder`   MLP encoder/decoder
conv_autoencoder     :class:`ConvAutoencoder`    strided conv encoder, transposed-conv decoder
vae                  :class:`VAE`                variational autoencoder (loss: :func:`vae_loss`)
gan                  :class:`GAN`                MLP generator and discriminator
dcgan                :class:`DCGAN`              convolutional GAN for small images
==================== =========================== ==============================================
"""

from __future__ import annotations

import difflib
import inspect

from neurona.errors import ConfigError
from neurona.generative.kinds import KINDS
from neurona.models.autoencoder import VAE, ConvAutoencoder, DenseAutoencoder, vae_loss
from neurona.models.conv1d import Conv1dNet
from neurona.models.convnet import ConvNet
from neurona.models.gan import DCGAN, GAN
from neurona.models.lenet import LeNet5
from neurona.models.mlp import MLP, make_activation
from neurona.models.recurrent import Seq2One, SequenceClassifier
from neurona.nn.module import Module

MODELS: dict[str, type[Module]] = {
    "mlp": MLP,
    "lenet5": LeNet5,
    "convnet": ConvNet,
    "sequence_classifier": SequenceClassifier,
    "seq2one": Seq2One,
    "conv1dnet": Conv1dNet,
    "dense_autoencoder": DenseAutoencoder,
    "conv_autoencoder": ConvAutoencoder,
    "vae": VAE,
    "gan": GAN,
    "dcgan": DCGAN,
}


def build_model(name: str, **kwargs) -> Module:
    """A reference model by its registry name (:data:`MODELS`), built with ``kwargs``.

    Names are case-insensitive and ``-`` works for ``_`` (``'Dense-Autoencoder'``).

    Raises
    ------
    ConfigError
        An unknown name (the message lists the valid ones), or arguments the model does not take.

    Examples
    --------
    >>> build_model("lenet5", input_size=8).num_parameters()
    21386
    """
    key = name.strip().lower().replace("-", "_") if isinstance(name, str) else name
    if key not in MODELS:
        close = difflib.get_close_matches(str(key), list(MODELS), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"unknown model {name!r}.{hint} Valid names: {', '.join(MODELS)}.")
    cls = MODELS[key]
    valid = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    unknown = [k for k in kwargs if k not in valid]
    if unknown:
        raise ConfigError(f"model {key!r} ({cls.__name__}) takes no argument(s) {', '.join(map(repr, unknown))}; "
                          f"its arguments are: {', '.join(valid)}")
    return cls(**kwargs)


__all__ = [
    "DCGAN",
    "GAN",
    "MLP",
    "MODELS",
    "VAE",
    "Conv1dNet",
    "ConvAutoencoder",
    "ConvNet",
    "DenseAutoencoder",
    "LeNet5",
    "Seq2One",
    "SequenceClassifier",
    "build_model",
    "make_activation",
    "vae_loss",
]


FROM_DATA = ("num_classes", "in_channels", "input_size", "input_dim", "input_features")
"""Arguments that ``neurona train`` fills in from the dataset when a config leaves them out."""
FROM_DATA_GAN = {"gan": ("data_dim",), "dcgan": ("channels", "image_size")}
"""The same for the GANs (neurona.generative.prepare): the size of a sample, or the images' shape."""


def describe_models() -> list[dict]:
    """One row per reference model, as a config names it: ``name``, ``class``, a one-line ``description``
    (the class docstring's first line), its ``options`` with their defaults, and the arguments ``neurona
    train`` fills in from the data (``from_data``). The MLP's ``widths`` appear as the config's ``hidden``."""
    rows = []
    for name, cls in MODELS.items():
        options, from_data = {}, []
        for param in list(inspect.signature(cls.__init__).parameters.values())[1:]:
            if param.name in FROM_DATA or param.name in FROM_DATA_GAN.get(name, ()):
                from_data.append(param.name)
            elif name == "mlp" and param.name == "widths":
                options["hidden"] = [32]
            else:
                default = param.default
                options[param.name] = "required" if default is inspect.Parameter.empty else (
                    list(default) if isinstance(default, tuple) else default)
        doc = (cls.__doc__ or "").strip().splitlines()
        rows.append({"name": name, "class": cls.__name__, "description": doc[0].rstrip(":").replace("``", "") if doc else "",
                     "options": options, "from_data": from_data})
        kind = KINDS.get(name)
        if kind is not None:  # generative: the task and the loss follow from the model
            rows[-1]["trains"] = {"autoencoder": "on its own input (targets = inputs); loss: mse (default), l1, "
                                                 "huber, smooth_l1 or bce",
                                  "vae": "on its own input; loss: elbo (implied; options beta, reconstruction)",
                                  "gan": "without targets; loss: gan (implied); options in the gan: section"}[kind]
    return rows
