"""Where a tuner search over sigma_w^2 lands relative to the critical line.

A random search (`keras-deepinit tune deep-cnn`) over a depth-200 tanh CNN
on the real MNIST: each trial samples sigma_b^2 log-uniformly in [1e-5,
1e-2] and sigma_w^2 as the critical value for it times a ratio log-uniform
in [1/2, 2], trains `--steps` steps from the same initial seed and data
order, and is scored by its accuracy on examples held out of the training
split. Prints the trials best first, the best trials' sigma_w^2 over the
critical value (the ratio), and the mean score of the trials inside and
outside the mean-field theory's trainable band (6 xi_c >= depth); copies the
plot and the summary to benchmarks/results/. Running it again resumes the
search in runs/tune/ (more --max-trials adds trials).

    python benchmarks/tune_sigma_w2.py --data-dir ../shared/data
"""

import argparse
import json
import math
import os
import shutil
import statistics

from keras_deepinit import theory
from keras_deepinit.apps import tune
from keras_deepinit.apps.deep_cnn.hypermodel import PLOT_FILE
from keras_deepinit.tuning.summary import SUMMARY_FILE


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir")
    parser.add_argument("--max-trials", type=int, default=24)
    parser.add_argument("--steps", type=int, default=250)
    parser.add_argument("--depth", type=int, default=200)
    parser.add_argument("--width", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=64)
    # 2e-4 learns in a few hundred steps where the app's 0.01 / depth is
    # slow; 1e-3 diverges (probed at the critical point, 250 steps).
    parser.add_argument("--body-learning-rate", type=float, default=2e-4)
    parser.add_argument("--warmup-steps", type=int, default=25)
    parser.add_argument("--validation-examples", type=int, default=2000)
    parser.add_argument("--directory", default=os.path.join("runs", "tune"))
    parser.add_argument("--out-dir", default=os.path.join("benchmarks", "results"))
    return parser.parse_args()


def main():
    args = parse_args()
    name = f"tune_sigma_w2_mnist_depth{args.depth}"
    argv = [
        "deep-cnn", "--activation", "tanh", "--depth", str(args.depth),
        "--width", str(args.width), "--max-trials", str(args.max_trials),
        "--steps", str(args.steps), "--batch-size", str(args.batch_size),
        "--body-learning-rate", str(args.body_learning_rate),
        "--warmup-steps", str(args.warmup_steps),
        "--validation-examples", str(args.validation_examples),
        "--directory", args.directory, "--project-name", name, "--verbose", "2",
    ]  # fmt: skip
    if args.data_dir:
        argv += ["--data-dir", args.data_dir]
    rows = [row for row in tune.main(argv) if row["score"] is not None]

    print(f"\n{len(rows)} trials, {args.steps} steps each, depth {args.depth}:")
    print(f"{'val_accuracy':>12}{'sigma_b2':>11}{'sigma_w2':>10}{'critical':>10}"
          f"{'ratio':>8}{'6 xi_c':>10}")  # fmt: skip
    trainable = []
    for row in rows:
        point = theory.analyze("tanh", row["sigma_w2"], row["sigma_b2"])
        trainable.append(point.max_depth >= args.depth)
        print(
            f"{row['score']:>12.4f}{row['sigma_b2']:>11.3g}{row['sigma_w2']:>10.4g}"
            f"{row['critical_sigma_w2']:>10.4g}{row['sigma_w2_ratio']:>8.3f}"
            f"{point.max_depth:>10.4g}"
        )
    best = rows[0]
    print(
        f"\nBest trial: sigma_w2 {best['sigma_w2']:.4g}, critical "
        f"{best['critical_sigma_w2']:.4g} at its sigma_b2 {best['sigma_b2']:.3g}: "
        f"ratio best/critical {best['sigma_w2_ratio']:.3f}, "
        f"val_accuracy {best['score']:.4f}"
    )
    ratios = [row["sigma_w2_ratio"] for row in rows[:3]]
    geometric = math.exp(statistics.mean(math.log(ratio) for ratio in ratios))
    print(
        f"Top {len(ratios)} trials: ratios to critical "
        f"{', '.join(f'{ratio:.3f}' for ratio in ratios)} "
        f"(geometric mean {geometric:.3f})"
    )
    for inside, where in ((True, "inside"), (False, "outside")):
        scores = [
            r["score"] for r, t in zip(rows, trainable, strict=True) if t == inside
        ]
        if scores:
            print(
                f"{len(scores)} trials {where} the trainable band (6 xi_c >= "
                f"{args.depth}): mean val_accuracy {statistics.mean(scores):.4f}"
            )

    os.makedirs(args.out_dir, exist_ok=True)
    folder = os.path.join(args.directory, name)
    plot = os.path.join(args.out_dir, f"{name}.png")
    shutil.copyfile(os.path.join(folder, PLOT_FILE), plot)
    with open(os.path.join(folder, SUMMARY_FILE + ".json")) as file:
        summary = json.load(file)
    summary["options"] = vars(args)
    with open(os.path.join(args.out_dir, f"{name}.json"), "w") as file:
        json.dump(summary, file, indent=2)
    print(f"Wrote {plot} and {name}.json")


if __name__ == "__main__":
    main()
