"""One contract for every class the package registers with Keras, on every backend.

Each registered class has an example below; the contract checks its config
round trip, a `.keras` round trip with the same outputs, and, for layers, the
`mixed_bfloat16` policy (bfloat16 compute, float32 variables). A class
registered without an example fails `test_every_registered_class_has_an_example`.
"""

import keras
import numpy as np
import pytest

import keras_deepinit.initializers as initializers
import keras_deepinit.layers as layers
import keras_deepinit.losses as losses
import keras_deepinit.metrics as metrics
import keras_deepinit.models as models
import keras_deepinit.optimizers as optimizers

PACKAGE = "keras_deepinit"

# Layer name -> (constructor kwargs, input shape without the batch axis).
LAYERS = {
    "CircularPadding1D": ({"padding": 2}, (6, 3)),
    "CircularPadding2D": ({"padding": (1, 2)}, (5, 6, 3)),
    "CircularPadding3D": ({"padding": 1}, (4, 4, 4, 2)),
    "SkipInitScalar": ({"initial_value": 0.5}, (5,)),
    "ScalarBias": ({}, (5,)),
    "ConvStack2D": ({"depth": 3}, (5, 5, 4)),
    "ResidualStack2D": ({"num_blocks": 3, "alpha_init": 0.1}, (4, 4, 4)),
    "OrthogonalDense": ({"units": 4, "group_size": 2}, (6,)),
    "OrthogonalConv1D": ({"filters": 4, "kernel_size": 3}, (7, 3)),
    "OrthogonalConv2D": ({"filters": 4, "kernel_size": 3}, (6, 6, 3)),
    "OrthogonalConv3D": ({"filters": 4, "kernel_size": 2}, (4, 4, 4, 2)),
    "HSICBottleneck": ({"num_classes": 3}, (6,)),
}
INITIALIZERS = {
    "DeltaOrthogonal": {"gain": 1.2, "seed": 3},
    "ConvOrthogonal": {"gain": 1.0, "seed": 3},
}
OPTIMIZERS = {
    "LayerwiseSGD": {"learning_rate": 0.1, "multipliers": {"head": 0.5}},
    "LayerwiseAdam": {"learning_rate": 0.01, "multipliers": {"head": 0.5}},
}
LOSSES = {"HSICLoss": {"beta": 10.0, "sigma": 2.0, "num_classes": 3}}
METRICS = {"UnformattedAccuracy": {"num_classes": 3}}
MODELS = {"HSICTrainer"}
MODULES = (initializers, layers, losses, metrics, models, optimizers)


def registered_names():
    return sorted(
        name.split(">", 1)[1]
        for name in keras.saving.get_custom_objects()
        if name.startswith(PACKAGE + ">")
    )


def test_every_registered_class_has_an_example():
    examples = {*LAYERS, *INITIALIZERS, *OPTIMIZERS, *LOSSES, *METRICS, *MODELS}
    assert set(registered_names()) == examples


def test_every_public_class_is_registered():
    public = {
        name
        for module in MODULES
        for name, value in vars(module).items()
        if isinstance(value, type)
        and value.__module__.startswith(PACKAGE)
        and not name.startswith("_")
    }
    assert public <= set(registered_names())


def get_class(name):
    return keras.saving.get_registered_object(f"{PACKAGE}>{name}")


def assert_config_round_trip(instance):
    config = instance.get_config()
    clone = type(instance).from_config(config)
    assert clone.get_config() == config
    serialized = keras.saving.serialize_keras_object(instance)
    restored = keras.saving.deserialize_keras_object(serialized)
    assert type(restored) is type(instance)
    assert restored.get_config() == config
    return clone


def inputs_for(shape, seed=0):
    return np.random.default_rng(seed).normal(size=(2, *shape)).astype("float32")


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_contract(name, tmp_path):
    kwargs, shape = LAYERS[name]
    layer = get_class(name)(**kwargs, name="under_test")
    assert_config_round_trip(layer)
    x = inputs_for(shape)
    inputs = keras.Input(shape)
    model = keras.Model(inputs, layer(inputs))
    expected = keras.ops.convert_to_numpy(model(x))
    assert expected.shape == tuple(model.compute_output_shape((2, *shape)))
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(x)), expected, rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_mixed_bfloat16(name):
    kwargs, shape = LAYERS[name]
    layer = get_class(name)(**kwargs, dtype="mixed_bfloat16")
    outputs = layer(inputs_for(shape))
    assert keras.backend.standardize_dtype(outputs.dtype) == "bfloat16"
    assert all(v.dtype == "float32" for v in layer.weights)
    assert np.isfinite(
        keras.ops.convert_to_numpy(keras.ops.cast(outputs, "float32"))
    ).all()


@pytest.mark.parametrize("name", sorted(INITIALIZERS))
def test_initializer_contract(name):
    initializer = get_class(name)(**INITIALIZERS[name])
    clone = assert_config_round_trip(initializer)
    shape = (3, 3, 4, 4)
    first = keras.ops.convert_to_numpy(initializer(shape))
    again = keras.ops.convert_to_numpy(clone(shape))
    np.testing.assert_allclose(first, again)  # an int seed draws the same kernel
    assert first.shape == shape
    half = initializer(shape, dtype="bfloat16")
    assert keras.backend.standardize_dtype(half.dtype) == "bfloat16"


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_contract(name):
    optimizer = get_class(name)(**OPTIMIZERS[name])
    assert_config_round_trip(optimizer)
    model = keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Dense(2, name="head"),
            keras.layers.Dense(1, name="tail"),
        ]
    )
    model.compile(optimizer, "mse")
    before = [keras.ops.convert_to_numpy(w) for w in model.trainable_weights]
    model.fit(inputs_for((3,)), np.ones((2, 1), "float32"), verbose=0)
    after = [keras.ops.convert_to_numpy(w) for w in model.trainable_weights]
    assert all(not np.allclose(a, b) for a, b in zip(after, before, strict=True))


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_contract(name):
    loss = get_class(name)(**LOSSES[name])
    clone = assert_config_round_trip(loss)
    x = inputs_for((6,))
    labels = np.array([0, 2], "int64")
    z = inputs_for((4,), seed=1)
    value = keras.ops.convert_to_numpy(loss((x, labels), z))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(clone((x, labels), z)), value)
    assert np.isfinite(value)


@pytest.mark.parametrize("name", sorted(METRICS))
def test_metric_contract(name):
    metric = get_class(name)(**METRICS[name])
    clone = assert_config_round_trip(metric)
    for m in (metric, clone):
        m.update_state([0, 1, 2], [[0, 9, 0], [0, 0, 9], [9, 0, 0]])
    assert float(metric.result()) == float(clone.result()) == 1.0


def test_model_contract(tmp_path):
    blocks = [
        keras.Sequential([keras.layers.Dense(5, activation="relu")]),
        keras.Sequential([keras.layers.Dense(3)]),
    ]
    trainer = models.HSICTrainer(blocks, beta=10.0, sigma=2.0, num_classes=3)
    x = inputs_for((6,))
    expected = keras.ops.convert_to_numpy(trainer(x))
    assert_config_round_trip(trainer)
    path = tmp_path / "trainer.keras"
    trainer.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(x)), expected, rtol=1e-5, atol=1e-6
    )
