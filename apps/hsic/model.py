"""Builds the HSIC app's networks: blocks for `HSICTrainer`, or the same
blocks with a classifier for ordinary backpropagation."""

import math

import keras

from keras_deepinit.models import HSICTrainer


def _pytorch_initializers(fan_in, seed):
    """PyTorch's default for `nn.Linear` and `nn.Conv2d`, as in the authors'
    code: weights and biases uniform in +-1/sqrt(fan_in)."""
    bound = 1.0 / math.sqrt(fan_in)
    return dict(
        kernel_initializer=keras.initializers.VarianceScaling(
            1.0 / 3.0, "fan_in", "uniform", seed=seed
        ),
        bias_initializer=keras.initializers.RandomUniform(-bound, bound, seed=seed),
    )


def _normalize_activate(x, config, name):
    # PyTorch's BatchNorm with affine=False: no scale or offset, momentum 0.1.
    x = keras.layers.BatchNormalization(
        momentum=0.9, epsilon=1e-5, center=False, scale=False, name=f"{name}_bn"
    )(x)
    return keras.layers.Activation(config.activation, name=f"{name}_act")(x)


def _dense_block(input_shape, units, config, seed, name):
    inputs = keras.Input(input_shape)
    x = keras.layers.Flatten(name=f"{name}_flatten")(inputs)
    x = keras.layers.Dense(
        units, name=f"{name}_dense", **_pytorch_initializers(x.shape[-1], seed)
    )(x)
    return keras.Model(inputs, _normalize_activate(x, config, name), name=name)


def _conv_block(input_shape, config, seed, name, strides=1, residual=False):
    inputs = keras.Input(input_shape)
    x = keras.layers.Conv2D(
        config.width,
        5,
        strides=strides,
        padding="same" if residual else "valid",
        name=f"{name}_conv",
        **_pytorch_initializers(25 * input_shape[-1], seed),
    )(inputs)
    x = _normalize_activate(x, config, name)
    if residual:
        x = keras.layers.Add(name=f"{name}_add")([x, inputs])
        x = _normalize_activate(x, config, f"{name}_out")
    return keras.Model(inputs, x, name=name)


def build_blocks(config):
    """The network's blocks, each a small Keras model, in order."""
    seed = keras.random.SeedGenerator(config.seed)
    if config.architecture == "mlp":
        blocks = [
            _dense_block(config.input_shape, config.width, config, seed, "block1")
        ]
        for index in range(config.depth):
            blocks.append(
                _dense_block(
                    (config.width,), config.width, config, seed, f"block{index + 2}"
                )
            )
    else:
        blocks = [_conv_block(config.input_shape, config, seed, "block1", strides=2)]
        for index in range(config.depth):
            shape = blocks[-1].output.shape[1:]
            blocks.append(
                _conv_block(shape, config, seed, f"block{index + 2}", residual=True)
            )
    shape = blocks[-1].output.shape[1:]
    blocks.append(_dense_block(shape, config.output_units, config, seed, "output"))
    return blocks


def build_hsic_network(config, sigma=None):
    """The `HSICTrainer` of an `HSICConfig`, with bandwidth `sigma` (default:
    the config's first)."""
    sigma = config.sigmas[0] if sigma is None else sigma
    return HSICTrainer(
        build_blocks(config),
        beta=config.beta,
        sigma=sigma,
        measure=config.measure,
        epsilon=config.epsilon,
        num_classes=config.num_classes,
        output_units=config.output_units,
        name=f"hsic_sigma{sigma:g}",
    )


def build_backprop_network(config):
    """The same blocks and a dense classifier (logits), for ordinary
    backpropagation: the HSIC network's backprop twin, the shape of its
    post-trained model."""
    inputs = keras.Input(config.input_shape, name="images")
    hidden = inputs
    for block in build_blocks(config):
        hidden = block(hidden)
    seed = keras.random.SeedGenerator(config.seed + 1)
    logits = keras.layers.Dense(
        config.num_classes,
        name="classifier",
        **_pytorch_initializers(hidden.shape[-1], seed),
    )(hidden)
    return keras.Model(inputs, logits, name=f"{config.name}_backprop")
