"""The typed configuration of a hyperparameter search."""

import dataclasses
import os

from keras_deepinit.checks import check_positive_int

TUNER_NAMES = ("random", "bayesian")


@dataclasses.dataclass(frozen=True)
class SearchConfig:
    """How to search: the tuner, the trials, their data and their folder.

    Trials train on the training split less `validation_examples` held out
    of it, which score them (the test split is never used). The search lives
    in `<directory>/<project_name>/`; running it again resumes it.

    Args:
        tuner: `"random"` (random search) or `"bayesian"` (Bayesian
            optimization).
        max_trials: trials in all, a resumed search's included.
        epochs: epochs per trial; None: 1 unless `steps` is set.
        steps: stop each trial after this many training steps.
        batch_size: examples per batch; None: the app's training default.
        learning_rate: the learning rate (or the tuned one's default); None:
            the hypermodel's `default_learning_rate`.
        warmup_steps: linear warmup of each trial, before its cosine decay
            to 0 by its last step.
        validation_examples: examples held out of the training split;
            None: a tenth of it.
        dataset: the data set's name; None: the app's first.
        data_dir: folder of the official archives.
        directory: the searches' folder.
        project_name: the search's folder under `directory`; None:
            `<app>_<dataset>_<model label>`.
        seed: seed of the tuner, the data order and the initial weights.
        verbose: KerasTuner's and fit's progress, 0, 1 or 2.
    """

    tuner: str = "random"
    max_trials: int = 10
    epochs: int | None = None
    steps: int | None = None
    batch_size: int | None = None
    learning_rate: float | None = None
    warmup_steps: int = 0
    validation_examples: int | None = None
    dataset: str | None = None
    data_dir: str | None = None
    directory: str = os.path.join("runs", "tune")
    project_name: str | None = None
    seed: int = 0
    verbose: int = 1

    def __post_init__(self):
        if self.tuner not in TUNER_NAMES:
            raise ValueError(
                f"Expected tuner to be one of {TUNER_NAMES}. "
                f"Received: tuner={self.tuner!r}"
            )
        check_positive_int("max_trials", self.max_trials)
        for name in ("epochs", "steps", "batch_size", "validation_examples"):
            check_positive_int(name, getattr(self, name), allow_none=True)
        if isinstance(self.warmup_steps, bool) or not (
            isinstance(self.warmup_steps, int) and self.warmup_steps >= 0
        ):
            raise ValueError(
                "Expected warmup_steps to be at least 0. "
                f"Received: warmup_steps={self.warmup_steps!r}"
            )
        if self.learning_rate is not None and not self.learning_rate > 0:
            raise ValueError(
                "Expected learning_rate to be positive. "
                f"Received: learning_rate={self.learning_rate!r}"
            )
