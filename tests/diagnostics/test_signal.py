import doctest

import keras
import numpy as np
import pytest

from keras_deepinit.diagnostics import signal
from keras_deepinit.diagnostics import signal_statistics


def chain_model(weights):
    layers = [keras.Input((weights[0].shape[0],))]
    for index, kernel in enumerate(weights):
        layers.append(
            keras.layers.Dense(
                kernel.shape[1],
                activation="tanh",
                use_bias=False,
                name=f"dense_{index}",
            )
        )
    model = keras.Sequential(layers)
    for layer, kernel in zip(model.layers, weights, strict=True):
        layer.set_weights([kernel])
    return model


def test_statistics_match_a_hand_computed_pass():
    rng = np.random.default_rng(1)
    weights = [rng.normal(size=(5, 5)) / np.sqrt(5) for _ in range(3)]
    x = rng.normal(size=(4, 5))
    model = chain_model(weights)

    stats = signal_statistics(model, x.astype("float32"))

    # Forward: h_l = tanh(h_{l-1} W_l).
    hidden = [x]
    for kernel in weights:
        hidden.append(np.tanh(hidden[-1] @ kernel))
    # Backward from 0.5 * ||y||^2 / batch: dL/dy = y / batch.
    grads = [None] * 3
    grad = hidden[-1] / len(x)
    for index in reversed(range(3)):
        grads[index] = grad
        pre_grad = grad * (1 - hidden[index + 1] ** 2)
        weight_grad = hidden[index].T @ pre_grad
        grad = pre_grad @ weights[index].T
        np.testing.assert_allclose(
            stats["weight_gradient_norm"][index], np.linalg.norm(weight_grad), rtol=1e-4
        )

    assert stats["layers"] == ["dense_0", "dense_1", "dense_2"]
    expected_rms = [np.sqrt(np.mean(h**2)) for h in hidden[1:]]
    np.testing.assert_allclose(stats["activation_rms"], expected_rms, rtol=1e-5)
    np.testing.assert_allclose(
        stats["gradient_rms"], [np.sqrt(np.mean(g**2)) for g in grads], rtol=1e-4
    )


def test_targets_use_the_compiled_loss():
    model = chain_model([np.eye(3)])
    model.compile(loss="mse")
    x = np.ones((2, 3), "float32")
    at_target = signal_statistics(model, x, np.tanh(x))
    off_target = signal_statistics(model, x, np.zeros_like(x))
    assert at_target["weight_gradient_norm"][0] == pytest.approx(0.0, abs=1e-7)
    assert off_target["weight_gradient_norm"][0] > 0.1


def test_targets_without_a_loss_are_refused():
    model = chain_model([np.eye(3)])
    with pytest.raises(ValueError, match="Received: loss=None"):
        signal_statistics(model, np.ones((2, 3), "float32"), np.ones((2, 3), "float32"))


def test_a_residual_model_with_unknown_sizes_is_watched():
    # The gradient on the block's output reaches its input through the skip.
    inputs = keras.Input((None, 2))
    hidden = keras.layers.Dense(2, kernel_initializer="identity", name="block")(inputs)
    outputs = keras.layers.Add()([inputs, hidden])
    model = keras.Model(inputs, outputs)
    x = np.ones((2, 3, 2), "float32")
    stats = signal_statistics(model, x)
    # y = x + x = 2, dL/dy = y / batch = 1, the same on the block's output.
    np.testing.assert_allclose(stats["activation_rms"], [1.0], rtol=1e-6)
    np.testing.assert_allclose(stats["gradient_rms"], [1.0], rtol=1e-6)


def test_docstring_examples():
    result = doctest.testmod(
        signal, extraglobs={"np": np, "keras": keras}, verbose=False
    )
    assert result.attempted and not result.failed
