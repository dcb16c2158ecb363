"""Plots the test curves of several training runs side by side.

Reads each run folder's `history.json` (written by the training apps) and
draws test loss and accuracy against training steps, one curve per run.

    python benchmarks/compare_runs.py runs/a runs/b --labels A B --out cmp.png
"""

import argparse
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from keras_deepinit import runs  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dirs", nargs="+")
    parser.add_argument("--labels", nargs="+", help="default: the folder names")
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
    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    for run_dir, label in zip(args.run_dirs, labels, strict=True):
        history = runs.load_history(os.path.join(run_dir, "history.json"))
        for axis, metric in zip(axes, ("val_loss", "val_accuracy"), strict=True):
            axis.plot(history["step"], history[metric], "o-", label=label)
    for axis, name in zip(axes, ("test loss", "test accuracy"), strict=True):
        axis.set(xlabel="training step", ylabel=name)
        axis.grid(alpha=0.3)
    axes[1].legend()
    if args.title:
        figure.suptitle(args.title)
    figure.tight_layout()
    figure.savefig(args.out, dpi=120)
    print(f"Wrote {args.out}")


if __name__ == "__main__":
    main()
