"""Backups of a training run that survive any kill, and resuming from them.

A backup is one file, `<backup_dir>/latest.weights.h5`: the model's and the
optimizer's weights, with the training metadata (the epoch to resume at and
the optimizer steps taken) as an HDF5 attribute. It is written beside and
renamed into place, so whatever moment a run is killed at, the last complete
backup stays. `restore` loads it before `fit` and returns the epoch `fit`
resumes at (its `initial_epoch`); `AtomicBackup` writes it during `fit`.
Only public Keras APIs are used: `save_weights`, `load_weights`,
`optimizer.build` and `fit(initial_epoch=...)`.
"""

import json
import os

import h5py
import keras

from keras_deepinit.checks import check_positive_int
from keras_deepinit.training.files import replace_atomically
from keras_deepinit.training.step_limit import optimizer_steps

WEIGHTS_FILE = "latest.weights.h5"
PARTIAL_FILE = "latest.partial.weights.h5"
METADATA_ATTR = "keras_deepinit_training_metadata"


def read_backup(backup_dir):
    """Returns a backup's training metadata, or None when there is no backup.

    The metadata is a dict: `"epoch"`, the epoch a resumed `fit` starts at, and
    `"iterations"`, the optimizer steps taken.
    """
    path = os.path.join(os.fspath(backup_dir), WEIGHTS_FILE)
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


def restore(model, backup_dir, *, epochs=None, max_steps=None):
    """Loads a run's backup into a compiled model; returns `fit`'s `initial_epoch`.

    Without a backup the model is left as it is and the run starts at epoch
    0. With one, the weights and the optimizer's state (its step count
    included) are the backup's, and the run resumes at the start of the
    backup's epoch: after a mid-epoch backup, that epoch's pass over the data
    starts over while the step count and the weights continue. A run that
    has taken `max_steps` steps returns `epochs`, so that `fit` runs none.
    Call it under the distribution strategy's scope, if any.

    Examples:

    >>> initial_epoch = restore(model, "run/backup", epochs=10)
    >>> model.fit(
    ...     train,
    ...     epochs=10,
    ...     initial_epoch=initial_epoch,
    ...     callbacks=[AtomicBackup("run/backup")],
    ... )

    Args:
        model: a built and compiled model.
        backup_dir: the backup's folder.
        epochs: the run's epochs; needed with `max_steps`.
        max_steps: the run's total of optimizer steps, or None.

    Returns:
        The epoch `fit` resumes at.
    """
    backup_dir = os.fspath(backup_dir)
    partial_path = os.path.join(backup_dir, PARTIAL_FILE)
    if os.path.exists(partial_path):  # From a save cut short.
        os.remove(partial_path)
    metadata = read_backup(backup_dir)
    if metadata is None:
        return 0
    if model.optimizer is not None and not model.optimizer.built:
        # The optimizer's variables must exist for their values to load.
        model.optimizer.build(model.trainable_variables)
    model.load_weights(os.path.join(backup_dir, WEIGHTS_FILE))
    if max_steps is not None and metadata["iterations"] >= max_steps:
        if epochs is None:
            raise ValueError(
                "Expected epochs with max_steps, to skip a finished run. "
                f"Received: epochs=None, max_steps={max_steps!r}"
            )
        return epochs
    return metadata["epoch"]


class AtomicBackup(keras.callbacks.Callback):
    """Backs a run up to `<backup_dir>/latest.weights.h5`, atomically.

    Backups are written at every epoch end (also with an integer
    `save_freq`), every `save_freq` batches if it is an integer, and once
    more when training ends, so that a finished run resumes as finished.
    Epoch-end backups are written when the next epoch begins (or training
    ends), after every other callback has seen the epoch end: history files
    are never behind the backup, and changes made then (say a reduced
    learning rate) are saved. Each backup records the epoch `fit` numbers
    it in, so resume with `restore` and `fit(initial_epoch=...)`; a `fit`
    that would overwrite a backup it did not restore is refused.

    Examples:

    >>> backup = AtomicBackup("run/backup", save_freq=100)
    >>> initial_epoch = restore(model, "run/backup")
    >>> model.fit(train, epochs=10, initial_epoch=initial_epoch, callbacks=[backup])

    Args:
        backup_dir: folder of the backup, used for nothing else.
        save_freq: `"epoch"`, or a number of batches between backups.
    """

    def __init__(self, backup_dir, save_freq="epoch"):
        super().__init__()
        if save_freq != "epoch":
            check_positive_int("save_freq", save_freq)
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self._epoch = 0
        self._epoch_ended = False
        self._batches = 0
        self._last_batch = -1

    def on_train_begin(self, logs=None):
        metadata = read_backup(self.backup_dir)
        if metadata is not None and metadata["iterations"] != optimizer_steps(
            self.model
        ):
            raise ValueError(
                f"Expected the model restored from the backup in {self.backup_dir} "
                "(keras_deepinit.training.restore) before fit, which would "
                f"overwrite it. Received: a model at step "
                f"{optimizer_steps(self.model)}, backup at {metadata['iterations']}"
            )
        self._epoch_ended = False
        self._batches = 0

    def on_epoch_begin(self, epoch, logs=None):
        if self._epoch_ended:
            self._save(epoch)
        self._epoch = epoch
        self._last_batch = -1

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        # `batch` may jump by more than 1 with `steps_per_execution`.
        self._batches += batch - self._last_batch
        self._last_batch = batch
        if self._batches >= self.save_freq:
            self._save(self._epoch)

    def on_epoch_end(self, epoch, logs=None):
        self._epoch = epoch + 1
        self._epoch_ended = True

    def on_train_end(self, logs=None):
        if self._epoch_ended:
            self._save(self._epoch)

    def _save(self, epoch):
        os.makedirs(self.backup_dir, exist_ok=True)
        partial_path = os.path.join(self.backup_dir, PARTIAL_FILE)
        self.model.save_weights(partial_path, overwrite=True)
        metadata = {"epoch": epoch, "iterations": optimizer_steps(self.model)}
        with h5py.File(partial_path, "r+") as f:
            f.attrs[METADATA_ATTR] = json.dumps(metadata)
        replace_atomically(partial_path, os.path.join(self.backup_dir, WEIGHTS_FILE))
        self._epoch_ended = False
        self._batches = 0
