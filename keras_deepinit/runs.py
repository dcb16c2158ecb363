"""Training runs: resumable callbacks, history files and plots, step plans.

What every app's `main(argv)` sets up: `run_callbacks` for a run folder that
survives kills, `plan_steps` for `--epochs` and `--steps`, `make_optimizer`.
"""

import json
import math
import os

import h5py
import keras

from keras_deepinit import optimizers
from keras_deepinit.checks import check_positive_int

BACKUP_DIR = "backup"
LOGS_DIR = "logs"
HISTORY_FILE = "history.json"
PLOT_FILE = "history.png"
OPTIMIZERS = ("sgd", "adam")
WEIGHTS_FILE = "latest.weights.h5"
PARTIAL_FILE = "latest.partial.weights.h5"
METADATA_ATTR = "keras_deepinit_training_metadata"


def run_callbacks(
    run_dir,
    *,
    max_steps=None,
    save_every_steps=None,
    tensorboard=True,
    plot=True,
    extra=(),
):
    """Returns the Keras callbacks of a resumable training run in `run_dir`.

    Calling `fit` again with the same `run_dir` (after a kill, say) resumes
    from the last backup; a finished run stays finished. The run folder holds:

    ```
    <run_dir>/
      backup/latest.weights.h5   weights, optimizer state, epoch: the backup
      logs/                      TensorBoard logs
      history.json               epoch logs (see `HistoryFile`)
      history.png                train and validation curves
    ```

    Examples:

    >>> epochs, max_steps = plan_steps(len(train), steps=5000)
    >>> model.fit(
    ...     train,
    ...     epochs=epochs,
    ...     validation_data=test,
    ...     callbacks=run_callbacks("runs/deep_cnn", max_steps=max_steps),
    ... )

    Args:
        run_dir: the run's folder.
        max_steps: total optimizer steps after which training stops, counted
            across resumes; None for no limit.
        save_every_steps: batches between backups, which are also written at
            every epoch end; None for epoch ends only.
        tensorboard: whether to write TensorBoard logs.
        plot: whether to redraw `history.png` after every epoch.
        extra: more callbacks. They run after the restore (so they see the
            restored model) and before the history is written (so logs they
            add are in it).

    Returns:
        A list: the backup (`AtomicBackupAndRestore`), the `StepLimit`, the
        `extra` callbacks, the `HistoryFile` and `keras.callbacks.TensorBoard`.
    """
    if max_steps is not None:
        check_positive_int("max_steps", max_steps)
    if save_every_steps is not None:
        check_positive_int("save_every_steps", save_every_steps)
    run_dir = os.fspath(run_dir)
    callbacks = [
        AtomicBackupAndRestore(
            os.path.join(run_dir, BACKUP_DIR), save_freq=save_every_steps or "epoch"
        )
    ]
    if max_steps is not None:
        callbacks.append(StepLimit(max_steps))
    callbacks.extend(extra)
    callbacks.append(
        HistoryFile(
            os.path.join(run_dir, HISTORY_FILE),
            plot_path=os.path.join(run_dir, PLOT_FILE) if plot else None,
        )
    )
    if tensorboard:
        # No graph: a 10,000-layer train step's graph is huge and slow to write.
        callbacks.append(
            keras.callbacks.TensorBoard(
                os.path.join(run_dir, LOGS_DIR), write_graph=False
            )
        )
    return callbacks


def plan_steps(batches_per_epoch, *, epochs=None, steps=None):
    """Returns the `epochs` and `max_steps` of a run from `--epochs`, `--steps`.

    Training ends after `epochs` epochs or `steps` steps, whichever comes
    first. Passing the returned `max_steps` to `run_callbacks` makes the total
    exact across resumes even when only `epochs` is given (a resumed epoch
    starts its pass over the data again, see `AtomicBackupAndRestore`).

    Examples:

    >>> plan_steps(469, steps=1000)
    (3, 1000)
    >>> plan_steps(469, epochs=2)
    (2, 938)

    Args:
        batches_per_epoch: batches in one pass over the training data, e.g.
            `int(train.cardinality())`.
        epochs: the number of epochs, or None.
        steps: the total number of optimizer steps, or None.

    Returns:
        `(epochs, max_steps)`, to pass to `fit` and `run_callbacks`.
    """
    check_positive_int("batches_per_epoch", batches_per_epoch)
    if epochs is None and steps is None:
        raise ValueError(
            "Expected epochs, steps or both to be set. "
            "Received: epochs=None, steps=None"
        )
    if epochs is not None:
        check_positive_int("epochs", epochs)
    if steps is not None:
        check_positive_int("steps", steps)
    if epochs is None:
        return math.ceil(steps / batches_per_epoch), steps
    max_steps = epochs * batches_per_epoch
    return epochs, max_steps if steps is None else min(steps, max_steps)


def fit_steps_per_epoch(epochs, max_steps, steps_per_epoch=None):
    """`fit`'s `steps_per_epoch` for a plan from `plan_steps`.

    A run of one epoch or less is one epoch of `max_steps` steps, so that the
    progress bar counts the steps run, not the batches of a whole pass;
    otherwise `steps_per_epoch` (None: a whole pass over the data).

    Examples:

    >>> fit_steps_per_epoch(*plan_steps(469, steps=30))
    30
    >>> fit_steps_per_epoch(*plan_steps(469, steps=1000)) is None
    True
    """
    return max_steps if epochs == 1 else steps_per_epoch


def optimizer_steps(model):
    """Steps the model's optimizer has taken, also under a distribution strategy."""
    return int(keras.ops.convert_to_numpy(model.optimizer.iterations))


def make_optimizer(
    name, learning_rate, *, momentum=0.9, weight_decay=None, multipliers=None
):
    """Returns the optimizer that `--optimizer` and `--learning-rate` name.

    Examples:

    >>> make_optimizer("sgd", 1e-3)  # SGD with momentum 0.9.
    >>> make_optimizer("adam", 1e-3, multipliers={"body": 0.03})

    Args:
        name: `"sgd"` (with momentum) or `"adam"`.
        learning_rate: a positive float, or a
            `keras.optimizers.schedules.LearningRateSchedule`.
        momentum: the SGD momentum.
        weight_decay: None, or each step's decay of every weight, times the
            learning rate (Keras's decoupled `weight_decay`).
        multipliers: None, or a dict from variable path prefix to a factor on
            that group's learning rate (see `keras_deepinit.optimizers`).
    """
    if name not in OPTIMIZERS:
        raise ValueError(
            f"Expected name to be one of {OPTIMIZERS}. Received: name={name!r}"
        )
    if not isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule):
        if isinstance(learning_rate, bool) or not (
            isinstance(learning_rate, int | float) and learning_rate > 0
        ):
            raise ValueError(
                "Expected learning_rate to be a positive number or a schedule. "
                f"Received: learning_rate={learning_rate!r}"
            )
    options = {"weight_decay": weight_decay or None}
    if name == "sgd":
        options["momentum"] = momentum
    if multipliers is not None:
        layerwise = (
            optimizers.LayerwiseSGD if name == "sgd" else optimizers.LayerwiseAdam
        )
        return layerwise(learning_rate, multipliers=multipliers, **options)
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate, **options)
    return keras.optimizers.Adam(learning_rate, **options)


class StepLimit(keras.callbacks.Callback):
    """Stops training once the optimizer has taken `max_steps` steps in all.

    It counts with `model.optimizer.iterations`, which backups save and
    restore, so the limit holds across resumes: a run killed and resumed
    takes `max_steps` steps in all, and a finished run run again takes none.
    Put it after the `BackupAndRestore` callback, whose restore it must see.
    With `steps_per_execution=k` it may overshoot by up to `k - 1` steps.

    Examples:

    >>> backup = keras.callbacks.BackupAndRestore("run/backup")
    >>> model.fit(train, epochs=100, callbacks=[backup, StepLimit(5000)])

    Args:
        max_steps: the total number of optimizer steps.
    """

    def __init__(self, max_steps):
        super().__init__()
        check_positive_int("max_steps", max_steps)
        self.max_steps = max_steps

    def _done(self):
        return optimizer_steps(self.model) >= self.max_steps

    def on_train_begin(self, logs=None):
        if self._done():
            # `fit` checks `stop_training` only after a step: skip every epoch.
            self.model._initial_epoch = self.params["epochs"]

    def on_train_batch_end(self, batch, logs=None):
        if self._done():
            self.model.stop_training = True


class AtomicBackupAndRestore(keras.callbacks.BackupAndRestore):
    """`keras.callbacks.BackupAndRestore` whose backups survive any kill.

    Keras 3.15's callback writes its weights file and its metadata file in
    place, so a kill during a save leaves a torn backup (and a metadata file
    that disagrees with the weights). Here the backup is one file,
    `<backup_dir>/latest.weights.h5`: the model and optimizer weights with the
    training metadata as an HDF5 attribute, written beside and renamed into
    place. Whatever moment a run is killed at, the last complete backup
    stays, and a resumed run redoes at most the steps since it.

    Other differences from Keras's callback:
    - Backups are also written at every epoch end with an integer
      `save_freq`, and once more when training ends, so that a finished
      run resumes as finished. Epoch-end backups are written when the next
      epoch begins (or training ends), after every other callback has seen
      the epoch end: history files are never behind the backup, and changes
      made then (say a reduced learning rate) are saved.
    - The backup is kept after training, by default.
    - A mid-epoch backup of a resumed run records the right epoch (Keras's
      records epoch 0 until the first epoch of the resumed run ends).

    Like Keras's, a run resumes at the start of the backup's epoch: after a
    mid-epoch backup, that epoch's pass over the data starts over while the
    optimizer's step count and weights continue from the backup.

    Examples:

    >>> backup = AtomicBackupAndRestore("run/backup", save_freq=100)
    >>> model.fit(train, epochs=10, callbacks=[backup])  # Killed, run again.

    Args:
        backup_dir: folder of the backup, used for nothing else.
        save_freq: `"epoch"`, or a number of batches between backups.
        delete_checkpoint: whether to delete the backup when training ends.
    """

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=False):
        super().__init__(
            os.fspath(backup_dir),
            save_freq=save_freq,
            delete_checkpoint=delete_checkpoint,
        )
        self._weights_path = os.path.join(self.backup_dir, WEIGHTS_FILE)
        self._epoch_ended = False
        self.restored = None  # The metadata of the backup resumed from.

    def on_train_begin(self, logs=None):
        partial_path = os.path.join(self.backup_dir, PARTIAL_FILE)
        if os.path.exists(partial_path):  # From a save cut short.
            os.remove(partial_path)
        self._epoch_ended = False
        self.restored = read_backup(self.backup_dir)
        if self.restored is None:
            self.model._initial_epoch = None  # Not one left by an earlier fit.
            return
        super()._load_model()  # Weights and optimizer state.
        self.model._initial_epoch = self.restored["epoch"]

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch
        if self._epoch_ended:
            self._save_model()

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        self._epoch_ended = True

    def on_train_end(self, logs=None):
        if self._epoch_ended and not self.delete_checkpoint:
            self._save_model()
        super().on_train_end(logs)

    def _save_model(self):
        os.makedirs(self.backup_dir, exist_ok=True)
        partial_path = os.path.join(self.backup_dir, PARTIAL_FILE)
        self.model.save_weights(partial_path, overwrite=True)
        metadata = {
            "epoch": self._current_epoch,
            "iterations": optimizer_steps(self.model),
        }
        with h5py.File(partial_path, "r+") as f:
            f.attrs[METADATA_ATTR] = json.dumps(metadata)
        _replace(partial_path, self._weights_path)
        self._epoch_ended = False
        self._batches_seen_since_last_saving = 0


def read_backup(backup_dir):
    """Returns a backup's training metadata, or None when there is no backup.

    The metadata is a dict: `"epoch"`, the epoch a resumed `fit` starts at, and
    `"iterations"`, the optimizer steps taken.
    """
    path = os.path.join(backup_dir, WEIGHTS_FILE)
    if not os.path.exists(path):
        return None
    try:
        with h5py.File(path, "r") as f:
            return json.loads(f.attrs[METADATA_ATTR])
    except (OSError, KeyError, ValueError) as error:
        # Backups are renamed into place whole, so this is outside damage:
        # restarting from scratch silently would throw the run away.
        raise OSError(
            f"The training backup {path} is unreadable ({error}). Move it "
            "away to start the run over."
        ) from error


class HistoryFile(keras.callbacks.Callback):
    """Writes the epoch logs to a JSON file after every epoch, across resumes.

    The file holds a dict of lists like `keras.callbacks.History.history`,
    one entry per epoch, plus `"epoch"` (0-based, as Keras counts) and
    `"step"` (the optimizer's step count at the epoch's end); a value an
    epoch did not log is null. A resumed run continues the file: rows of
    epochs it runs again (those after its backup) are replaced, the others
    kept. Each write is atomic.

    Examples:

    >>> history = HistoryFile("run/history.json", plot_path="run/history.png")
    >>> model.fit(train, epochs=10, validation_data=test, callbacks=[history])
    >>> load_history("run/history.json")["val_loss"]

    Args:
        path: the JSON file.
        plot_path: a PNG redrawn by `plot_history` after every epoch, or None.
    """

    def __init__(self, path, plot_path=None):
        super().__init__()
        self.path = os.fspath(path)
        self.plot_path = plot_path
        self.history = {}

    def on_train_begin(self, logs=None):
        self.history = load_history(self.path) if os.path.exists(self.path) else {}

    def on_epoch_begin(self, epoch, logs=None):
        # Epochs at or after this one are being run again: forget their rows.
        kept = sum(1 for e in self.history.get("epoch", []) if e < epoch)
        self.history = {key: values[:kept] for key, values in self.history.items()}

    def on_epoch_end(self, epoch, logs=None):
        row = {"epoch": epoch, "step": optimizer_steps(self.model)}
        for key, value in (logs or {}).items():
            try:
                row[key] = float(value)
            except (TypeError, ValueError):  # Not a scalar.
                pass
        done = len(self.history.get("epoch", []))
        for key in row:
            self.history.setdefault(key, [None] * done)
        for key, values in self.history.items():
            values.append(row.get(key))
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        _write_json(self.path, self.history)
        if self.plot_path is not None:
            plot_history(self.history, self.plot_path)


def load_history(path):
    """Reads a history file written by `HistoryFile` as a dict of lists."""
    with open(path) as f:
        return json.load(f)


def plot_history(history, out, title=None):
    """Draws train and validation loss and accuracy over epochs to a PNG.

    Examples:

    >>> plot_history(load_history("run/history.json"), "run/history.png")
    >>> plot_history(model.fit(train, epochs=5, validation_data=test), "h.png")

    Args:
        history: a dict of lists (a `HistoryFile`'s, or Keras's
            `History.history`), or a `keras.callbacks.History`.
        out: the PNG file.
        title: the figure's title, or None.

    Returns:
        `out`.
    """
    if isinstance(history, keras.callbacks.History):
        history = history.history
    if not history.get("loss"):
        raise ValueError(
            f"Expected a history with a 'loss' entry. Received: "
            f"history with keys={sorted(history)}"
        )
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    count = len(history["loss"])
    epochs = [e + 1 for e in history.get("epoch", range(count))]
    accuracy = [
        key
        for key in history
        if "acc" in key and not key.startswith("val_") and key != "epoch"
    ]
    panels = ["loss"] + accuracy[:1]
    figure, axes = plt.subplots(
        1, len(panels), figsize=(5 * len(panels), 3.8), squeeze=False
    )
    for axis, key in zip(axes[0], panels, strict=True):
        for name, label, style in (
            (key, "train", "-"),
            (f"val_{key}", "validation", "--"),
        ):
            if name in history:
                values = [math.nan if v is None else v for v in history[name]]
                axis.plot(epochs, values, style, marker=".", label=label)
        axis.set_xlabel("epoch")
        axis.set_ylabel(key)
        axis.grid(alpha=0.3)
        axis.legend()
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    partial_path = f"{out}.partial"
    figure.savefig(partial_path, format="png", dpi=100)
    plt.close(figure)
    _replace(partial_path, out)
    return out


def _replace(partial_path, path):
    """Moves a finished file into place, flushed to disk first.

    `os.replace` is atomic: a reader, or a run killed at any moment, sees
    either the old file or the new one, never a mix.
    """
    fd = os.open(partial_path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(partial_path, path)


def _write_json(path, data):
    """Writes `data` as indented JSON to `path` atomically."""
    partial_path = f"{path}.partial"
    with open(partial_path, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
    _replace(partial_path, path)
