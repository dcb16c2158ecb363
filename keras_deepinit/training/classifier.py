"""Training a classifier end to end from typed configs: strategy, data, plan,
compile, resumable fit, save, evaluate and export.

What the classifier apps share. Every function takes a `TrainingConfig`
(and the model's config dataclass), never parsed flags.
"""

import contextlib
import dataclasses
import json
import math
import os
import time

import keras

from keras_deepinit import data
from keras_deepinit import distribute
from keras_deepinit import export
from keras_deepinit.training import run_folder
from keras_deepinit.training.optimizer import training_optimizer
from keras_deepinit.training.plan import RunPlan
from keras_deepinit.training.plan import plan_steps
from keras_deepinit.training.step_limit import optimizer_steps


def default_run_dir(app, training, run_name):
    """`training.run_dir`, else `runs/<app>/<dataset>_<run_name>`."""
    return training.run_dir or os.path.join(
        "runs", app, f"{training.dataset}_{run_name}"
    )


def make_strategy(training):
    """The `TrainingConfig`'s `tf.distribute` strategy (see
    `keras_deepinit.distribute.get_strategy`)."""
    strategy = distribute.get_strategy(training.strategy, tpu=training.tpu)
    replicas = strategy.num_replicas_in_sync
    if replicas > 1:
        print(
            f"{type(strategy).__name__} over {replicas} replicas: batches of "
            f"{training.batch_size} x {replicas} = {training.batch_size * replicas}"
        )
    return strategy


def load_data(training, normalization="standardize", replicas=1):
    """The training and test sets and the run's plan.

    Images are normalized as `normalization` says (see
    `keras_deepinit.data.load`), in batches of `training.batch_size` per
    replica, sharded across workers.

    Returns:
        A `RunPlan`.
    """
    keras.utils.set_random_seed(training.seed)
    batch_size = training.batch_size * replicas
    train = data.load(
        training.dataset,
        "train",
        data_dir=training.data_dir,
        batch_size=batch_size,
        seed=training.seed,
        drop_remainder=True,
        normalization=normalization,
    )
    test = data.load(
        training.dataset,
        "test",
        data_dir=training.data_dir,
        batch_size=batch_size,
        normalization=normalization,
    )
    if training.eval_batches:
        test = test.take(training.eval_batches)
    if training.steps_per_epoch is not None:
        train = train.repeat()
    plan = plan_run(training, train, test, training.planned_epochs, training.steps)
    if replicas > 1:
        plan = plan.replace(
            train=distribute.distribute_dataset(plan.train),
            test=distribute.distribute_dataset(plan.test),
        )
    return plan


def plan_run(training, train, test, epochs, steps):
    """The `RunPlan` of `epochs` or `steps` over `train`, in epochs of
    `training.steps_per_epoch` steps, else of the whole set."""
    batches = training.steps_per_epoch or int(train.cardinality())
    epochs, max_steps = plan_steps(batches, epochs=epochs, steps=steps)
    return RunPlan(train, test, epochs, max_steps, training.steps_per_epoch)


def compile_classifier(model, training, max_steps, multipliers=None):
    """Compiles with the `TrainingConfig`'s optimizer and schedule,
    cross-entropy on logits and accuracy; `multipliers` scale the learning
    rate per variable path prefix."""
    model.compile(
        training_optimizer(training, max_steps, multipliers),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )


def fit_run(model, training, run_dir, plan, extra=(), strategy=None):
    """Fits a compiled model in `run_dir`, resuming from its backup, with its
    backups, history, curves and logs (`keras_deepinit.training.run_callbacks`)
    and `extra` callbacks.

    The backup is restored under `strategy`'s scope, where the model was
    built, so that the optimizer's variables are distributed like it.
    """
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        initial_epoch = run_folder.restore_run(
            model, run_dir, plan.epochs, plan.max_steps
        )
    model.fit(
        plan.train,
        epochs=plan.epochs,
        initial_epoch=initial_epoch,
        steps_per_epoch=plan.fit_steps_per_epoch,
        validation_data=plan.test,
        shuffle=False,  # tf.data shuffles, reseeded every epoch
        callbacks=run_folder.run_callbacks(
            run_dir,
            max_steps=plan.max_steps,
            save_every_steps=training.save_every_steps,
            extra=list(extra),
        ),
        verbose=training.verbose,
    )


def save_config(run_dir, config, training, options=None):
    """Writes `<run_dir>/config.json`: the model's config, the
    `TrainingConfig` and the app's other `options`."""
    os.makedirs(run_dir, exist_ok=True)
    with open(os.path.join(run_dir, "config.json"), "w") as file:
        json.dump(
            {
                "config": dataclasses.asdict(config),
                "options": {**dataclasses.asdict(training), **(options or {})},
            },
            file,
            indent=2,
        )


def fit_and_export(
    model, training, config, run_dir, plan, export_name, start, strategy=None,
    options=None,
):  # fmt: skip
    """Fits a compiled model, saves `<run_dir>/model.keras`, evaluates and exports.

    `TerminateOnNaN` stops a diverging run; its model is saved but not
    exported.

    Args:
        model: the compiled model.
        training: the `TrainingConfig`.
        config: the model's config dataclass, recorded with the run.
        run_dir: the run folder (backups, logs, history, model).
        plan: the `RunPlan` (see `load_data`).
        export_name: the SavedModel's name under `training.export_dir`.
        start: `time.perf_counter()` when the app started.
        strategy: the distribution strategy the model was built under.
        options: the app's other options, recorded with the run.

    Returns:
        The test metrics.
    """
    save_config(run_dir, config, training, options)
    print(f"{model.name} built, {time.perf_counter() - start:.1f} s after start; "
          f"run folder {run_dir}")  # fmt: skip
    fit_run(
        model,
        training,
        run_dir,
        plan,
        extra=[keras.callbacks.TerminateOnNaN()],
        strategy=strategy,
    )
    model.save(os.path.join(run_dir, "model.keras"))
    metrics = model.evaluate(plan.test, return_dict=True, verbose=0)
    steps = optimizer_steps(model)
    print(
        f"Test accuracy {metrics['accuracy']:.4f}, loss {metrics['loss']:.4f} after "
        f"{steps} steps; {time.perf_counter() - start:.0f} s in all"
    )
    if not math.isfinite(metrics["loss"]):
        print(
            "The loss diverged (NaN or infinite) by step "
            f"{steps}: the model is not exported."
        )
    elif training.export:
        path = export.export_model(
            model,
            export_name,
            base_dir=training.export_dir,
            metadata={
                "config": dataclasses.asdict(config),
                "metrics": metrics,
                "dataset": training.dataset,
                "steps": steps,
            },
        )
        print(f"Exported the SavedModel to {path}")
    return metrics


def train_classifier(
    training, app, config, build, run_name, *, start=None, multipliers=None,
    normalization="standardize", options=None,
):  # fmt: skip
    """Builds `build(config)`, then compiles, fits, saves, evaluates, exports.

    Examples:

    >>> train_classifier(TrainingConfig(steps=100), "own", OWNConfig(),
    ...                  build_own_network, "mlp")

    Args:
        training: the `TrainingConfig`.
        app: the app's name in paths: the run folder defaults to
            `runs/<app>/<dataset>_<run_name>`, the export is `<app>_<dataset>`.
        config: the model's config dataclass.
        build: the model builder, called with `config`.
        run_name: the run's name in its default folder.
        start: `time.perf_counter()` when the app started; None: now.
        multipliers: learning-rate multipliers per variable path prefix.
        normalization: of the images (see `keras_deepinit.data.load`).
        options: the app's other options, recorded with the run.

    Returns:
        The test metrics.
    """
    start = time.perf_counter() if start is None else start
    run_dir = default_run_dir(app, training, run_name)
    strategy = make_strategy(training)
    plan = load_data(training, normalization, strategy.num_replicas_in_sync)
    with strategy.scope():
        model = build(config)
        compile_classifier(model, training, plan.max_steps, multipliers)
    return fit_and_export(
        model, training, config, run_dir, plan, f"{app}_{training.dataset}", start,
        strategy=strategy, options=options,
    )  # fmt: skip


def train_app(
    app, config, training=None, *, build=None, run_name=None, start=None,
    multipliers=None, options=None,
):  # fmt: skip
    """`train_classifier` for an app: its name, builder and normalization.

    Examples:

    >>> train_app(APP, OWNConfig(), TrainingConfig(steps=100))

    Args:
        app: the app's declaration (an `App`).
        config: the app's model config.
        training: the `TrainingConfig`; None: the app's defaults
            (`app.make_training()`).
        build: the model builder; None: the app's.
        run_name: the run's name in its default folder; None: `config.name`.
        start: `time.perf_counter()` when the app started; None: now.
        multipliers: learning-rate multipliers per variable path prefix.
        options: the app's other options, recorded with the run.

    Returns:
        The test metrics.
    """
    return train_classifier(
        training or app.make_training(),
        app.slug,
        config,
        build or app.build,
        config.name if run_name is None else run_name,
        start=start,
        multipliers=multipliers,
        normalization=app.normalization,
        options=options,
    )
