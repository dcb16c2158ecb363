"""Builds the OWN app's MLP or CNN, with OWN layers or plain Keras ones."""

import keras

from keras_deepinit.layers import OrthogonalConv2D
from keras_deepinit.layers import OrthogonalDense


def _dense(units, config, seed, name):
    initializer = keras.initializers.GlorotUniform(seed=seed)
    if not config.orthogonal:
        return keras.layers.Dense(
            units, config.activation, kernel_initializer=initializer, name=name
        )
    return OrthogonalDense(units, name=name, **_own_options(config, initializer))


def _conv(filters, config, seed, name):
    initializer = keras.initializers.GlorotUniform(seed=seed)
    if not config.orthogonal:
        return keras.layers.Conv2D(
            filters,
            3,
            padding="same",
            activation=config.activation,
            kernel_initializer=initializer,
            name=name,
        )
    return OrthogonalConv2D(
        filters, 3, padding="same", name=name, **_own_options(config, initializer)
    )


def _own_options(config, initializer):
    return dict(
        activation=config.activation,
        group_size=config.group_size,
        method=config.method,
        iterations=config.iterations,
        learnable_scale=config.learnable_scale,
        kernel_initializer=initializer,
    )


def build_own_network(config):
    """The network of an `OWNConfig`; input `"images"`, output logits."""
    seed = keras.random.SeedGenerator(config.seed)
    inputs = keras.Input(config.input_shape, name="images")
    if config.architecture == "mlp":
        x = keras.layers.Flatten(name="flatten")(inputs)
        for index in range(config.depth):
            x = _dense(config.width, config, seed, f"dense{index + 1}")(x)
    else:
        x = inputs
        for block in range(config.depth):
            filters = config.width * 2**block
            for index in (1, 2):
                x = _conv(filters, config, seed, f"block{block + 1}_conv{index}")(x)
            x = keras.layers.MaxPooling2D(name=f"block{block + 1}_pool")(x)
        x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = keras.layers.Dense(
        config.num_classes,
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
        name="logits",
    )(x)
    return keras.Model(inputs, outputs, name=config.name)
