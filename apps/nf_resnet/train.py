"""Trains a residual network with or without normalization:
`keras-deepinit train nf-resnet --normalization skipinit ...`."""

import argparse
import os
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
    run_dir = args.run_dir or os.path.join(
        "runs", "nf_resnet", f"{args.dataset}_{config.name}"
    )
    plan = training.load_data(args)
    model = build_model(config)
    training.compile_classifier(model, args, max_steps=plan[3])
    return training.fit_and_export(
        model, args, config, run_dir, plan, f"nf_resnet_{args.dataset}", start
    )


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="keras-deepinit train nf-resnet", description=__doc__.splitlines()[0]
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))
