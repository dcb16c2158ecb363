"""Builds pre-activation residual networks with a choice of normalization:
a Wide-ResNet, or a stem and thousands of identical blocks in one layer."""

import keras

from keras_deepinit.layers import ResidualStack2D
from keras_deepinit.layers import ScalarBias
from keras_deepinit.layers import SkipInitScalar

STAGE_STRIDES = (1, 2, 2)
STAGE_WIDTHS = (16, 32, 64)


def _conv(filters, kernel_size, strides, config, initializer, name):
    return keras.layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding="same",
        use_bias=config.conv_bias,
        kernel_initializer=initializer,
        name=name,
    )


def _activate(x, config, name):
    """The pre-activation: batch normalization (if chosen), then ReLU."""
    if config.normalization == "batchnorm":
        x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x)


def _scalar_bias(x, config, name):
    if config.normalization != "fixup":
        return x
    return ScalarBias(name=name)(x)


def apply_residual_block(x, filters, strides, config, seed, name):
    """One pre-activation residual block, `shortcut(x) + branch(x)`.

    The branch is activation, 3x3 convolution, activation, dropout, 3x3
    convolution, then the normalization's scalars (see `NFResNetConfig`).
    Where the width or the stride changes, the shortcut is a 1x1 convolution
    of the pre-activated input.

    Args:
        x: the block's input.
        filters: output channels.
        strides: stride of the first convolution (and the shortcut).
        config: an `NFResNetConfig`.
        seed: a `keras.random.SeedGenerator` for the kernels.
        name: prefix of the block's layer names.
    """
    he = keras.initializers.HeNormal(seed=seed)
    first_init, last_init = he, he
    if config.normalization == "fixup":
        # Branch variance shrinks as 1 / blocks; the last conv starts at 0.
        first_init = keras.initializers.VarianceScaling(
            2.0 / config.num_blocks, "fan_in", "truncated_normal", seed=seed
        )
        last_init = "zeros"
    pre = _scalar_bias(_activate(x, config, f"{name}_pre"), config, f"{name}_bias1a")
    shortcut = x
    if strides != 1 or x.shape[-1] != filters:
        shortcut = _conv(filters, 1, strides, config, he, f"{name}_shortcut")(pre)
    h = _conv(filters, 3, strides, config, first_init, f"{name}_conv1")(pre)
    h = _scalar_bias(h, config, f"{name}_bias1b")
    h = _activate(h, config, f"{name}_mid")
    if config.dropout:
        h = keras.layers.Dropout(config.dropout, name=f"{name}_dropout")(h)
    h = _scalar_bias(h, config, f"{name}_bias2a")
    h = _conv(filters, 3, 1, config, last_init, f"{name}_conv2")(h)
    if config.normalization == "skipinit":
        h = SkipInitScalar(config.alpha_init, name=f"{name}_alpha")(h)
    elif config.normalization == "none":
        h = SkipInitScalar(1.0, trainable=False, name=f"{name}_alpha")(h)
    elif config.normalization == "fixup":
        h = SkipInitScalar(1.0, name=f"{name}_scale")(h)
        h = ScalarBias(name=f"{name}_bias2b")(h)
    return keras.layers.Add(name=f"{name}_add")([shortcut, h])


def build_model(config):
    """The network `config.architecture` names."""
    if config.architecture == "deep_stack":
        return build_deep_stack(config)
    return build_wide_resnet(config)


def _head(x, inputs, config):
    x = _activate(x, config, "final")
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = keras.layers.Dense(config.num_classes, name="logits")(x)
    return keras.Model(inputs, outputs, name=config.name)


def build_deep_stack(config):
    """A stem to `config.width` channels at a quarter of the input's size,
    then `config.blocks` residual blocks in one `ResidualStack2D`."""
    seed = keras.random.SeedGenerator(config.seed)
    inputs = keras.Input(config.input_shape, name="images")
    x = inputs
    for index, strides in enumerate(STAGE_STRIDES):
        if index:
            x = _activate(x, config, f"stem{index}")
        he = keras.initializers.HeNormal(seed=seed)
        x = _conv(config.width, 3, strides, config, he, f"stem_conv{index + 1}")(x)
    x = ResidualStack2D(
        config.blocks,
        normalization=config.normalization,
        alpha_init=config.alpha_init,
        conv_bias=config.conv_bias,
        kernel_initializer=keras.initializers.HeNormal(seed=seed),
        name="blocks",
    )(x)
    return _head(x, inputs, config)


def build_wide_resnet(config):
    """The Wide-ResNet of `config`; input `"images"`, output logits."""
    seed = keras.random.SeedGenerator(config.seed)
    inputs = keras.Input(config.input_shape, name="images")
    x = _conv(16, 3, 1, config, keras.initializers.HeNormal(seed=seed), "stem_conv")(
        inputs
    )
    for stage, (width, strides) in enumerate(
        zip(STAGE_WIDTHS, STAGE_STRIDES, strict=True)
    ):
        for block in range(config.blocks_per_stage):
            x = apply_residual_block(
                x,
                width * config.width_factor,
                strides if block == 0 else 1,
                config,
                seed,
                name=f"stage{stage + 1}_block{block + 1}",
            )
    return _head(x, inputs, config)
