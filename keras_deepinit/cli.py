"""The `keras-deepinit` command. It parses arguments and dispatches; the work
lives in the package and in the apps.

The interface layer: the only module of the package that reads the apps'
registry (`keras_deepinit.apps.get_apps`) or uses argparse. `train` and
`tune` list the registered apps; each app parses its own flags.
"""

import argparse
import os
import sys

from keras_deepinit.version import __version__

DATASET_NAMES = ("mnist", "fashion_mnist", "cifar10")


def add_data_dir_argument(parser):
    parser.add_argument(
        "--data-dir",
        help=(
            "folder of official archives (<dir>/mnist/, <dir>/fashion_mnist/, "
            "<dir>/cifar10/cifar-10-batches-bin/); default: $KERAS_DEEPINIT_DATA_DIR, "
            "then tensorflow-datasets"
        ),
    )


def build_parser():
    parser = argparse.ArgumentParser(
        prog="keras-deepinit",
        description="Train very deep networks in Keras 3 without the usual crutches.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    data = commands.add_parser("data", help="inspect a data set")
    data_commands = data.add_subparsers(
        dest="data_command", required=True, metavar="COMMAND"
    )

    info = data_commands.add_parser(
        "info", help="counts, shapes and class balance of a data set"
    )
    info.add_argument("name", choices=DATASET_NAMES)
    add_data_dir_argument(info)
    info.set_defaults(handler=run_data_info)

    show = data_commands.add_parser("show", help="save a PNG grid of labelled samples")
    show.add_argument("name", choices=DATASET_NAMES)
    show.add_argument(
        "--out", default="grid.png", help="PNG to write (default: %(default)s)"
    )
    show.add_argument("--split", default="train", choices=("train", "test"))
    show.add_argument(
        "--count", type=int, default=36, help="images (default: %(default)s)"
    )
    show.add_argument(
        "--seed",
        type=int,
        help="draw a random sample with this seed (default: the first images)",
    )
    add_data_dir_argument(show)
    show.set_defaults(handler=run_data_show)

    add_theory_commands(commands)
    add_diagnose_commands(commands)
    add_train_commands(commands)
    add_tune_command(commands)
    add_serve_command(commands)
    return parser


def add_train_commands(commands):
    from keras_deepinit.apps import get_apps

    train = commands.add_parser("train", help="train one of the apps' models")
    apps = train.add_subparsers(dest="app", required=True, metavar="APP")
    for name, app in get_apps().items():
        # The app parses its own arguments (and --help): see main().
        parser = apps.add_parser(name, help=app.help, add_help=False)
        parser.set_defaults(handler=run_train, app_name=name)


def add_tune_command(commands):
    # keras_deepinit.apps.tune parses its own arguments (and --help).
    tune = commands.add_parser(
        "tune",
        help="search an app's hyperparameters with KerasTuner (deep-cnn: "
        "sigma_w^2 and sigma_b^2 around the critical line); rerun to resume",
        add_help=False,
    )
    tune.set_defaults(handler=run_tune, app_name=None)


def run_train(args):
    from keras_deepinit.apps import get_app

    get_app(args.app_name).run(args.app_args)


def run_tune(args):
    from keras_deepinit.apps import tune

    tune.main(args.app_args)


def add_serve_command(commands):
    serve = commands.add_parser(
        "serve",
        help="serve exported models over TensorFlow Serving's REST API",
        description="Serve every model under a folder of exported models "
        "(<name>/<version>/) over TensorFlow Serving's REST API: "
        "GET /v1/models/<name>[/versions/<v>][/metadata], "
        "POST /v1/models/<name>[/versions/<v>]:predict.",
    )
    serve.add_argument("model_base_dir", help="the folder, e.g. exported_models/")
    serve.add_argument("--port", type=int, default=8501, help="(default: %(default)s)")
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on; 0.0.0.0 for every interface (default: %(default)s)",
    )
    serve.add_argument(
        "--max-body-bytes",
        type=int,
        default=32 * 2**20,
        help="largest request body; larger ones get 413 (default: %(default)s)",
    )
    serve.set_defaults(handler=run_serve)


def run_serve(args):
    from keras_deepinit import serving

    serving.serve(
        args.model_base_dir,
        host=args.host,
        port=args.port,
        max_body_bytes=args.max_body_bytes,
    )


def add_theory_commands(commands):
    theory = commands.add_parser("theory", help="mean-field theory of deep networks")
    theory_commands = theory.add_subparsers(
        dest="theory_command", required=True, metavar="COMMAND"
    )

    critical = theory_commands.add_parser(
        "critical",
        help="the critical point (edge of chaos) for a given sigma_b^2 or sigma_w^2",
    )
    critical.add_argument("--activation", default="tanh", help="(default: %(default)s)")
    given = critical.add_mutually_exclusive_group(required=True)
    given.add_argument("--sigma-b2", type=float, help="bias variance; find sigma_w^2")
    given.add_argument("--sigma-w2", type=float, help="weight variance; find sigma_b^2")
    critical.set_defaults(handler=run_theory_critical)

    analyze = theory_commands.add_parser(
        "analyze",
        help="fixed points, chi_1, depth scales at any (sigma_w^2, sigma_b^2)",
    )
    analyze.add_argument("--activation", default="tanh", help="(default: %(default)s)")
    analyze.add_argument("--sigma-w2", type=float, required=True)
    analyze.add_argument("--sigma-b2", type=float, required=True)
    analyze.set_defaults(handler=run_theory_analyze)

    phase = theory_commands.add_parser(
        "phase-diagram",
        help="PNG of trainable depth against sigma_w^2, with the 6 xi_c line",
    )
    phase.add_argument("--activation", default="tanh", help="(default: %(default)s)")
    phase.add_argument(
        "--sigma-b2", type=float, default=0.05, help="(default: %(default)s)"
    )
    phase.add_argument(
        "--out", default="phase_diagram.png", help="(default: %(default)s)"
    )
    phase.set_defaults(handler=run_theory_phase_diagram)

    paths = theory_commands.add_parser(
        "residual-paths",
        help="share of a normalized residual network's output variance carried "
        "by paths through at most k residual branches, and its PNG",
    )
    paths.add_argument(
        "--depths", type=int, nargs="+", default=[100, 1000, 10000],
        help="numbers of residual blocks (default: %(default)s)",
    )  # fmt: skip
    paths.add_argument(
        "--input-variance", type=float, default=1.0, help="(default: %(default)s)"
    )
    paths.add_argument(
        "--max-branches", type=int, default=15, help="k (default: %(default)s)"
    )
    paths.add_argument(
        "--out", default="residual_paths.png", help="(default: %(default)s)"
    )
    paths.set_defaults(handler=run_theory_residual_paths)


def add_diagnose_commands(commands):
    diagnose = commands.add_parser(
        "diagnose", help="measure signal propagation in networks"
    )
    diagnose_commands = diagnose.add_subparsers(
        dest="diagnose_command", required=True, metavar="COMMAND"
    )
    isometry = diagnose_commands.add_parser(
        "isometry",
        help="PNG of Jacobian singular values of critical plain CNNs, per initializer",
    )
    isometry.add_argument(
        "--initializers",
        nargs="+",
        default=["delta_orthogonal", "conv_orthogonal", "gaussian", "glorot"],
        help="(default: %(default)s)",
    )
    isometry.add_argument(
        "--depth", type=int, default=64, help="(default: %(default)s)"
    )
    isometry.add_argument(
        "--width", type=int, default=16, help="(default: %(default)s)"
    )
    isometry.add_argument(
        "--spatial",
        type=int,
        default=8,
        help="input height and width (default: %(default)s)",
    )
    isometry.add_argument("--activation", default="tanh", help="(default: %(default)s)")
    isometry.add_argument(
        "--sigma-b2", type=float, default=2.01e-5, help="(default: %(default)s)"
    )
    isometry.add_argument(
        "--examples", type=int, default=2, help="inputs (default: %(default)s)"
    )
    isometry.add_argument("--seed", type=int, default=0, help="(default: %(default)s)")
    isometry.add_argument(
        "--out", default="jacobian_spectra.png", help="(default: %(default)s)"
    )
    isometry.set_defaults(handler=run_diagnose_isometry)


def run_data_info(args):
    from keras_deepinit.data import summary

    print(summary.format_description(summary.describe(args.name, args.data_dir)))


def run_data_show(args):
    from keras_deepinit.data import summary

    images, _ = summary.plot_samples(
        args.name,
        args.out,
        split=args.split,
        count=args.count,
        seed=args.seed,
        data_dir=args.data_dir,
    )
    print(f"Wrote {len(images)} {args.name} {args.split} samples to {args.out}")


def format_mean_field(point):
    rows = [
        ("activation", point.activation),
        ("sigma_w^2", f"{point.sigma_w2:.6g}"),
        ("sigma_b^2", f"{point.sigma_b2:.6g}"),
        ("q*", f"{point.q_star:.6g}"),
        ("chi_1", f"{point.chi_1:.6g}"),
        ("c*", f"{point.c_star:.6g}"),
        ("chi_c", f"{point.chi_c:.6g}"),
        ("xi_q", f"{point.xi_q:.6g}"),
        ("xi_c", f"{point.xi_c:.6g}"),
        ("predicted max depth (6 xi_c)", f"{point.max_depth:.6g}"),
    ]
    return "\n".join(f"{name:<30}{value}" for name, value in rows)


def run_theory_critical(args):
    from keras_deepinit import theory

    point = theory.critical_point(
        args.activation, sigma_b2=args.sigma_b2, sigma_w2=args.sigma_w2
    )
    print(format_mean_field(point))


def run_theory_analyze(args):
    from keras_deepinit import theory

    print(
        format_mean_field(theory.analyze(args.activation, args.sigma_w2, args.sigma_b2))
    )


def run_theory_phase_diagram(args):
    from keras_deepinit import theory

    out = theory.plot_phase_diagram(
        activation=args.activation, sigma_b2=args.sigma_b2, out=args.out
    )
    print(f"Wrote the phase diagram to {out}")


def run_theory_residual_paths(args):
    from keras_deepinit import theory

    for depth in args.depths:
        share = theory.path_variance_shares(
            depth, args.input_variance, args.max_branches
        ).sum()
        print(
            f"{depth:,} blocks: {100 * share:.1f}% of the output variance through "
            f"at most {args.max_branches} branches"
        )
    out = theory.plot_path_variance_shares(
        args.depths, args.input_variance, max(40, args.max_branches), args.out
    )
    print(f"Wrote the plot to {out}")


def run_diagnose_isometry(args):
    import numpy as np

    from keras_deepinit.diagnostics import isometry

    spectra = isometry.isometry_spectra(
        args.initializers,
        depth=args.depth,
        width=args.width,
        spatial=args.spatial,
        activation=args.activation,
        sigma_b2=args.sigma_b2,
        examples=args.examples,
        seed=args.seed,
    )
    print(f"{'initializer':<20}{'in [0.5, 2]':>12}{'min':>12}{'median':>12}{'max':>12}")
    for kind, values in spectra.items():
        print(
            f"{kind:<20}{100 * isometry.fraction_near_one(values):>11.1f}%"
            f"{values.min():>12.3g}{np.median(values):>12.3g}{values.max():>12.3g}"
        )
    title = (
        f"{args.activation} CNN, depth {args.depth}, width {args.width}, "
        f"critical point at sigma_b^2={args.sigma_b2:g}"
    )
    print(f"Wrote the spectra to {isometry.plot_spectra(spectra, args.out, title)}")


# What the `[apps]` extra installs over the lean install (setup.py).
APPS_STACK = (
    "tensorflow",
    "tensorflow_datasets",
    "keras_tuner",
    "matplotlib",
    "tensorboard",
)


def main(argv=None):
    parser = build_parser()
    args, app_args = parser.parse_known_args(argv)
    if "app_name" in args:
        args.app_args = app_args
    elif app_args:
        parser.error(f"unrecognized arguments: {' '.join(app_args)}")
    # Fewer of TensorFlow's C++ log lines; users can still ask for them. Since
    # TF 2.19 its import-time lines print regardless (tensorflow#100442).
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        args.handler(args)
    except ModuleNotFoundError as error:
        if error.name is None or error.name.split(".")[0] not in APPS_STACK:
            raise
        parser.exit(
            2,
            f"keras-deepinit: error: this command needs {error.name}, which the "
            "lean install leaves out: pip install 'keras-deepinit[apps]'\n",
        )
    except (OSError, ValueError) as error:
        parser.exit(2, f"keras-deepinit: error: {error}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
