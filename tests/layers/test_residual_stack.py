import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_deepinit.apps.nf_resnet import NFResNetConfig
from keras_deepinit.apps.nf_resnet.model import apply_residual_block
from keras_deepinit.layers import ResidualStack2D

SHAPE = (6, 6, 4)


def stack_model(normalization, blocks=3, alpha_init=0.0, conv_bias=True):
    inputs = keras.Input(SHAPE)
    x = ResidualStack2D(
        blocks,
        normalization=normalization,
        alpha_init=alpha_init,
        conv_bias=conv_bias,
        kernel_initializer=keras.initializers.HeNormal(seed=1),
        name="stack",
    )(inputs)
    outputs = keras.layers.Dense(3, name="logits")(
        keras.layers.GlobalAveragePooling2D()(x)
    )
    return keras.Model(inputs, outputs)


def keras_twin(model, options):
    """The same network with one Keras layer per operation, weights copied."""
    stack = model.get_layer("stack")
    inputs = keras.Input(SHAPE)
    x = inputs
    seed = keras.random.SeedGenerator(0)
    for block in range(stack.num_blocks):
        x = apply_residual_block(x, SHAPE[-1], 1, options, seed, f"b{block}")
    outputs = keras.layers.Dense(3, name="logits")(
        keras.layers.GlobalAveragePooling2D()(x)
    )
    twin = keras.Model(inputs, outputs)
    for block in range(stack.num_blocks):
        for index, conv in ((1, "conv1"), (2, "conv2")):
            weights = [getattr(stack, f"kernel{index}")[block]]
            if options.conv_bias:
                weights.append(getattr(stack, f"bias{index}")[block])
            twin.get_layer(f"b{block}_{conv}").set_weights(weights)
        if options.normalization == "batchnorm":
            for index, norm in ((0, "pre_bn"), (1, "mid_bn")):
                twin.get_layer(f"b{block}_{norm}").set_weights(
                    [
                        getattr(stack, name)[block, index]
                        for name in ("gamma", "beta", "moving_mean", "moving_variance")
                    ]
                )
        else:
            twin.get_layer(f"b{block}_alpha").set_weights([stack.alpha[block]])
    twin.get_layer("logits").set_weights(model.get_layer("logits").get_weights())
    return twin


def stack_weights_as_twin_weights(stack, options, twin):
    """Pairs (stack value, twin value) of every weight, for comparisons."""
    pairs = []
    for block in range(stack.num_blocks):
        for index, conv in ((1, "conv1"), (2, "conv2")):
            twin_weights = twin.get_layer(f"b{block}_{conv}").get_weights()
            pairs.append((getattr(stack, f"kernel{index}")[block], twin_weights[0]))
            if options.conv_bias:
                pairs.append((getattr(stack, f"bias{index}")[block], twin_weights[1]))
        if options.normalization == "batchnorm":
            for index, norm in ((0, "pre_bn"), (1, "mid_bn")):
                names = ("gamma", "beta", "moving_mean", "moving_variance")
                layer_weights = twin.get_layer(f"b{block}_{norm}").get_weights()
                for name, value in zip(names, layer_weights, strict=True):
                    pairs.append((getattr(stack, name)[block, index], value))
        else:
            pairs.append((stack.alpha[block], twin.get_layer(f"b{block}_alpha").alpha))
    return pairs


@pytest.mark.parametrize(
    "normalization, alpha_init, conv_bias",
    [
        ("skipinit", 0.0, True),
        ("skipinit", 0.3, False),
        ("batchnorm", 0.0, False),
        ("batchnorm", 0.0, True),
        ("none", 0.0, True),
    ],
)
def test_training_matches_the_layer_by_layer_network(
    normalization, alpha_init, conv_bias
):
    options = NFResNetConfig(
        architecture="deep_stack",
        blocks=3,
        normalization=normalization,
        alpha_init=alpha_init,
        conv_bias=conv_bias,
    )
    model = stack_model(normalization, alpha_init=alpha_init, conv_bias=conv_bias)
    twin = keras_twin(model, options)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, *SHAPE)).astype("float32")
    y = rng.integers(0, 3, size=8)
    np.testing.assert_allclose(model(x), twin(x), rtol=1e-5, atol=1e-5)
    for net in (model, twin):
        net.compile(
            keras.optimizers.SGD(0.05),
            keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        net.fit(x, y, epochs=3, batch_size=4, shuffle=False, verbose=0)
    stack = model.get_layer("stack")
    pairs = stack_weights_as_twin_weights(stack, options, twin)
    initial = stack_weights_as_twin_weights(
        stack_model(
            normalization, alpha_init=alpha_init, conv_bias=conv_bias
        ).get_layer("stack"),
        options,
        twin,
    )
    assert any(
        not np.allclose(a, b) for (a, _), (b, _) in zip(pairs, initial, strict=False)
    )
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)
    # Inference (moving statistics for batch normalization) agrees too.
    np.testing.assert_allclose(
        model.predict(x, verbose=0), twin.predict(x, verbose=0), rtol=1e-4, atol=1e-5
    )


def test_skipinit_at_zero_is_the_identity_and_only_alpha_gets_gradient():
    stack = ResidualStack2D(4, normalization="skipinit")
    x = tf.constant(np.random.default_rng(1).normal(size=(2, *SHAPE)), tf.float32)
    with tf.GradientTape() as tape:
        y = stack(x, training=True)
        loss = tf.reduce_sum(y**2)
    np.testing.assert_array_equal(y, x)
    grads = dict(
        zip(
            [w.name for w in stack.trainable_weights],
            tape.gradient(loss, stack.trainable_weights),
            strict=True,
        )
    )
    for name in ("kernel1", "kernel2", "bias1", "bias2"):
        np.testing.assert_array_equal(grads[name], 0.0)
    assert np.all(np.abs(grads["alpha"]) > 1e-4)


def test_none_fixes_alpha_at_one():
    stack = ResidualStack2D(3, normalization="none")
    stack.build((None, *SHAPE))
    np.testing.assert_array_equal(stack.alpha, 1.0)
    assert "alpha" not in [w.name for w in stack.trainable_weights]


def test_keras_file_round_trip_and_export(tmp_path):
    model = stack_model("batchnorm", blocks=5)
    x = np.random.default_rng(2).normal(size=(3, *SHAPE)).astype("float32")
    model.compile("sgd", "mse")
    model.fit(x, np.zeros((3, 3)), epochs=2, verbose=0)  # moving statistics move
    path = tmp_path / "stack.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0)
    )
    stack = loaded.get_layer("stack")
    assert not np.allclose(stack.moving_mean, 0.0)
    assert stack.get_config() == model.get_layer("stack").get_config()
    model.export(str(tmp_path / "export"), format="tf_saved_model", verbose=False)
    served = tf.saved_model.load(str(tmp_path / "export"))
    np.testing.assert_allclose(served.serve(x), model.predict(x, verbose=0), atol=1e-5)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_blocks": 0}, "Received: num_blocks=0"),
        ({"num_blocks": 2, "normalization": "layernorm"}, "normalization='layernorm'"),
        ({"num_blocks": 2, "alpha_init": "0"}, "Received: alpha_init='0'"),
        ({"num_blocks": 2, "kernel_size": 1.5}, "Received: kernel_size=1.5"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ResidualStack2D(**kwargs)
