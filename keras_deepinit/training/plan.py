"""The plan of a run: its data, its epochs and its total of optimizer steps."""

import dataclasses
import math

from keras_deepinit.checks import check_positive_int


@dataclasses.dataclass(frozen=True)
class RunPlan:
    """The data and the length of a training run.

    Examples:

    >>> epochs, max_steps = plan_steps(469, steps=1000)
    >>> plan = RunPlan(train, test, epochs, max_steps)
    >>> model.fit(
    ...     plan.train,
    ...     epochs=plan.epochs,
    ...     steps_per_epoch=plan.fit_steps_per_epoch,
    ...     validation_data=plan.test,
    ... )

    Args:
        train: the training batches.
        test: the evaluation batches (test or validation).
        epochs: the epochs of `fit`.
        max_steps: optimizer steps in all, across resumes.
        steps_per_epoch: steps of an epoch of the repeated training data;
            None: a whole pass over it.
    """

    train: object
    test: object
    epochs: int
    max_steps: int
    steps_per_epoch: int | None = None

    @property
    def fit_steps_per_epoch(self):
        """`fit`'s `steps_per_epoch` (see `fit_steps_per_epoch`)."""
        return fit_steps_per_epoch(self.epochs, self.max_steps, self.steps_per_epoch)

    def replace(self, **changes):
        """A copy with `changes`, e.g. another length for the same data."""
        return dataclasses.replace(self, **changes)


def plan_steps(batches_per_epoch, *, epochs=None, steps=None):
    """Returns the `epochs` and `max_steps` of a run from `--epochs`, `--steps`.

    Training ends after `epochs` epochs or `steps` steps, whichever comes
    first. Passing the returned `max_steps` to `run_callbacks` and `restore`
    makes the total exact across resumes even when only `epochs` is given (a
    resumed epoch starts its pass over the data again).

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
