import argparse
import json
import os
import re

import keras
import numpy as np
import pytest

from keras_deepinit import export
from keras_deepinit import training
from keras_deepinit.apps.deep_cnn import DeepCNNConfig
from keras_deepinit.apps.deep_cnn import build_deep_cnn
from keras_deepinit.apps.deep_cnn import train
from keras_deepinit.layers import ConvStack2D
from keras_deepinit.training import run_folder

from export_checks import assert_serves_like


@pytest.mark.parametrize(
    "initializer", ["delta_orthogonal", "conv_orthogonal", "gaussian", "glorot"]
)
@pytest.mark.parametrize("padding", ["circular", "zero"])
def test_builds_the_papers_architecture(initializer, padding):
    config = DeepCNNConfig(depth=5, width=8, initializer=initializer, padding=padding)
    model = build_deep_cnn(config)
    assert model.input.name == "images" or model.inputs[0].name == "images"
    assert model.get_layer("stem_conv_2").output.shape == (None, 7, 7, 8)
    body = model.get_layer("body")
    assert isinstance(body, ConvStack2D) and body.depth == 5
    logits = model(np.zeros((2, 28, 28, 1), "float32"))
    assert logits.shape == (2, 10)


def test_critical_point_is_the_default():
    model = build_deep_cnn(DeepCNNConfig(depth=3, width=8))
    kernel = model.get_layer("body").kernel[0].numpy()
    centre = kernel[1, 1]
    # DeltaOrthogonal with gain sqrt(1.05): centre^T centre = 1.05 I.
    np.testing.assert_allclose(centre @ centre.T, 1.05 * np.eye(8), atol=1e-4)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"depth": 0}, "Received: depth=0"),
        ({"initializer": "he"}, "Received: initializer='he'"),
        ({"padding": "same"}, "Received: padding='same'"),
        ({"input_shape": (28, 28)}, r"Received: input_shape=\(28, 28\)"),
    ],
)
def test_bad_config(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DeepCNNConfig(**kwargs)


def app_args(data_dir, tmp_path, *extra):
    return [
        "--depth", "6", "--width", "8", "--batch-size", "32",
        "--data-dir", str(data_dir), "--run-dir", str(tmp_path / "run"),
        "--export-dir", str(tmp_path / "exported"), "--verbose", "0", *extra,
    ]  # fmt: skip


def test_train_app_end_to_end(data_dir, tmp_path):
    metrics = train.main(
        app_args(data_dir, tmp_path, "--steps", "20", "--eval-batches", "3")
    )
    run_dir = tmp_path / "run"
    history = training.load_history(run_dir / "history.json")
    assert history["loss"] and (run_dir / "history.png").exists()
    assert (run_dir / "logs").is_dir()
    assert json.loads((run_dir / "config.json").read_text())["config"]["depth"] == 6
    assert 0.0 <= metrics["accuracy"] <= 1.0

    model = keras.saving.load_model(run_dir / "model.keras")
    assert int(model.optimizer.iterations) == 20
    version = tmp_path / "exported" / "deep_cnn_mnist" / "1"
    assert export.load_metadata(version)["steps"] == 20
    assert_serves_like(version, model, (28, 28, 1))


def test_train_app_resumes_after_a_kill(data_dir, tmp_path, monkeypatch):
    class Kill(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if int(self.model.optimizer.iterations) == 13:
                raise KeyboardInterrupt("killed")

    real_run_callbacks = run_folder.run_callbacks

    def with_kill(*args, **kwargs):
        kwargs["extra"] = [*kwargs.get("extra", ()), Kill()]
        return real_run_callbacks(*args, **kwargs)

    monkeypatch.setattr(run_folder, "run_callbacks", with_kill)
    args = app_args(
        data_dir, tmp_path, "--steps", "24", "--save-every-steps", "5", "--no-export"
    )
    with pytest.raises(KeyboardInterrupt):
        train.main(args)
    backup = training.read_backup(os.path.join(tmp_path, "run", "backup"))
    assert backup["iterations"] == 10  # the last save before the kill

    monkeypatch.setattr(run_folder, "run_callbacks", real_run_callbacks)
    train.main(args)
    model = keras.saving.load_model(tmp_path / "run" / "model.keras")
    assert int(model.optimizer.iterations) == 24


def test_steps_per_epoch_gives_a_history_row_every_n_steps(data_dir, tmp_path):
    train.main(
        app_args(
            data_dir,
            tmp_path,
            *("--steps", "12", "--steps-per-epoch", "5", "--eval-batches", "1"),
            "--no-export",
        )
    )
    history = training.load_history(tmp_path / "run" / "history.json")
    assert history["step"] == [5, 10, 12]
    assert len(history["val_loss"]) == 3
    with pytest.raises(ValueError, match="Received: steps_per_epoch=0"):
        train.main(app_args(data_dir, tmp_path, "--steps-per-epoch", "0"))


def test_progress_bar_of_a_run_shorter_than_an_epoch_counts_its_steps(
    data_dir, tmp_path, capsys
):
    extra = ("--steps", "3", "--eval-batches", "1", "--no-export", "--verbose", "1")
    train.main(app_args(data_dir, tmp_path, *extra))
    targets = set(re.findall(r"\d+/(\d+)", capsys.readouterr().out))
    assert targets == {"3"}  # not the batch count of a whole epoch


@pytest.mark.parametrize("warmup", ["0", "1"])
def test_cosine_decay_by_default_ends_at_zero_after_the_last_step(
    warmup, data_dir, tmp_path
):
    args = ("--steps", "3", "--warmup-steps", warmup, "--eval-batches", "1")
    train.main(app_args(data_dir, tmp_path, *args, "--no-export"))
    optimizer = keras.saving.load_model(tmp_path / "run" / "model.keras").optimizer
    assert int(optimizer.iterations) == 3
    assert float(optimizer.learning_rate) == pytest.approx(0.0, abs=1e-9)


def test_default_learning_rates_without_cosine_decay(data_dir, tmp_path):
    args = ("--steps", "3", "--warmup-steps", "1", "--eval-batches", "1")
    train.main(app_args(data_dir, tmp_path, *args, "--no-cosine-decay", "--no-export"))
    optimizer = keras.saving.load_model(tmp_path / "run" / "model.keras").optimizer
    np.testing.assert_allclose(float(optimizer.learning_rate), 0.01, rtol=1e-6)
    # The body's rate is 0.01 / depth: a multiplier of 1 / 6 at depth 6.
    assert optimizer.multiplier("body/kernel") == pytest.approx(1 / 6)


def test_warmup_and_body_learning_rate(data_dir, tmp_path):
    train.main(
        app_args(
            data_dir,
            tmp_path,
            *("--steps", "2", "--warmup-steps", "4", "--eval-batches", "1"),
            *("--learning-rate", "0.01", "--body-learning-rate", "0.001"),
            "--no-export",
        )
    )
    optimizer = keras.saving.load_model(tmp_path / "run" / "model.keras").optimizer
    # Two of four warmup steps taken: half the target learning rate.
    np.testing.assert_allclose(float(optimizer.learning_rate), 0.005, rtol=1e-5)
    assert optimizer.multiplier("body/kernel") == pytest.approx(0.1)
    assert optimizer.multiplier("logits/kernel") == 1.0
    for name in ("warmup_steps", "body_learning_rate"):
        flag = "--" + name.replace("_", "-")
        with pytest.raises(ValueError, match=f"Expected {name}.*Received: {name}=-1"):
            train.main(app_args(data_dir, tmp_path, flag, "-1"))


def test_flags_override_the_preset():
    parser = argparse.ArgumentParser()
    train.add_arguments(parser)
    args = parser.parse_args(["--preset", "depth_1k_gaussian", "--depth", "7"])
    config = train.config_from_args(args)
    assert (config.depth, config.initializer, config.sigma_b2) == (7, "gaussian", 1e-4)
    assert config.input_shape == (28, 28, 1) and config.num_classes == 10
