"""A total of optimizer steps that holds across resumes."""

import keras

from keras_deepinit.checks import check_positive_int


def optimizer_steps(model):
    """Steps the model's optimizer has taken, also under a distribution strategy."""
    return int(keras.ops.convert_to_numpy(model.optimizer.iterations))


class StepLimit(keras.callbacks.Callback):
    """Stops training once the optimizer has taken `max_steps` steps in all.

    It counts with `model.optimizer.iterations`, which backups save and
    restore, so the limit holds across resumes. A run that has already taken
    `max_steps` steps must not start `fit` at all: `restore` returns the
    `initial_epoch` that skips every epoch. With `steps_per_execution=k` it
    may overshoot by up to `k - 1` steps.

    Examples:

    >>> initial_epoch = restore(model, "run/backup", epochs=100, max_steps=5000)
    >>> model.fit(
    ...     train,
    ...     epochs=100,
    ...     initial_epoch=initial_epoch,
    ...     callbacks=[AtomicBackup("run/backup"), StepLimit(5000)],
    ... )

    Args:
        max_steps: the total number of optimizer steps.
    """

    def __init__(self, max_steps):
        super().__init__()
        self.max_steps = check_positive_int("max_steps", max_steps)

    def on_train_batch_end(self, batch, logs=None):
        if optimizer_steps(self.model) >= self.max_steps:
            self.model.stop_training = True
