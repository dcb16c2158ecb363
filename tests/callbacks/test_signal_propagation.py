import glob

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_deepinit import data
from keras_deepinit.callbacks import SignalPropagationMonitor


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
    train = data.load("mnist", "train", data_dir=data_dir, seed=0).take(20)
    x, y = next(iter(train))
    monitor = SignalPropagationMonitor(x[:64], y[:64], log_dir=str(tmp_path))
    model = small_model()

    history = model.fit(train, epochs=2, callbacks=[monitor], verbose=0)

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

    tags = set()
    for path in glob.glob(str(tmp_path / "signal" / "events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            tags.update(value.tag for value in event.summary.value)
    assert {
        "activation_rms/0000_hidden",
        "gradient_rms/0001_logits",
        "weight_gradient_norm/over_layers",
    } <= tags


def test_every_n_epochs(data_dir):
    train = data.load("mnist", "test", data_dir=data_dir).take(3)
    x, _ = next(iter(train))
    monitor = SignalPropagationMonitor(x[:16], every_n_epochs=2, layers=["logits"])
    small_model().fit(train, epochs=4, callbacks=[monitor], verbose=0)
    assert [record["epoch"] for record in monitor.history] == [0, 2, 4]
    assert monitor.history[0]["layers"] == ["logits"]


@pytest.mark.parametrize("value", [0, -1, 1.5, True])
def test_bad_every_n_epochs(value):
    with pytest.raises(ValueError, match=f"Received: every_n_epochs={value!r}"):
        SignalPropagationMonitor(np.zeros((1, 2)), every_n_epochs=value)
