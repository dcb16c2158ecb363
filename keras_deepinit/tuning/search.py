"""Searches an app's hyperparameters with KerasTuner: `keras-deepinit tune APP`.

    keras-deepinit tune deep-cnn --depth 200 --width 8 --max-trials 16 --steps 250

Trials train on the training split less `--validation-examples` held out of
it, which score them (the test split is never used). The search lives in
`<directory>/<project name>/`: running the same command again resumes it,
keeping the finished trials, and a larger `--max-trials` adds trials. At the
end it prints the trials best first and writes them to `summary.json` and
`summary.csv` there; for deep-cnn, also `sigma_w2.png`, the score against
`sigma_w^2` with the critical values marked.
"""

import argparse
import collections
import csv
import dataclasses
import json
import math
import os

import keras
import keras_tuner

from keras_deepinit import data
from keras_deepinit import ops
from keras_deepinit import runs
from keras_deepinit.apps import training
from keras_deepinit.apps.deep_cnn import train as deep_cnn_train
from keras_deepinit.apps.hsic import train as hsic_train
from keras_deepinit.apps.nf_resnet import train as nf_resnet_train
from keras_deepinit.apps.own import train as own_train
from keras_deepinit.tuning import hypermodels

TUNERS = {
    "random": keras_tuner.RandomSearch,
    "bayesian": keras_tuner.BayesianOptimization,
}
SUMMARY_FILE = "summary"  # .json and .csv
PLOT_FILE = "sigma_w2.png"
OPTIONS_FILE = "search.json"

# An app's HyperModel, its train module (DATASETS, PRESETS, MODEL_OPTIONS),
# image normalization, default batch size, and model name in the project's.
App = collections.namedtuple(
    "App", "hypermodel module normalization batch_size model_name help"
)
APPS = {
    "deep-cnn": App(
        hypermodels.DeepCNNHyperModel, deep_cnn_train, "standardize", 64,
        lambda c: f"{c.depth}x{c.width}_{c.activation}_{c.initializer}",
        "sigma_w^2 and sigma_b^2 of the vanilla deep CNN, around the critical line",
    ),
    "nf-resnet": App(
        hypermodels.NFResNetHyperModel, nf_resnet_train, "standardize", 64,
        lambda c: c.name, "SkipInit's initial alpha and the learning rate",
    ),
    "own": App(
        hypermodels.OWNHyperModel, own_train, "standardize", 64,
        lambda c: f"{c.architecture}_{c.depth}x{c.width}",
        "the group size and the method of Orthogonal Weight Normalization",
    ),
    "hsic": App(
        hypermodels.HSICHyperModel, hsic_train, hsic_train.NORMALIZATION,
        hsic_train.DEFAULTS["batch_size"],
        lambda c: f"{c.architecture}_{c.depth}x{c.width}_{c.activation}",
        "beta and sigma of the HSIC bottleneck",
    ),
}  # fmt: skip


def add_arguments(parser, app):
    """The flags of `keras-deepinit tune <app>`."""
    module = app.module
    parser.add_argument(
        "--tuner",
        choices=tuple(TUNERS),
        default="random",
        help="random search or Bayesian optimization (default: %(default)s)",
    )
    parser.add_argument(
        "--max-trials",
        type=int,
        default=10,
        help="trials in all, a resumed search's included (default: %(default)s)",
    )
    parser.add_argument(
        "--epochs", type=int, help="epochs per trial (default: 1 unless --steps)"
    )
    parser.add_argument(
        "--steps", type=int, help="stop each trial after this many training steps"
    )
    parser.add_argument(
        "--batch-size", type=int, default=app.batch_size, help="(default: %(default)s)"
    )
    tuned = app.hypermodel is hypermodels.NFResNetHyperModel
    parser.add_argument(
        "--learning-rate",
        type=float,
        help=f"{'the tuned rate' if tuned else 'the learning rate'}'s default "
        f"(default: {app.hypermodel.default_learning_rate})",
    )
    if app.hypermodel is hypermodels.DeepCNNHyperModel:
        parser.add_argument(
            "--body-learning-rate",
            type=float,
            help="learning rate of the deep body (default: 0.01 / depth, as in "
            "`train deep-cnn`); --learning-rate is the stem's and the classifier's",
        )
    parser.add_argument(
        "--warmup-steps",
        type=int,
        default=0,
        help="raise the learning rate linearly over this many steps, before its "
        "cosine decay to 0 by each trial's last step (default: %(default)s)",
    )
    parser.add_argument(
        "--validation-examples",
        type=int,
        help="examples held out of the training split to score the trials "
        "(default: a tenth of it)",
    )
    parser.add_argument(
        "--dataset", choices=module.DATASETS, default=module.DATASETS[0]
    )
    parser.add_argument(
        "--data-dir", help="folder of official archives (see `data info`)"
    )
    parser.add_argument(
        "--directory",
        default=os.path.join("runs", "tune"),
        help="(default: %(default)s)",
    )
    parser.add_argument(
        "--project-name",
        help="the search's folder under --directory (default: <app>_<dataset>_<model>)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the tuner, the data order and the initial weights, the "
        "same in every trial (default: %(default)s)",
    )
    parser.add_argument(
        "--verbose",
        type=int,
        choices=(0, 1, 2),
        default=1,
        help="KerasTuner's and fit's progress: 0 none, 1 bars, 2 a line per "
        "epoch (default: %(default)s)",
    )
    training.add_model_arguments(
        parser, module.PRESETS, model_options(app), app.hypermodel.config_class
    )


def model_options(app):
    """The app's model flags (name -> type), less the fields the search tunes."""
    return {
        name: kind
        for name, kind in app.module.MODEL_OPTIONS.items()
        if name not in app.hypermodel.tuned
    }


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="keras-deepinit tune", description=__doc__.splitlines()[0]
    )
    apps = parser.add_subparsers(dest="app", required=True, metavar="APP")
    for name, app in APPS.items():
        add_arguments(apps.add_parser(name, help=app.help, description=app.help), app)
    return parser.parse_args(argv)


def check_args(args):
    """Rejects bad flags before any data is read or model built."""
    for name in ("max_trials", "epochs", "steps", "batch_size", "validation_examples"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise ValueError(
                f"Expected --{name.replace('_', '-')} to be a positive integer. "
                f"Received: {name}={value!r}"
            )
    if args.warmup_steps < 0:
        raise ValueError(
            "Expected --warmup-steps to be at least 0. "
            f"Received: warmup_steps={args.warmup_steps!r}"
        )
    for name in ("learning_rate", "body_learning_rate"):
        value = getattr(args, name, None)
        if value is not None and not value > 0:
            raise ValueError(
                f"Expected --{name.replace('_', '-')} to be positive. "
                f"Received: {name}={value!r}"
            )


def load_data(args, normalization):
    """The training batches and the held-out validation batches.

    The validation examples are the first of the training split; the rest are
    shuffled once with `--seed`, so that every trial (a resumed search's
    included) sees the same batches in the same order.

    Returns:
        `(train, validation, epochs, max_steps)`.
    """
    keras.utils.set_random_seed(args.seed)
    raw = data.load_raw(args.dataset, "train", args.data_dir)
    held_out = args.validation_examples or raw.num_examples // 10
    batches = (raw.num_examples - held_out) // args.batch_size
    if batches < 1:
        raise ValueError(
            f"Expected --validation-examples to leave at least one batch of "
            f"{args.batch_size} of the {raw.num_examples} training examples. "
            f"Received: validation_examples={held_out!r}"
        )

    def normalize(images, labels):
        return data.normalize_images(images, args.dataset, normalization), labels

    train = raw.dataset.skip(held_out).shuffle(
        raw.num_examples - held_out, seed=args.seed, reshuffle_each_iteration=False
    )
    train = train.batch(args.batch_size, drop_remainder=True).map(normalize)
    validation = raw.dataset.take(held_out).batch(args.batch_size).map(normalize)
    epochs, max_steps = runs.plan_steps(
        batches,
        epochs=args.epochs if args.epochs or args.steps else 1,
        steps=args.steps,
    )
    return train.prefetch(2), validation.prefetch(2), epochs, max_steps


def check_same_search(folder, options):
    """Checks that a search already in `folder` had the same `options` (as
    `run` writes them to `search.json`): a resumed search must not mix two."""
    path = os.path.join(folder, OPTIONS_FILE)
    if not os.path.exists(path):
        return
    with open(path) as file:
        before = json.load(file)
    changed = [name for name in options if before.get(name) != options[name]]
    if changed:
        had = ", ".join(f"{name}={before.get(name)!r}" for name in changed)
        received = ", ".join(f"{name}={options[name]!r}" for name in changed)
        raise ValueError(
            f"Expected the options of the search in {folder} to resume it "
            f"({had}), or another --project-name. Received: {received}"
        )


def summarize(oracle, hypermodel):
    """One row per trial: id, status, score and `hypermodel.values`, best first."""
    rows = [
        {
            "trial_id": trial.trial_id,
            "status": trial.status,
            "score": trial.score,
            **hypermodel.values(trial.hyperparameters),
        }
        for trial in oracle.trials.values()
    ]
    sign = -1 if oracle.objective.direction == "max" else 1
    return sorted(
        rows,
        key=lambda row: (
            row["score"] is None or math.isnan(row["score"]),
            sign * (row["score"] or 0.0),
        ),
    )


def format_table(rows):
    """The rows as an aligned text table."""

    def text(value):
        return f"{value:.4g}" if isinstance(value, float) else str(value)

    columns = list(rows[0])
    cells = [columns] + [[text(row.get(name)) for name in columns] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        for line in cells
    )


def write_summary(rows, folder, objective):
    """`<folder>/summary.json` (objective and rows) and `summary.csv` (rows)."""
    path = os.path.join(folder, SUMMARY_FILE)
    with open(path + ".json", "w") as file:
        summary = {"objective": objective.name, "direction": objective.direction}
        json.dump({**summary, "trials": rows}, file, indent=2)
    with open(path + ".csv", "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def plot_sigma_w2(rows, path, objective, title):
    """A PNG of the score against `sigma_w2` (log axis), coloured by
    `sigma_b2`, with the critical `sigma_w2` at the smallest and the largest
    `sigma_b2` of the trials marked; None without a scored trial."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm
    from matplotlib.ticker import FormatStrFormatter

    done = [row for row in rows if row["score"] is not None]
    if not done:
        return None
    figure, axes = plt.subplots(figsize=(7.5, 4.5))
    points = axes.scatter(
        [row["sigma_w2"] for row in done],
        [row["score"] for row in done],
        c=[row["sigma_b2"] for row in done],
        norm=LogNorm(),
        zorder=3,
    )
    figure.colorbar(points, label="$\\sigma_b^2$")
    by_sigma_b2 = sorted(done, key=lambda row: row["sigma_b2"])
    for row, style in zip((by_sigma_b2[0], by_sigma_b2[-1]), ("--", ":"), strict=True):
        axes.axvline(
            row["critical_sigma_w2"],
            color="black",
            linestyle=style,
            label=f"critical $\\sigma_w^2$ = {row['critical_sigma_w2']:.3g} "
            f"at $\\sigma_b^2$ = {row['sigma_b2']:.2g}",
        )
        if len(done) == 1:
            break
    best = done[0]
    axes.scatter(
        best["sigma_w2"], best["score"], s=250, marker="*", color="red", zorder=4,
        label=f"best: $\\sigma_w^2$ = {best['sigma_w2']:.3g} "
        f"({best['sigma_w2_ratio']:.2f} x critical)",
    )  # fmt: skip
    axes.set_xscale("log")
    axes.xaxis.set_major_formatter(FormatStrFormatter("%g"))
    axes.xaxis.set_minor_formatter(FormatStrFormatter("%g"))
    axes.set_xlabel("$\\sigma_w^2$")
    axes.set_ylabel(objective.name)
    axes.set_title(title)
    axes.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def run(args):
    """Runs (or resumes) the search, prints and writes its summary.

    Returns:
        The summary's rows, best first.
    """
    check_args(args)
    app = APPS[args.app]
    if args.app == "deep-cnn":
        try:
            ops.one_thread_per_op()  # Faster on a CPU, as `train deep-cnn` runs.
        except RuntimeError:
            pass  # TensorFlow has already started: keep its threading.
    config = app.hypermodel.config_class(
        **training.config_values(args, app.module.PRESETS, model_options(app))
    )
    project = args.project_name or "_".join(
        (args.app.replace("-", "_"), args.dataset, app.model_name(config))
    )
    folder = os.path.join(args.directory, project)
    # The HyperModel's own arguments: deep-cnn's body learning rate.
    extra = {}
    if args.app == "deep-cnn":
        extra["body_learning_rate"] = args.body_learning_rate
    names = ("app", "tuner", "epochs", "steps", "batch_size", "learning_rate",
             "warmup_steps", "validation_examples", "dataset", "seed")  # fmt: skip
    options = {name: getattr(args, name) for name in names}
    # Through JSON, tuples become lists as in the file.
    options = json.loads(json.dumps({**dataclasses.asdict(config), **options, **extra}))
    check_same_search(folder, options)
    train, validation, epochs, max_steps = load_data(args, app.normalization)
    hypermodel = app.hypermodel(
        config,
        learning_rate=args.learning_rate,
        steps=max_steps,
        warmup_steps=args.warmup_steps,
        **extra,
    )
    try:
        tuner = TUNERS[args.tuner](
            hypermodel,
            objective=hypermodel.objective,
            max_trials=args.max_trials,
            seed=args.seed + 1,  # KerasTuner takes 0 for "draw a seed".
            directory=args.directory,
            project_name=project,
            overwrite=False,
        )
    except ImportError as error:  # The bayesian tuner without scikit-learn.
        raise ValueError(f"{error} Received: tuner={args.tuner!r}") from error
    with open(os.path.join(folder, OPTIONS_FILE), "w") as file:
        json.dump(options, file, indent=2)
    tuner.search(
        train,
        epochs=epochs,
        steps_per_epoch=runs.fit_steps_per_epoch(epochs, max_steps),
        validation_data=validation,
        shuffle=False,  # Shuffled once by load_data.
        callbacks=[runs.StepLimit(max_steps), keras.callbacks.TerminateOnNaN()],
        verbose=args.verbose,
    )
    return report(tuner.oracle, hypermodel, folder, args, max_steps)


def report(oracle, hypermodel, folder, args, max_steps):
    """Prints the trials, best first, writes them, and plots deep-cnn's."""
    rows = summarize(oracle, hypermodel)
    objective = oracle.objective
    print(f"\nTrials by {objective.name} ({objective.direction}), best first:")
    print(format_table(rows))
    print(f"Wrote {write_summary(rows, folder, objective)}.json and .csv")
    if args.app == "deep-cnn":
        config = hypermodel.config
        title = (
            f"{config.activation} CNN of depth {config.depth}, width {config.width}, "
            f"{args.dataset}: {max_steps} steps per trial"
        )
        path = plot_sigma_w2(rows, os.path.join(folder, PLOT_FILE), objective, title)
        if path:
            print(f"Wrote the plot to {path}")
    return rows


def main(argv=None):
    return run(parse_args(argv))
