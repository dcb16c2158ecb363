"""The typed configuration of a training run: what every app's flags set."""

import dataclasses
import numbers

from keras_deepinit.checks import check_positive_int

OPTIMIZERS = ("sgd", "adam")


def _check_at_least(name, value, low):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value < low:
        raise ValueError(
            f"Expected {name} to be a number of at least {low}. "
            f"Received: {name}={value!r}"
        )


@dataclasses.dataclass(frozen=True)
class TrainingConfig:
    """How to train a model: data, length, optimizer, schedule, run folder.

    The model's own configuration (depth, width, ...) is the app's config
    dataclass; this one holds what every app's training shares. The
    `keras-deepinit train APP` flags map one to one onto its fields
    (`--no-export` sets `export=False`).

    Examples:

    >>> training = TrainingConfig(steps=2000, steps_per_epoch=500)
    >>> TrainingConfig(optimizer="sgd", learning_rate=0.1, momentum=0.0)

    Args:
        dataset: the data set's name (see `keras_deepinit.data`).
        epochs: passes over the training data; None: 1 unless `steps` is
            set.
        steps: optimizer steps in all; the run stops at `epochs` or `steps`,
            whichever comes first.
        steps_per_epoch: make an epoch this many steps of the repeated
            training data (evaluations, history rows and backups every N
            steps); None: a whole pass over the data.
        batch_size: examples per replica; a step takes this times the
            replicas.
        strategy: the `tf.distribute` strategy's name (see
            `keras_deepinit.distribute.get_strategy`).
        tpu: the Cloud TPU's name or `grpc://` address.
        optimizer: `"sgd"` (with `momentum`) or `"adam"`.
        learning_rate: the peak learning rate.
        momentum: the SGD momentum.
        weight_decay: each step's decay of every weight, times the learning
            rate.
        warmup_steps: steps of a linear warmup from 0 to `learning_rate`.
        cosine_decay: after the warmup, decay the learning rate to 0 along a
            cosine by the last step; False keeps it constant.
        eval_batches: evaluate on this many test batches; None: all.
        seed: seed of the data order and the initial weights.
        data_dir: folder of the official archives; None: the default (see
            `keras_deepinit.data.load`).
        run_dir: the run folder (backups, logs, history, model); None: the
            app's default, `runs/<app>/<dataset>_<model name>`.
        save_every_steps: also back up every N steps; None: at epoch ends.
        export: export a SavedModel after training.
        export_dir: the exported models' folder.
        verbose: `fit`'s verbosity, 0, 1 or 2.
    """

    dataset: str = "mnist"
    epochs: int | None = None
    steps: int | None = None
    steps_per_epoch: int | None = None
    batch_size: int = 64
    strategy: str = "auto"
    tpu: str | None = None
    optimizer: str = "adam"
    learning_rate: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 0.0
    warmup_steps: int = 100
    cosine_decay: bool = True
    eval_batches: int | None = None
    seed: int = 0
    data_dir: str | None = None
    run_dir: str | None = None
    save_every_steps: int | None = None
    export: bool = True
    export_dir: str = "exported_models"
    verbose: int = 1

    def __post_init__(self):
        for name in (
            "epochs",
            "steps",
            "steps_per_epoch",
            "eval_batches",
            "save_every_steps",
        ):
            check_positive_int(name, getattr(self, name), allow_none=True)
        check_positive_int("batch_size", self.batch_size)
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(
                f"Expected optimizer to be one of {OPTIMIZERS}. "
                f"Received: optimizer={self.optimizer!r}"
            )
        if isinstance(self.learning_rate, bool) or not (
            isinstance(self.learning_rate, numbers.Real) and self.learning_rate > 0
        ):
            raise ValueError(
                "Expected learning_rate to be a positive number. "
                f"Received: learning_rate={self.learning_rate!r}"
            )
        for name in ("momentum", "weight_decay", "warmup_steps"):
            _check_at_least(name, getattr(self, name), 0)
        if self.verbose not in (0, 1, 2):
            raise ValueError(
                f"Expected verbose to be 0, 1 or 2. Received: verbose={self.verbose!r}"
            )

    @property
    def planned_epochs(self):
        """`epochs`, or 1 when neither `epochs` nor `steps` is set."""
        return self.epochs if self.epochs or self.steps else 1

    def replace(self, **changes):
        """A copy with `changes` (checked again)."""
        return dataclasses.replace(self, **changes)
