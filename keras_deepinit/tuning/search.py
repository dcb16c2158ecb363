"""Searches an app's hyperparameters with KerasTuner.

`run_search(app, search, config)` takes an app's declaration (a
`keras_deepinit.training.App` with a hypermodel), a `SearchConfig` and the
model's config. Trials train on the training split less
`validation_examples` held out of it, which score them (the test split is
never used). The search lives in `<directory>/<project name>/`: running the
same search again resumes it, keeping the finished trials, and a larger
`max_trials` adds trials. At the end it prints the trials best first, writes
them to `summary.json` and `summary.csv` there, and draws the hypermodel's
plots (for deep-cnn, `sigma_w2.png`).
"""

import dataclasses
import json
import os

import keras
import keras_tuner

from keras_deepinit import data
from keras_deepinit.training import RunPlan
from keras_deepinit.training import StepLimit
from keras_deepinit.training import plan_steps
from keras_deepinit.tuning.summary import format_table
from keras_deepinit.tuning.summary import summarize
from keras_deepinit.tuning.summary import write_summary

TUNERS = {
    "random": keras_tuner.RandomSearch,
    "bayesian": keras_tuner.BayesianOptimization,
}
OPTIONS_FILE = "search.json"
# The search's options recorded in search.json, beside the config's fields.
RECORDED = ("tuner", "epochs", "steps", "batch_size", "learning_rate",
            "warmup_steps", "validation_examples", "dataset", "seed")  # fmt: skip


def resolve(app, search):
    """`search` with the app's defaults for its unset data set and batch size."""
    return dataclasses.replace(
        search,
        dataset=search.dataset or app.datasets[0],
        batch_size=search.batch_size or app.make_training().batch_size,
    )


def load_data(search, normalization):
    """The training batches and the held-out validation batches.

    The validation examples are the first of the training split; the rest are
    shuffled once with `search.seed`, so that every trial (a resumed
    search's included) sees the same batches in the same order.

    Returns:
        A `RunPlan` whose `test` is the validation batches.
    """
    keras.utils.set_random_seed(search.seed)
    raw = data.load_raw(search.dataset, "train", search.data_dir)
    held_out = search.validation_examples or raw.num_examples // 10
    batches = (raw.num_examples - held_out) // search.batch_size
    if batches < 1:
        raise ValueError(
            f"Expected validation_examples to leave at least one batch of "
            f"{search.batch_size} of the {raw.num_examples} training examples. "
            f"Received: validation_examples={held_out!r}"
        )

    def normalize(images, labels):
        return data.normalize_images(images, search.dataset, normalization), labels

    train = raw.dataset.skip(held_out).shuffle(
        raw.num_examples - held_out, seed=search.seed, reshuffle_each_iteration=False
    )
    train = train.batch(search.batch_size, drop_remainder=True).map(normalize)
    validation = raw.dataset.take(held_out).batch(search.batch_size).map(normalize)
    epochs, max_steps = plan_steps(
        batches,
        epochs=search.epochs if search.epochs or search.steps else 1,
        steps=search.steps,
    )
    return RunPlan(train.prefetch(2), validation.prefetch(2), epochs, max_steps)


def check_same_search(folder, options):
    """Checks that a search already in `folder` had the same `options` (as
    `run_search` writes them to `search.json`): a resumed search must not
    mix two."""
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
            f"({had}), or another project name. Received: {received}"
        )


def check_options(hypermodel_class, options):
    """The hypermodel's own arguments (`hypermodel_class.options`): positive
    numbers or None."""
    options = dict(options or {})
    unknown = sorted(set(options) - set(hypermodel_class.options))
    if unknown:
        raise ValueError(
            f"Expected options of {hypermodel_class.__name__} among "
            f"{sorted(hypermodel_class.options)}. Received: {unknown}"
        )
    for name, value in options.items():
        if value is not None and not value > 0:
            raise ValueError(
                f"Expected {name} to be positive. Received: {name}={value!r}"
            )
    return {name: options.get(name) for name in hypermodel_class.options}


def run_search(app, search, config, options=None):
    """Runs (or resumes) the search of `app`'s hypermodel; prints and writes
    its summary.

    Examples:

    >>> config = app.make_config(depth=200, width=8)
    >>> rows = run_search(app, SearchConfig(max_trials=16, steps=250), config)

    Args:
        app: the app's declaration (a `keras_deepinit.training.App`).
        search: a `SearchConfig`.
        config: the app's model config; all but the tuned fields are fixed.
        options: the hypermodel's own arguments (see `AppHyperModel.options`).

    Returns:
        The summary's rows, best first.
    """
    hypermodel_class = app.hypermodel_class
    options = check_options(hypermodel_class, options)
    search = resolve(app, search)
    hypermodel_class.setup()
    project = search.project_name or "_".join(
        (app.slug, search.dataset, hypermodel_class.label(config))
    )
    folder = os.path.join(search.directory, project)
    recorded = {name: getattr(search, name) for name in RECORDED}
    recorded = {"app": app.name, **recorded}
    # Through JSON, tuples become lists as in the file.
    recorded = json.loads(
        json.dumps({**dataclasses.asdict(config), **recorded, **options})
    )
    check_same_search(folder, recorded)
    plan = load_data(search, app.normalization)
    hypermodel = hypermodel_class(
        config,
        learning_rate=search.learning_rate,
        steps=plan.max_steps,
        warmup_steps=search.warmup_steps,
        **options,
    )
    try:
        tuner = TUNERS[search.tuner](
            hypermodel,
            objective=hypermodel.objective,
            max_trials=search.max_trials,
            seed=search.seed + 1,  # KerasTuner takes 0 for "draw a seed".
            directory=search.directory,
            project_name=project,
            overwrite=False,
        )
    except ImportError as error:  # The bayesian tuner without scikit-learn.
        raise ValueError(f"{error} Received: tuner={search.tuner!r}") from error
    with open(os.path.join(folder, OPTIONS_FILE), "w") as file:
        json.dump(recorded, file, indent=2)
    tuner.search(
        plan.train,
        epochs=plan.epochs,
        steps_per_epoch=plan.fit_steps_per_epoch,
        validation_data=plan.test,
        shuffle=False,  # Shuffled once by load_data.
        callbacks=[StepLimit(plan.max_steps), keras.callbacks.TerminateOnNaN()],
        verbose=search.verbose,
    )
    context = f"{search.dataset}: {plan.max_steps} steps per trial"
    return report(tuner.oracle, hypermodel, folder, context)


def report(oracle, hypermodel, folder, context):
    """Prints the trials, best first, writes them, and draws the hypermodel's
    plots."""
    rows = summarize(oracle, hypermodel)
    objective = oracle.objective
    print(f"\nTrials by {objective.name} ({objective.direction}), best first:")
    print(format_table(rows))
    print(f"Wrote {write_summary(rows, folder, objective)}.json and .csv")
    for path in hypermodel.write_plots(rows, folder, objective, context):
        print(f"Wrote the plot to {path}")
    return rows
