"""Data sets for the course, each returned as a :class:`DatasetBundle` (arrays, names, description,
licence) that can ``split()`` itself into train/validation/test parts.

    from neurona import datasets
    bundle = datasets.iris()                  # or datasets.load("iris")
    split = bundle.split(val=0.15, test=0.15, scale="standard")
    train_loader = DataLoader(split.train, batch_size=16, shuffle=True)

- offline, bundled: :func:`iris`, :func:`digits`, :func:`wine`, :func:`breast_cancer`, :func:`diabetes`
  (scikit-learn's files) and :func:`boston_housing` (shipped CSV, with its ethics note);
- generated, the TensorFlow Playground's 2-D sets: :func:`circle`, :func:`xor`, :func:`gauss`,
  :func:`spiral`, :func:`reg_plane`, :func:`reg_gauss`, and :func:`blobs`;
- generated signals, for audio and video: :func:`waveforms`, :func:`sine_forecast`, :func:`moving_shapes`,
  and :func:`ring_of_gaussians` for GANs;
- from files you downloaded: :func:`mnist`, :func:`fashion_mnist`, :func:`cifar10` (binary version).

:func:`available`, :func:`describe_all` and :func:`load` list and load them by name.
"""

from neurona.datasets.base import DatasetBundle, Split
from neurona.datasets.bundled import boston_housing, breast_cancer, diabetes, digits, iris, wine
from neurona.datasets.images import cifar10, fashion_mnist, mnist, read_idx
from neurona.datasets.playground import blobs, circle, gauss, reg_gauss, reg_plane, spiral, xor
from neurona.datasets.registry import available, describe_all, load
from neurona.datasets.signals import moving_shapes, ring_of_gaussians, sine_forecast, waveforms

__all__ = [
    "DatasetBundle",
    "Split",
    "available",
    "blobs",
    "boston_housing",
    "breast_cancer",
    "cifar10",
    "circle",
    "describe_all",
    "diabetes",
    "digits",
    "fashion_mnist",
    "gauss",
    "iris",
    "load",
    "mnist",
    "moving_shapes",
    "read_idx",
    "reg_gauss",
    "reg_plane",
    "ring_of_gaussians",
    "sine_forecast",
    "spiral",
    "waveforms",
    "wine",
    "xor",
]
