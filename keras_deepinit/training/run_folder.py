"""A resumable training run in a folder: its callbacks and its `fit`.

```
<run_dir>/
  backup/latest.weights.h5   weights, optimizer state, epoch: the backup
  logs/                      TensorBoard logs
  history.json               epoch logs (see `HistoryFile`)
  history.png                train and validation curves
```
"""

import os

import keras

from keras_deepinit.checks import check_positive_int
from keras_deepinit.training.backup import AtomicBackup
from keras_deepinit.training.backup import restore
from keras_deepinit.training.history import HistoryFile
from keras_deepinit.training.step_limit import StepLimit

BACKUP_DIR = "backup"
LOGS_DIR = "logs"
HISTORY_FILE = "history.json"
PLOT_FILE = "history.png"


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

    Resume with `restore_run` (or use `fit_resumable`, which does both): a
    run killed and run again resumes from its last backup, and a finished
    run stays finished.

    Examples:

    >>> epochs, max_steps = plan_steps(len(train), steps=5000)
    >>> initial_epoch = restore_run(model, "runs/deep_cnn", epochs, max_steps)
    >>> model.fit(
    ...     train,
    ...     epochs=epochs,
    ...     initial_epoch=initial_epoch,
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
        extra: more callbacks. They run before the history is written (so
            logs they add are in it).

    Returns:
        A list: the `AtomicBackup`, the `StepLimit`, the `extra` callbacks,
        the `HistoryFile` and `keras.callbacks.TensorBoard`.
    """
    if max_steps is not None:
        check_positive_int("max_steps", max_steps)
    if save_every_steps is not None:
        check_positive_int("save_every_steps", save_every_steps)
    run_dir = os.fspath(run_dir)
    callbacks = [
        AtomicBackup(
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


def restore_run(model, run_dir, epochs=None, max_steps=None):
    """`restore` from the run folder's backup: `fit`'s `initial_epoch`."""
    return restore(
        model,
        os.path.join(os.fspath(run_dir), BACKUP_DIR),
        epochs=epochs,
        max_steps=max_steps,
    )


def fit_resumable(
    model,
    x,
    *,
    run_dir,
    epochs,
    max_steps=None,
    save_every_steps=None,
    tensorboard=True,
    plot=True,
    extra=(),
    **kwargs,
):
    """Fits a compiled model in a run folder, resuming from its backup.

    Examples:

    >>> epochs, max_steps = plan_steps(len(train), steps=5000)
    >>> fit_resumable(model, train, run_dir="runs/a", epochs=epochs,
    ...               max_steps=max_steps, validation_data=test)

    Args:
        model: the compiled model.
        x: the training data.
        run_dir, max_steps, save_every_steps, tensorboard, plot, extra: see
            `run_callbacks`.
        epochs: the run's epochs.
        **kwargs: more arguments of `fit`.

    Returns:
        `fit`'s `History` of the epochs run now.
    """
    initial_epoch = restore_run(model, run_dir, epochs, max_steps)
    callbacks = run_callbacks(
        run_dir,
        max_steps=max_steps,
        save_every_steps=save_every_steps,
        tensorboard=tensorboard,
        plot=plot,
        extra=extra,
    )
    return model.fit(
        x, epochs=epochs, initial_epoch=initial_epoch, callbacks=callbacks, **kwargs
    )
