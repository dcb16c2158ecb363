import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_deepinit.apps.nf_resnet import PRESETS
from keras_deepinit.apps.nf_resnet import NFResNetConfig
from keras_deepinit.apps.nf_resnet import build_model
from keras_deepinit.apps.nf_resnet import build_wide_resnet

NORMALIZATIONS = ("batchnorm", "skipinit", "fixup", "none")


def small(normalization, **kwargs):
    config = NFResNetConfig(depth=10, width_factor=1, normalization=normalization)
    for name, value in kwargs.items():
        setattr(config, name, value)
    return build_wide_resnet(config)


def images(count=4):
    return np.random.default_rng(0).normal(size=(count, 32, 32, 3)).astype("float32")


def gradients(model, x):
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(model(x, training=True) ** 2)
    weights = model.trainable_weights
    return dict(
        zip([w.path for w in weights], tape.gradient(loss, weights), strict=True)
    )


def test_wrn_16_4_has_the_published_size():
    model = build_wide_resnet(
        NFResNetConfig(normalization="batchnorm", conv_bias=False)
    )
    # Zagoruyko & Komodakis (2016), Table 1: WRN-16-4 has 2.7M parameters.
    assert 2.7e6 < model.count_params() < 2.8e6
    convs = [layer for layer in model.layers if "conv" in layer.name]
    assert len([c for c in convs if c.kernel.shape[:2] == (3, 3)]) == 1 + 2 * 6


@pytest.mark.parametrize("normalization", ["skipinit", "fixup"])
def test_blocks_start_as_the_identity(normalization):
    model = small(normalization)
    x = images()
    block = model.get_layer("stage1_block1_add")
    probe = keras.Model(model.input, [block.input[0], block.output])
    shortcut, output = probe(x)
    np.testing.assert_array_equal(output, shortcut)


def test_skipinit_at_zero_trains_only_through_alpha_and_the_ends():
    grads = gradients(small("skipinit"), images())
    for path, grad in grads.items():
        if "_conv1/" in path or "_conv2/" in path:
            np.testing.assert_array_equal(grad, 0.0, err_msg=path)
        if path.endswith("/alpha"):
            assert abs(float(grad)) > 0, path
    assert np.abs(grads["logits/kernel"]).max() > 0


def test_none_fixes_alpha_at_one():
    model = small("none")
    alphas = [w for w in model.weights if w.path.endswith("/alpha")]
    assert len(alphas) == 3 and all(float(a) == 1.0 for a in alphas)
    assert not any(w.path.endswith("/alpha") for w in model.trainable_weights)


def test_fixup_scales_the_first_conv_and_zeros_the_last():
    model = build_wide_resnet(NFResNetConfig(depth=22, normalization="fixup"))
    first = model.get_layer("stage2_block2_conv1").kernel.numpy()
    he_std = np.sqrt(2.0 / (9 * first.shape[2]))
    # 9 blocks: the He standard deviation over sqrt(9), truncated normal.
    assert first.std() == pytest.approx(he_std / 3, rel=0.1)
    assert not model.get_layer("stage2_block2_conv2").kernel.numpy().any()


@pytest.mark.parametrize("normalization", NORMALIZATIONS)
def test_save_and_load(normalization, tmp_path):
    model = small(normalization, alpha_init=0.1, dropout=0.2)
    for weight in model.trainable_weights:  # move every weight off its start
        weight.assign(weight + 0.01)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded(images()), model(images()), rtol=1e-5)


def test_presets_build():
    wide = {f"wrn_16_4_{n}" for n in NORMALIZATIONS}
    deep = {f"deep_stack_1000_{n}" for n in ("batchnorm", "skipinit", "none")}
    assert set(PRESETS) == wide | deep
    for name, preset in PRESETS.items():
        assert preset["metadata"]["description"]
        blocks = NFResNetConfig(**preset["config"]).num_blocks
        assert blocks == (6 if name in wide else 1000)


@pytest.mark.parametrize("normalization", ["batchnorm", "skipinit", "none"])
def test_deep_stack_is_a_small_graph_at_any_depth(normalization):
    config = NFResNetConfig(
        architecture="deep_stack", blocks=2000, normalization=normalization
    )
    model = build_model(config)
    assert model.name == f"resnet_2000_blocks_{normalization}"
    assert len(model.layers) < 20
    stack = model.get_layer("blocks")
    assert stack.kernel1.shape == (2000, 3, 3, 16, 16)
    assert stack.input.shape[1:] == (8, 8, 16)  # 32x32 images to 8x8 maps
    assert model(images(2)).shape == (2, 10)


@pytest.mark.parametrize(
    "field, value",
    [("depth", 12), ("depth", 4), ("width_factor", 0), ("normalization", "layer")],
)
def test_bad_config(field, value):
    with pytest.raises(ValueError, match=f"Received: {field}={value!r}"):
        NFResNetConfig(**{field: value})


@pytest.mark.parametrize(
    "values, message",
    [
        ({"architecture": "densenet"}, "Received: architecture='densenet'"),
        ({"architecture": "deep_stack", "blocks": 0}, "Received: blocks=0"),
        (
            {"architecture": "deep_stack", "normalization": "fixup"},
            "no Fixup and no dropout.*normalization='fixup'",
        ),
        (
            {"architecture": "deep_stack", "dropout": 0.1},
            "no Fixup and no dropout.*dropout=0.1",
        ),
    ],
)
def test_bad_deep_stack_config(values, message):
    with pytest.raises(ValueError, match=message):
        NFResNetConfig(**values)
