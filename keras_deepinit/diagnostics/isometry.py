"""Dynamical isometry of vanilla CNNs: Jacobian spectra per initializer."""

import os

import keras
import numpy as np

from keras_deepinit import theory
from keras_deepinit.diagnostics.jacobian import jacobian_singular_values
from keras_deepinit.initializers import NETWORK_KINDS
from keras_deepinit.initializers import network_initializers
from keras_deepinit.layers import CircularPadding2D

INITIALIZERS = NETWORK_KINDS


def plain_cnn(
    depth,
    width,
    spatial,
    kernel_initializer,
    bias_initializer,
    activation="tanh",
    kernel_size=3,
    circular=True,
):
    """A vanilla CNN: `depth` convolutions of `width` channels, nothing else.

    With `circular=True` each convolution sees circularly padded input, the
    setting in which orthogonal kernels make each layer exactly orthogonal.
    """
    layers = [keras.Input((spatial, spatial, width))]
    for index in range(depth):
        if circular:
            layers.append(
                CircularPadding2D.for_kernel(kernel_size, name=f"pad_{index}")
            )
        layers.append(
            keras.layers.Conv2D(
                width,
                kernel_size,
                padding="valid" if circular else "same",
                activation=activation,
                kernel_initializer=kernel_initializer,
                bias_initializer=bias_initializer,
                name=f"conv_{index}",
            )
        )
    return keras.Sequential(layers, name=f"plain_cnn_{depth}")


def isometry_spectra(
    initializers=INITIALIZERS,
    depth=64,
    width=16,
    spatial=8,
    activation="tanh",
    sigma_b2=2.01e-5,
    examples=2,
    seed=0,
):
    """Jacobian singular values of critical plain CNNs, one per initializer.

    Inputs are Gaussian with per-unit variance q*, the fixed point the signal
    settles at, as the mean-field theory assumes.

    Returns:
        A dict of initializer name to the flat array of singular values over
        `examples` inputs.
    """
    point = theory.critical_point(activation, sigma_b2=sigma_b2)
    rng = np.random.default_rng(seed)
    shape = (examples, spatial, spatial, width)
    inputs = rng.normal(scale=np.sqrt(point.q_star), size=shape).astype("float32")
    spectra = {}
    for kind in initializers:
        # One generator per network: every layer draws its own kernel.
        generator = keras.random.SeedGenerator(seed)
        kernel_init, bias_init = network_initializers(
            kind, activation, sigma_b2=sigma_b2, seed=generator
        )
        model = plain_cnn(depth, width, spatial, kernel_init, bias_init, activation)
        spectra[kind] = jacobian_singular_values(model, inputs).ravel()
    return spectra


def fraction_near_one(values, low=0.5, high=2.0):
    """Share of singular values within [low, high]."""
    values = np.asarray(values)
    return float(np.mean((values >= low) & (values <= high)))


def plot_spectra(spectra, out, title=None):
    """Histograms of Jacobian singular values (log scale), one per initializer.

    Builds a `matplotlib.figure.Figure` of its own, without pyplot, so the
    user's matplotlib backend and open figures are left as they are.

    Args:
        spectra: a dict of initializer name to singular values, as returned
            by `isometry_spectra`.
        out: path of the image to write; its folder is created.
        title: the plot's title.

    Returns:
        `out`.
    """
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 4.5))
    axis = figure.subplots()
    values = np.concatenate(list(spectra.values()))
    low = max(values[values > 0].min(), 1e-8)
    bins = np.logspace(np.log10(low), np.log10(values.max()), 80)
    for kind, singular_values in spectra.items():
        share = 100 * fraction_near_one(singular_values)
        axis.hist(
            np.clip(singular_values, low, None),
            bins=bins,
            histtype="step",
            linewidth=1.5,
            label=f"{kind} ({share:.0f}% in [0.5, 2])",
        )
    axis.axvspan(0.5, 2.0, color="grey", alpha=0.15)
    axis.set_xscale("log")
    axis.set_xlabel(
        f"singular value of the input-output Jacobian (below {low:.0e} drawn at it)"
    )
    axis.set_ylabel("count")
    axis.set_title(title or "Jacobian spectra")
    axis.legend(fontsize=8)
    figure.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    figure.savefig(out, dpi=120)
    return out
