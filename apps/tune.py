"""The `keras-deepinit tune APP` command: flags in, `SearchConfig` and model
config out, then `keras_deepinit.tuning.run_search`.

    keras-deepinit tune deep-cnn --depth 200 --width 8 --max-trials 16 --steps 250

Every app whose declaration names a hypermodel is a subcommand. Running the
same command again resumes the search; a larger `--max-trials` adds trials.
"""

import argparse

from keras_deepinit.apps import flags
from keras_deepinit.apps import get_apps
from keras_deepinit.tuning.config import TUNER_NAMES
from keras_deepinit.tuning.config import SearchConfig

PROG = "keras-deepinit tune"
DESCRIPTION = "Searches an app's hyperparameters with KerasTuner."


def tunable_apps():
    """`{name: App}` of the apps with a hypermodel."""
    return {name: app for name, app in get_apps().items() if app.hypermodel}


def add_arguments(parser, app):
    """The flags of `keras-deepinit tune <app>`."""
    hypermodel = app.hypermodel_class
    defaults = SearchConfig()
    parser.add_argument(
        "--tuner",
        choices=TUNER_NAMES,
        default=defaults.tuner,
        help="random search or Bayesian optimization (default: %(default)s)",
    )
    parser.add_argument(
        "--max-trials",
        type=int,
        default=defaults.max_trials,
        help="trials in all, a resumed search's included (default: %(default)s)",
    )
    parser.add_argument(
        "--epochs", type=int, help="epochs per trial (default: 1 unless --steps)"
    )
    parser.add_argument(
        "--steps", type=int, help="stop each trial after this many training steps"
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=app.make_training().batch_size,
        help="(default: %(default)s)",
    )
    tuned = getattr(hypermodel, "tunes_learning_rate", False)
    parser.add_argument(
        "--learning-rate",
        type=float,
        help=f"{'the tuned rate' if tuned else 'the learning rate'}'s default "
        f"(default: {hypermodel.default_learning_rate})",
    )
    for name, text in hypermodel.options.items():
        parser.add_argument("--" + name.replace("_", "-"), type=float, help=text)
    parser.add_argument(
        "--warmup-steps",
        type=int,
        default=defaults.warmup_steps,
        help="raise the learning rate linearly over this many steps, before its "
        "cosine decay to 0 by each trial's last step (default: %(default)s)",
    )
    parser.add_argument(
        "--validation-examples",
        type=int,
        help="examples held out of the training split to score the trials "
        "(default: a tenth of it)",
    )
    parser.add_argument("--dataset", choices=app.datasets, default=app.datasets[0])
    parser.add_argument(
        "--data-dir", help="folder of official archives (see `data info`)"
    )
    parser.add_argument(
        "--directory", default=defaults.directory, help="(default: %(default)s)"
    )
    parser.add_argument(
        "--project-name",
        help="the search's folder under --directory (default: <app>_<dataset>_<model>)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=defaults.seed,
        help="seed of the tuner, the data order and the initial weights, the "
        "same in every trial (default: %(default)s)",
    )
    parser.add_argument(
        "--verbose",
        type=int,
        choices=(0, 1, 2),
        default=defaults.verbose,
        help="KerasTuner's and fit's progress: 0 none, 1 bars, 2 a line per "
        "epoch (default: %(default)s)",
    )
    flags.add_model_arguments(parser, app, model_options(app))


def model_options(app):
    """The app's model flags (name -> type), less the fields the search tunes."""
    tuned = app.hypermodel_class.tuned
    return {name: kind for name, kind in app.model_options.items() if name not in tuned}


def parse_args(argv):
    """`(app, args)`: the app named first, then its own flags."""
    apps = tunable_apps()
    parser = argparse.ArgumentParser(prog=PROG, description=DESCRIPTION)
    commands = parser.add_subparsers(dest="app", required=True, metavar="APP")
    for name, app in apps.items():
        # Each app's flags are added once it is chosen: only its hypermodel loads.
        commands.add_parser(name, help=app.tune_help, add_help=False)
    chosen, rest = parser.parse_known_args(argv)
    app = apps[chosen.app]
    app_parser = argparse.ArgumentParser(
        prog=f"{PROG} {app.name}", description=app.tune_help
    )
    add_arguments(app_parser, app)
    return app, app_parser.parse_args(rest)


def main(argv=None):
    app, args = parse_args(argv)
    from keras_deepinit.tuning import run_search

    search = SearchConfig(
        **{
            name: getattr(args, name)
            for name in (
                "tuner", "max_trials", "epochs", "steps", "batch_size",
                "learning_rate", "warmup_steps", "validation_examples",
                "dataset", "data_dir", "directory", "project_name", "seed",
                "verbose",
            )
        }
    )  # fmt: skip
    options = {name: getattr(args, name) for name in app.hypermodel_class.options}
    config = app.config_class(**flags.model_values(args, app, model_options(app)))
    return run_search(app, search, config, options)
