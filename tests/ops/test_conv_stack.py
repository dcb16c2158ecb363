import importlib
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_deepinit.layers.circular_padding import CircularPadding2D
from keras_deepinit.ops.conv_stack import conv_stack
from keras_deepinit.ops.conv_stack import default_shards

from backend_gradients import BACKEND
from backend_gradients import FLOAT
from backend_gradients import gradients
from backend_gradients import numpy

RTOL, ATOL = (1e-4, 1e-5) if FLOAT == "float32" else (1e-8, 1e-10)


def reference(x, kernels, biases, activation, padding):
    """The same network layer by layer with Keras ops, for autodiff."""
    activation = keras.activations.get(activation)
    for i in range(kernels.shape[0]):
        kernel = kernels[i]
        if padding == "circular":
            x = CircularPadding2D.for_kernel(kernel.shape[0], dtype=FLOAT)(x)
            z = keras.ops.conv(x, kernel, padding="valid")
        else:
            z = keras.ops.conv(x, kernel, padding="same")
        x = activation(z + biases[i])
    return x


def random_stack(depth, kernel_size, channels, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(3, 5, 6, channels))
    kernels = rng.normal(size=(depth, kernel_size, kernel_size, channels, channels))
    kernels *= 1.2 / np.sqrt(kernel_size**2 * channels)
    biases = rng.normal(size=(depth, channels)) * 0.1
    return tuple(a.astype(FLOAT) for a in (x, kernels, biases))


def compare_gradients(
    depth, kernel_size, activation, padding, recompute, shards=None, seed=0
):
    x, kernels, biases = random_stack(depth, kernel_size, 4, seed=seed)
    weights = np.random.default_rng(1).normal(size=x.shape).astype(FLOAT)

    def loss(stack):
        return lambda *args: keras.ops.sum(keras.ops.multiply(weights, stack(*args)))

    expected, expected_grads = gradients(
        loss(lambda *args: reference(*args, activation, padding)), x, kernels, biases
    )
    value, grads = gradients(
        loss(
            lambda *args: conv_stack(
                *args,
                activation,
                padding,
                training=True,
                recompute=recompute,
                shards=shards,
            )
        ),
        x,
        kernels,
        biases,
    )
    np.testing.assert_allclose(value, expected, rtol=RTOL)
    for grad, expected_grad in zip(grads, expected_grads, strict=True):
        np.testing.assert_allclose(grad, expected_grad, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("padding", ["circular", "zero"])
@pytest.mark.parametrize("kernel_size", [3, 2])
@pytest.mark.parametrize("recompute", [False, True])
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_gradients_match_autodiff_of_the_plain_network(
    padding, kernel_size, recompute, activation
):
    # 7 layers: recomputed as segments of 3, 3 and 1.
    compare_gradients(7, kernel_size, activation, padding, recompute)


# relu, sigmoid: derivative read off the kept outputs (TensorFlow); elu:
# kept pre-activations. Depth 9: three whole segments of 3 when recomputed.
@pytest.mark.parametrize("activation", ["sigmoid", "elu", "linear"])
@pytest.mark.parametrize("recompute", [False, True])
def test_gradients_for_other_activations(activation, recompute):
    compare_gradients(9, 3, activation, "circular", recompute, seed=2)


@pytest.mark.parametrize("padding", ["circular", "zero"])
@pytest.mark.parametrize("kernel_size", [3, 2])
@pytest.mark.parametrize("patches", [False, True])
def test_jax_convolutions_and_patch_products_give_the_same_gradients(
    padding, kernel_size, patches, monkeypatch
):
    """On a CPU JAX runs products of patches; `lax.conv` runs elsewhere."""
    if BACKEND != "jax":
        pytest.skip("JAX's two ways of convolving")
    module = importlib.import_module("keras_deepinit.ops.conv_stack_jax")
    monkeypatch.setattr(module, "PATCHES", patches)
    compare_gradients(5, kernel_size, "tanh", padding, recompute=True)


@pytest.mark.tf_only
@pytest.mark.parametrize("padding", ["circular", "zero"])
@pytest.mark.parametrize("kernel_size", [3, 2])
@pytest.mark.parametrize("recompute", [False, True])
@pytest.mark.parametrize("shards", [1, 2])
# Unrolled by 2, 7 layers run as blocks of 2 and one layer left over (3 + 1
# per recomputed segment); by 8, all one by one.
@pytest.mark.parametrize("unroll", [2, 8])
def test_unrolled_and_sharded_gradients_match_autodiff(
    padding, kernel_size, recompute, shards, unroll, monkeypatch
):
    monkeypatch.setattr(conv_stack_tf(), "UNROLL", unroll)
    compare_gradients(7, kernel_size, "tanh", padding, recompute, shards)


@pytest.mark.tf_only
@pytest.mark.parametrize("activation", ["relu", "sigmoid", "elu", "linear"])
@pytest.mark.parametrize("shards", [1, 4])  # 4 > batch 3: one shard is empty
def test_gradients_for_other_activations_and_shard_counts(
    activation, shards, monkeypatch
):
    monkeypatch.setattr(conv_stack_tf(), "UNROLL", 3)  # a block and a layer
    compare_gradients(4, 3, activation, "circular", False, shards, seed=2)


@pytest.mark.tf_only
def test_shards_split_the_batch_without_changing_the_result():
    x, kernels, biases = random_stack(3, 3, 2)
    expected = conv_stack(x, kernels, biases)
    for shards in (2, 3, 5):
        np.testing.assert_allclose(
            conv_stack(x, kernels, biases, shards=shards), expected, rtol=1e-12
        )
    with pytest.raises(ValueError, match="Received: shards=0"):
        conv_stack(x, kernels, biases, shards=0)


def test_shards_are_tensorflow_only():
    if BACKEND != "tensorflow":
        assert default_shards() == 1
        x, kernels, biases = random_stack(2, 3, 2)
        np.testing.assert_array_equal(
            numpy(conv_stack(x, kernels, biases, shards=3)),
            numpy(conv_stack(x, kernels, biases)),
        )


@pytest.mark.parametrize("unroll", [2, 8])
@pytest.mark.parametrize("padding", ["circular", "zero"])
def test_inference_matches_training_forward_and_the_plain_network(
    unroll, padding, monkeypatch
):
    if BACKEND == "tensorflow":
        monkeypatch.setattr(conv_stack_tf(), "UNROLL", unroll)
    x, kernels, biases = random_stack(5, 3, 4)
    expected = numpy(reference(x, kernels, biases, "relu", padding))
    for training, recompute in ((False, False), (True, False), (True, True)):
        y = conv_stack(
            x,
            kernels,
            biases,
            "relu",
            padding,
            training=training,
            recompute=recompute,
        )
        np.testing.assert_allclose(numpy(y), expected, rtol=RTOL, atol=ATOL)


def test_bad_padding():
    x, kernels, biases = random_stack(1, 3, 2)
    with pytest.raises(ValueError, match="Received: padding='reflect'"):
        conv_stack(x, kernels, biases, padding="reflect")


@pytest.mark.tf_only
@pytest.mark.parametrize("recompute", [False, True])
def test_graph_mode_gradients_and_depth_one(recompute):
    import tensorflow as tf

    # At the default unrolling (8), 10 layers are a block and two more; 64
    # recomputed are 8 segments of one block each.
    for depth in (1, 10, 64):
        x, kernels, biases = (
            tf.constant(a) for a in random_stack(depth, 3, 3, seed=depth)
        )

        @tf.function
        def grads(x, kernels, biases, fn):
            with tf.GradientTape() as tape:
                tape.watch([x, kernels, biases])
                value = tf.reduce_sum(tf.square(fn(x, kernels, biases)))
            return tape.gradient(value, [x, kernels, biases])

        expected = grads(
            x, kernels, biases, lambda *a: reference(*a, "tanh", "circular")
        )
        actual = grads(
            x,
            kernels,
            biases,
            lambda *a: conv_stack(*a, "tanh", training=True, recompute=recompute),
        )
        for grad, expected_grad in zip(actual, expected, strict=True):
            np.testing.assert_allclose(grad, expected_grad, rtol=1e-8, atol=1e-10)


def test_jax_recompute_keeps_segment_inputs_only():
    """With recompute, the backward pass saves O(sqrt(depth)) activations."""
    if BACKEND != "jax":
        pytest.skip("reads the residuals of a JAX vjp")
    import jax

    x, kernels, biases = random_stack(100, 3, 2)

    def saved_activations(recompute):
        def loss(x, kernels, biases):
            y = conv_stack(x, kernels, biases, training=True, recompute=recompute)
            return keras.ops.sum(y)

        # The residuals the backward pass holds are the leaves of the vjp.
        _, backward = jax.vjp(loss, x, kernels, biases)
        return sum(
            int(np.prod(leaf.shape[:-4]))
            for leaf in jax.tree_util.tree_leaves(backward)
            if tuple(leaf.shape[-4:]) == x.shape
        )

    assert saved_activations(False) >= 100
    assert saved_activations(True) <= 2 * 10 + 2


def test_importing_and_running_never_imports_tensorflow():
    if BACKEND == "tensorflow":
        pytest.skip("TensorFlow is the backend")
    code = (
        "import sys, numpy as np\n"
        "from keras_deepinit.ops.conv_stack import conv_stack\n"
        "from keras_deepinit.ops.residual_stack import residual_stack\n"
        "from keras_deepinit.initializers import stacked\n"
        "stacked.CHUNK = 2\n"
        "k = stacked.initialize_stack('glorot_normal', 5, (3, 3, 2, 2))\n"
        "x = np.ones((1, 4, 4, 2), 'float32')\n"
        "conv_stack(x, k, np.zeros((5, 2), 'float32'), training=True)\n"
        "residual_stack(x, {'k': k}, lambda x, p: (x * p['k'][0, 0, 0, 0], []))\n"
        "assert 'tensorflow' not in sys.modules, 'TensorFlow was imported'\n"
    )
    env = {**os.environ, "KERAS_BACKEND": BACKEND}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]


def conv_stack_tf():
    return importlib.import_module("keras_deepinit.ops.conv_stack_tf")
