import json

import keras
import numpy as np
import pytest

from keras_deepinit import training
from keras_deepinit.apps.hsic import PRESETS
from keras_deepinit.apps.hsic import HSICConfig
from keras_deepinit.apps.hsic import build_backprop_network
from keras_deepinit.apps.hsic import build_hsic_network
from keras_deepinit.apps.hsic import train
from keras_deepinit.models import HSICTrainer

from export_checks import assert_serves_like


@pytest.mark.parametrize("name", sorted(PRESETS))
@pytest.mark.parametrize("shape", [(28, 28, 1), (32, 32, 3)])
def test_presets_build_an_hsic_network_and_its_backprop_twin(name, shape):
    config = HSICConfig(**PRESETS[name]["config"], input_shape=shape)
    network = build_hsic_network(config)
    twin = build_backprop_network(config)
    x = np.random.default_rng(0).uniform(size=(2, *shape)).astype("float32")
    assert network(x).shape == (2, config.output_units)
    assert twin(x).shape == (2, 10)
    blocks = config.depth + 2
    assert len(network.blocks) == blocks
    # The twin is the same blocks plus a classifier.
    shapes = [w.shape for w in network.trainable_weights]
    assert [w.shape for w in twin.trainable_weights] == shapes + [
        (config.output_units, 10),
        (10,),
    ]


def test_the_papers_mnist_network():
    config = HSICConfig(**PRESETS["mlp_1024_relu"]["config"])
    network = build_hsic_network(config)
    network.build((None, 28, 28, 1))
    kernels = [w.shape for w in network.trainable_weights if w.name == "kernel"]
    assert kernels == [(784, 1024)] + [(1024, 1024)] * 5 + [(1024, 10)]
    assert (network.objective.sigma, network.objective.beta) == (6.0, 200.0)
    # PyTorch's default initialization: uniform in +-1/sqrt(fan_in).
    kernel = network.trainable_weights[2].numpy()
    assert 0.9 / 32 < np.abs(kernel).max() <= 1 / 32


def app_args(data_dir, tmp_path, *extra):
    return [
        "--width", "32", "--depth", "1", "--steps", "20", "--steps-per-epoch",
        "10", "--post-steps", "10", "--eval-batches", "2",
        "--data-dir", str(data_dir), "--run-dir", str(tmp_path / "run"),
        "--export-dir", str(tmp_path / "exported"), "--verbose", "0", *extra,
    ]  # fmt: skip


def test_hsic_training_post_training_and_export(data_dir, tmp_path):
    metrics = train.main(
        app_args(
            data_dir, tmp_path, "--preset", "mlp_1024_relu", "--learning-rate", "0.01"
        )
    )
    run_dir = tmp_path / "run"
    history = training.load_history(run_dir / "hsic_sigma6" / "history.json")
    assert history["step"] == [10, 20]
    assert history["hsic_y"][-1] > history["hsic_y"][0]
    assert metrics["unformatted_accuracy_sigma6"] > 0.4  # 20 steps; chance 0.1
    assert metrics["accuracy"] > 0.3
    assert (run_dir / "hsic_sigma6" / "history.png").is_file()
    restored = keras.models.load_model(run_dir / "hsic_sigma6" / "model.keras")
    assert isinstance(restored, HSICTrainer)
    config = json.loads((run_dir / "post_training" / "config.json").read_text())
    assert config["config"]["sigmas"] == [6.0]
    # The export is the post-trained classifier and matches the Keras model.
    model = keras.models.load_model(run_dir / "post_training" / "model.keras")
    assert_serves_like(tmp_path / "exported" / "hsic_mnist" / "1", model, (28, 28, 1))


def test_sigma_combined_and_backprop(data_dir, tmp_path):
    metrics = train.main(
        app_args(data_dir, tmp_path, "--sigmas", "2", "8", "--no-export")
    )
    assert set(metrics) >= {
        "unformatted_accuracy_sigma2",
        "unformatted_accuracy_sigma8",
    }
    for sigma in (2, 8):
        assert (tmp_path / "run" / f"hsic_sigma{sigma}" / "model.keras").is_file()
    backprop = train.main(
        app_args(data_dir, tmp_path / "bp", "--training", "backprop", "--no-export",
                 "--learning-rate", "0.05", "--momentum", "0.9")
    )  # fmt: skip
    assert backprop["accuracy"] > 0.5


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--post-epochs", "0"], "Received: epochs=0"),
        (["--sigmas", "-1"], "sigma=-1.0"),
        (["--weight-decay", "-0.1"], "Received: weight_decay=-0.1"),
    ],
)
def test_bad_flags(flags, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        train.main(["--run-dir", str(tmp_path), *flags])
