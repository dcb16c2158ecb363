"""Trains a residual network with or without normalization:
`keras-deepinit train nf-resnet --normalization skipinit ...`.

`train(config, training)` is the typed entry point; `main(argv)` turns the
command's flags into its arguments.
"""

import time

from keras_deepinit.apps import flags
from keras_deepinit.apps.nf_resnet.app import APP
from keras_deepinit.training import TrainingConfig


def train(config, training=None):
    """Trains an `NFResNetConfig`'s network with a `TrainingConfig` (None: the
    defaults); evaluates, saves `<run_dir>/model.keras` and exports.

    A run whose loss becomes NaN (a residual network without normalization
    can diverge) stops there, says so, and is not exported.

    Returns:
        The test metrics.
    """
    from keras_deepinit.training import train_classifier

    start = time.perf_counter()
    return train_classifier(
        training or TrainingConfig(dataset=APP.datasets[0]),
        APP.slug,
        config,
        APP.build,
        config.name,
        start=start,
    )


def add_arguments(parser):
    from keras_deepinit.apps.nf_resnet.config import ARCHITECTURES
    from keras_deepinit.apps.nf_resnet.config import NORMALIZATIONS

    flags.add_training_arguments(parser, APP.datasets, APP.training_defaults)
    flags.add_model_arguments(
        parser,
        APP,
        APP.model_options,
        choices={"architecture": ARCHITECTURES, "normalization": NORMALIZATIONS},
    )
    flags.add_switches(parser, APP, APP.switches)


def config_from_args(args):
    names = (*APP.model_options, *APP.switches)
    return APP.config_class(**flags.model_values(args, APP, names))


def main(argv=None):
    args = flags.parse_args(APP, add_arguments, argv)
    return train(config_from_args(args), flags.training_config(args))
