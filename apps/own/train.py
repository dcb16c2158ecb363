"""Trains an MLP or a small CNN with OWN layers or plain ones:
`keras-deepinit train own --preset mlp_own ...`."""

import argparse
import time

from keras_deepinit.apps import training
from keras_deepinit.apps.own.config import ARCHITECTURES
from keras_deepinit.apps.own.config import METHODS
from keras_deepinit.apps.own.config import OWNConfig
from keras_deepinit.apps.own.model import build_own_network
from keras_deepinit.apps.own.presets import PRESETS

DATASETS = ("mnist", "cifar10")
# OWNConfig fields settable by flag, with their types.
MODEL_OPTIONS = {
    "architecture": str,
    "depth": int,
    "width": int,
    "activation": str,
    "method": str,
    "group_size": int,
    "iterations": int,
}
SWITCHES = ("orthogonal", "learnable_scale")


def add_arguments(parser):
    training.add_arguments(parser, DATASETS)
    training.add_model_arguments(
        parser,
        PRESETS,
        MODEL_OPTIONS,
        OWNConfig,
        choices={"architecture": ARCHITECTURES, "method": METHODS},
    )
    for name in SWITCHES:
        parser.add_argument(
            "--" + name.replace("_", "-"),
            action=argparse.BooleanOptionalAction,
            help=f"default: the preset's, else {getattr(OWNConfig, name)}",
        )


def config_from_args(args):
    names = (*MODEL_OPTIONS, *SWITCHES)
    return OWNConfig(**training.config_values(args, PRESETS, names))


def run(args):
    """Trains, evaluates, saves `<run_dir>/model.keras` and exports.

    Returns:
        The test metrics.
    """
    start = time.perf_counter()
    training.check_args(args)
    config = config_from_args(args)
    return training.train_classifier(
        args, "own", config, build_own_network, config.name, start
    )


def main(argv=None):
    description = __doc__.splitlines()[0]
    return run(training.parse_args("own", description, add_arguments, argv))
