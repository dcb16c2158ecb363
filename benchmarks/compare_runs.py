"""Plots the test curves of several training runs side by side.

Reads each run folder's `history.json` (written by the training apps) and
draws test loss and accuracy (or the `--metrics` named) against training
steps, one curve per run.

    python benchmarks/compare_runs.py runs/a runs/b --labels A B --out cmp.png
"""

import argparse
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from keras_deepinit.training.history import load_history  # noqa: E402

METRIC_NAMES = {
    "loss": "training loss (epoch mean)",
    "accuracy": "training accuracy (epoch mean)",
    "val_loss": "test loss",
    "val_accuracy": "test accuracy",
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dirs", nargs="+")
    parser.add_argument("--labels", nargs="+", help="default: the folder names")
    parser.add_argument(
        "--metrics",
        nargs="+",
        choices=sorted(METRIC_NAMES),
        default=["val_loss", "val_accuracy"],
    )
    parser.add_argument("--title")
    parser.add_argument("--out", default="runs.png")
    args = parser.parse_args()
    labels = args.labels or [
        os.path.basename(os.path.normpath(d)) for d in args.run_dirs
    ]
    if len(labels) != len(args.run_dirs):
        parser.error(
            f"Expected one label per run folder ({len(args.run_dirs)}). "
            f"Received: {len(labels)} labels"
        )
    count = len(args.metrics)
    figure, axes = plt.subplots(1, count, figsize=(5 * count, 4), squeeze=False)
    axes = axes[0]
    for run_dir, label in zip(args.run_dirs, labels, strict=True):
        history = load_history(os.path.join(run_dir, "history.json"))
        for axis, metric in zip(axes, args.metrics, strict=True):
            axis.plot(history["step"], history[metric], "o-", label=label)
    for axis, metric in zip(axes, args.metrics, strict=True):
        axis.set(xlabel="training step", ylabel=METRIC_NAMES[metric])
        if metric.endswith("loss"):
            axis.set_yscale("log")
        axis.grid(alpha=0.3)
    axes[-1].legend()
    if args.title:
        figure.suptitle(args.title)
    figure.tight_layout()
    figure.savefig(args.out, dpi=120)
    print(f"Wrote {args.out}")


if __name__ == "__main__":
    main()
