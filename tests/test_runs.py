import glob
import os

import keras
import matplotlib.image
import numpy as np
import pytest
import tensorflow as tf

from keras_deepinit import data
from keras_deepinit import training

BATCH = 32
BATCHES = 8  # Per epoch.


class Killed(Exception):
    pass


class Kill(keras.callbacks.Callback):
    """Raises at a batch's end (at the epoch's end if batch is None), as a kill."""

    def __init__(self, epoch, batch=None):
        super().__init__()
        self.at = (epoch, batch)
        self.epoch = None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            raise Killed(self.at)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch, None) == self.at:
            raise Killed(self.at)


class Recorder(keras.callbacks.Callback):
    """Keeps the weights after restore and after every step, by step count."""

    def __init__(self):
        super().__init__()
        self.weights = {}
        self.restored_step = None

    def _record(self):
        step = int(self.model.optimizer.iterations)
        self.weights[step] = [w.copy() for w in self.model.get_weights()]
        return step

    def on_train_begin(self, logs=None):
        self.restored_step = self._record()

    def on_train_batch_end(self, batch, logs=None):
        self._record()


@pytest.fixture(scope="module")
def mnist(data_dir):
    """A few real MNIST batches in a fixed order, the same every epoch."""
    train = data.load("mnist", "train", data_dir=data_dir, batch_size=BATCH, seed=0)
    x, y = zip(*train.take(BATCHES).as_numpy_iterator(), strict=True)
    test = data.load("mnist", "test", data_dir=data_dir, batch_size=128)
    x_test, y_test = next(test.as_numpy_iterator())

    def dataset(x, y, batch):
        return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch)

    return (
        dataset(np.concatenate(x), np.concatenate(y), BATCH),
        dataset(x_test, y_test, 64),
    )


def small_model(seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(16, activation="tanh"),
            keras.layers.Dense(10),
        ]
    )
    model.compile(
        training.make_optimizer("sgd", 0.05),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def fit(model, train, run_dir, epochs, extra=(), **kwargs):
    return training.fit_resumable(
        model,
        train,
        run_dir=run_dir,
        epochs=epochs,
        tensorboard=False,
        plot=False,
        extra=extra,
        verbose=0,
        **kwargs,
    )


def steps(model):
    return int(model.optimizer.iterations)


def assert_same_weights(actual, expected):
    for a, e in zip(actual, expected, strict=True):
        np.testing.assert_allclose(a, e, rtol=1e-6, atol=1e-7)


def test_run_writes_history_plot_logs_and_stops_at_step_limit(mnist, tmp_path):
    train, test = mnist
    epochs, max_steps = training.plan_steps(BATCHES, steps=20)
    assert (epochs, max_steps) == (3, 20)
    model = small_model()

    history = training.fit_resumable(
        model,
        train,
        run_dir=tmp_path,
        epochs=epochs,
        max_steps=max_steps,
        validation_data=test,
        verbose=0,
    )

    assert steps(model) == 20  # The third epoch stopped after 4 of 8 steps.
    saved = training.load_history(tmp_path / "history.json")
    assert saved["epoch"] == [0, 1, 2]
    assert saved["step"] == [8, 16, 20]
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(saved[key], history.history[key], rtol=1e-6)
    assert saved["loss"][-1] < saved["loss"][0]
    assert matplotlib.image.imread(tmp_path / "history.png").shape[0] > 300
    for folder in ("train", "validation"):
        assert glob.glob(str(tmp_path / "logs" / folder / "events.out.tfevents.*"))
    assert training.read_backup(tmp_path / "backup") == {"epoch": 3, "iterations": 20}
    assert not glob.glob(str(tmp_path / "**" / "*.partial*"), recursive=True)

    # Run again, the finished run stays finished: no step, no new row.
    weights = model.get_weights()
    again = training.fit_resumable(
        model, train, run_dir=tmp_path, epochs=epochs, max_steps=max_steps, verbose=0
    )
    assert again.history == {}
    assert steps(model) == 20
    assert_same_weights(model.get_weights(), weights)
    assert training.load_history(tmp_path / "history.json") == saved


@pytest.fixture(scope="module")
def uninterrupted(mnist, tmp_path_factory):
    """A 4-epoch run without kills: its final weights and history."""
    run_dir = tmp_path_factory.mktemp("uninterrupted")
    model = small_model()
    fit(model, mnist[0], run_dir, epochs=4)
    return model.get_weights(), training.load_history(run_dir / "history.json")


@pytest.mark.parametrize(
    "kill, after_history, backup, rows",
    [
        # In epoch 2, after the backup of epoch 1's end.
        (Kill(2, 3), False, {"epoch": 2, "iterations": 16}, [0, 1]),
        # At epoch 1's end, before its history row and its backup.
        (Kill(1), False, {"epoch": 1, "iterations": 8}, [0]),
        # At epoch 1's end, after its history row, before its backup.
        (Kill(1), True, {"epoch": 1, "iterations": 8}, [0, 1]),
    ],
    ids=["mid_epoch", "epoch_end_before_history", "epoch_end_after_history"],
)
def test_resume_after_kill_matches_uninterrupted_run(
    mnist, uninterrupted, tmp_path, kill, after_history, backup, rows
):
    train, _ = mnist
    callbacks = training.run_callbacks(tmp_path, tensorboard=False, plot=False)
    callbacks.insert(len(callbacks) if after_history else 1, kill)
    with pytest.raises(Killed):
        small_model().fit(train, epochs=4, callbacks=callbacks, verbose=0)
    assert training.read_backup(tmp_path / "backup") == backup
    assert training.load_history(tmp_path / "history.json")["epoch"] == rows

    # A fresh process: a new model, initialized differently, and the same run.
    model = small_model(seed=1)
    recorder = Recorder()
    history = fit(model, train, tmp_path, epochs=4, extra=[recorder])

    assert recorder.restored_step == backup["iterations"]
    assert len(history.history["loss"]) == 4 - backup["epoch"]
    assert steps(model) == 32
    saved = training.load_history(tmp_path / "history.json")
    assert saved["epoch"] == [0, 1, 2, 3]
    assert saved["step"] == [8, 16, 24, 32]
    # Same data order every epoch and deterministic CPU kernels: the resumed
    # run is the uninterrupted one, in weights and in every history row.
    weights, expected = uninterrupted
    np.testing.assert_allclose(saved["loss"], expected["loss"], rtol=1e-5)
    np.testing.assert_allclose(saved["accuracy"], expected["accuracy"], rtol=1e-5)
    assert_same_weights(model.get_weights(), weights)


def test_resume_from_mid_epoch_backups(mnist, tmp_path):
    train, _ = mnist
    first = Recorder()
    with pytest.raises(Killed):
        fit(
            small_model(),
            train,
            tmp_path,
            epochs=4,
            max_steps=32,
            save_every_steps=3,
            extra=[Kill(1, 4), first],
        )
    # Backups after steps 3, 6, 8 (epoch end) and 11; killed after step 13.
    assert steps(first.model) == 13
    assert training.read_backup(tmp_path / "backup") == {"epoch": 1, "iterations": 11}

    second = Recorder()
    with pytest.raises(Killed):
        fit(
            small_model(seed=1),
            train,
            tmp_path,
            epochs=4,
            max_steps=32,
            save_every_steps=3,
            extra=[Kill(1, 3), second],
        )
    # Resumed at the backup's step with its weights: steps 12 and 13 redone.
    assert second.restored_step == 11
    assert_same_weights(second.weights[11], first.weights[11])
    # A mid-epoch backup of the resumed run still says epoch 1 (Keras's own
    # callback writes 0 there, and a second resume would rerun epoch 0).
    assert training.read_backup(tmp_path / "backup") == {"epoch": 1, "iterations": 14}

    model = small_model(seed=2)
    third = Recorder()
    fit(
        model,
        train,
        tmp_path,
        epochs=4,
        max_steps=32,
        save_every_steps=3,
        extra=[third],
    )
    assert third.restored_step == 14
    assert_same_weights(third.weights[14], second.weights[14])
    assert steps(model) == 32
    saved = training.load_history(tmp_path / "history.json")
    # Epoch 1 restarted its pass over the data at step 14 (Keras resumes at
    # epoch starts), so later epoch ends move by 6 steps; the total is exact.
    assert saved["epoch"] == [0, 1, 2, 3]
    assert saved["step"] == [8, 22, 30, 32]


def test_interrupted_save_keeps_last_backup(mnist, tmp_path, monkeypatch):
    train, _ = mnist
    model = small_model()
    fit(model, train, tmp_path, epochs=1)
    backup = tmp_path / "backup" / "latest.weights.h5"
    good = backup.read_bytes()

    def torn_save(self, filepath, overwrite=True, **kwargs):
        with open(filepath, "wb") as f:
            f.write(good[: len(good) // 2])
        raise Killed("during save")

    with monkeypatch.context() as patch:
        patch.setattr(keras.Model, "save_weights", torn_save)
        with pytest.raises(Killed):
            fit(small_model(seed=1), train, tmp_path, epochs=3)
    assert backup.read_bytes() == good
    assert (tmp_path / "backup" / "latest.partial.weights.h5").exists()

    model = small_model(seed=1)
    recorder = Recorder()
    fit(model, train, tmp_path, epochs=3, extra=[recorder])
    assert recorder.restored_step == 8
    assert steps(model) == 24
    assert not (tmp_path / "backup" / "latest.partial.weights.h5").exists()
    assert training.load_history(tmp_path / "history.json")["step"] == [8, 16, 24]


def test_damaged_backup_is_an_error_not_a_restart(mnist, tmp_path):
    train, _ = mnist
    fit(small_model(), train, tmp_path, epochs=1)
    backup = tmp_path / "backup" / "latest.weights.h5"
    backup.write_bytes(backup.read_bytes()[:1000])

    with pytest.raises(OSError, match="latest.weights.h5"):
        fit(small_model(), train, tmp_path, epochs=2)


def test_plan_steps():
    assert training.plan_steps(469, steps=1000) == (3, 1000)
    assert training.plan_steps(469, steps=938) == (2, 938)
    assert training.plan_steps(469, epochs=2) == (2, 938)
    assert training.plan_steps(469, epochs=2, steps=100) == (2, 100)
    assert training.plan_steps(469, epochs=2, steps=10_000) == (2, 938)
    with pytest.raises(ValueError, match="Received: epochs=None, steps=None"):
        training.plan_steps(469)
    with pytest.raises(ValueError, match="Received: steps=0"):
        training.plan_steps(469, steps=0)
    with pytest.raises(ValueError, match="Received: batches_per_epoch=-2"):
        training.plan_steps(-2, epochs=1)  # A dataset of unknown cardinality.


def test_fit_steps_per_epoch():
    # One epoch or less: the run is the epoch; else the given epoch length.
    assert training.fit_steps_per_epoch(*training.plan_steps(469, steps=30)) == 30
    assert training.fit_steps_per_epoch(*training.plan_steps(469, epochs=1)) == 469
    assert training.fit_steps_per_epoch(*training.plan_steps(469, steps=1000)) is None
    assert training.fit_steps_per_epoch(*training.plan_steps(50, steps=120), 50) == 50


def test_make_optimizer():
    sgd = training.make_optimizer("sgd", 0.1)
    assert isinstance(sgd, keras.optimizers.SGD)
    assert sgd.momentum == 0.9
    assert float(sgd.learning_rate) == pytest.approx(0.1)
    adam = training.make_optimizer("adam", 1e-3)
    assert isinstance(adam, keras.optimizers.Adam)
    assert sgd.weight_decay is None and adam.weight_decay is None
    decayed = training.make_optimizer("sgd", 0.1, momentum=0.0, weight_decay=0.001)
    assert (decayed.momentum, decayed.weight_decay) == (0.0, 0.001)
    layerwise = training.make_optimizer(
        "adam", 1e-3, weight_decay=0.01, multipliers={"dense": 0.5}
    )
    assert layerwise.weight_decay == 0.01
    with pytest.raises(ValueError, match="Received: name='rmsprop'"):
        training.make_optimizer("rmsprop", 0.1)
    with pytest.raises(ValueError, match="Received: learning_rate=0"):
        training.make_optimizer("sgd", 0)


def test_run_callbacks_order_and_arguments(tmp_path):
    extra = keras.callbacks.Callback()
    callbacks = training.run_callbacks(tmp_path, max_steps=5, extra=[extra])
    assert [type(c) for c in callbacks] == [
        training.AtomicBackup,
        training.StepLimit,
        keras.callbacks.Callback,
        training.HistoryFile,
        keras.callbacks.TensorBoard,
    ]
    assert callbacks[0].save_freq == "epoch"
    assert training.run_callbacks(tmp_path, save_every_steps=7)[0].save_freq == 7
    with pytest.raises(ValueError, match="Received: max_steps=0"):
        training.run_callbacks(tmp_path, max_steps=0)
    with pytest.raises(ValueError, match="Received: save_every_steps=True"):
        training.run_callbacks(tmp_path, save_every_steps=True)


def test_plot_history_of_keras_history(tmp_path):
    history = {"loss": [2.0, 1.0, 0.5], "sparse_categorical_accuracy": [0.1, 0.5, 0.8]}
    out = training.plot_history(history, tmp_path / "plots" / "h.png", title="t")
    assert matplotlib.image.imread(out).shape[1] > 600  # Two panels.
    assert os.listdir(tmp_path / "plots") == ["h.png"]
    with pytest.raises(ValueError, match="'loss' entry"):
        training.plot_history({"accuracy": [0.5]}, tmp_path / "x.png")


def test_fit_over_a_backup_it_did_not_restore_is_refused(mnist, tmp_path):
    train, _ = mnist
    fit(small_model(), train, tmp_path, epochs=1)
    callbacks = training.run_callbacks(tmp_path, tensorboard=False, plot=False)
    with pytest.raises(ValueError, match="restored from the backup"):
        small_model().fit(train, epochs=2, callbacks=callbacks, verbose=0)
    assert training.read_backup(tmp_path / "backup")["iterations"] == 8


def test_restore_builds_the_optimizer_and_skips_a_finished_run(mnist, tmp_path):
    train, _ = mnist
    fit(small_model(), train, tmp_path, epochs=2, max_steps=12)
    model = small_model(seed=1)
    assert not model.optimizer.built
    backup = tmp_path / "backup"
    assert training.restore(model, backup, epochs=2, max_steps=12) == 2
    assert steps(model) == 12
    assert training.restore(small_model(), backup, epochs=3, max_steps=20) == 2
    assert training.restore(small_model(), tmp_path / "none", epochs=3) == 0
    with pytest.raises(ValueError, match="Received: epochs=None, max_steps=12"):
        training.restore(small_model(), backup, max_steps=12)


def test_run_plan():
    plan = training.RunPlan("train", "test", *training.plan_steps(469, steps=30))
    assert (plan.epochs, plan.max_steps, plan.fit_steps_per_epoch) == (1, 30, 30)
    longer = plan.replace(epochs=3, max_steps=1000, steps_per_epoch=400)
    assert longer.fit_steps_per_epoch == 400 and longer.train == "train"


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"steps_per_epoch": 0}, "Received: steps_per_epoch=0"),
        ({"learning_rate": 0}, "Received: learning_rate=0"),
        ({"warmup_steps": -1}, "Received: warmup_steps=-1"),
        ({"optimizer": "rmsprop"}, "Received: optimizer='rmsprop'"),
        ({"batch_size": True}, "Received: batch_size=True"),
    ],
)
def test_training_config_checks_its_fields(fields, message):
    assert training.TrainingConfig().planned_epochs == 1
    with pytest.raises(ValueError, match=message):
        training.TrainingConfig(**fields)
