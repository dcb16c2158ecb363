"""What the training apps share: flags, data, learning-rate schedule, and
fit, save, evaluate and export."""

import argparse
import dataclasses
import json
import math
import os
import time

import keras

from keras_deepinit import data
from keras_deepinit import distribute
from keras_deepinit import export
from keras_deepinit import runs


def add_arguments(parser, datasets):
    """The flags of every training app; the first of `datasets` is the default."""
    parser.add_argument("--dataset", choices=datasets, default=datasets[0])
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
    parser.add_argument(
        "--batch-size",
        type=int,
        default=64,
        help="examples per replica; a step takes this times the replicas "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--strategy",
        choices=distribute.STRATEGIES,
        default="auto",
        help="tf.distribute strategy; auto: a TPU if one is named, several "
        "workers from TF_CONFIG, several GPUs, else one device (default)",
    )
    parser.add_argument("--tpu", help="the Cloud TPU's name or grpc:// address")
    parser.add_argument("--optimizer", choices=runs.OPTIMIZERS, default="adam")
    parser.add_argument(
        "--learning-rate",
        type=float,
        default=0.01,
        help="learning rate (default: 0.01)",
    )
    parser.add_argument(
        "--momentum",
        type=float,
        default=0.9,
        help="SGD momentum (default: %(default)s)",
    )
    parser.add_argument(
        "--weight-decay",
        type=float,
        default=0.0,
        help="decay every weight by learning rate times this each step "
        "(default: %(default)s)",
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
        help="checkpoints, logs and history (default: runs/<app>/<run name>)",
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
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1)


def add_model_arguments(parser, presets, options, config_class, choices=None):
    """`--preset` and one flag per config field in `options` (name -> type),
    defaulting to the preset's value, else the config class's."""
    parser.add_argument(
        "--preset", choices=sorted(presets), help="a named configuration"
    )
    for name, kind in options.items():
        parser.add_argument(
            "--" + name.replace("_", "-"),
            type=kind,
            choices=(choices or {}).get(name),
            help=f"default: the preset's, else {getattr(config_class, name)}",
        )


def check_args(args):
    """Rejects bad training flags before any data is read or model built."""
    for flag, value, low in (
        ("--steps-per-epoch", args.steps_per_epoch, 1),
        ("--warmup-steps", args.warmup_steps, 0),
        ("--momentum", args.momentum, 0),
        ("--weight-decay", args.weight_decay, 0),
    ):
        if value is not None and value < low:
            raise ValueError(
                f"Expected {flag} to be at least {low}. Received: {value!r}"
            )
    if not args.learning_rate > 0:
        raise ValueError(
            f"Expected --learning-rate to be positive. Received: {args.learning_rate!r}"
        )


def config_values(args, presets, names):
    """A model config's fields: the `--preset`'s, overridden by the flags in
    `names` that were given, with the data set's shapes and `--seed`."""
    values = dict(presets.get(args.preset, {}))
    for name in names:
        if getattr(args, name) is not None:
            values[name] = getattr(args, name)
    spec = data.get_spec(args.dataset)
    values.update(
        input_shape=spec.image_shape, num_classes=spec.num_classes, seed=args.seed
    )
    return values


def parse_args(command, description, add_arguments, argv):
    """The flags of `keras-deepinit train <command>`, as `add_arguments` adds them."""
    parser = argparse.ArgumentParser(
        prog=f"keras-deepinit train {command}", description=description
    )
    add_arguments(parser)
    return parser.parse_args(argv)


def train_classifier(
    args, app, config, build, run_name, start, multipliers=None,
    normalization="standardize",
):  # fmt: skip
    """Builds `build(config)`, then compiles, fits, saves, evaluates, exports.

    Args:
        args: the parsed flags.
        app: the app's name in paths: the run folder defaults to
            `runs/<app>/<dataset>_<run_name>`, the export is `<app>_<dataset>`.
        config: the model's config dataclass.
        build: the model builder, called with `config`.
        run_name: the run's name in its default folder.
        start: `time.perf_counter()` when the app started.
        multipliers: learning-rate multipliers per variable path.
        normalization: of the images (see `keras_deepinit.data.load`).

    Returns:
        The test metrics.
    """
    run_dir = args.run_dir or os.path.join("runs", app, f"{args.dataset}_{run_name}")
    strategy = make_strategy(args)
    plan = load_data(args, normalization, strategy.num_replicas_in_sync)
    with strategy.scope():
        model = build(config)
        compile_classifier(model, args, max_steps=plan[3], multipliers=multipliers)
    return fit_and_export(
        model, args, config, run_dir, plan, f"{app}_{args.dataset}", start
    )


def compile_classifier(model, args, max_steps, multipliers=None):
    """Compiles with `--optimizer`, the learning-rate schedule, cross-entropy
    on logits and accuracy; `multipliers` scale the rate per variable path."""
    model.compile(
        make_optimizer(args, max_steps, multipliers),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )


def make_optimizer(args, max_steps, multipliers=None):
    """`--optimizer` with `--learning-rate` on its schedule, `--momentum` and
    `--weight-decay`."""
    return runs.make_optimizer(
        args.optimizer,
        learning_rate(args, max_steps),
        momentum=args.momentum,
        weight_decay=args.weight_decay,
        multipliers=multipliers,
    )


def make_strategy(args):
    """The `--strategy` (see `keras_deepinit.distribute.get_strategy`)."""
    strategy = distribute.get_strategy(args.strategy, tpu=args.tpu)
    replicas = strategy.num_replicas_in_sync
    if replicas > 1:
        print(
            f"{type(strategy).__name__} over {replicas} replicas: batches of "
            f"{args.batch_size} x {replicas} = {args.batch_size * replicas}"
        )
    return strategy


def load_data(args, normalization="standardize", replicas=1):
    """The training and test sets and the run's plan, with images normalized
    as `normalization` says (see `keras_deepinit.data.load`) and batches of
    `--batch-size` per replica, sharded across workers.

    Returns:
        `(train, test, epochs, max_steps)`.
    """
    keras.utils.set_random_seed(args.seed)
    batch_size = args.batch_size * replicas
    train = data.load(
        args.dataset,
        "train",
        data_dir=args.data_dir,
        batch_size=batch_size,
        seed=args.seed,
        drop_remainder=True,
        normalization=normalization,
    )
    test = data.load(
        args.dataset,
        "test",
        data_dir=args.data_dir,
        batch_size=batch_size,
        normalization=normalization,
    )
    if args.eval_batches:
        test = test.take(args.eval_batches)
    if args.steps_per_epoch is not None:
        train = train.repeat()
    epochs, max_steps = plan_epochs(
        args, train, args.epochs if args.epochs or args.steps else 1, args.steps
    )
    if replicas > 1:
        train, test = map(distribute.distribute_dataset, (train, test))
    return train, test, epochs, max_steps


def plan_epochs(args, train, epochs, steps):
    """`(epochs, max_steps)` of a run of `epochs` or `steps` over `train`, in
    epochs of `--steps-per-epoch` steps, else of the whole set."""
    return runs.plan_steps(
        args.steps_per_epoch or int(train.cardinality()), epochs=epochs, steps=steps
    )


def fit_run(model, args, run_dir, plan, extra=()):
    """Fits a compiled model resumably, with `run_dir`'s backups, history,
    curves and logs (`keras_deepinit.runs.run_callbacks`) and `extra`
    callbacks."""
    train, test, epochs, max_steps = plan
    model.fit(
        train,
        epochs=epochs,
        steps_per_epoch=runs.fit_steps_per_epoch(
            epochs, max_steps, args.steps_per_epoch
        ),
        validation_data=test,
        shuffle=False,  # tf.data shuffles, reseeded every epoch
        callbacks=runs.run_callbacks(
            run_dir,
            max_steps=max_steps,
            save_every_steps=args.save_every_steps,
            extra=list(extra),
        ),
        verbose=args.verbose,
    )


def learning_rate(args, max_steps):
    """`--learning-rate` with the linear warmup and the cosine decay."""
    if not (args.warmup_steps or args.cosine_decay):
        return args.learning_rate
    # Linear warmup, then a cosine to 0 or constant (alpha=1: no decay).
    return keras.optimizers.schedules.CosineDecay(
        0.0 if args.warmup_steps else args.learning_rate,
        decay_steps=max(max_steps - args.warmup_steps, 1),
        alpha=0.0 if args.cosine_decay else 1.0,
        warmup_target=args.learning_rate if args.warmup_steps else None,
        warmup_steps=args.warmup_steps,
    )


def fit_and_export(model, args, config, run_dir, plan, export_name, start):
    """Fits a compiled model, saves `<run_dir>/model.keras`, evaluates and exports.

    `TerminateOnNaN` stops a diverging run; its model is saved but not
    exported.

    Args:
        model: the compiled model.
        args: the parsed flags.
        config: the model's config dataclass, recorded with the run.
        run_dir: the run folder (backups, logs, history, model).
        plan: `(train, test, epochs, max_steps)` from `load_data`.
        export_name: the SavedModel's name under `--export-dir`.
        start: `time.perf_counter()` when the app started.

    Returns:
        The test metrics.
    """
    _, test, _, _ = plan
    os.makedirs(run_dir, exist_ok=True)
    with open(os.path.join(run_dir, "config.json"), "w") as file:
        options = {k: v for k, v in vars(args).items() if not callable(v)}
        json.dump(
            {"config": dataclasses.asdict(config), "options": options}, file, indent=2
        )
    print(f"{model.name} built, {time.perf_counter() - start:.1f} s after start; "
          f"run folder {run_dir}")  # fmt: skip
    fit_run(model, args, run_dir, plan, extra=[keras.callbacks.TerminateOnNaN()])
    model.save(os.path.join(run_dir, "model.keras"))
    metrics = model.evaluate(test, return_dict=True, verbose=0)
    print(
        f"Test accuracy {metrics['accuracy']:.4f}, loss {metrics['loss']:.4f} after "
        f"{runs.optimizer_steps(model)} steps; "
        f"{time.perf_counter() - start:.0f} s in all"
    )
    if not math.isfinite(metrics["loss"]):
        print(
            "The loss diverged (NaN or infinite) by step "
            f"{runs.optimizer_steps(model)}: the model is not exported."
        )
    elif not args.no_export:
        path = export.export_model(
            model,
            export_name,
            base_dir=args.export_dir,
            metadata={
                "config": dataclasses.asdict(config),
                "metrics": metrics,
                "dataset": args.dataset,
                "steps": runs.optimizer_steps(model),
            },
        )
        print(f"Exported the SavedModel to {path}")
    return metrics
