import json

import keras
import numpy as np
import pytest

from keras_deepinit import training
from keras_deepinit.apps.own import PRESETS
from keras_deepinit.apps.own import OWNConfig
from keras_deepinit.apps.own import build_own_network
from keras_deepinit.apps.own import train
from keras_deepinit.layers import OrthogonalConv2D
from keras_deepinit.layers import OrthogonalDense

from export_checks import assert_serves_like


def hidden_layers(model):
    return [
        layer for layer in model.layers if layer.name.startswith(("dense", "block"))
    ]


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_build_the_same_network_with_or_without_own(name):
    config = OWNConfig(**PRESETS[name]["config"])
    model = build_own_network(config)
    layers = [
        layer
        for layer in hidden_layers(model)
        if not isinstance(layer, keras.layers.MaxPooling2D)
    ]
    own = (OrthogonalDense, OrthogonalConv2D)
    plain = (keras.layers.Dense, keras.layers.Conv2D)
    expected = own if config.orthogonal else plain
    assert layers and all(isinstance(layer, expected) for layer in layers)
    twin = PRESETS[name.replace("own", "plain") if config.orthogonal else name]
    twin = twin["config"]
    twin_model = build_own_network(OWNConfig(**twin))
    shapes = [w.shape for w in model.trainable_weights]
    assert shapes == [w.shape for w in twin_model.trainable_weights]
    x = np.random.default_rng(0).normal(size=(2, 28, 28, 1)).astype("float32")
    assert model(x).shape == (2, 10)


def test_own_kernels_have_orthonormal_rows_in_groups():
    model = build_own_network(OWNConfig(depth=2, width=32))
    for layer in hidden_layers(model):
        w = keras.ops.convert_to_numpy(layer.orthogonal_kernel()).T  # units x fan-in
        gram = w @ w.T
        np.testing.assert_allclose(np.diag(gram), 1.0, atol=1e-3)
        np.testing.assert_allclose(w.sum(axis=1), 0.0, atol=1e-5)


def test_own_mlp_end_to_end(data_dir, tmp_path):
    metrics = train.main(
        [
            "--preset", "mlp_own", "--depth", "3", "--width", "32",
            "--method", "newton", "--steps", "30", "--steps-per-epoch", "15",
            "--eval-batches", "4", "--data-dir", str(data_dir),
            "--run-dir", str(tmp_path / "run"),
            "--export-dir", str(tmp_path / "exported"), "--verbose", "0",
        ]
    )  # fmt: skip
    run_dir = tmp_path / "run"
    assert training.load_history(run_dir / "history.json")["step"] == [15, 30]
    config = json.loads((run_dir / "config.json").read_text())["config"]
    assert (config["depth"], config["method"], config["orthogonal"]) == (
        3,
        "newton",
        True,
    )
    assert metrics["accuracy"] > 0.3  # 30 steps of real MNIST: well above chance
    model = keras.saving.load_model(run_dir / "model.keras")
    assert_serves_like(tmp_path / "exported" / "own_mnist" / "1", model, (28, 28, 1))


def test_plain_cnn_switch(data_dir, tmp_path):
    metrics = train.main(
        [
            "--preset", "cnn_own", "--no-orthogonal", "--width", "8",
            "--steps", "5", "--eval-batches", "1", "--no-export",
            "--data-dir", str(data_dir), "--run-dir", str(tmp_path / "run"),
            "--verbose", "0",
        ]
    )  # fmt: skip
    assert np.isfinite(metrics["loss"])
    model = keras.saving.load_model(tmp_path / "run" / "model.keras")
    assert isinstance(model.get_layer("block1_conv1"), keras.layers.Conv2D)
    assert not isinstance(model.get_layer("block1_conv1"), OrthogonalConv2D)


@pytest.mark.parametrize(
    "field, value",
    [("architecture", "rnn"), ("method", "svd"), ("depth", 0), ("group_size", 0)],
)
def test_bad_config(field, value):
    with pytest.raises(ValueError, match=f"Received: {field}={value!r}"):
        OWNConfig(**{field: value})
