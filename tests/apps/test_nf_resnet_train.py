import json

import keras
import numpy as np

from keras_deepinit import training
from keras_deepinit.apps.nf_resnet import train

from export_checks import assert_serves_like


def app_args(data_dir, tmp_path, *extra):
    return [
        "--depth", "10", "--width-factor", "1", "--batch-size", "32",
        "--data-dir", str(data_dir), "--run-dir", str(tmp_path / "run"),
        "--export-dir", str(tmp_path / "exported"), "--verbose", "0", *extra,
    ]  # fmt: skip


def test_skipinit_end_to_end(data_dir, tmp_path):
    args = ("--steps", "12", "--steps-per-epoch", "6", "--eval-batches", "2")
    metrics = train.main(
        app_args(data_dir, tmp_path, "--preset", "wrn_16_4_skipinit", *args)
    )
    run_dir = tmp_path / "run"
    history = training.load_history(run_dir / "history.json")
    assert history["step"] == [6, 12] and (run_dir / "history.png").exists()
    config = json.loads((run_dir / "config.json").read_text())["config"]
    # The flags override the preset's depth and width; its normalization stays.
    assert (config["depth"], config["width_factor"]) == (10, 1)
    assert config["normalization"] == "skipinit"
    model = keras.saving.load_model(run_dir / "model.keras")
    alphas = [w for w in model.trainable_weights if w.path.endswith("/alpha")]
    assert len(alphas) == 3 and any(float(a) != 0.0 for a in alphas)  # trained
    assert np.isfinite(metrics["loss"])
    version = tmp_path / "exported" / "nf_resnet_cifar10" / "1"
    assert_serves_like(version, model, (32, 32, 3))


def test_divergence_is_reported_not_exported(data_dir, tmp_path, capsys):
    flags = ("--normalization", "none", "--optimizer", "sgd", "--learning-rate", "10")
    args = ("--steps", "20", "--warmup-steps", "0", "--eval-batches", "1")
    metrics = train.main(app_args(data_dir, tmp_path, *flags, *args))
    assert not np.isfinite(metrics["loss"])
    assert "The loss diverged" in capsys.readouterr().out
    assert not (tmp_path / "exported").exists()
    assert (tmp_path / "run" / "model.keras").exists()


def test_deep_stack_trains_and_none_diverges(data_dir, tmp_path, capsys):
    common = ("--architecture", "deep_stack", "--eval-batches", "1", "--no-export")
    skipinit = train.main(
        app_args(data_dir, tmp_path / "skipinit", *common, "--blocks", "30")
        + ["--steps", "4", "--normalization", "skipinit"]
    )
    assert np.isfinite(skipinit["loss"])
    model = keras.saving.load_model(tmp_path / "skipinit" / "run" / "model.keras")
    assert np.any(model.get_layer("blocks").alpha.numpy() != 0.0)  # trained
    # alpha = 1 without normalization: the stream's variance doubles per
    # block, past float32's range long before 300 blocks.
    none = train.main(
        app_args(data_dir, tmp_path / "none", *common, "--blocks", "300")
        + ["--steps", "4", "--normalization", "none"]
    )
    assert not np.isfinite(none["loss"])
    assert "The loss diverged" in capsys.readouterr().out
