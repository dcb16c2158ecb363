"""Builds the vanilla deep CNN of Xiao et al. (2018) as a Keras model."""

import keras

from keras_deepinit.initializers import network_initializers
from keras_deepinit.layers import CircularPadding2D
from keras_deepinit.layers import ConvStack2D

STEM_STRIDES = (1, 2, 2)


def apply_conv(x, config, strides, kernel_init, bias_init, name):
    if config.padding == "circular":
        x = CircularPadding2D.for_kernel(3, dtype=config.dtype, name=f"{name}_pad")(x)
    return keras.layers.Conv2D(
        config.width,
        3,
        strides=strides,
        padding="valid" if config.padding == "circular" else "same",
        activation=config.activation,
        kernel_initializer=kernel_init,
        bias_initializer=bias_init,
        dtype=config.dtype,
        name=name,
    )(x)


def build_deep_cnn(config):
    """The model of `config`: stem, `ConvStack2D` body, pooling, classifier.

    The input is named `"images"`; the output is `num_classes` logits.
    """
    seed = keras.random.SeedGenerator(config.seed)

    def initializers(kind):
        return network_initializers(
            kind,
            config.activation,
            sigma_b2=config.sigma_b2,
            sigma_w2=config.sigma_w2,
            seed=seed,
        )

    stem_inits = initializers(config.stem_initializer or config.initializer)
    kernel_init, bias_init = initializers(config.initializer)
    inputs = keras.Input(config.input_shape, name="images")
    x = inputs
    for index, strides in enumerate(STEM_STRIDES):
        x = apply_conv(x, config, strides, *stem_inits, f"stem_conv_{index}")
    x = ConvStack2D(
        config.depth,
        activation=config.activation,
        padding=config.padding,
        kernel_initializer=kernel_init,
        bias_initializer=bias_init,
        recompute=config.recompute,
        dtype=config.dtype,
        name="body",
    )(x)
    x = keras.layers.GlobalAveragePooling2D(dtype=config.dtype, name="pool")(x)
    outputs = keras.layers.Dense(config.num_classes, dtype="float32", name="logits")(x)
    return keras.Model(inputs, outputs, name=f"deep_cnn_{config.depth}")
