import keras
import numpy as np
import pytest

from keras_deepinit import optimizers
from keras_deepinit import training


def two_group_model():
    inputs = keras.Input((3,))
    hidden = keras.layers.Dense(3, use_bias=False, name="body")(inputs)
    outputs = keras.layers.Dense(1, use_bias=False, name="head")(hidden)
    model = keras.Model(inputs, outputs)
    model.get_layer("body").set_weights([np.eye(3, dtype="float32")])
    model.get_layer("head").set_weights([np.ones((3, 1), "float32")])
    return model


@pytest.mark.parametrize("name", ["sgd", "adam"])
def test_multiplier_scales_only_its_group(name):
    x = np.array([[1.0, 2.0, 3.0]], "float32")
    y = np.array([[0.0]], "float32")
    updates = {}
    for multipliers in (None, {"body": 0.1}):
        model = two_group_model()
        model.compile(
            training.make_optimizer(name, 0.01, momentum=0.0, multipliers=multipliers),
            "mse",
        )
        model.train_on_batch(x, y)
        updates[multipliers is None] = [
            model.get_layer(layer).get_weights()[0] - start
            for layer, start in (("body", np.eye(3)), ("head", np.ones((3, 1))))
        ]
    (body, head), (plain_body, plain_head) = updates[False], updates[True]
    np.testing.assert_allclose(body, 0.1 * plain_body, rtol=1e-5)
    np.testing.assert_allclose(head, plain_head, rtol=1e-6)
    assert np.abs(plain_body).min() > 0


def test_longest_prefix_wins_and_config_round_trips():
    optimizer = optimizers.LayerwiseAdam(
        1e-3, multipliers={"body": 0.5, "body/kernel": 0.25}
    )
    assert optimizer.multiplier("body/kernel") == 0.25
    assert optimizer.multiplier("body/bias") == 0.5
    assert optimizer.multiplier("logits/kernel") == 1.0
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert isinstance(restored, optimizers.LayerwiseAdam)
    assert restored.multipliers == optimizer.multipliers


def test_saved_model_file_keeps_the_multipliers(tmp_path):
    model = two_group_model()
    model.compile(optimizers.LayerwiseSGD(0.1, multipliers={"body": 0.1}), "mse")
    model.train_on_batch(np.ones((1, 3), "float32"), np.zeros((1, 1), "float32"))
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert loaded.optimizer.multipliers == {"body": 0.1}


@pytest.mark.parametrize(
    "multipliers, message",
    [
        ({"body": 0}, r"Received: multipliers\['body'\]=0"),
        ({"body": True}, r"Received: multipliers\['body'\]=True"),
        ({"": 0.1}, "Received: ''"),
    ],
)
def test_bad_multipliers(multipliers, message):
    with pytest.raises(ValueError, match=message):
        optimizers.LayerwiseAdam(multipliers=multipliers)


def test_an_unknown_variable_is_an_error_not_a_rate_of_one():
    # If Keras ever passes update_step something build() did not see, the
    # layer-wise rates must fail loudly rather than silently become 1.
    model = two_group_model()
    optimizer = optimizers.LayerwiseSGD(0.1, multipliers={"body": 0.1})
    optimizer.build(model.trainable_variables)
    stranger = keras.Variable(np.zeros((3,), "float32"), name="stranger")
    with pytest.raises(ValueError, match="cannot tell which variable"):
        optimizer.update_step(np.ones((3,), "float32"), stranger, 0.1)


MIRRORED_SCRIPT = """
import numpy as np, tensorflow as tf, keras
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration()] * 2
)
from keras_deepinit import optimizers

def updates(strategy):
    with strategy.scope():
        inputs = keras.Input((3,))
        hidden = keras.layers.Dense(
            3, use_bias=False, name="body", kernel_initializer="identity"
        )(inputs)
        outputs = keras.layers.Dense(
            1, use_bias=False, name="head", kernel_initializer="ones"
        )(hidden)
        model = keras.Model(inputs, outputs)
        model.compile(optimizers.LayerwiseAdam(0.01, multipliers={"body": 0.1}), "mse")
    x = np.arange(12, dtype="float32").reshape(4, 3)
    model.fit(x, np.zeros((4, 1), "float32"), batch_size=4, epochs=3, verbose=0)
    body, head = model.get_weights()
    return body - np.eye(3), head - 1.0

one = updates(tf.distribute.get_strategy())
two = updates(tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]))
for a, b in zip(one, two):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
print(np.abs(one[0]).max() / np.abs(one[1]).max())
"""


@pytest.mark.tf_only
def test_multipliers_under_mirrored_strategy():
    # Under tf.distribute, update_step gets each replica's copy of a variable.
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", MIRRORED_SCRIPT],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    # Adam's first steps move every weight by about the learning rate.
    assert float(result.stdout.split()[-1]) == pytest.approx(0.1, rel=0.02)
