import re

import keras
import numpy as np
import pytest

from keras_deepinit.layers.orthogonal import OrthogonalConv1D
from keras_deepinit.layers.orthogonal import OrthogonalConv2D
from keras_deepinit.layers.orthogonal import OrthogonalConv3D
from keras_deepinit.layers.orthogonal import OrthogonalDense
from keras_deepinit.ops import orthogonalize

from backend_gradients import gradients
from backend_gradients import model_gradients

BACKEND = keras.config.backend()
# TensorFlow computes W in float64; JAX and PyTorch in float32 (ops/own.py).
TOLERANCE = 1e-6 if BACKEND == "tensorflow" else 3e-6


def numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def rows_of(kernel):
    """The kernel as the (units, inputs per unit) matrix W, in float64."""
    kernel = np.asarray(numpy(kernel), np.float64)
    return kernel.reshape(-1, kernel.shape[-1]).T


def max_error(kernel, group_size):
    w = rows_of(kernel)
    groups = w.reshape(-1, group_size, w.shape[1])
    return np.abs(groups @ groups.transpose(0, 2, 1) - np.eye(group_size)).max()


def randomize(layer, seed=0):
    rng = np.random.default_rng(seed)
    for weight in layer.trainable_weights:
        weight.assign(rng.normal(size=weight.shape).astype("float32"))


def assert_is_keras_conv(layer, reference, x):
    """`layer` computes what the Keras `reference` does with the kernel `W`."""
    layer(x)
    randomize(layer)
    reference.build(x.shape)
    reference.set_weights([numpy(layer.kernel), numpy(layer.bias)])
    y = numpy(layer(x))
    np.testing.assert_allclose(y, numpy(reference(x)), atol=1e-5)
    assert y.shape == layer.compute_output_shape(x.shape)


@pytest.mark.parametrize(
    "kwargs", [{}, {"learnable_scale": True, "method": "newton", "iterations": 12}]
)
def test_dense_computes_x_times_w_plus_bias(kwargs):
    layer = OrthogonalDense(6, epsilon=0.0, **kwargs)
    x = np.random.default_rng(1).normal(size=(4, 10)).astype("float32")
    layer(x)
    randomize(layer)
    assert isinstance(layer, keras.layers.Dense)
    assert [w.name for w in layer.trainable_weights] == [
        "v",
        *(["scale"] if kwargs else []),
        "bias",
    ]
    kernel = numpy(layer.orthogonal_kernel())
    assert kernel.shape == (10, 6) and max_error(kernel, 6) < TOLERANCE
    np.testing.assert_allclose(rows_of(kernel).sum(axis=1), 0.0, atol=1e-5)
    scale = numpy(layer.scale) if layer.scale is not None else 1
    np.testing.assert_allclose(numpy(layer.kernel), kernel * scale, atol=1e-6)
    expected = x @ (kernel * scale) + numpy(layer.bias)
    np.testing.assert_allclose(numpy(layer(x)), expected, rtol=1e-5, atol=1e-5)


def test_dense_groups_units_beyond_the_input_width():
    layer = OrthogonalDense(16, use_bias=False, epsilon=0.0)
    layer.build((None, 8))  # 16 > 7: groups of 4, the largest divisor <= 7
    assert layer.bias is None and max_error(layer.orthogonal_kernel(), 4) < TOLERANCE
    assert max_error(layer.orthogonal_kernel(), 8) > 0.1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"padding": "same"},
        {"strides": 2},
        {"dilation_rate": 2, "padding": "same", "group_size": 4},
        {"groups": 2, "strides": (1, 2)},
    ],
)
def test_conv2d_is_a_keras_conv_with_the_orthogonal_kernel(kwargs):
    layer = OrthogonalConv2D(8, 3, activation="tanh", epsilon=0.0, **kwargs)
    conv_kwargs = {k: v for k, v in kwargs.items() if k != "group_size"}
    reference = keras.layers.Conv2D(8, 3, activation="tanh", **conv_kwargs)
    x = np.random.default_rng(2).normal(size=(2, 9, 9, 4)).astype("float32")
    assert_is_keras_conv(layer, reference, x)
    assert tuple(layer.v.shape) == (3, 3, 4 // kwargs.get("groups", 1), 8)
    assert max_error(layer.kernel, kwargs.get("group_size", 8)) < TOLERANCE


def test_conv1d_causal_with_scale_is_a_keras_conv():
    layer = OrthogonalConv1D(4, 5, padding="causal", learnable_scale=True)
    reference = keras.layers.Conv1D(4, 5, padding="causal")
    x = np.random.default_rng(3).normal(size=(2, 12, 2)).astype("float32")
    assert_is_keras_conv(layer, reference, x)
    kernel = numpy(layer.orthogonal_kernel()) * numpy(layer.scale)
    np.testing.assert_allclose(numpy(layer.kernel), kernel, atol=1e-6)


def test_conv3d_is_a_keras_conv_with_the_orthogonal_kernel():
    layer = OrthogonalConv3D(6, (2, 3, 2), strides=(1, 2, 1), epsilon=0.0)
    reference = keras.layers.Conv3D(6, (2, 3, 2), strides=(1, 2, 1))
    x = np.random.default_rng(4).normal(size=(2, 4, 7, 5, 3)).astype("float32")
    assert_is_keras_conv(layer, reference, x)
    assert max_error(layer.kernel, 6) < TOLERANCE


def test_channels_first_is_a_keras_conv():
    layer = OrthogonalConv2D(8, 3, strides=2, data_format="channels_first")
    assert layer.compute_output_shape((None, 3, 9, 10)) == (None, 8, 4, 4)
    reference = keras.layers.Conv2D(8, 3, strides=2, data_format="channels_first")
    x = np.random.default_rng(5).normal(size=(2, 3, 9, 10)).astype("float32")
    assert_is_keras_conv(layer, reference, x)
    assert tuple(layer.v.shape) == (3, 3, 3, 8)


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


def test_config_and_keras_file_round_trip(tmp_path):
    model = small_model()
    model.get_layer("dense").scale.assign(np.arange(1.0, 6.0))
    x = np.random.default_rng(4).normal(size=(3, 8, 8, 2)).astype("float32")
    for layer in model.layers[1:]:
        twin = type(layer).from_config(layer.get_config())
        assert twin.get_config() == layer.get_config()
    model.save(tmp_path / "own.keras")
    loaded = keras.saving.load_model(tmp_path / "own.keras")
    np.testing.assert_allclose(numpy(loaded(x)), numpy(model(x)), atol=1e-6)
    for name in ("conv", "conv1d", "dense"):
        assert loaded.get_layer(name).get_config() == model.get_layer(name).get_config()
        # The weights keep their names and order: v, scale, bias, then the cache.
        assert [w.path for w in loaded.get_layer(name).weights] == [
            w.path for w in model.get_layer(name).weights
        ]
    assert loaded.get_layer("dense").method == "newton"


@pytest.mark.tf_only
def test_exported_saved_model_holds_w_and_serves_like_predict(tmp_path):
    import tensorflow as tf

    model = small_model()
    x = np.random.default_rng(5).normal(size=(3, 8, 8, 2)).astype("float32")
    expected = model.predict(x, verbose=0)  # fills the caches
    model.export(str(tmp_path / "own"), format="tf_saved_model", verbose=False)
    reloaded = tf.saved_model.load(str(tmp_path / "own"))
    np.testing.assert_allclose(reloaded.serve(tf.constant(x)), expected, atol=1e-5)
    # The variable named "kernel" holds W, so serving reads it as it is.
    held = {v.name: v.numpy() for v in reloaded.variables}["conv/kernel:0"]
    np.testing.assert_allclose(held, model.get_layer("conv").orthogonal_kernel())


def test_fit_moves_v_and_keeps_w_orthogonal():
    keras.utils.set_random_seed(1)
    layer = OrthogonalDense(4, epsilon=0.0, name="own")
    model = keras.Sequential([keras.Input((6,)), layer])
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    x = np.random.default_rng(6).normal(size=(32, 6)).astype("float32")
    y = np.random.default_rng(7).normal(size=(32, 4)).astype("float32")
    before_v = numpy(layer.v)
    before_w = numpy(layer.orthogonal_kernel())
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert np.abs(numpy(layer.v) - before_v).max() > 1e-2
    after_w = numpy(layer.orthogonal_kernel())
    assert np.abs(after_w - before_w).max() > 1e-2
    assert max_error(after_w, 4) < TOLERANCE
    # predict (compiled) refreshes the cache from the trained v.
    expected = x @ after_w + numpy(layer.bias)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-5)
    np.testing.assert_allclose(numpy(layer.kernel_cache), after_w, atol=1e-6)


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
        (lambda: OrthogonalConv2D(0, 3), "filters=0"),
        (lambda: OrthogonalDense(3, group_size=0), "group_size=0"),
        (lambda: OrthogonalDense(3, method="qr"), "method='qr'"),
        (lambda: OrthogonalDense(3, epsilon=-1), "epsilon=-1"),
        (lambda: OrthogonalDense(3, iterations=0), "iterations=0"),
        (lambda: OrthogonalDense(3, lora_rank=2), "lora_rank=2"),
        # Keras's own checks.
        (lambda: OrthogonalConv2D(3, (3,)), "kernel_size=(3,)"),
        (lambda: OrthogonalConv2D(3, 3, padding="causal"), "Received: causal"),
    ],
)
def test_rejects_bad_arguments(make, name):
    with pytest.raises(ValueError, match=re.escape(name)):
        make()


def test_mixed_precision_computes_w_in_float32():
    layer = OrthogonalDense(3, epsilon=0.0, dtype="mixed_bfloat16")
    y = layer(np.ones((2, 5), "float32"))
    assert keras.backend.standardize_dtype(y.dtype) == "bfloat16"
    assert keras.backend.standardize_dtype(layer.v.dtype) == "float32"
    assert max_error(layer.kernel_cache, 3) < TOLERANCE  # W before the cast


def test_inference_reads_the_cached_kernel_until_v_changes():
    layer = OrthogonalDense(3, use_bias=False, epsilon=0.0)
    x = np.random.default_rng(7).normal(size=(4, 6)).astype("float32")
    y = numpy(layer(x))  # first call: computes and caches W
    w = numpy(layer.orthogonal_kernel())
    np.testing.assert_allclose(y, x @ w, atol=1e-5)
    np.testing.assert_allclose(numpy(layer.kernel_cache), w, atol=1e-6)
    np.testing.assert_array_equal(numpy(layer.kernel_source), numpy(layer.v))
    # While v is unchanged, inference uses the cache as it is, no recomputation,
    # eagerly and compiled (predict).
    layer.kernel_cache.assign(2 * w)
    np.testing.assert_allclose(numpy(layer(x)), x @ (2 * w), atol=1e-5)
    model = keras.Sequential([keras.Input((6,)), layer])
    np.testing.assert_allclose(model.predict(x, verbose=0), x @ (2 * w), atol=1e-5)
    # Training recomputes W from v.
    np.testing.assert_allclose(numpy(layer(x, training=True)), x @ w, atol=1e-5)
    # A changed v (as after an optimizer step) refreshes the cache.
    layer.v.assign(numpy(layer.v) + np.random.default_rng(8).normal(size=(6, 3)))
    w_new = numpy(layer.orthogonal_kernel())
    assert not np.allclose(w_new, w, atol=1e-3)
    np.testing.assert_allclose(model.predict(x, verbose=0), x @ w_new, atol=1e-5)
    np.testing.assert_allclose(numpy(layer.kernel_cache), w_new, atol=1e-6)


def test_training_gradients_reach_v_through_the_orthogonalization():
    layer = OrthogonalDense(3, learnable_scale=True)
    model = keras.Sequential([keras.Input((6,)), layer])
    randomize(layer, seed=9)
    x = np.random.default_rng(10).normal(size=(4, 6)).astype("float32")
    weights = np.random.default_rng(11).normal(size=(4, 3)).astype("float32")
    _, _, (grad_v, grad_scale, _) = model_gradients(model, x, weights)
    scale, bias = numpy(layer.scale), numpy(layer.bias)
    tensors = [keras.ops.convert_to_tensor(a) for a in (x, weights, scale, bias)]

    def loss(v):
        w = keras.ops.transpose(orthogonalize(keras.ops.transpose(v)))
        x, weights, scale, bias = tensors
        return keras.ops.sum(weights * (keras.ops.matmul(x, w * scale) + bias))

    _, (expected,) = gradients(loss, numpy(layer.v))
    assert np.abs(expected).max() > 1e-3
    np.testing.assert_allclose(grad_v, expected, rtol=1e-4, atol=1e-5)
    w = numpy(layer.orthogonal_kernel())
    # d loss / d scale_j = sum_i (x^T weights)_ij w_ij
    np.testing.assert_allclose(grad_scale, ((x.T @ weights) * w).sum(0), atol=1e-4)
