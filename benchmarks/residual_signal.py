"""Variance of the residual stream across depth at initialization, plotted.

On one batch of real CIFAR-10 test images (the partial set in ../shared/data),
a stem to 8x8 maps of width 16, then `--blocks` residual blocks: without
normalization (alpha fixed at 1), with batch normalization, with SkipInit at
1 / sqrt(d) and with Fixup. Prints the variance after selected blocks, in
units of the stem's output variance, with the theory beside it, and plots it.

    python benchmarks/residual_signal.py --blocks 100 --out residual_signal.png
"""

import argparse
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from keras_deepinit import data  # noqa: E402
from keras_deepinit.apps.nf_resnet.signal import stream_variances  # noqa: E402

LABELS = {
    "none": "no normalization, alpha = 1",
    "batchnorm": "batch normalization",
    "skipinit": "SkipInit, alpha = 1 / sqrt(d)",
    "fixup": "Fixup",
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--blocks", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--data-dir", default="../shared/data")
    parser.add_argument("--out", default="residual_signal.png")
    args = parser.parse_args()
    images = next(
        iter(
            data.load(
                "cifar10", "test", data_dir=args.data_dir, batch_size=args.batch_size
            )
        )
    )[0]
    d = args.blocks
    growth, stem_variance = {}, None
    for normalization in LABELS:
        begin = time.perf_counter()
        variances = stream_variances(normalization, d, images)
        growth[normalization] = variances / variances[0]
        stem_variance = variances[0]
        seconds = time.perf_counter() - begin
        print(f"{normalization}: {seconds:.1f} s")
    blocks = np.arange(d + 1)
    shown = sorted({1, 2, 5, 10, d // 2, d})
    print(f"\nVar(x_i) / Var(x_0), Var(x_0) = {stem_variance:.3f} (stem), d = {d}")
    print(f"{'':<32}" + "".join(f"{i:>11}" for i in shown))
    for normalization, values in growth.items():
        print(
            f"{LABELS[normalization]:<32}"
            + "".join(f"{values[i]:>11.4g}" for i in shown)
        )
    theory = {
        "2^i": 2.0**blocks,
        "(1 + 1/d)^i": (1 + 1 / d) ** blocks,
        "1 + i / Var(x_0)": 1 + blocks / stem_variance,
    }
    for name, values in theory.items():
        print(f"{'theory ' + name:<32}" + "".join(f"{values[i]:>11.4g}" for i in shown))

    figure, axis = plt.subplots(figsize=(7, 4.5))
    for normalization, values in growth.items():
        axis.plot(blocks, values, label=LABELS[normalization])
    axis.plot(blocks, theory["2^i"], "k:", label="2^i")
    axis.plot(blocks, theory["(1 + 1/d)^i"], "k--", label="(1 + 1/d)^i (-> e)")
    axis.plot(blocks, theory["1 + i / Var(x_0)"], "k-.", label="1 + i / Var(x_0)")
    axis.set(
        yscale="log",
        xlabel="residual block i",
        ylabel="Var(x_i) / Var(x_0)",
        title=f"Residual stream at initialization, CIFAR-10 images, d = {d}",
        ylim=(0.5, None),
    )
    axis.legend()
    figure.tight_layout()
    figure.savefig(args.out, dpi=120)
    print(f"Wrote {args.out}")


if __name__ == "__main__":
    main()
