"""Trains a residual network with or without normalization:
`keras-deepinit train nf-resnet --normalization skipinit ...`.

`train(config, training)` is the typed entry point; `main(argv)` turns the
command's flags into its arguments.
"""

from keras_deepinit.apps import flags
from keras_deepinit.apps.nf_resnet.app import APP


def train(config, training=None):
    """Trains an `NFResNetConfig`'s network with a `TrainingConfig` (None: the
    app's defaults); evaluates, saves `<run_dir>/model.keras` and exports.

    A run whose loss becomes NaN (a residual network without normalization
    can diverge) stops there, says so, and is not exported.

    Returns:
        The test metrics.
    """
    from keras_deepinit.training import train_app

    return train_app(APP, config, training)


def add_arguments(parser):
    from keras_deepinit.apps.nf_resnet.config import ARCHITECTURES
    from keras_deepinit.apps.nf_resnet.config import NORMALIZATIONS

    flags.add_app_arguments(
        parser,
        APP,
        choices={"architecture": ARCHITECTURES, "normalization": NORMALIZATIONS},
    )


def config_from_args(args):
    return APP.config_class(**flags.model_values(args, APP))


def main(argv=None):
    args = flags.parse_args(APP, add_arguments, argv)
    return train(config_from_args(args), flags.training_config(args))
