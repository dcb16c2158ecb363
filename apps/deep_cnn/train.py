"""Trains the vanilla deep CNN: `keras-deepinit train deep-cnn ...`."""

import argparse
import dataclasses
import json
import os
import time

import keras

from keras_deepinit import data
from keras_deepinit import export
from keras_deepinit import ops
from keras_deepinit import runs
from keras_deepinit.apps.deep_cnn.config import INITIALIZERS
from keras_deepinit.apps.deep_cnn.config import PADDINGS
from keras_deepinit.apps.deep_cnn.config import DeepCNNConfig
from keras_deepinit.apps.deep_cnn.model import build_deep_cnn
from keras_deepinit.apps.deep_cnn.presets import PRESETS

DATASETS = ("mnist", "cifar10")
# Model options: the argument name, then its DeepCNNConfig field.
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
    parser.add_argument(
        "--preset", choices=sorted(PRESETS), help="a named configuration"
    )
    parser.add_argument("--dataset", choices=DATASETS, default="mnist")
    for name, kind in MODEL_OPTIONS.items():
        choices = {
            "initializer": INITIALIZERS,
            "stem_initializer": INITIALIZERS,
            "padding": PADDINGS,
        }.get(name)
        parser.add_argument(
            "--" + name.replace("_", "-"),
            type=kind,
            choices=choices,
            help=f"default: the preset's, else {getattr(DeepCNNConfig, name)}",
        )
    parser.add_argument(
        "--recompute",
        action="store_true",
        help="recompute activations in the backward pass to save memory",
    )
    parser.add_argument("--epochs", type=int, help="default: 1 unless --steps is given")
    parser.add_argument(
        "--steps", type=int, help="stop after this many training steps in all"
    )
    parser.add_argument(
        "--steps-per-epoch",
        type=int,
        help="make an epoch this many steps of the repeated training data, for "
        "evaluations, history rows and backups every N steps",
    )
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--optimizer", choices=runs.OPTIMIZERS, default="adam")
    parser.add_argument(
        "--learning-rate",
        type=float,
        default=0.01,
        help="learning rate of the stem and the classifier (default: 0.01)",
    )
    parser.add_argument(
        "--body-learning-rate",
        type=float,
        help="learning rate of the deep body (default: 0.01 / depth: a step "
        "that moves every one of thousands of layers must be small)",
    )
    parser.add_argument(
        "--warmup-steps",
        type=int,
        default=100,
        help="raise the learning rates linearly from 0 over this many steps "
        "(default: 100)",
    )
    parser.add_argument(
        "--cosine-decay",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="after the warmup, decay the learning rates to 0 along a cosine "
        "by the last step (default); --no-cosine-decay keeps them constant",
    )
    parser.add_argument(
        "--eval-batches",
        type=int,
        help="evaluate on this many test batches (default: the whole test set)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--data-dir", help="folder of official archives (see `data info`)"
    )
    parser.add_argument(
        "--run-dir",
        help="checkpoints, logs and history (default: runs/deep_cnn/<run name>)",
    )
    parser.add_argument(
        "--save-every-steps",
        type=int,
        help="also back up every N steps (default: each epoch)",
    )
    parser.add_argument("--export-dir", default="exported_models")
    parser.add_argument(
        "--no-export", action="store_true", help="skip the SavedModel export"
    )
    parser.add_argument(
        "--default-threads",
        action="store_true",
        help="keep TensorFlow's threading; on a CPU the batch is otherwise split "
        "across cores, one thread per op (faster at the paper's widths)",
    )
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1)


def config_from_args(args):
    values = dict(PRESETS.get(args.preset, {}))
    for name in MODEL_OPTIONS:
        if getattr(args, name) is not None:
            values[name] = getattr(args, name)
    values["recompute"] = args.recompute or values.get("recompute", False)
    values["input_shape"] = data.get_spec(args.dataset).image_shape
    values["num_classes"] = data.get_spec(args.dataset).num_classes
    values["seed"] = args.seed
    return DeepCNNConfig(**values)


def check_args(args):
    """Rejects bad training flags before any data is read or model built."""
    for flag, value, low in (
        ("--steps-per-epoch", args.steps_per_epoch, 1),
        ("--warmup-steps", args.warmup_steps, 0),
    ):
        if value is not None and value < low:
            raise ValueError(
                f"Expected {flag} to be at least {low}. Received: {value!r}"
            )
    for flag, value in (
        ("--learning-rate", args.learning_rate),
        ("--body-learning-rate", args.body_learning_rate),
    ):
        if value is not None and not value > 0:
            raise ValueError(f"Expected {flag} to be positive. Received: {value!r}")


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
    run_dir = args.run_dir or os.path.join(
        "runs", "deep_cnn", f"{args.dataset}_{config.depth}_{config.initializer}"
    )
    keras.utils.set_random_seed(args.seed)
    train = data.load(
        args.dataset,
        "train",
        data_dir=args.data_dir,
        batch_size=args.batch_size,
        seed=args.seed,
        drop_remainder=True,
    )
    test = data.load(
        args.dataset, "test", data_dir=args.data_dir, batch_size=args.batch_size
    )
    if args.eval_batches:
        test = test.take(args.eval_batches)
    if args.steps_per_epoch is not None:
        train = train.repeat()
    epochs, max_steps = runs.plan_steps(
        args.steps_per_epoch or int(train.cardinality()),
        epochs=args.epochs if args.epochs or args.steps else 1,
        steps=args.steps,
    )
    model = build_deep_cnn(config)
    body_learning_rate = args.body_learning_rate or 0.01 / config.depth
    learning_rate = args.learning_rate
    if args.warmup_steps or args.cosine_decay:
        # Linear warmup, then a cosine to 0 or constant (alpha=1: no decay).
        learning_rate = keras.optimizers.schedules.CosineDecay(
            0.0 if args.warmup_steps else args.learning_rate,
            decay_steps=max(max_steps - args.warmup_steps, 1),
            alpha=0.0 if args.cosine_decay else 1.0,
            warmup_target=args.learning_rate if args.warmup_steps else None,
            warmup_steps=args.warmup_steps,
        )
    model.compile(
        runs.make_optimizer(
            args.optimizer,
            learning_rate,
            multipliers={"body": body_learning_rate / args.learning_rate},
        ),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    os.makedirs(run_dir, exist_ok=True)
    with open(os.path.join(run_dir, "config.json"), "w") as file:
        options = {k: v for k, v in vars(args).items() if not callable(v)}
        json.dump(
            {"config": dataclasses.asdict(config), "options": options}, file, indent=2
        )
    built = time.perf_counter() - start
    print(f"Built {model.name} in {built:.1f} s; run folder {run_dir}")
    model.fit(
        train,
        epochs=epochs,
        steps_per_epoch=args.steps_per_epoch,
        validation_data=test,
        shuffle=False,  # tf.data shuffles, reseeded every epoch
        callbacks=runs.run_callbacks(
            run_dir,
            max_steps=max_steps,
            save_every_steps=args.save_every_steps,
            extra=[keras.callbacks.TerminateOnNaN()],
        ),
        verbose=args.verbose,
    )
    model.save(os.path.join(run_dir, "model.keras"))
    metrics = model.evaluate(test, return_dict=True, verbose=0)
    seconds = time.perf_counter() - start
    print(
        f"Test accuracy {metrics['accuracy']:.4f}, loss {metrics['loss']:.4f} after "
        f"{int(model.optimizer.iterations)} steps; {seconds:.0f} s in all"
    )
    if not args.no_export:
        path = export.export_model(
            model,
            f"deep_cnn_{args.dataset}",
            base_dir=args.export_dir,
            metadata={
                "config": dataclasses.asdict(config),
                "metrics": metrics,
                "dataset": args.dataset,
                "steps": int(model.optimizer.iterations),
            },
        )
        print(f"Exported the SavedModel to {path}")
    return metrics


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="keras-deepinit train deep-cnn", description=__doc__.splitlines()[0]
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))
