import keras
import numpy as np
import pytest

from keras_deepinit.layers import HSICBottleneck
from keras_deepinit.losses import HSICLoss

from backend_gradients import variable_gradients


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


def test_a_fit_step_moves_each_layer_by_its_own_objective_only():
    images = keras.Input((6,))
    labels = keras.Input((), dtype="int32")
    first = keras.layers.Dense(5, activation="tanh", name="first")
    second = keras.layers.Dense(4, activation="tanh", name="second")
    z1 = HSICBottleneck(sigma=2.0, measure="cka", num_classes=3, name="b1")(
        first(images), inputs=images, labels=labels
    )
    z2 = HSICBottleneck(sigma=2.0, measure="cka", num_classes=3, name="b2")(
        second(z1), inputs=images, labels=labels
    )
    model = keras.Model([images, labels], z2)
    x, y = batch()
    objective = HSICLoss(sigma=2.0, measure="cka", num_classes=3)
    # By hand: each layer minus the gradient of its own block's objective.
    expected = []
    for chain in ([first], [first, second]):

        def loss(chain=chain):
            hidden = x
            for layer in chain:
                hidden = layer(hidden)
            return objective((x, y), hidden)

        _, gradients = variable_gradients(loss, chain[-1].trainable_weights)
        expected += [
            keras.ops.convert_to_numpy(w) - 0.1 * g
            for w, g in zip(chain[-1].trainable_weights, gradients, strict=True)
        ]
    model.compile(keras.optimizers.SGD(0.1))  # Trains on the added losses only.
    model.fit([x, y], batch_size=len(x), epochs=1, shuffle=False, verbose=0)
    got = [keras.ops.convert_to_numpy(w) for w in model.trainable_weights]
    for want, have in zip(expected, got, strict=True):
        np.testing.assert_allclose(have, want, rtol=1e-4, atol=1e-6)


def test_serializes_and_rejects_labels_without_inputs():
    layer = HSICBottleneck(
        beta=3.0, sigma=4.0, measure="cka", num_classes=5, stop_gradient=False
    )
    restored = HSICBottleneck.from_config(layer.get_config())
    assert restored.get_config() == layer.get_config()
    with pytest.raises(ValueError, match="inputs=None"):
        layer(np.ones((4, 2), "float32"), labels=np.arange(4))
