"""A generative run, checked and built before any run folder exists: the config's fit to the model, the
data (its shape for the model, rescaled to the range the model outputs) and the model itself.

Every problem is a :class:`~neurona.errors.ConfigError` naming the config field (``loss``, ``gan``,
``model.data_dim``, ``data.options.as_images``, ...) and what was expected.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from typing import Any

import numpy as np

import neurona as nr
from neurona.errors import ConfigError, fmt_shape
from neurona.generative.kinds import LOSS_OPTIONS, LOSSES, WHY, generative_kind


@dataclasses.dataclass
class Prepared:
    """What a generative run trains on: the kind, the data (rescaled), the model and how the data was mapped."""

    kind: str
    bundle: Any
    split: Any
    model: Any
    data_range: dict[str, list[float]] | None  # {"from": [lo, hi], "to": [lo, hi]} when the data were rescaled

    @property
    def is_images(self) -> bool:
        shape = self.split.X_train.shape[1:]
        return len(shape) == 3 and shape[0] in (1, 3)


def check_config(config: Any, kind: str) -> None:
    """The fields that do not fit a generative model of this kind, as a ConfigError naming the field."""
    name, loss = config.model.name, config.loss.name
    if loss not in LOSSES[kind]:
        allowed = " or ".join(LOSSES[kind])
        raise ConfigError(f"loss: {loss!r} does not fit model {name!r}: {WHY[kind]}; use {allowed} (or leave "
                          f"loss out for {LOSSES[kind][0]})")
    if loss in LOSS_OPTIONS:
        for key in config.loss.options:
            if key not in LOSS_OPTIONS[loss]:
                if loss == "gan":
                    raise ConfigError(f"loss.options.{key}: the GAN loss takes no options; GAN training options "
                                      "(label_smoothing, d_steps, n_samples, sample_every) go in the gan: section")
                raise ConfigError(f"loss.options.{key}: {loss!r} takes {', '.join(LOSS_OPTIONS[loss])}")
        if loss == "elbo":
            likelihood = config.model.args.get("likelihood", "bernoulli")
            fits = {"bernoulli": "bce", "gaussian": "mse"}.get(likelihood)
            given = config.loss.options.get("reconstruction", fits)
            if fits is not None and given != fits:
                raise ConfigError(f"loss.options.reconstruction: {given!r} does not fit model.likelihood "
                                  f"{likelihood!r}; a {likelihood} decoder needs {fits!r}")
    elif kind == "autoencoder" and loss == "bce" and config.model.args.get("output_activation", "sigmoid") != "sigmoid":
        raise ConfigError("loss: 'bce' needs probabilities: keep model.output_activation: sigmoid (the default), "
                          "or use mse")
    if config.gan is not None and kind != "gan":
        raise ConfigError(f"gan: this section holds GAN training options, but model {name!r} is not a GAN; "
                          "remove it")
    if config.metrics is not None:
        raise ConfigError(f"metrics: a {kind} run logs its own quantities (reconstruction error, KL, D and G "
                          "losses); remove metrics")
    if kind == "gan":
        o = config.optimizer
        if o.name != "adam":
            raise ConfigError(f"optimizer.name: GANs train both networks with adam (as train_gan does), got {o.name!r}")
        if o.weight_decay or o.options:
            raise ConfigError("optimizer: a GAN run takes lr and betas only (weight_decay and options are not used)")
        if config.schedule is not None:
            raise ConfigError("schedule: GAN runs keep a constant learning rate; remove schedule")
        if config.training.early_stopping is not None:
            raise ConfigError("training.early_stopping: a GAN's losses do not tell when to stop (they oscillate "
                              "around the equilibrium); remove early_stopping")
        if config.training.l2:
            raise ConfigError("training.l2: not used by GAN runs; remove it")


def _output_range(kind: str, model: Any) -> tuple[float, float] | None:
    """The range of the model's output, which the data must share (None: unbounded)."""
    from neurona.nn import activation as act

    if kind == "vae":
        return (0.0, 1.0) if model.likelihood == "bernoulli" else None
    net = model.generator if kind == "gan" else getattr(model, "decoder", model)
    last = getattr(model, "output_activation", None) or list(net.children())[-1]
    if isinstance(last, act.Sigmoid):
        return 0.0, 1.0
    if isinstance(last, act.Tanh):
        return -1.0, 1.0
    return None


def rescale(split: Any, target: tuple[float, float] | None) -> tuple[Any, dict | None]:
    """The split with every part mapped by one affine map (fitted on the training part's overall min and
    max, so images keep their relative intensities) into ``target``, clipped; and the map as a dict."""
    if target is None:
        return split, None
    low, high = float(split.X_train.min()), float(split.X_train.max())
    if not high > low:
        raise ConfigError(f"data: every training value is {low}; there is nothing to learn")
    lo, hi = target

    def apply(X: np.ndarray) -> np.ndarray:
        return np.clip(lo + (X - low) * ((hi - lo) / (high - low)), lo, hi).astype(np.float32)

    parts = {f: apply(getattr(split, f)) for f in ("X_train", "X_val", "X_test")}
    return dataclasses.replace(split, **parts), {"from": [low, high], "to": [lo, hi]}


def _gan_arguments(name: str, args: dict, shape: tuple[int, ...], bundle: Any) -> dict:
    """Fill in data_dim (gan) or channels and image_size (dcgan) from the data, checking given ones."""
    if name == "gan":
        given = args.setdefault("data_dim", int(np.prod(shape)))
        if given != int(np.prod(shape)):
            raise ConfigError(f"model.data_dim: {given} does not match dataset {bundle.name!r}, whose samples have "
                              f"{int(np.prod(shape))} values (shape {fmt_shape(shape)}); leave data_dim out")
        return args
    if len(shape) != 3 or shape[1] != shape[2]:
        side = math.isqrt(int(np.prod(shape)))
        hint = (" (set data.options.as_images: true)" if side * side == int(np.prod(shape)) and side >= 4 else "")
        raise ConfigError(f"model: dcgan generates square images (C, H, W) but dataset {bundle.name!r} has samples "
                          f"of shape {fmt_shape(shape)}{hint}; for vector data use model.name: gan")
    for key, value in (("channels", shape[0]), ("image_size", shape[1])):
        if args.setdefault(key, value) != value:
            raise ConfigError(f"model.{key}: {args[key]} does not match dataset {bundle.name!r}, whose images are "
                              f"{fmt_shape(shape)}; leave {key} out")
    if shape[1] < 4 or shape[1] & (shape[1] - 1):
        raise ConfigError(f"model: dcgan needs images whose side is a power of two >= 4, dataset {bundle.name!r} has "
                          f"{fmt_shape(shape)}")
    return args


def build(config: Any, kind: str, shape: tuple[int, ...], bundle: Any) -> Any:
    """The model of a generative config, with the sizes the data implies filled in."""
    from neurona.experiment import _construct
    from neurona.models import MODELS

    name, args = config.model.name, config.model.args
    if kind == "gan":
        args = _gan_arguments(name, args, shape, bundle)
    else:
        if name == "conv_autoencoder" and len(shape) != 3:
            raise ConfigError(f"model: conv_autoencoder needs images (C, H, W) but dataset {bundle.name!r} has "
                              f"samples of shape {fmt_shape(shape)}; set data.options.as_images: true, or use "
                              "dense_autoencoder")
        accepted = inspect.signature(MODELS[name].__init__).parameters
        guesses = {"input_dim": int(np.prod(shape)), "in_channels": shape[0], "input_size": shape[-1]}
        for key, value in guesses.items():
            if key in accepted and key not in args:
                args[key] = value
    return _construct(MODELS[name], args, "model")


def prepare_generative(config: Any, quick: bool = False) -> Prepared:
    """Check the config, load and rescale the data, build the model (seeded): all before a run folder exists."""
    from neurona.experiment import load_split

    kind = generative_kind(config)
    if kind is None:
        raise ConfigError(f"model.name: {config.model.name!r} is not an autoencoder, VAE or GAN")
    check_config(config, kind)
    nr.manual_seed(config.seed)
    bundle, split = load_split(config, quick)
    if len(split.X_train) < 2:
        raise ConfigError(f"data: only {len(split.X_train)} training samples; a generative model needs more")
    if config.model.name == "gan" and split.X_train.ndim > 2:  # a dense GAN sees each sample as one vector
        split = dataclasses.replace(split, **{f: getattr(split, f).reshape(len(getattr(split, f)), -1)
                                              for f in ("X_train", "X_val", "X_test")})
    model = build(config, kind, tuple(split.X_train.shape[1:]), bundle)
    split, data_range = rescale(split, _output_range(kind, model))
    return Prepared(kind, bundle, split, model, data_range)
