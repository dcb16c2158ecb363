"""Trains the vanilla deep CNN: `keras-deepinit train deep-cnn ...`.

`train(config, training, ...)` is the typed entry point; `main(argv)` turns
the command's flags into its arguments.
"""

import time

from keras_deepinit.apps import flags
from keras_deepinit.apps.deep_cnn.app import APP


def train(config, training=None, *, body_learning_rate=None, default_threads=False):
    """Trains, evaluates, saves `<run_dir>/model.keras` and exports.

    Args:
        config: a `DeepCNNConfig`.
        training: a `TrainingConfig`; None: the app's defaults.
        body_learning_rate: learning rate of the deep body; None: 0.01 /
            depth (a step that moves every one of thousands of layers must
            be small). `training.learning_rate` is the stem's and the
            classifier's.
        default_threads: keep TensorFlow's threading; on a CPU the batch is
            otherwise split across cores, one thread per op.

    Returns:
        The test metrics.
    """
    from keras_deepinit import ops
    from keras_deepinit.training import train_app

    start = time.perf_counter()
    training = training or APP.make_training()
    if body_learning_rate is not None and not body_learning_rate > 0:
        raise ValueError(
            "Expected body_learning_rate to be positive. "
            f"Received: body_learning_rate={body_learning_rate!r}"
        )
    if not default_threads:
        try:
            ops.one_thread_per_op()
        except RuntimeError:
            print("TensorFlow has already started: keeping its threading.")
    body_learning_rate = body_learning_rate or 0.01 / config.depth
    return train_app(
        APP,
        config,
        training,
        run_name=f"{config.depth}_{config.initializer}",
        start=start,
        multipliers={"body": body_learning_rate / training.learning_rate},
        options={"body_learning_rate": body_learning_rate},
    )


def add_arguments(parser):
    from keras_deepinit.apps.deep_cnn.config import INITIALIZERS
    from keras_deepinit.apps.deep_cnn.config import PADDINGS

    flags.add_app_arguments(
        parser,
        APP,
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
    values = flags.model_values(args, APP)
    values["recompute"] = args.recompute or values.get("recompute", False)
    return APP.config_class(**values)


def main(argv=None):
    args = flags.parse_args(APP, add_arguments, argv)
    training = flags.training_config(args)
    return train(
        config_from_args(args),
        training,
        body_learning_rate=args.body_learning_rate,
        default_threads=args.default_threads,
    )
