"""Mean-field theory against wide random CNNs built with our initializers.

Real CIFAR-10 crops go through `DEPTH` 3x3 convolutions of `WIDTH` channels
(float64) with circular padding (the theory's translation-invariant setting;
zero padding starves border pixels), initialized with `DeltaOrthogonal`,
`ConvOrthogonal` or the variance-`sigma_w2 / fan_in` Gaussian that
`critical_initializers` uses, each layer with its own draw. The measured
pre-activation second moment, per-layer perturbation growth and correlation
between two images are compared with q*, chi_1 and the correlation map.
"""

import math

import keras
import numpy as np
import pytest

from keras_deepinit import theory
from keras_deepinit.data import archives
from keras_deepinit.data import get_spec
from keras_deepinit.initializers import ConvOrthogonal
from keras_deepinit.initializers import DeltaOrthogonal
from keras_deepinit.layers import CircularPadding2D

WIDTH = 256
DEPTH = 24
SIGMA_W2, SIGMA_B2 = 1.3, 0.2  # tanh, ordered phase: q* = 0.592, chi_1 = 0.729


@pytest.fixture(scope="module")
def crops(data_dir):
    """Four standardized 8x8 crops of real CIFAR-10 test images."""
    spec = get_spec("cifar10")
    images, _ = archives.read_split(spec, data_dir, "test")
    pixels = images[:4, 12:20, 12:20].astype("float64") / 255.0
    return (pixels - np.array(spec.mean)) / np.array(spec.std)


def kernel_initializer(kind, generator):
    gain = math.sqrt(SIGMA_W2)
    if kind == "delta_orthogonal":
        return DeltaOrthogonal(gain, seed=generator)
    if kind == "conv_orthogonal":
        return ConvOrthogonal(gain, seed=generator)
    return keras.initializers.VarianceScaling(
        SIGMA_W2, "fan_in", "untruncated_normal", seed=generator
    )


def pre_activations(kind, inputs):
    """h^l for l = 1..DEPTH, each of shape (batch, units)."""
    generator = keras.random.SeedGenerator(3)
    bias = keras.initializers.RandomNormal(stddev=math.sqrt(SIGMA_B2), seed=generator)
    x = keras.ops.convert_to_tensor(inputs)
    hidden = []
    for index in range(DEPTH):
        conv = keras.layers.Conv2D(
            WIDTH,
            3,
            kernel_initializer=kernel_initializer(kind, generator),
            bias_initializer=bias,
            dtype="float64",
        )
        x = x if index == 0 else keras.ops.tanh(x)
        h = conv(CircularPadding2D(1, dtype="float64")(x))
        hidden.append(keras.ops.convert_to_numpy(h).reshape(len(inputs), -1))
        x = h
    return hidden


@pytest.mark.parametrize("kind", ["delta_orthogonal", "conv_orthogonal", "gaussian"])
def test_conv_networks_follow_the_mean_field_maps(kind, crops):
    point = theory.analyze("tanh", SIGMA_W2, SIGMA_B2)
    perturbed = crops + 1e-6 * np.random.default_rng(0).normal(size=crops.shape)
    hidden = pre_activations(kind, np.concatenate([crops, perturbed]))

    # q^l relaxes to q* within a few xi_q (1.7 layers here).
    q = np.array([np.mean(h[:4] ** 2) for h in hidden])
    assert np.mean(q[-10:]) == pytest.approx(point.q_star, rel=0.05)

    # A small perturbation's squared norm grows by chi_1 per layer.
    delta = np.array([np.sum((h[4:] - h[:4]) ** 2) for h in hidden])
    growth = delta[1:] / delta[:-1]
    assert np.exp(np.mean(np.log(growth[-10:]))) == pytest.approx(point.chi_1, rel=0.05)

    # Once q has relaxed (layer 4 on), correlations of two real images follow
    # the correlation map (which assumes q = q*) to c* = 1.
    measured = [
        np.dot(h[0], h[1]) / np.sqrt(np.dot(h[0], h[0]) * np.dot(h[1], h[1]))
        for h in hidden
    ]
    start = 3
    predicted = theory.correlation_trajectory(
        "tanh", SIGMA_W2, SIGMA_B2, measured[start], DEPTH - 1 - start
    )
    np.testing.assert_allclose(measured[start:], predicted, atol=0.03)
    # Converged within 1e-3 of c* by the predicted depth, 6 xi_c (about 19).
    assert point.c_star == pytest.approx(1.0)
    converge_at = math.ceil(6 * point.xi_c)
    assert 1 - measured[converge_at] < 0.02
