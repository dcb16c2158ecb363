"""Mean-field theory against wide random Keras networks fed real MNIST digits.

Each network is a `keras.Sequential` of `Dense` layers (float64) with kernels
drawn from `RandomNormal(stddev=sqrt(sigma_w2 / fan_in))` (not truncated) and
biases from `RandomNormal(stddev=sqrt(sigma_b2))`, seeded. Tolerances are about
three times the spread seen over seeds at these widths and depths.
"""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_deepinit import theory
from keras_deepinit.data import archives
from keras_deepinit.data import get_spec

WIDTH = 1000
DEPTH = 30
PAIRS = 16
SEED = 7

KERAS_ACTIVATIONS = {
    "tanh": "tanh",
    "relu": "relu",
    "erf": keras.ops.erf,
    "gelu": lambda x: keras.activations.gelu(x, approximate=False),
}

# Four ordered points (c* = 1) and one chaotic one (c* < 1), each with the
# relative tolerance of a layer's q. relu's and gelu's q is noisier: phi^2 has
# a heavier tail, and q relaxes more slowly (xi_q = 3.5 and 2.4 layers).
POINTS = {
    "tanh-ordered": ("tanh", 1.3, 0.2, 0.08),
    "relu": ("relu", 1.5, 0.1, 0.3),
    "erf": ("erf", 1.0, 0.2, 0.08),
    "gelu": ("gelu", 1.5, 0.2, 0.2),
    "tanh-chaotic": ("tanh", 4.0, 0.5, 0.08),
}


@pytest.fixture(scope="module")
def digits(data_dir):
    """The first 64 MNIST test digits, flattened and standardized."""
    spec = get_spec("mnist")
    images, _ = archives.read_split(spec, data_dir, "test")
    pixels = images[:64].reshape(64, -1) / 255.0
    return (pixels - spec.mean[0]) / spec.std[0]


def random_network(activation, sigma_w2, sigma_b2, depth, width, seed, weights):
    """`depth` Dense layers of `width` units, each followed by the activation."""
    layers = [keras.Input((784,), dtype="float64")]
    for index in range(depth):
        fan_in = 784 if index == 0 else width
        if weights == "orthogonal" and index > 0:
            kernel = keras.initializers.Orthogonal(math.sqrt(sigma_w2), seed + index)
        else:
            kernel = keras.initializers.RandomNormal(
                stddev=math.sqrt(sigma_w2 / fan_in), seed=seed + index
            )
        bias = keras.initializers.RandomNormal(
            stddev=math.sqrt(sigma_b2), seed=seed + 1000 + index
        )
        layers += [
            keras.layers.Dense(
                width,
                kernel_initializer=kernel,
                bias_initializer=bias if sigma_b2 > 0 else "zeros",
                dtype="float64",
                name=f"dense_{index}",
            ),
            keras.layers.Activation(
                KERAS_ACTIVATIONS[activation], dtype="float64", name=f"phi_{index}"
            ),
        ]
    return keras.Sequential(layers)


def preactivations(model, inputs):
    """The output of every Dense layer, h^1 to h^depth."""
    outputs, h = [], inputs
    for layer in model.layers:
        h = layer(h)
        if isinstance(layer, keras.layers.Dense):
            outputs.append(h)
    return outputs


def at_length(inputs, q, sigma_w2, sigma_b2):
    """Rescales each input so that the first layer's `q^1` is `q`."""
    norms = np.mean(inputs**2, axis=1, keepdims=True)
    return inputs * np.sqrt((q - sigma_b2) / sigma_w2 / norms)


def one_minus_correlation(a, b):
    """`1 - c` per row pair, exact also near `c = 1`."""
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return np.sum((a - b) ** 2, axis=1) / 2


@pytest.fixture(scope="module", params=sorted(POINTS))
def measured(request, digits):
    """Lengths, Jacobian-vector norms and pair correlations along depth."""
    activation, sigma_w2, sigma_b2, q_rtol = POINTS[request.param]
    point = theory.analyze(activation, sigma_w2, sigma_b2)
    model = random_network(
        activation, sigma_w2, sigma_b2, DEPTH, WIDTH, SEED, "gaussian"
    )
    raw = preactivations(model, tf.constant(digits[: 2 * PAIRS]))
    inputs = tf.constant(
        at_length(digits[: 2 * PAIRS], point.q_star, sigma_w2, sigma_b2)
    )
    tangents = tf.constant(np.random.default_rng(SEED).normal(size=inputs.shape))
    with tf.autodiff.ForwardAccumulator(inputs, tangents) as accumulator:
        at_q_star = preactivations(model, inputs)
    return {
        "point": point,
        "q_rtol": q_rtol,
        "q_raw": np.array([np.mean(h.numpy() ** 2, axis=1) for h in raw]),
        "jvp": np.array([np.sum(accumulator.jvp(h).numpy() ** 2) for h in at_q_star]),
        "gap": np.array(
            [one_minus_correlation(h[:PAIRS], h[PAIRS:]) for h in at_q_star]
        ),
    }


def test_length_map_predicts_measured_q(measured):
    point = measured["point"]
    q = measured["q_raw"]  # (depth, examples), from unscaled digits
    predicted = [q[0]]
    for _ in range(DEPTH - 1):
        predicted.append(
            [
                theory.length_map(point.activation, point.sigma_w2, point.sigma_b2, x)
                for x in predicted[-1]
            ]
        )
    # Each layer's q is off by a few % (its own random weights and biases, and
    # digits that grow alike with depth); windows of 5 layers average some out.
    windows = (DEPTH // 5, -1)
    np.testing.assert_allclose(
        q.reshape(windows).mean(axis=1),
        np.reshape(predicted, windows).mean(axis=1),
        rtol=measured["q_rtol"],
    )
    # The last 20 layers sit at q*.
    assert np.mean(q[-20:]) == pytest.approx(point.q_star, rel=measured["q_rtol"] / 2)


def test_chi_1_is_the_growth_of_jacobian_vector_products(measured):
    point = measured["point"]
    jvp = measured["jvp"]
    growth = (jvp[-1] / jvp[4]) ** (1 / (DEPTH - 5))
    assert growth == pytest.approx(point.chi_1, rel=0.03)


def test_correlations_follow_the_correlation_map(measured):
    point = measured["point"]
    c = 1 - measured["gap"]
    predicted = theory.correlation_trajectory(
        point.activation, point.sigma_w2, point.sigma_b2, c[0], DEPTH - 1
    )
    # Chaotic correlations fluctuate longer before settling (chi_c = 0.87).
    atol = 0.05 if point.c_star == 1 else 0.08
    np.testing.assert_allclose(c.mean(axis=1), predicted.mean(axis=1), atol=atol)


def test_correlations_converge_over_xi_c(measured):
    point = measured["point"]
    if point.c_star < 1:
        # Chaotic: c settles at c*, up to finite-width noise.
        c = 1 - measured["gap"]
        assert np.mean(c[15:]) == pytest.approx(point.c_star, abs=0.03)
        return
    # Ordered: 1 - c^l shrinks by exp(-1 / xi_c) per layer.
    layers = np.arange(10, DEPTH)
    slope = np.polyfit(layers, np.log(measured["gap"][10:]).mean(axis=1), 1)[0]
    assert -1 / slope == pytest.approx(point.xi_c, rel=0.1)


@pytest.mark.parametrize("weights", ["gaussian", "orthogonal"])
def test_jacobian_spectrum_moments(digits, weights):
    sigma_w2, sigma_b2, depth = 1.5, 0.05, 10
    point = theory.analyze("tanh", sigma_w2, sigma_b2)
    # One projection layer from the pixels, then `depth` square layers.
    model = random_network("tanh", sigma_w2, sigma_b2, depth + 1, 300, SEED, weights)
    h1 = model.layers[0](
        tf.constant(at_length(digits[:4], point.q_star, sigma_w2, sigma_b2))
    )
    with tf.GradientTape() as tape:
        tape.watch(h1)
        h = h1
        for layer in model.layers[1:-1]:
            h = layer(h)
    jacobians = tape.batch_jacobian(h, h1).numpy()
    squared = np.concatenate([np.linalg.eigvalsh(j @ j.T) for j in jacobians])
    m1, m2 = squared.mean(), np.mean(squared**2)
    predicted = theory.jacobian_spectrum_moments(
        "tanh", sigma_w2, sigma_b2, depth, weights
    )
    # Over 8 seeds at this width, m1 is off by 10% (std) and the normalized
    # variance by 3.5%: every layer's mean of phi'^2 is an average of 300 units.
    assert m1 == pytest.approx(float(predicted.m1), rel=0.3)
    assert m2 / m1**2 - 1 == pytest.approx(
        float(predicted.normalized_variance), rel=0.12
    )
