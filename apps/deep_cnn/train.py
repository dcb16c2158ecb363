"""Trains the vanilla deep CNN: `keras-deepinit train deep-cnn ...`."""

import time

from keras_deepinit import ops
from keras_deepinit.apps import training
from keras_deepinit.apps.deep_cnn.config import INITIALIZERS
from keras_deepinit.apps.deep_cnn.config import PADDINGS
from keras_deepinit.apps.deep_cnn.config import DeepCNNConfig
from keras_deepinit.apps.deep_cnn.model import build_deep_cnn
from keras_deepinit.apps.deep_cnn.presets import PRESETS

DATASETS = ("mnist", "cifar10")
# DeepCNNConfig fields settable by flag, with their types.
MODEL_OPTIONS = {
    "depth": int,
    "width": int,
    "activation": str,
    "initializer": str,
    "stem_initializer": str,
    "sigma_w2": float,
    "sigma_b2": float,
    "padding": str,
    "dtype": str,
}


def add_arguments(parser):
    training.add_arguments(parser, DATASETS)
    training.add_model_arguments(
        parser,
        PRESETS,
        MODEL_OPTIONS,
        DeepCNNConfig,
        choices={
            "initializer": INITIALIZERS,
            "stem_initializer": INITIALIZERS,
            "padding": PADDINGS,
        },
    )
    parser.add_argument(
        "--recompute",
        action="store_true",
        help="recompute activations in the backward pass to save memory",
    )
    parser.add_argument(
        "--body-learning-rate",
        type=float,
        help="learning rate of the deep body (default: 0.01 / depth: a step "
        "that moves every one of thousands of layers must be small); "
        "--learning-rate is the stem's and the classifier's",
    )
    parser.add_argument(
        "--default-threads",
        action="store_true",
        help="keep TensorFlow's threading; on a CPU the batch is otherwise split "
        "across cores, one thread per op (faster at the paper's widths)",
    )


def config_from_args(args):
    values = training.config_values(args, PRESETS, MODEL_OPTIONS)
    values["recompute"] = args.recompute or values.get("recompute", False)
    return DeepCNNConfig(**values)


def check_args(args):
    """Rejects bad training flags before any data is read or model built."""
    training.check_args(args)
    value = args.body_learning_rate
    if value is not None and not value > 0:
        raise ValueError(
            f"Expected --body-learning-rate to be positive. Received: {value!r}"
        )


def run(args):
    """Trains, evaluates, saves `<run_dir>/model.keras` and exports.

    Returns:
        The test metrics.
    """
    start = time.perf_counter()
    check_args(args)
    if not args.default_threads:
        try:
            ops.one_thread_per_op()
        except RuntimeError:
            print("TensorFlow has already started: keeping its threading.")
    config = config_from_args(args)
    body_learning_rate = args.body_learning_rate or 0.01 / config.depth
    return training.train_classifier(
        args,
        "deep_cnn",
        config,
        build_deep_cnn,
        f"{config.depth}_{config.initializer}",
        start,
        multipliers={"body": body_learning_rate / args.learning_rate},
    )


def main(argv=None):
    description = __doc__.splitlines()[0]
    return run(training.parse_args("deep-cnn", description, add_arguments, argv))
