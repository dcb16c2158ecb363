import time

import keras
import numpy as np
import pytest

from keras_deepinit.initializers import ConvOrthogonal
from keras_deepinit.initializers import DeltaOrthogonal
from keras_deepinit.initializers import critical_initializers
from keras_deepinit.initializers import initialize_stack
from keras_deepinit.initializers import stacked
from keras_deepinit.layers import CircularPadding2D
from keras_deepinit.layers import ConvStack2D

from backend_gradients import BACKEND
from backend_gradients import model_gradients
from backend_gradients import numpy


def as_numpy(x):
    return keras.ops.convert_to_numpy(x)


def stack_model(
    depth=6,
    padding="circular",
    recompute=False,
    seed=0,
    shards=None,
    activation="tanh",
):
    kernel_init, bias_init = critical_initializers(
        "tanh", sigma_b2=0.05, seed=keras.random.SeedGenerator(seed)
    )
    inputs = keras.Input((6, 6, 4))
    x = ConvStack2D(
        depth,
        activation=activation,
        padding=padding,
        recompute=recompute,
        shards=shards,
        kernel_initializer=kernel_init,
        bias_initializer=bias_init,
        name="stack",
    )(inputs)
    outputs = keras.layers.Dense(3)(keras.layers.GlobalAveragePooling2D()(x))
    return keras.Model(inputs, outputs)


def sequential_twin(model, padding, activation="tanh"):
    """The same network with one Keras Conv2D per layer, weights copied."""
    stack = model.get_layer("stack")
    kernels, biases = stack.get_weights()
    layers = [keras.Input((6, 6, 4))]
    for _ in range(stack.depth):
        if padding == "circular":
            layers.append(CircularPadding2D.for_kernel(3))
        conv = keras.layers.Conv2D(
            4,
            3,
            padding="valid" if padding == "circular" else "same",
            activation=activation,
        )
        layers.append(conv)
    layers += [keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(3)]
    twin = keras.Sequential(layers)
    convs = [layer for layer in twin.layers if isinstance(layer, keras.layers.Conv2D)]
    for conv, kernel, bias in zip(convs, kernels, biases, strict=True):
        conv.set_weights([kernel, bias])
    twin.layers[-1].set_weights(model.layers[-1].get_weights())
    return twin


@pytest.mark.parametrize("padding", ["circular", "zero"])
@pytest.mark.parametrize("recompute", [False, True])
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_gradients_match_the_layer_by_layer_network(padding, recompute, activation):
    # 7 layers: recomputed as segments of 3, 3 and 1.
    model = stack_model(7, padding, recompute, activation=activation)
    twin = sequential_twin(model, padding, activation)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(5, 6, 6, 4)).astype("float32")
    weights = rng.normal(size=(5, 3)).astype("float32")
    outputs, dx, (d_kernels, d_biases, *d_dense) = model_gradients(model, x, weights)
    twin_outputs, twin_dx, twin_grads = model_gradients(twin, x, weights)
    np.testing.assert_allclose(outputs, twin_outputs, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dx, twin_dx, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(d_kernels, twin_grads[0:-2:2], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(d_biases, twin_grads[1:-2:2], rtol=1e-4, atol=1e-5)
    for grad, twin_grad in zip(d_dense, twin_grads[-2:], strict=True):
        np.testing.assert_allclose(grad, twin_grad, rtol=1e-4, atol=1e-5)
    assert np.abs(d_kernels).max() > 1e-3


@pytest.mark.parametrize(
    "padding, recompute, shards",
    [
        ("circular", False, None),
        ("zero", False, None),
        ("circular", True, None),
        ("zero", True, None),
        ("circular", False, 2),
        ("zero", True, 3),
    ],
)
def test_training_step_matches_the_layer_by_layer_network(padding, recompute, shards):
    model = stack_model(padding=padding, recompute=recompute, shards=shards)
    twin = sequential_twin(model, padding)
    x = np.random.default_rng(0).normal(size=(5, 6, 6, 4)).astype("float32")
    y = np.array([0, 1, 2, 1, 0])
    np.testing.assert_allclose(numpy(model(x)), numpy(twin(x)), rtol=1e-5, atol=1e-6)
    for net in (model, twin):
        net.compile(
            keras.optimizers.SGD(0.5),
            keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        net.fit(x, y, epochs=3, batch_size=5, verbose=0)
    kernels, biases = model.get_layer("stack").get_weights()
    convs = [layer for layer in twin.layers if isinstance(layer, keras.layers.Conv2D)]
    np.testing.assert_allclose(
        kernels, [conv.get_weights()[0] for conv in convs], atol=2e-5
    )
    np.testing.assert_allclose(
        biases, [conv.get_weights()[1] for conv in convs], atol=2e-5
    )


@pytest.mark.parametrize("batch, recompute", [(1, False), (3, True)])
def test_batches_smaller_than_the_shards_predict_and_train(batch, recompute):
    # One image to serve, or a last evaluation batch of 1, with 4 shards.
    model = stack_model(recompute=recompute, shards=4)
    twin = sequential_twin(model, "circular")
    x = np.random.default_rng(1).normal(size=(batch, 6, 6, 4)).astype("float32")
    y = np.arange(batch) % 3
    np.testing.assert_allclose(numpy(model(x)), numpy(twin(x)), rtol=1e-5, atol=1e-6)
    for net in (model, twin):
        net.compile(
            keras.optimizers.SGD(0.5),
            keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        net.fit(x, y, epochs=2, batch_size=batch, verbose=0)
    kernels, _ = model.get_layer("stack").get_weights()
    convs = [layer for layer in twin.layers if isinstance(layer, keras.layers.Conv2D)]
    np.testing.assert_allclose(
        kernels, [conv.get_weights()[0] for conv in convs], atol=2e-5
    )


def test_keras_file_round_trip(tmp_path):
    model = stack_model()
    x = np.random.default_rng(1).normal(size=(2, 6, 6, 4)).astype("float32")
    path = tmp_path / "stack.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0)
    )
    stack = loaded.get_layer("stack")
    assert isinstance(stack, ConvStack2D) and stack.depth == 6
    original = model.get_layer("stack")
    assert isinstance(stack.kernel_initializer, DeltaOrthogonal)
    assert stack.kernel_initializer.gain == original.kernel_initializer.gain
    for key in ("depth", "kernel_size", "activation", "padding", "recompute", "shards"):
        assert stack.get_config()[key] == original.get_config()[key]


@pytest.mark.tf_only
def test_saved_model_export_matches_predict(tmp_path):
    import tensorflow as tf

    model = stack_model(depth=20)
    x = np.random.default_rng(2).normal(size=(3, 6, 6, 4)).astype("float32")
    model.export(str(tmp_path / "export"), format="tf_saved_model", verbose=False)
    served = tf.saved_model.load(str(tmp_path / "export"))
    np.testing.assert_allclose(served.serve(x), model.predict(x, verbose=0), atol=1e-6)


def test_kernels_are_addressable_per_layer_and_distinct():
    model = stack_model(depth=4)
    kernel = model.get_layer("stack").kernel
    assert tuple(kernel.shape) == (4, 3, 3, 4, 4)
    first, second = as_numpy(kernel)[0], as_numpy(kernel)[1]
    assert not np.allclose(first, second)
    # Delta-Orthogonal: only the centre tap, an orthogonal matrix times gain.
    centre = first[1, 1]
    gain2 = np.sum(centre**2) / 4
    np.testing.assert_allclose(centre @ centre.T, gain2 * np.eye(4), atol=1e-5)
    assert np.count_nonzero(first) == np.count_nonzero(centre)


@pytest.mark.parametrize(
    "initializer, per_kernel_variance",
    [
        (
            keras.initializers.VarianceScaling(
                2.0, "fan_in", "untruncated_normal", seed=1
            ),
            2 / 36,
        ),
        (keras.initializers.GlorotNormal(seed=1), 2 / 72),
    ],
)
def test_variance_scaling_stacks_keep_each_kernels_variance(
    initializer, per_kernel_variance
):
    stack = as_numpy(initialize_stack(initializer, 500, (3, 3, 4, 4)))
    assert tuple(stack.shape) == (500, 3, 3, 4, 4)
    assert np.var(stack) == pytest.approx(per_kernel_variance, rel=0.05)


def test_conv_orthogonal_stacks_are_drawn_per_layer():
    stack = as_numpy(initialize_stack(ConvOrthogonal(seed=3), 3, (3, 3, 4, 4)))
    assert not np.allclose(stack[0], stack[1])


@pytest.mark.parametrize(
    "initializer",
    [DeltaOrthogonal(seed=5), keras.initializers.GlorotNormal(seed=5)],
    ids=["delta_orthogonal", "glorot"],
)
def test_big_stacks_are_drawn_in_distinct_reproducible_chunks(initializer, monkeypatch):
    monkeypatch.setattr(stacked, "CHUNK", 4)
    stack = as_numpy(initialize_stack(initializer, 10, (3, 3, 4, 4)))
    assert stack.shape == (10, 3, 3, 4, 4)
    assert not np.allclose(stack[:4], stack[4:8])  # an int seed, yet chunks differ
    np.testing.assert_array_equal(
        stack, as_numpy(initialize_stack(initializer, 10, (3, 3, 4, 4)))
    )
    if isinstance(initializer, DeltaOrthogonal):
        centres = stack[:, 1, 1]
        np.testing.assert_allclose(
            centres @ np.swapaxes(centres, 1, 2),
            np.broadcast_to(np.eye(4), (10, 4, 4)),
            atol=1e-5,
        )
        assert np.count_nonzero(stack) == np.count_nonzero(centres)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"depth": 0}, "Received: depth=0"),
        ({"depth": 3, "kernel_size": 2.5}, "Received: kernel_size=2.5"),
        ({"depth": 3, "padding": "valid"}, "Received: padding='valid'"),
        ({"depth": 3, "shards": 0}, "Received: shards=0"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ConvStack2D(**kwargs)


# Slow on PyTorch: 10,000 Python-level convolutions forward and back.
SLOW_ON_TORCH = pytest.mark.slow if BACKEND == "torch" else ()


@pytest.mark.parametrize(
    "recompute", [pytest.param(r, marks=SLOW_ON_TORCH) for r in (False, True)]
)
def test_depth_10000_builds_and_takes_a_training_step(recompute):
    start = time.perf_counter()
    inputs = keras.Input((4, 4, 2))
    stack = ConvStack2D(10_000, recompute=recompute, name="stack")
    outputs = keras.layers.Dense(2)(
        keras.layers.GlobalAveragePooling2D()(stack(inputs))
    )
    model = keras.Model(inputs, outputs)
    # Squared error: a gradient whatever the logits (a saturated softmax
    # could give none).
    model.compile(keras.optimizers.SGD(0.1), "mse")
    before = as_numpy(stack.kernel)[[0, -1]]
    x = np.random.default_rng(0).normal(size=(2, 4, 4, 2)).astype("float32")
    history = model.fit(x, np.zeros((2, 2)), epochs=1, batch_size=2, verbose=0)
    after = as_numpy(stack.kernel)[[0, -1]]
    assert np.isfinite(history.history["loss"][0])
    # Delta-Orthogonal kernels are isometries: the first layer's kernel gets a
    # gradient through 10,000 layers.
    assert not np.allclose(before, after)
    print(f"{BACKEND}: built and stepped in {time.perf_counter() - start:.1f} s")
