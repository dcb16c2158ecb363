"""The declaration of an application: what the CLI, the tuner and the tests
need to know about it, in one place.

Each app declares itself once, in its own folder (`apps/<app>/app.py`), with
an `App`; a registry collects the declarations, and the `keras-deepinit`
command and the `tune` search iterate over them. Nothing here imports an
app: heavy parts (config class, builder, hypermodel, entry point) are named
as `"module:attribute"` references inside the app's package and imported on
first use, so that listing the apps stays cheap.
"""

import dataclasses
import importlib
import types

from keras_deepinit.training.config import TrainingConfig

PRESET_METADATA = ("description", "reproduces", "result")


def check_presets(presets):
    """Checks keras-hub style presets: `{name: {"config": {...}, "metadata":
    {"description": ..., "reproduces": ..., "result": ...}}}`, where only
    the description is required."""
    for name, preset in presets.items():
        if not isinstance(preset, dict) or set(preset) != {"config", "metadata"}:
            raise ValueError(
                "Expected a preset to be a dict with 'config' and 'metadata'. "
                f"Received: presets[{name!r}]={preset!r}"
            )
        metadata = preset["metadata"]
        if not metadata.get("description") or set(metadata) - set(PRESET_METADATA):
            raise ValueError(
                f"Expected a preset's metadata to have a description and no keys "
                f"but {PRESET_METADATA}. Received: presets[{name!r}]['metadata']="
                f"{metadata!r}"
            )


@dataclasses.dataclass(frozen=True)
class App:
    """An application: a model family, its presets, training and search.

    Examples:

    >>> APP = App(
    ...     name="own",
    ...     package=__package__,
    ...     help="an MLP or a small CNN with OWN layers",
    ...     config="config:OWNConfig",
    ...     builder="model:build_own_network",
    ...     main="train:main",
    ...     hypermodel="hypermodel:OWNHyperModel",
    ...     presets=PRESETS,
    ...     datasets=("mnist", "cifar10"),
    ... )
    >>> APP.config_class(**APP.preset_config("mlp_own"))

    Args:
        name: the app's name on the command line, e.g. `"deep-cnn"`.
        package: the app's package; references are relative to it.
        help: one line, for `keras-deepinit train --help`.
        config: `"module:Class"` of the model's config dataclass.
        builder: `"module:function"`: config -> `keras.Model`.
        main: `"module:function"`: `main(argv)`, the training command.
        presets: named configurations, keras-hub style (see `check_presets`).
        datasets: the data sets it trains on; the first is the default.
        hypermodel: `"module:Class"` of its KerasTuner HyperModel (see
            `keras_deepinit.tuning.AppHyperModel`), or None.
        tune_help: one line, for `keras-deepinit tune --help`.
        normalization: of the images (see `keras_deepinit.data.load`).
        training_defaults: `TrainingConfig` fields the app defaults
            differently, e.g. `{"batch_size": 256}`.
        model_options: the config fields settable by flag, name -> type
            (`int`, `float`, `str`).
        switches: the boolean config fields settable by flag.
        description: a longer description; None: `help`.
    """

    name: str
    package: str
    help: str
    config: str
    builder: str
    main: str
    presets: types.MappingProxyType | dict
    datasets: tuple
    hypermodel: str | None = None
    tune_help: str | None = None
    normalization: str = "standardize"
    training_defaults: types.MappingProxyType | dict = dataclasses.field(
        default_factory=dict
    )
    model_options: types.MappingProxyType | dict = dataclasses.field(
        default_factory=dict
    )
    switches: tuple = ()
    description: str | None = None

    def __post_init__(self):
        if not self.name or self.name != self.name.lower() or " " in self.name:
            raise ValueError(
                "Expected name to be a lower-case command name. "
                f"Received: name={self.name!r}"
            )
        if not self.datasets:
            raise ValueError(
                f"Expected one or more datasets. Received: datasets={self.datasets!r}"
            )
        check_presets(self.presets)
        # Read-only views: a declaration does not change.
        object.__setattr__(self, "presets", types.MappingProxyType(self.presets))
        object.__setattr__(
            self, "training_defaults", types.MappingProxyType(self.training_defaults)
        )
        object.__setattr__(
            self, "model_options", types.MappingProxyType(self.model_options)
        )
        object.__setattr__(self, "datasets", tuple(self.datasets))
        object.__setattr__(self, "switches", tuple(self.switches))

    @property
    def slug(self):
        """The name in run folders and export names: `"deep_cnn"`."""
        return self.name.replace("-", "_")

    def load(self, reference):
        """The object a `"module:attribute"` reference names, imported now."""
        module, _, attribute = reference.partition(":")
        return getattr(importlib.import_module(f"{self.package}.{module}"), attribute)

    @property
    def config_class(self):
        return self.load(self.config)

    @property
    def build(self):
        return self.load(self.builder)

    @property
    def hypermodel_class(self):
        if self.hypermodel is None:
            raise ValueError(
                f"Expected an app with a hypermodel. Received: app={self.name!r}"
            )
        return self.load(self.hypermodel)

    def run(self, argv=None):
        """Runs the app's training command with the arguments `argv`."""
        return self.load(self.main)(argv)

    def preset_config(self, name):
        """The config fields of preset `name`, as a new dict."""
        if name not in self.presets:
            raise ValueError(
                f"Expected a preset of {self.name}: {sorted(self.presets)}. "
                f"Received: preset={name!r}"
            )
        return dict(self.presets[name]["config"])

    def make_config(self, preset=None, **fields):
        """The app's config: `preset`'s fields (if any) overridden by `fields`."""
        values = self.preset_config(preset) if preset else {}
        return self.config_class(**{**values, **fields})

    def make_training(self, **fields):
        """The app's `TrainingConfig`: its first data set and its
        `training_defaults`, overridden by `fields`."""
        values = {"dataset": self.datasets[0], **self.training_defaults}
        return TrainingConfig(**{**values, **fields})
