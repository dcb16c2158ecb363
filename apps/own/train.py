"""Trains an MLP or a small CNN with OWN layers or plain ones:
`keras-deepinit train own --preset mlp_own ...`.

`train(config, training)` is the typed entry point; `main(argv)` turns the
command's flags into its arguments.
"""

import time

from keras_deepinit.apps import flags
from keras_deepinit.apps.own.app import APP
from keras_deepinit.training import TrainingConfig


def train(config, training=None):
    """Trains an `OWNConfig`'s network with a `TrainingConfig` (None: the
    defaults); evaluates, saves `<run_dir>/model.keras` and exports.

    Returns:
        The test metrics.
    """
    from keras_deepinit.training import train_classifier

    start = time.perf_counter()
    return train_classifier(
        training or TrainingConfig(),
        APP.slug,
        config,
        APP.build,
        config.name,
        start=start,
    )


def add_arguments(parser):
    from keras_deepinit.apps.own.config import ARCHITECTURES
    from keras_deepinit.apps.own.config import METHODS

    flags.add_training_arguments(parser, APP.datasets, APP.training_defaults)
    flags.add_model_arguments(
        parser,
        APP,
        APP.model_options,
        choices={"architecture": ARCHITECTURES, "method": METHODS},
    )
    flags.add_switches(parser, APP, APP.switches)


def config_from_args(args):
    names = (*APP.model_options, *APP.switches)
    return APP.config_class(**flags.model_values(args, APP, names))


def main(argv=None):
    args = flags.parse_args(APP, add_arguments, argv)
    return train(config_from_args(args), flags.training_config(args))
