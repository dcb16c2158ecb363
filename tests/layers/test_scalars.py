import doctest
import re

import keras
import numpy as np
import pytest

from keras_deepinit.layers import ScalarBias
from keras_deepinit.layers import SkipInitScalar
from keras_deepinit.layers import scalars


def to_numpy(x):
    return keras.ops.convert_to_numpy(x)


def residual_model(alpha):
    inputs = keras.Input((4,))
    branch = keras.layers.Dense(4, activation="tanh", name="branch")(inputs)
    scaled = SkipInitScalar(alpha, name="skip")(branch)
    return keras.Model(inputs, keras.layers.Add()([inputs, scaled]))


def test_block_at_zero_is_the_identity_with_no_branch_gradient():
    model = residual_model(0.0)
    x = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")
    np.testing.assert_array_equal(to_numpy(model(x)), x)
    branch = to_numpy(model.get_layer("branch")(x))
    before = {w.path: to_numpy(w) for w in model.trainable_weights}
    # One SGD step at learning rate 1 moves each weight by minus its gradient,
    # on every backend. The loss is mean over examples of sum(y ** 2).
    model.compile(
        keras.optimizers.SGD(1.0),
        lambda y_true, y_pred: keras.ops.sum(y_pred**2, axis=-1),
    )
    model.train_on_batch(x, np.zeros_like(x))
    grads = {w.path: before[w.path] - to_numpy(w) for w in model.trainable_weights}
    np.testing.assert_array_equal(grads["branch/kernel"], 0.0)
    np.testing.assert_array_equal(grads["branch/bias"], 0.0)
    # d loss / d alpha = mean(sum(2 x * branch(x))), not zero for a random branch.
    expected = np.sum(2 * x * branch) / len(x)
    np.testing.assert_allclose(grads["skip/alpha"], expected, rtol=1e-4)
    assert abs(float(grads["skip/alpha"])) > 1e-3


def test_initial_value_scales_the_input():
    layer = SkipInitScalar(initial_value=0.25)
    np.testing.assert_allclose(to_numpy(layer(np.full((2, 3), 4.0))), np.ones((2, 3)))
    assert [w.path for w in layer.trainable_weights] == [layer.name + "/alpha"]


def test_fixed_scalar_is_not_trained():
    layer = SkipInitScalar(1.0, trainable=False)
    layer.build((None, 3))
    assert not layer.trainable_weights and len(layer.non_trainable_weights) == 1


def test_keeps_the_input_dtype():
    layer = SkipInitScalar(0.5, dtype="mixed_bfloat16")
    y = layer(np.ones((2, 2), "float32"))
    assert keras.backend.standardize_dtype(y.dtype) == "bfloat16"


def test_save_and_load(tmp_path):
    model = residual_model(0.1)
    model.get_layer("skip").alpha.assign(0.7)
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    x = np.ones((2, 4), "float32")
    np.testing.assert_allclose(to_numpy(loaded(x)), to_numpy(model(x)), rtol=1e-6)
    assert float(to_numpy(loaded.get_layer("skip").alpha)) == pytest.approx(0.7)
    config = SkipInitScalar(0.3, name="s").get_config()
    assert SkipInitScalar.from_config(config).initial_value == 0.3


def test_scalar_bias_adds_its_value_and_round_trips(tmp_path):
    inputs = keras.Input((3,))
    model = keras.Model(inputs, ScalarBias(0.5, name="shift")(inputs))
    np.testing.assert_allclose(to_numpy(model(np.ones((1, 3)))), [[1.5, 1.5, 1.5]])
    model.get_layer("shift").scalar.assign(-2.0)
    model.save(tmp_path / "bias.keras")
    loaded = keras.saving.load_model(tmp_path / "bias.keras")
    np.testing.assert_allclose(to_numpy(loaded(np.ones((1, 3)))), [[-1.0, -1.0, -1.0]])
    assert [w.path for w in loaded.trainable_weights] == ["shift/bias"]


@pytest.mark.parametrize("layer_class", [SkipInitScalar, ScalarBias])
@pytest.mark.parametrize("value", ["0", None, True, [0.0]])
def test_rejects_a_non_number(layer_class, value):
    with pytest.raises(ValueError, match=re.escape(f"initial_value={value!r}")):
        layer_class(value)


def test_docstring_examples():
    result = doctest.testmod(
        scalars, extraglobs={"np": np, "keras": keras}, verbose=False
    )
    assert result.attempted and not result.failed
