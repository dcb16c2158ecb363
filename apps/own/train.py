"""Trains an MLP or a small CNN with OWN layers or plain ones:
`keras-deepinit train own --preset mlp_own ...`.

`train(config, training)` is the typed entry point; `main(argv)` turns the
command's flags into its arguments.
"""

from keras_deepinit.apps import flags
from keras_deepinit.apps.own.app import APP


def train(config, training=None):
    """Trains an `OWNConfig`'s network with a `TrainingConfig` (None: the
    app's defaults); evaluates, saves `<run_dir>/model.keras` and exports.

    Returns:
        The test metrics.
    """
    from keras_deepinit.training import train_app

    return train_app(APP, config, training)


def add_arguments(parser):
    from keras_deepinit.apps.own.config import ARCHITECTURES
    from keras_deepinit.apps.own.config import METHODS

    flags.add_app_arguments(
        parser, APP, choices={"architecture": ARCHITECTURES, "method": METHODS}
    )


def config_from_args(args):
    return APP.config_class(**flags.model_values(args, APP))


def main(argv=None):
    args = flags.parse_args(APP, add_arguments, argv)
    return train(config_from_args(args), flags.training_config(args))
