"""The base of the apps' KerasTuner HyperModels: an app's config, the apps'
optimizer and schedule, and the hooks the search calls."""

import keras_tuner

from keras_deepinit.training import TrainingConfig


def check_range(name, value_range, default):
    """`value_range` as a tuple, if it is `0 < min < max` around `default`."""
    value_range = tuple(value_range)
    if not (len(value_range) == 2 and 0 < value_range[0] < value_range[1]):
        raise ValueError(
            f"Expected {name} to be (min, max) with 0 < min < max. "
            f"Received: {name}={value_range!r}"
        )
    if not value_range[0] <= default <= value_range[1]:
        raise ValueError(
            f"Expected {name} to contain the default value {default!r}. "
            f"Received: {name}={value_range!r}"
        )
    return value_range


class AppHyperModel(keras_tuner.HyperModel):
    """Base of the apps' HyperModels: the app's config and the apps' optimizer.

    Subclasses set `config_class`, `tuned` (the config fields that `build`
    sets from hyperparameters), `objective` and `default_learning_rate`, and
    implement `build(hp)`. `options` names their own constructor arguments
    the `tune` command offers as flags (name -> help; floats), and the class
    methods and `write_plots` are the search's hooks.

    Examples:

    >>> class WidthHyperModel(AppHyperModel):
    ...     config_class = OWNConfig
    ...     tuned = ("width",)
    ...
    ...     def build(self, hp):
    ...         width = hp.Choice("width", [64, 128], default=128)
    ...         config = dataclasses.replace(self.config, width=width)
    ...         return self.compile_classifier(build_own_network(config))

    Args:
        config: the app's config dataclass. Every field but the `tuned` ones
            is fixed for the search.
        learning_rate: the learning rate (of the stem and the classifier, for
            the deep CNN); None: the class's `default_learning_rate`.
        steps: optimizer steps of a trial. With it, the learning rate rises
            linearly over `warmup_steps`, then decays to 0 along a cosine by
            the last step, as in the training apps; None keeps it constant.
        warmup_steps: see `steps`.
        **kwargs: `keras_tuner.HyperModel` arguments, such as `name`.
    """

    config_class = None
    tuned = ()
    objective = "val_accuracy"
    default_learning_rate = 0.01
    options = {}

    def __init__(
        self, config, *, learning_rate=None, steps=None, warmup_steps=0, **kwargs
    ):
        super().__init__(**kwargs)
        if not isinstance(config, self.config_class):
            raise ValueError(
                f"Expected config to be a {self.config_class.__name__}. "
                f"Received: config={config!r}"
            )
        self.config = config
        self.learning_rate = learning_rate or self.default_learning_rate
        self.steps = steps
        self.warmup_steps = warmup_steps

    @classmethod
    def setup(cls):
        """Runs once before a search reads data; e.g. sets TensorFlow's threading."""

    @classmethod
    def label(cls, config):
        """The model's part of a search's default folder name."""
        return config.name

    def values(self, hp):
        """A trial's hyperparameter values and what `build` derives from them."""
        return dict(hp.values)

    def write_plots(self, rows, folder, objective, context):
        """Draws the search's figures into `folder`; returns their paths.

        Args:
            rows: the trials, best first (see `keras_deepinit.tuning.summarize`).
            folder: the search's folder.
            objective: the tuner's `keras_tuner.Objective`.
            context: a few words on the data and the trials' length.
        """
        return []

    def training_config(self, learning_rate=None, **fields):
        """The `TrainingConfig` of a trial's optimizer: the apps' Adam,
        momentum 0.9, no weight decay, unless `fields` say otherwise."""
        return TrainingConfig(
            **{"optimizer": "adam", "momentum": 0.9, "weight_decay": 0.0, **fields},
            learning_rate=learning_rate or self.learning_rate,
            warmup_steps=self.warmup_steps if self.steps else 0,
            cosine_decay=self.steps is not None,
        )

    def compile_classifier(self, model, learning_rate=None, multipliers=None):
        """Compiles as the training apps do: cross-entropy on logits, accuracy."""
        from keras_deepinit.training import compile_classifier

        compile_classifier(
            model, self.training_config(learning_rate), self.steps or 1, multipliers
        )
        return model
