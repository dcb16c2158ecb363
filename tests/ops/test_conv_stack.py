import importlib

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_deepinit.ops.conv_stack import conv_stack

conv_stack_module = importlib.import_module("keras_deepinit.ops.conv_stack")


def reference(x, kernels, biases, activation, padding):
    """The same network layer by layer with Keras-level ops, for autodiff."""
    for kernel, bias in zip(tf.unstack(kernels), tf.unstack(biases), strict=True):
        if padding == "circular":
            before, after = (kernel.shape[0] - 1) // 2, kernel.shape[0] // 2
            for axis in (1, 2):
                size = x.shape[axis]
                index = list(range(size - before, size)) + list(range(size))
                x = tf.gather(x, index + list(range(after)), axis=axis)
            z = tf.nn.conv2d(x, kernel, 1, "VALID")
        else:
            z = tf.nn.conv2d(x, kernel, 1, "SAME")
        x = activation(z + bias)
    return x


def random_stack(depth, kernel_size, channels, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(3, 5, 6, channels))
    kernels = rng.normal(size=(depth, kernel_size, kernel_size, channels, channels))
    kernels *= 1.2 / np.sqrt(kernel_size**2 * channels)
    biases = rng.normal(size=(depth, channels)) * 0.1
    return (tf.constant(a) for a in (x, kernels, biases))


@pytest.mark.parametrize("padding", ["circular", "zero"])
@pytest.mark.parametrize("kernel_size", [3, 2])
@pytest.mark.parametrize("recompute", [False, True])
@pytest.mark.parametrize("shards", [1, 2])
# Unrolled by 2, 7 layers run as blocks of 2 and one layer left over (3 + 1
# per recomputed segment); by 8, all one by one.
@pytest.mark.parametrize("unroll", [2, 8])
def test_gradients_match_autodiff_of_the_plain_network(
    padding, kernel_size, recompute, shards, unroll, monkeypatch
):
    monkeypatch.setattr(conv_stack_module, "UNROLL", unroll)
    x, kernels, biases = random_stack(7, kernel_size, 4)
    weights = tf.constant(np.random.default_rng(1).normal(size=(3, 5, 6, 4)))

    def loss(fn):
        with tf.GradientTape() as tape:
            tape.watch([x, kernels, biases])
            value = tf.reduce_sum(weights * fn(x, kernels, biases))
        return value, tape.gradient(value, [x, kernels, biases])

    expected, expected_grads = loss(lambda *args: reference(*args, tf.tanh, padding))
    value, grads = loss(
        lambda *args: conv_stack(
            *args, "tanh", padding, training=True, recompute=recompute, shards=shards
        )
    )
    np.testing.assert_allclose(value, expected, rtol=1e-10)
    for grad, expected_grad in zip(grads, expected_grads, strict=True):
        np.testing.assert_allclose(grad, expected_grad, rtol=1e-8, atol=1e-10)


# relu, sigmoid: derivative read off the kept outputs; elu: kept pre-activations.
@pytest.mark.parametrize("activation", ["relu", "sigmoid", "elu", "linear"])
@pytest.mark.parametrize("shards", [1, 4])  # 4 > batch 3: one shard is empty
def test_gradients_for_other_activations_and_shard_counts(
    activation, shards, monkeypatch
):
    monkeypatch.setattr(conv_stack_module, "UNROLL", 3)  # a block and a layer
    x, kernels, biases = random_stack(4, 3, 3, seed=2)
    fn = keras.activations.get(activation)

    def grads(stack):
        with tf.GradientTape() as tape:
            tape.watch([x, kernels, biases])
            value = tf.reduce_sum(tf.sin(stack(x, kernels, biases)))
        return tape.gradient(value, [x, kernels, biases])

    expected = grads(lambda *args: reference(*args, fn, "circular"))
    actual = grads(
        lambda *args: conv_stack(*args, activation, training=True, shards=shards)
    )
    for grad, expected_grad in zip(actual, expected, strict=True):
        np.testing.assert_allclose(grad, expected_grad, rtol=1e-8, atol=1e-10)


def test_shards_split_the_batch_without_changing_the_result():
    x, kernels, biases = random_stack(3, 3, 2)
    expected = conv_stack(x, kernels, biases)
    for shards in (2, 3, 5):
        np.testing.assert_allclose(
            conv_stack(x, kernels, biases, shards=shards), expected, rtol=1e-12
        )
    with pytest.raises(ValueError, match="Received: shards=0"):
        conv_stack(x, kernels, biases, shards=0)


@pytest.mark.parametrize("unroll", [2, 8])
def test_inference_matches_training_forward(unroll, monkeypatch):
    monkeypatch.setattr(conv_stack_module, "UNROLL", unroll)
    x, kernels, biases = random_stack(5, 3, 4)
    np.testing.assert_allclose(
        conv_stack(x, kernels, biases, "relu", training=False),
        conv_stack(x, kernels, biases, "relu", training=True),
    )


def test_bad_padding():
    x, kernels, biases = random_stack(1, 3, 2)
    with pytest.raises(ValueError, match="Received: padding='reflect'"):
        conv_stack(x, kernels, biases, padding="reflect")


@pytest.mark.parametrize("recompute", [False, True])
def test_graph_mode_gradients_and_depth_one(recompute):
    # At the default unrolling (8), 10 layers are a block and two more; 64
    # recomputed are 8 segments of one block each.
    for depth in (1, 10, 64):
        x, kernels, biases = random_stack(depth, 3, 3, seed=depth)

        @tf.function
        def grads(x, kernels, biases, fn):
            with tf.GradientTape() as tape:
                tape.watch([x, kernels, biases])
                value = tf.reduce_sum(tf.square(fn(x, kernels, biases)))
            return tape.gradient(value, [x, kernels, biases])

        expected = grads(
            x, kernels, biases, lambda *a: reference(*a, tf.tanh, "circular")
        )
        actual = grads(
            x,
            kernels,
            biases,
            lambda *a: conv_stack(*a, "tanh", training=True, recompute=recompute),
        )
        for grad, expected_grad in zip(actual, expected, strict=True):
            np.testing.assert_allclose(grad, expected_grad, rtol=1e-8, atol=1e-10)
