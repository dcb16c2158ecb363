import doctest
import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_deepinit.layers import OrthogonalConv1D
from keras_deepinit.layers import OrthogonalConv2D
from keras_deepinit.layers import OrthogonalDense
from keras_deepinit.layers import orthogonal


def rows_of(kernel):
    """The kernel as the (units, inputs per unit) matrix W, in float64."""
    kernel = np.asarray(keras.ops.convert_to_numpy(kernel), np.float64)
    return kernel.reshape(-1, kernel.shape[-1]).T


def max_error(kernel, group_size):
    w = rows_of(kernel)
    groups = w.reshape(-1, group_size, w.shape[1])
    return np.abs(groups @ groups.transpose(0, 2, 1) - np.eye(group_size)).max()


def randomize(layer, seed=0):
    rng = np.random.default_rng(seed)
    for weight in layer.trainable_weights:
        weight.assign(rng.normal(size=weight.shape).astype("float32"))


@pytest.mark.parametrize(
    "kwargs", [{}, {"learnable_scale": True, "method": "newton", "iterations": 12}]
)
def test_dense_computes_x_times_w_transposed_plus_bias(kwargs):
    layer = OrthogonalDense(6, epsilon=0.0, **kwargs)
    x = np.random.default_rng(1).normal(size=(4, 10)).astype("float32")
    layer(x)
    randomize(layer)
    kernel = keras.ops.convert_to_numpy(layer.orthogonal_kernel())
    assert kernel.shape == (10, 6) and [w.name for w in layer.trainable_weights] == [
        "v",
        *(["scale"] if kwargs else []),
        "bias",
    ]
    assert max_error(kernel, 6) < 1e-5
    np.testing.assert_allclose(rows_of(kernel).sum(axis=1), 0.0, atol=1e-6)
    scale = keras.ops.convert_to_numpy(layer.scale) if layer.scale is not None else 1
    expected = x @ (kernel * scale) + keras.ops.convert_to_numpy(layer.bias)
    np.testing.assert_allclose(layer(x), expected, rtol=1e-5, atol=1e-5)


def test_dense_groups_units_beyond_the_input_width():
    layer = OrthogonalDense(16, use_bias=False, epsilon=0.0)
    layer.build((None, 8))  # 16 > 7: groups of 4, the largest divisor <= 7
    assert layer.bias is None and max_error(layer.orthogonal_kernel(), 4) < 1e-6
    assert max_error(layer.orthogonal_kernel(), 8) > 0.1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"strides": 1, "padding": "same"},
        {"strides": 2, "padding": "valid"},
        {"dilation_rate": 2, "padding": "same", "group_size": 4},
    ],
)
def test_conv2d_is_a_keras_conv_with_the_orthogonal_kernel(kwargs):
    layer = OrthogonalConv2D(8, 3, activation="tanh", epsilon=0.0, **kwargs)
    x = np.random.default_rng(2).normal(size=(2, 9, 9, 3)).astype("float32")
    y = layer(x)
    randomize(layer)
    kernel = layer.orthogonal_kernel()
    assert tuple(kernel.shape) == (3, 3, 3, 8)
    assert max_error(kernel, kwargs.get("group_size", 8)) < 1e-6
    conv_kwargs = {k: v for k, v in kwargs.items() if k != "group_size"}
    reference = keras.layers.Conv2D(8, 3, activation="tanh", **conv_kwargs)
    reference.build(x.shape)
    reference.set_weights([keras.ops.convert_to_numpy(kernel), layer.bias.numpy()])
    np.testing.assert_allclose(layer(x), reference(x), atol=1e-6)
    assert tuple(y.shape) == layer.compute_output_shape(x.shape)


def test_conv1d_is_a_keras_conv_with_the_orthogonal_kernel():
    layer = OrthogonalConv1D(4, 5, padding="same", learnable_scale=True)
    x = np.random.default_rng(3).normal(size=(2, 12, 2)).astype("float32")
    layer(x)
    randomize(layer)
    kernel = keras.ops.convert_to_numpy(layer.orthogonal_kernel())
    reference = keras.layers.Conv1D(4, 5, padding="same")
    reference.build(x.shape)
    scale = keras.ops.convert_to_numpy(layer.scale)
    reference.set_weights([kernel * scale, layer.bias.numpy()])
    np.testing.assert_allclose(layer(x), reference(x), atol=1e-5)


def small_model():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 2))
    x = OrthogonalConv2D(6, 3, activation="relu", name="conv")(inputs)
    x = OrthogonalConv1D(4, 2, strides=2, name="conv1d")(
        keras.layers.Reshape((36, 6))(x)
    )
    x = keras.layers.Flatten()(x)
    outputs = OrthogonalDense(
        5, method="newton", learnable_scale=True, group_size=5, name="dense"
    )(x)
    return keras.Model(inputs, outputs)


def test_save_and_load_round_trip(tmp_path):
    model = small_model()
    model.get_layer("dense").scale.assign(np.arange(1.0, 6.0))
    x = np.random.default_rng(4).normal(size=(3, 8, 8, 2)).astype("float32")
    model.save(tmp_path / "own.keras")
    loaded = keras.saving.load_model(tmp_path / "own.keras")
    np.testing.assert_allclose(loaded(x), model(x), rtol=1e-6, atol=1e-6)
    for name in ("conv", "conv1d", "dense"):
        assert loaded.get_layer(name).get_config() == model.get_layer(name).get_config()
    assert loaded.get_layer("dense").method == "newton"


def test_exported_saved_model_serves_like_predict(tmp_path):
    model = small_model()
    x = np.random.default_rng(5).normal(size=(3, 8, 8, 2)).astype("float32")
    model.export(str(tmp_path / "own"), format="tf_saved_model", verbose=False)
    reloaded = tf.saved_model.load(str(tmp_path / "own"))
    served = reloaded.serve(tf.constant(x))
    np.testing.assert_allclose(served, model.predict(x, verbose=0), atol=1e-5)


def test_fit_moves_v_and_keeps_w_orthogonal():
    keras.utils.set_random_seed(1)
    layer = OrthogonalDense(4, epsilon=0.0, name="own")
    model = keras.Sequential([keras.Input((6,)), layer])
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    x = np.random.default_rng(6).normal(size=(32, 6)).astype("float32")
    y = np.random.default_rng(7).normal(size=(32, 4)).astype("float32")
    before_v = layer.v.numpy()
    before_w = keras.ops.convert_to_numpy(layer.orthogonal_kernel())
    model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert np.abs(layer.v.numpy() - before_v).max() > 1e-2
    after_w = keras.ops.convert_to_numpy(layer.orthogonal_kernel())
    assert np.abs(after_w - before_w).max() > 1e-2
    assert max_error(after_w, 4) < 1e-6


def test_bad_group_size_is_reported_at_build():
    message = "valid choices: [1, 2, 3]. Received: group_size=4"
    with pytest.raises(ValueError, match=re.escape(message)):
        OrthogonalConv2D(6, 1, group_size=4)(np.ones((1, 3, 3, 5)))  # cols = 5
    with pytest.raises(ValueError, match=re.escape("rows=3, cols=1")):
        OrthogonalDense(3)(np.ones((1, 1)))


@pytest.mark.parametrize(
    "make,name",
    [
        (lambda: OrthogonalDense(0), "units=0"),
        (lambda: OrthogonalDense(3, group_size=0), "group_size=0"),
        (lambda: OrthogonalDense(3, method="qr"), "method='qr'"),
        (lambda: OrthogonalDense(3, epsilon=-1), "epsilon=-1"),
        (lambda: OrthogonalDense(3, iterations=0), "iterations=0"),
        (lambda: OrthogonalConv2D(3, (3,)), "kernel_size=(3,)"),
        (lambda: OrthogonalConv1D(3, 3, padding="causal"), "padding='causal'"),
    ],
)
def test_rejects_bad_arguments(make, name):
    with pytest.raises(ValueError, match=re.escape(f"Received: {name}")):
        make()


def test_mixed_precision_computes_w_in_float32():
    layer = OrthogonalDense(3, dtype="mixed_float16")
    y = layer(np.ones((2, 5), "float32"))
    assert keras.backend.standardize_dtype(y.dtype) == "float16"
    assert keras.backend.standardize_dtype(layer.v.dtype) == "float32"


def test_docstring_examples():
    result = doctest.testmod(
        orthogonal, extraglobs={"np": np, "keras": keras}, verbose=False
    )
    assert result.attempted >= 3 and not result.failed


def test_channels_first_output_shape_and_weights():
    layer = OrthogonalConv2D(8, 3, strides=2, data_format="channels_first")
    assert layer.compute_output_shape((None, 3, 9, 10)) == (None, 8, 4, 4)
    layer.build((None, 3, 9, 10))
    assert tuple(layer.v.shape) == (3, 3, 3, 8)


def test_inference_reads_the_cached_kernel_until_v_changes():
    layer = OrthogonalDense(3, use_bias=False, epsilon=0.0)
    x = np.random.default_rng(7).normal(size=(4, 6)).astype("float32")
    y = keras.ops.convert_to_numpy(layer(x))  # first call: computes and caches W
    w = keras.ops.convert_to_numpy(layer.orthogonal_kernel())
    np.testing.assert_allclose(y, x @ w, atol=1e-5)
    np.testing.assert_allclose(layer.kernel, w, atol=1e-6)
    np.testing.assert_array_equal(layer.kernel_source, layer.v)
    # While v is unchanged, inference uses the cache as it is, no recomputation.
    layer.kernel.assign(2 * w)
    np.testing.assert_allclose(layer(x), x @ (2 * w), atol=1e-5)
    # A changed v (as after an optimizer step) refreshes the cache.
    layer.v.assign(layer.v + np.random.default_rng(8).normal(size=(6, 3)))
    w_new = keras.ops.convert_to_numpy(layer.orthogonal_kernel())
    assert not np.allclose(w_new, w, atol=1e-3)
    np.testing.assert_allclose(layer(x), x @ w_new, atol=1e-5)
    np.testing.assert_allclose(layer.kernel, w_new, atol=1e-6)


def test_training_calls_refresh_the_cache_and_differentiate_through_w():
    layer = OrthogonalDense(3, use_bias=False)
    x = np.random.default_rng(9).normal(size=(4, 6)).astype("float32")
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(x, training=True) ** 2)
    gradient = tape.gradient(loss, layer.v)
    # The gradient reaches v through the orthogonalization.
    assert float(tf.reduce_max(tf.abs(gradient))) > 1e-4
    np.testing.assert_array_equal(layer.kernel_source, layer.v)
    np.testing.assert_allclose(layer.kernel, layer.orthogonal_kernel(), atol=1e-6)
