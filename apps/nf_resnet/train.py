"""Trains a residual network with or without normalization:
`keras-deepinit train nf-resnet --normalization skipinit ...`."""

import argparse
import time

from keras_deepinit.apps import training
from keras_deepinit.apps.nf_resnet.config import ARCHITECTURES
from keras_deepinit.apps.nf_resnet.config import NORMALIZATIONS
from keras_deepinit.apps.nf_resnet.config import NFResNetConfig
from keras_deepinit.apps.nf_resnet.model import build_model
from keras_deepinit.apps.nf_resnet.presets import PRESETS

DATASETS = ("cifar10", "mnist")
# NFResNetConfig fields settable by flag, with their types.
MODEL_OPTIONS = {
    "architecture": str,
    "depth": int,
    "width_factor": int,
    "blocks": int,
    "width": int,
    "normalization": str,
    "alpha_init": float,
    "dropout": float,
}


def add_arguments(parser):
    training.add_arguments(parser, DATASETS)
    training.add_model_arguments(
        parser,
        PRESETS,
        MODEL_OPTIONS,
        NFResNetConfig,
        choices={"architecture": ARCHITECTURES, "normalization": NORMALIZATIONS},
    )
    parser.add_argument(
        "--conv-bias",
        action=argparse.BooleanOptionalAction,
        help="biases in the convolutions (default: the preset's, else True)",
    )


def config_from_args(args):
    names = (*MODEL_OPTIONS, "conv_bias")
    return NFResNetConfig(**training.config_values(args, PRESETS, names))


def run(args):
    """Trains, evaluates, saves `<run_dir>/model.keras` and exports.

    A run whose loss becomes NaN (a residual network without normalization
    can diverge) stops there, says so, and is not exported.

    Returns:
        The test metrics.
    """
    start = time.perf_counter()
    training.check_args(args)
    config = config_from_args(args)
    return training.train_classifier(
        args, "nf_resnet", config, build_model, config.name, start
    )


def main(argv=None):
    description = __doc__.splitlines()[0]
    return run(training.parse_args("nf-resnet", description, add_arguments, argv))
