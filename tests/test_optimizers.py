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
