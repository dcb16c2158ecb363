"""Trains a network block by block on the HSIC bottleneck, then post-trains a
classifier on it: `keras-deepinit train hsic --preset mlp_1024_relu ...`.

`train(config, training, ...)` is the typed entry point; `main(argv)` turns
the command's flags into its arguments.
"""

import os
import time

from keras_deepinit.apps import flags
from keras_deepinit.apps.hsic.app import APP
from keras_deepinit.apps.hsic.config import ARCHITECTURES
from keras_deepinit.apps.hsic.config import PostTrainingConfig

TRAININGS = ("hsic", "backprop")


def train_hsic_network(config, sigma, training, plan, run_dir, strategy):
    """Fits one `HSICTrainer` in `<run_dir>`, resumably; saves and evaluates it."""
    from keras_deepinit.apps.hsic.model import build_hsic_network
    from keras_deepinit.training import classifier
    from keras_deepinit.training import training_optimizer

    with strategy.scope():
        network = build_hsic_network(config, sigma)
        network.compile(training_optimizer(training, plan.max_steps))
    classifier.fit_run(network, training, run_dir, plan, strategy=strategy)
    network.save(os.path.join(run_dir, "model.keras"))
    metrics = network.evaluate(plan.test, return_dict=True, verbose=0)
    print(
        f"HSIC network sigma={sigma:g}: unformatted test accuracy "
        f"{metrics['unformatted_accuracy']:.4f}, nHSIC(Z, X) {metrics['hsic_x']:.3f}, "
        f"nHSIC(Z, Y) {metrics['hsic_y']:.3f}"
    )
    return network, metrics


def train(config, training=None, *, mode="hsic", post=None):
    """Trains, evaluates, saves and exports the classifier.

    With `mode="hsic"`, each sigma's network is trained in
    `<run_dir>/hsic_sigma<sigma>/` and the post-trained (or sigma-combined)
    classifier in `<run_dir>/post_training/`, which is exported. With
    `mode="backprop"`, the same blocks and a classifier train by ordinary
    backpropagation.

    Args:
        config: an `HSICConfig`.
        training: a `TrainingConfig`; None: the app's defaults (the
            authors' SGD).
        mode: `"hsic"` or `"backprop"`.
        post: a `PostTrainingConfig`; None: its defaults.

    Returns:
        The classifier's test metrics, with `unformatted_accuracy` of each
        HSIC network (`unformatted_accuracy_sigma<sigma>`).
    """
    from keras_deepinit.apps.hsic.model import build_backprop_network
    from keras_deepinit.models import build_post_trained
    from keras_deepinit.models import build_sigma_combined
    from keras_deepinit.training import classifier

    start = time.perf_counter()
    training = training or APP.make_training()
    post = post or PostTrainingConfig()
    if mode not in TRAININGS:
        raise ValueError(f"Expected mode to be one of {TRAININGS}. Received: {mode=}")
    name = f"{config.name}_{mode}"
    if mode == "backprop":
        return classifier.train_app(
            APP, config, training, build=build_backprop_network, run_name=name,
            start=start, options={"training": mode},
        )  # fmt: skip
    run_dir = classifier.default_run_dir(APP.slug, training, name)
    strategy = classifier.make_strategy(training)
    plan = classifier.load_data(
        training, APP.normalization, strategy.num_replicas_in_sync
    )
    networks, unformatted = [], {}
    for sigma in config.sigmas:
        folder = os.path.join(run_dir, f"hsic_sigma{sigma:g}")
        network, metrics = train_hsic_network(
            config, sigma, training, plan, folder, strategy
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
    post_training = training.replace(
        epochs=post.epochs,
        steps=post.steps,
        optimizer="sgd",
        learning_rate=post.learning_rate,
        momentum=0.9,
    )
    post_plan = classifier.plan_run(
        training, plan.train, plan.test, post.epochs, post.steps
    )
    with strategy.scope():
        classifier.compile_classifier(model, post_training, post_plan.max_steps)
    metrics = classifier.fit_and_export(
        model, post_training, config, os.path.join(run_dir, "post_training"),
        post_plan, f"{APP.slug}_{training.dataset}", start, strategy=strategy,
        options={"training": mode},
    )  # fmt: skip
    return {**metrics, **unformatted}


def add_arguments(parser):
    flags.add_app_arguments(
        parser,
        APP,
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
    defaults = PostTrainingConfig()
    parser.add_argument(
        "--post-epochs",
        type=int,
        default=defaults.epochs,
        help="epochs of post-training of the classifier (default: %(default)s)",
    )
    parser.add_argument(
        "--post-steps", type=int, help="stop post-training after this many steps"
    )
    parser.add_argument(
        "--post-learning-rate",
        type=float,
        default=defaults.learning_rate,
        help="SGD learning rate of post-training, momentum 0.9 (default: %(default)s)",
    )


def config_from_args(args):
    values = flags.model_values(args, APP)
    if args.sigmas:
        values["sigmas"] = tuple(args.sigmas)
    return APP.config_class(**values)


def main(argv=None):
    args = flags.parse_args(APP, add_arguments, argv)
    training = flags.training_config(args)
    post = PostTrainingConfig(
        args.post_epochs, args.post_steps, args.post_learning_rate
    )
    return train(config_from_args(args), training, mode=args.training, post=post)
