"""Trains a network block by block on the HSIC bottleneck, then post-trains a
classifier on it: `keras-deepinit train hsic --preset mlp_1024_relu ...`."""

import argparse
import os
import time

from keras_deepinit.apps import training
from keras_deepinit.apps.hsic.config import ARCHITECTURES
from keras_deepinit.apps.hsic.config import HSICConfig
from keras_deepinit.apps.hsic.model import build_backprop_network
from keras_deepinit.apps.hsic.model import build_hsic_network
from keras_deepinit.apps.hsic.presets import PRESETS
from keras_deepinit.models import build_post_trained
from keras_deepinit.models import build_sigma_combined

DATASETS = ("mnist", "cifar10")
TRAININGS = ("hsic", "backprop")
# HSICConfig fields settable by flag, with their types.
MODEL_OPTIONS = {
    "architecture": str,
    "depth": int,
    "width": int,
    "output_units": int,
    "activation": str,
    "beta": float,
    "measure": str,
}
# As in the authors' code: images in [0, 1], batches of 256, SGD at 0.001 with
# weight decay 0.001 and no momentum (theirs made a new optimizer every step).
NORMALIZATION = "scale"
DEFAULTS = dict(
    batch_size=256,
    optimizer="sgd",
    learning_rate=0.001,
    momentum=0.0,
    weight_decay=0.001,
    warmup_steps=0,
    cosine_decay=False,
)


def add_arguments(parser):
    training.add_arguments(parser, DATASETS)
    training.add_model_arguments(
        parser,
        PRESETS,
        MODEL_OPTIONS,
        HSICConfig,
        choices={"architecture": ARCHITECTURES, "measure": ("cca", "cka", "hsic")},
    )
    parser.add_argument(
        "--sigmas",
        type=float,
        nargs="+",
        help="Gaussian bandwidths, one network each; several are combined "
        "(default: the preset's, else 6)",
    )
    parser.add_argument(
        "--training",
        choices=TRAININGS,
        default="hsic",
        help="hsic: block by block, then post-training (default); backprop: "
        "the same network and classifier by ordinary backpropagation",
    )
    parser.add_argument(
        "--post-epochs",
        type=int,
        default=1,
        help="epochs of post-training of the classifier (default: %(default)s)",
    )
    parser.add_argument(
        "--post-steps", type=int, help="stop post-training after this many steps"
    )
    parser.add_argument(
        "--post-learning-rate",
        type=float,
        default=0.1,
        help="SGD learning rate of post-training, momentum 0.9 (default: %(default)s)",
    )
    parser.set_defaults(**DEFAULTS)


def config_from_args(args):
    values = training.config_values(args, PRESETS, MODEL_OPTIONS)
    if args.sigmas:
        values["sigmas"] = tuple(args.sigmas)
    return HSICConfig(**values)


def train_hsic_network(args, config, sigma, plan, run_dir, strategy):
    """Fits one `HSICTrainer` in `<run_dir>`, resumably; saves and evaluates it."""
    _, test, _, max_steps = plan
    with strategy.scope():
        network = build_hsic_network(config, sigma)
        network.compile(training.make_optimizer(args, max_steps))
    training.fit_run(network, args, run_dir, plan)
    network.save(os.path.join(run_dir, "model.keras"))
    metrics = network.evaluate(test, return_dict=True, verbose=0)
    print(
        f"HSIC network sigma={sigma:g}: unformatted test accuracy "
        f"{metrics['unformatted_accuracy']:.4f}, nHSIC(Z, X) {metrics['hsic_x']:.3f}, "
        f"nHSIC(Z, Y) {metrics['hsic_y']:.3f}"
    )
    return network, metrics


def run(args):
    """Trains, evaluates, saves and exports the classifier.

    With `--training hsic`, each sigma's network is trained in
    `<run_dir>/hsic_sigma<sigma>/` and the post-trained (or sigma-combined)
    classifier in `<run_dir>/post_training/`, which is exported.

    Returns:
        The classifier's test metrics, with `unformatted_accuracy` of each
        HSIC network (`unformatted_accuracy_sigma<sigma>`).
    """
    start = time.perf_counter()
    training.check_args(args)
    for flag, value in (
        ("--post-epochs", args.post_epochs),
        ("--post-steps", args.post_steps),
    ):
        if value is not None and value < 1:
            raise ValueError(f"Expected {flag} to be at least 1. Received: {value!r}")
    config = config_from_args(args)
    name = f"{config.name}_{args.training}"
    if args.training == "backprop":
        return training.train_classifier(
            args, "hsic", config, build_backprop_network, name, start,
            normalization=NORMALIZATION,
        )  # fmt: skip
    run_dir = args.run_dir or os.path.join("runs", "hsic", f"{args.dataset}_{name}")
    strategy = training.make_strategy(args)
    plan = training.load_data(args, NORMALIZATION, strategy.num_replicas_in_sync)
    networks, unformatted = [], {}
    for sigma in config.sigmas:
        folder = os.path.join(run_dir, f"hsic_sigma{sigma:g}")
        network, metrics = train_hsic_network(
            args, config, sigma, plan, folder, strategy
        )
        networks.append(network)
        unformatted[f"unformatted_accuracy_sigma{sigma:g}"] = metrics[
            "unformatted_accuracy"
        ]
    with strategy.scope():
        if len(networks) == 1:
            model = build_post_trained(
                networks[0], config.num_classes, config.input_shape
            )
        else:
            model = build_sigma_combined(
                networks, config.num_classes, config.input_shape
            )
    post_args = argparse.Namespace(
        **{
            **vars(args),
            "epochs": args.post_epochs,
            "steps": args.post_steps,
            "optimizer": "sgd",
            "learning_rate": args.post_learning_rate,
            "momentum": 0.9,
        }
    )
    train, test, _, _ = plan
    epochs, max_steps = training.plan_epochs(
        args, train, args.post_epochs, args.post_steps
    )
    post_plan = (train, test, epochs, max_steps)
    with strategy.scope():
        training.compile_classifier(model, post_args, max_steps=post_plan[3])
    metrics = training.fit_and_export(
        model, post_args, config, os.path.join(run_dir, "post_training"), post_plan,
        f"hsic_{args.dataset}", start,
    )  # fmt: skip
    return {**metrics, **unformatted}


def main(argv=None):
    description = __doc__.splitlines()[0]
    return run(training.parse_args("hsic", description, add_arguments, argv))
