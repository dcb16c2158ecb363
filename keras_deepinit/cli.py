"""The `keras-deepinit` command. It parses arguments and dispatches; the work
lives in the package and in the apps."""

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
    return parser


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


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    # TensorFlow's C++ start-up chatter hides the output; users can still ask for it.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        args.handler(args)
    except (OSError, ValueError) as error:
        parser.exit(2, f"keras-deepinit: error: {error}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
