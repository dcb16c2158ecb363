"""The optimizers and learning-rate schedules of training runs."""

import keras

from keras_deepinit import optimizers
from keras_deepinit.training.config import OPTIMIZERS


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


def learning_rate_schedule(training, max_steps):
    """A `TrainingConfig`'s learning rate: linear warmup, then a cosine to 0
    by `max_steps` (or constant); a float when it has neither."""
    if not (training.warmup_steps or training.cosine_decay):
        return training.learning_rate
    # Linear warmup, then a cosine to 0 or constant (alpha=1: no decay).
    return keras.optimizers.schedules.CosineDecay(
        0.0 if training.warmup_steps else training.learning_rate,
        decay_steps=max(max_steps - training.warmup_steps, 1),
        alpha=0.0 if training.cosine_decay else 1.0,
        warmup_target=training.learning_rate if training.warmup_steps else None,
        warmup_steps=training.warmup_steps,
    )


def training_optimizer(training, max_steps, multipliers=None):
    """The optimizer of a `TrainingConfig`, on its schedule over `max_steps`;
    `multipliers` scale the learning rate per variable path prefix."""
    return make_optimizer(
        training.optimizer,
        learning_rate_schedule(training, max_steps),
        momentum=training.momentum,
        weight_decay=training.weight_decay,
        multipliers=multipliers,
    )
