import time

import keras
import numpy as np
import pytest

from keras_deepinit.layers import ResidualStack2D
from keras_deepinit.layers import SkipInitScalar

from backend_gradients import BACKEND
from backend_gradients import model_gradients
from backend_gradients import numpy

SHAPE = (6, 6, 4)


def as_numpy(x):
    return keras.ops.convert_to_numpy(x)


def stack_model(normalization, blocks=3, alpha_init=0.0, conv_bias=True):
    inputs = keras.Input(SHAPE)
    x = ResidualStack2D(
        blocks,
        normalization=normalization,
        alpha_init=alpha_init,
        conv_bias=conv_bias,
        kernel_initializer=keras.initializers.HeNormal(seed=1),
        name="stack",
    )(inputs)
    outputs = keras.layers.Dense(3, name="logits")(
        keras.layers.GlobalAveragePooling2D()(x)
    )
    return keras.Model(inputs, outputs)


def apply_block(x, normalization, alpha_init, conv_bias, name):
    """One block of Keras layers: the branch of `ResidualStack2D`."""

    def activate(h, norm):
        if normalization == "batchnorm":
            h = keras.layers.BatchNormalization(name=f"{name}_{norm}")(h)
        return keras.layers.ReLU()(h)

    h = activate(x, "pre_bn")
    h = keras.layers.Conv2D(
        SHAPE[-1], 3, padding="same", use_bias=conv_bias, name=f"{name}_conv1"
    )(h)
    h = activate(h, "mid_bn")
    h = keras.layers.Conv2D(
        SHAPE[-1], 3, padding="same", use_bias=conv_bias, name=f"{name}_conv2"
    )(h)
    if normalization != "batchnorm":
        alpha = alpha_init if normalization == "skipinit" else 1.0
        h = SkipInitScalar(
            alpha, trainable=normalization == "skipinit", name=f"{name}_alpha"
        )(h)
    return keras.layers.Add()([x, h])


def keras_twin(model):
    """The same network with one Keras layer per operation, weights copied."""
    stack = model.get_layer("stack")
    inputs = keras.Input(SHAPE)
    x = inputs
    for block in range(stack.num_blocks):
        x = apply_block(
            x, stack.normalization, stack.alpha_init, stack.conv_bias, f"b{block}"
        )
    outputs = keras.layers.Dense(3, name="logits")(
        keras.layers.GlobalAveragePooling2D()(x)
    )
    twin = keras.Model(inputs, outputs)
    for stack_value, twin_variable in paired_weights(stack, twin):
        twin_variable.assign(stack_value)
    twin.get_layer("logits").set_weights(model.get_layer("logits").get_weights())
    return twin


def paired_weights(stack, twin, values=None):
    """Pairs (stack value, twin variable) of every weight, block by block.

    `values` maps a stack weight's name to the array to read instead of the
    weight's value (e.g. its gradient)."""
    values = values or {}

    def read(name, *index):
        value = values.get(name)
        if value is None:
            value = as_numpy(getattr(stack, name))
        return value[index]

    pairs = []
    for block in range(stack.num_blocks):
        for index in (1, 2):
            conv = twin.get_layer(f"b{block}_conv{index}")
            pairs.append((read(f"kernel{index}", block), conv.kernel))
            if stack.conv_bias:
                pairs.append((read(f"bias{index}", block), conv.bias))
        if stack.normalization == "batchnorm":
            for index, norm in ((0, "pre_bn"), (1, "mid_bn")):
                layer = twin.get_layer(f"b{block}_{norm}")
                for name in ("gamma", "beta", "moving_mean", "moving_variance"):
                    pairs.append((read(name, block, index), getattr(layer, name)))
        else:
            pairs.append(
                (read("alpha", block), twin.get_layer(f"b{block}_alpha").alpha)
            )
    return pairs


@pytest.mark.parametrize(
    "normalization, alpha_init, conv_bias",
    [
        ("skipinit", 0.0, True),
        ("skipinit", 0.3, False),
        ("batchnorm", 0.0, False),
        ("batchnorm", 0.0, True),
        ("none", 0.0, True),
    ],
)
def test_training_matches_the_layer_by_layer_network(
    normalization, alpha_init, conv_bias
):
    model = stack_model(normalization, alpha_init=alpha_init, conv_bias=conv_bias)
    twin = keras_twin(model)
    stack = model.get_layer("stack")
    initial = [value for value, _ in paired_weights(stack, twin)]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, *SHAPE)).astype("float32")
    y = rng.integers(0, 3, size=8)
    np.testing.assert_allclose(numpy(model(x)), numpy(twin(x)), rtol=1e-5, atol=1e-5)
    for net in (model, twin):
        net.compile(
            keras.optimizers.SGD(0.05),
            keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        net.fit(x, y, epochs=3, batch_size=4, shuffle=False, verbose=0)
    pairs = paired_weights(stack, twin)
    assert any(not np.allclose(a, b) for (a, _), b in zip(pairs, initial, strict=True))
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours, as_numpy(theirs), rtol=1e-4, atol=1e-5)
    # Inference (moving statistics for batch normalization) agrees too.
    np.testing.assert_allclose(
        model.predict(x, verbose=0), twin.predict(x, verbose=0), rtol=1e-4, atol=1e-5
    )


@pytest.mark.parametrize(
    "normalization, alpha_init", [("skipinit", 0.3), ("batchnorm", 0.0), ("none", 0.0)]
)
def test_gradients_match_the_layer_by_layer_network(normalization, alpha_init):
    model = stack_model(normalization, alpha_init=alpha_init)
    twin = keras_twin(model)
    rng = np.random.default_rng(4)
    x = rng.normal(size=(6, *SHAPE)).astype("float32")
    weights = rng.normal(size=(6, 3)).astype("float32")
    outputs, dx, grads = model_gradients(model, x, weights)
    twin_outputs, twin_dx, twin_grads = model_gradients(twin, x, weights)
    np.testing.assert_allclose(outputs, twin_outputs, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(dx, twin_dx, rtol=1e-4, atol=1e-5)
    stack = model.get_layer("stack")
    by_variable = dict(
        zip([id(v) for v in twin.trainable_variables], twin_grads, strict=True)
    )
    stack_grads = {
        v.name: g
        for v, g in zip(model.trainable_variables, grads, strict=True)
        if any(v is w for w in stack.trainable_variables)
    }
    compared = 0
    for ours, variable in paired_weights(stack, twin, stack_grads):
        if variable.trainable:
            np.testing.assert_allclose(
                ours, by_variable[id(variable)], rtol=1e-4, atol=1e-5
            )
            compared += 1
    assert compared == len(twin.trainable_variables) - 2  # all but the logits'
    assert np.abs(stack_grads["kernel1"]).max() > 1e-3


def test_skipinit_at_zero_is_the_identity_and_only_alpha_gets_gradient():
    stack = ResidualStack2D(4, normalization="skipinit")
    model = keras.Sequential([keras.Input(SHAPE), stack])
    x = np.random.default_rng(1).normal(size=(2, *SHAPE)).astype("float32")
    # The gradient of sum(y ** 2) at y = x.
    y, _, grads = model_gradients(model, x, 2 * x)
    np.testing.assert_array_equal(y, x)
    grads = dict(zip([w.name for w in stack.trainable_weights], grads, strict=True))
    for name in ("kernel1", "kernel2", "bias1", "bias2"):
        np.testing.assert_array_equal(grads[name], 0.0)
    assert np.all(np.abs(grads["alpha"]) > 1e-4)


def test_none_fixes_alpha_at_one():
    stack = ResidualStack2D(3, normalization="none")
    stack.build((None, *SHAPE))
    np.testing.assert_array_equal(as_numpy(stack.alpha), 1.0)
    assert "alpha" not in [w.name for w in stack.trainable_weights]


def trained_batchnorm_model():
    model = stack_model("batchnorm", blocks=5)
    x = np.random.default_rng(2).normal(size=(3, *SHAPE)).astype("float32")
    model.compile("sgd", "mse")
    model.fit(x, np.zeros((3, 3)), epochs=2, verbose=0)  # moving statistics move
    return model, x


def test_keras_file_round_trip(tmp_path):
    model, x = trained_batchnorm_model()
    path = tmp_path / "stack.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0)
    )
    stack = loaded.get_layer("stack")
    assert not np.allclose(as_numpy(stack.moving_mean), 0.0)
    assert stack.get_config() == model.get_layer("stack").get_config()


@pytest.mark.tf_only
def test_saved_model_export(tmp_path):
    import tensorflow as tf

    model, x = trained_batchnorm_model()
    model.export(str(tmp_path / "export"), format="tf_saved_model", verbose=False)
    served = tf.saved_model.load(str(tmp_path / "export"))
    np.testing.assert_allclose(served.serve(x), model.predict(x, verbose=0), atol=1e-5)


# Slow on PyTorch: 20,000 Python-level convolutions forward, again recomputed
# and back.
@pytest.mark.parametrize(
    "normalization",
    [pytest.param("batchnorm", marks=pytest.mark.slow if BACKEND == "torch" else ())],
)
def test_10000_blocks_build_and_take_a_training_step(normalization):
    start = time.perf_counter()
    inputs = keras.Input((4, 4, 2))
    stack = ResidualStack2D(10_000, normalization=normalization, name="stack")
    pooled = keras.layers.GlobalAveragePooling2D()(stack(inputs))
    model = keras.Model(inputs, keras.layers.Dense(2)(pooled))
    # Squared error: a gradient whatever the logits (a saturated softmax
    # could give none).
    model.compile(keras.optimizers.SGD(0.01), "mse")
    x = np.random.default_rng(0).normal(size=(2, 4, 4, 2)).astype("float32")
    before = as_numpy(stack.kernel1)[[0, -1]]
    history = model.fit(x, np.zeros((2, 2)), epochs=1, batch_size=2, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    # Small steps at this depth (the stream grows as sqrt(blocks)), but steps.
    assert not np.array_equal(before, as_numpy(stack.kernel1)[[0, -1]])
    assert not np.allclose(as_numpy(stack.moving_mean)[-1], 0.0)
    print(f"{BACKEND}: built and stepped in {time.perf_counter() - start:.1f} s")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_blocks": 0}, "Received: num_blocks=0"),
        ({"num_blocks": 2, "normalization": "layernorm"}, "normalization='layernorm'"),
        ({"num_blocks": 2, "alpha_init": "0"}, "Received: alpha_init='0'"),
        ({"num_blocks": 2, "kernel_size": 1.5}, "Received: kernel_size=1.5"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ResidualStack2D(**kwargs)
