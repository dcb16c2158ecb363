"""The apps' command-line edge: flags in, typed configs out.

`keras-deepinit train APP` flags map onto a `TrainingConfig` (the training)
and the app's config dataclass (the model); each app's `train.main(argv)`
parses them with these helpers and calls its typed `train` function.
"""

import argparse
import dataclasses

from keras_deepinit.training import TrainingConfig

DEFAULTS = TrainingConfig()


def add_training_arguments(parser, datasets, defaults=None):
    """The flags of a `TrainingConfig`; the first of `datasets` is the
    default data set, `defaults` the app's own defaults of other fields."""
    from keras_deepinit import distribute
    from keras_deepinit.training import OPTIMIZERS

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
        default=DEFAULTS.batch_size,
        help="examples per replica; a step takes this times the replicas "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--strategy",
        choices=distribute.STRATEGIES,
        default=DEFAULTS.strategy,
        help="tf.distribute strategy; auto: a TPU if one is named, several "
        "workers from TF_CONFIG, several GPUs, else one device (default)",
    )
    parser.add_argument("--tpu", help="the Cloud TPU's name or grpc:// address")
    parser.add_argument("--optimizer", choices=OPTIMIZERS, default=DEFAULTS.optimizer)
    parser.add_argument(
        "--learning-rate",
        type=float,
        default=DEFAULTS.learning_rate,
        help="learning rate (default: %(default)s)",
    )
    parser.add_argument(
        "--momentum",
        type=float,
        default=DEFAULTS.momentum,
        help="SGD momentum (default: %(default)s)",
    )
    parser.add_argument(
        "--weight-decay",
        type=float,
        default=DEFAULTS.weight_decay,
        help="decay every weight by learning rate times this each step "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--warmup-steps",
        type=int,
        default=DEFAULTS.warmup_steps,
        help="raise the learning rates linearly from 0 over this many steps "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--cosine-decay",
        action=argparse.BooleanOptionalAction,
        default=DEFAULTS.cosine_decay,
        help="after the warmup, decay the learning rates to 0 along a cosine "
        "by the last step (default); --no-cosine-decay keeps them constant",
    )
    parser.add_argument(
        "--eval-batches",
        type=int,
        help="evaluate on this many test batches (default: the whole test set)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULTS.seed)
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
    parser.add_argument("--export-dir", default=DEFAULTS.export_dir)
    parser.add_argument(
        "--no-export", action="store_true", help="skip the SavedModel export"
    )
    parser.add_argument(
        "--verbose", type=int, choices=(0, 1, 2), default=DEFAULTS.verbose
    )
    parser.set_defaults(**(defaults or {}))


def training_config(args):
    """The `TrainingConfig` of parsed training flags."""
    names = [field.name for field in dataclasses.fields(TrainingConfig)]
    values = {name: getattr(args, name) for name in names if name != "export"}
    return TrainingConfig(**values, export=not args.no_export)


def add_app_arguments(parser, app, choices=None):
    """An app's training flags, `--preset`, its model flags and its switches;
    `choices` maps a model flag's field name to its allowed values."""
    add_training_arguments(parser, app.datasets, app.training_defaults)
    add_model_arguments(parser, app, app.model_options, choices)
    add_switches(parser, app, app.switches)


def add_model_arguments(parser, app, options, choices=None):
    """`--preset` and one flag per config field in `options` (name -> type),
    defaulting to the preset's value, else the config class's."""
    parser.add_argument(
        "--preset", choices=sorted(app.presets), help="a named configuration"
    )
    config_class = app.config_class
    for name, kind in options.items():
        parser.add_argument(
            "--" + name.replace("_", "-"),
            type=kind,
            choices=(choices or {}).get(name),
            help=f"default: the preset's, else {getattr(config_class, name)}",
        )


def add_switches(parser, app, names):
    """`--name`/`--no-name` flags of boolean config fields, defaulting to the
    preset's value, else the config class's."""
    config_class = app.config_class
    for name in names:
        parser.add_argument(
            "--" + name.replace("_", "-"),
            action=argparse.BooleanOptionalAction,
            help=f"default: the preset's, else {getattr(config_class, name)}",
        )


def model_values(args, app, names=None):
    """A model config's fields: the `--preset`'s, overridden by the flags in
    `names` (None: the app's model options and switches) that were given,
    with the data set's shapes and `--seed`."""
    from keras_deepinit import data

    if names is None:
        names = (*app.model_options, *app.switches)
    values = app.preset_config(args.preset) if args.preset else {}
    for name in names:
        if getattr(args, name) is not None:
            values[name] = getattr(args, name)
    spec = data.get_spec(args.dataset)
    values.update(
        input_shape=spec.image_shape, num_classes=spec.num_classes, seed=args.seed
    )
    return values


def parse_args(app, add_arguments, argv):
    """The flags of `keras-deepinit train <app>`, as `add_arguments` adds them."""
    parser = argparse.ArgumentParser(
        prog=f"keras-deepinit train {app.name}",
        description=app.description or app.help,
    )
    add_arguments(parser)
    return parser.parse_args(argv)
