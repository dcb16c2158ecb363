import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_deepinit.layers import HSICBottleneck
from keras_deepinit.losses import HSICLoss


def batch(m=12, seed=0):
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(m, 6)).astype("float32"),
        (np.arange(m) % 3).astype("int32"),
    )


def test_without_labels_it_is_the_identity_and_adds_nothing():
    layer = HSICBottleneck(num_classes=3)
    x = np.arange(6.0, dtype="float32").reshape(2, 3)
    np.testing.assert_array_equal(layer(x), x)
    assert layer.losses == []


def test_adds_its_blocks_objective():
    inputs, labels = batch()
    hidden = np.tanh(inputs[:, :4])
    layer = HSICBottleneck(beta=20.0, sigma=2.0, num_classes=3)
    layer(hidden, inputs=inputs, labels=labels)
    expected = HSICLoss(beta=20.0, sigma=2.0, num_classes=3)((inputs, labels), hidden)
    assert len(layer.losses) == 1
    np.testing.assert_allclose(float(layer.losses[0]), float(expected), rtol=1e-6)


def test_no_gradient_crosses_it_in_a_functional_model():
    images = keras.Input((6,))
    labels = keras.Input((), dtype="int32")
    first = keras.layers.Dense(5, activation="tanh", name="first")
    second = keras.layers.Dense(4, activation="tanh", name="second")
    z1 = HSICBottleneck(sigma=2.0, num_classes=3, name="b1")(
        first(images), inputs=images, labels=labels
    )
    z2 = HSICBottleneck(sigma=2.0, num_classes=3, name="b2")(
        second(z1), inputs=images, labels=labels
    )
    model = keras.Model([images, labels], z2)
    x, y = batch()
    with tf.GradientTape(persistent=True) as tape:
        model([x, y])
        first_loss, second_loss = model.losses
    assert all(g is None for g in tape.gradient(second_loss, first.trainable_weights))
    assert all(g is None for g in tape.gradient(first_loss, second.trainable_weights))
    for loss, layer in ((first_loss, first), (second_loss, second)):
        assert all(
            float(tf.reduce_max(tf.abs(g))) > 0
            for g in tape.gradient(loss, layer.trainable_weights)
        )


def test_serializes_and_rejects_labels_without_inputs():
    layer = HSICBottleneck(
        beta=3.0, sigma=4.0, measure="cka", num_classes=5, stop_gradient=False
    )
    restored = HSICBottleneck.from_config(layer.get_config())
    assert restored.get_config() == layer.get_config()
    with pytest.raises(ValueError, match="inputs=None"):
        layer(np.ones((4, 2), "float32"), labels=np.arange(4))
