import glob
import gzip
import struct

import keras
import numpy as np
import pytest
from tensorboard.compat.proto import event_pb2

from keras_deepinit.callbacks import SignalPropagationMonitor


def mnist(data_dir, prefix, count):
    """The first `count` MNIST images in [0, 1] and labels, read with numpy."""
    folder = data_dir / "mnist"
    with gzip.open(folder / f"{prefix}-images-idx3-ubyte.gz") as file:
        images = np.frombuffer(file.read(16 + count * 784)[16:], np.uint8)
    with gzip.open(folder / f"{prefix}-labels-idx1-ubyte.gz") as file:
        labels = np.frombuffer(file.read(8 + count)[8:], np.uint8)
    return (images.reshape(count, 28, 28, 1) / 255).astype("float32"), labels


def summary_tags(folder):
    """Tags of every summary in the event files (TFRecords) under `folder`."""
    tags = set()
    for path in glob.glob(str(folder / "events.out.tfevents.*")):
        with open(path, "rb") as file:
            data = file.read()
        offset = 0
        while offset < len(data):
            (length,) = struct.unpack("<Q", data[offset : offset + 8])
            event = event_pb2.Event.FromString(data[offset + 12 : offset + 12 + length])
            tags.update(value.tag for value in event.summary.value)
            offset += 12 + length + 4
    return tags


def small_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(32, activation="tanh", name="hidden"),
            keras.layers.Dense(10, name="logits"),
        ]
    )
    model.compile(
        keras.optimizers.SGD(0.05),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def test_records_history_logs_and_tensorboard(data_dir, tmp_path):
    x, y = mnist(data_dir, "train", 640)
    monitor = SignalPropagationMonitor(x[:64], y[:64], log_dir=str(tmp_path))
    model = small_model()

    history = model.fit(x, y, batch_size=64, epochs=2, callbacks=[monitor], verbose=0)

    # One record before training, then one per epoch.
    assert [record["epoch"] for record in monitor.history] == [0, 1, 2]
    assert monitor.history[0]["layers"] == ["hidden", "logits"]
    first, last = monitor.history[0], monitor.history[-1]
    assert first["activation_rms"].shape == (2,)
    # Training moved the weights, so the measured signal changed.
    assert not np.allclose(first["weight_gradient_norm"], last["weight_gradient_norm"])
    ratios = history.history["signal_activation_ratio"]
    assert len(ratios) == 2
    assert ratios[-1] == pytest.approx(
        last["activation_rms"][1] / last["activation_rms"][0]
    )

    tags = summary_tags(tmp_path / "signal")
    assert {"activation_rms/0000_hidden", "gradient_rms/0001_logits"} <= tags
    if keras.config.backend() == "tensorflow":
        assert "weight_gradient_norm/over_layers" in tags


def test_every_n_epochs(data_dir):
    x, y = mnist(data_dir, "t10k", 96)
    monitor = SignalPropagationMonitor(x[:16], every_n_epochs=2, layers=["logits"])
    small_model().fit(x, y, batch_size=32, epochs=4, callbacks=[monitor], verbose=0)
    assert [record["epoch"] for record in monitor.history] == [0, 2, 4]
    assert monitor.history[0]["layers"] == ["logits"]


@pytest.mark.tf_only
def test_measures_a_batch_of_the_tf_data_pipeline(data_dir):
    from keras_deepinit import data

    train = data.load("mnist", "test", data_dir=data_dir).take(2)
    x, y = next(iter(train))
    monitor = SignalPropagationMonitor(x[:16], y[:16])
    small_model().fit(train, epochs=1, callbacks=[monitor], verbose=0)
    assert [record["epoch"] for record in monitor.history] == [0, 1]
    assert np.all(monitor.history[-1]["gradient_rms"] > 0)


@pytest.mark.parametrize("value", [0, -1, 1.5, True])
def test_bad_every_n_epochs(value):
    with pytest.raises(ValueError, match=f"Received: every_n_epochs={value!r}"):
        SignalPropagationMonitor(np.zeros((1, 2)), every_n_epochs=value)
