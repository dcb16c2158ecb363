"""Time to initialize many Delta-Orthogonal kernels: ours against TensorFlow's.

Initializes `--count` kernels of shape 3x3x128x128 three ways, side by side in
one run and interleaved chunk by chunk, so that load from other processes falls
on all three alike:

- TensorFlow's `tensorflow.python.ops.init_ops.ConvolutionDeltaOrthogonal`
  (the TF1-style class), one call per kernel;
- `keras_deepinit.initializers.DeltaOrthogonal`, one call per kernel;
- `keras_deepinit.ops.delta_orthogonal_kernels`, one batched call per chunk of
  `--chunk` kernels (what a layer holding a stack of kernels uses).

Prints the seconds, milliseconds per kernel and the ratio to TensorFlow's time
of each, and the load average before and after.

    python benchmarks/init_speed.py --count 10000
"""

import argparse
import os
import time

import keras
from tensorflow.python.ops import init_ops

from keras_deepinit import initializers
from keras_deepinit import ops


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument("--kernel-size", type=int, default=3)
    parser.add_argument("--channels", type=int, default=128)
    args = parser.parse_args()
    kernel_size = (args.kernel_size, args.kernel_size)
    shape = (*kernel_size, args.channels, args.channels)

    tensorflow_init = init_ops.ConvolutionDeltaOrthogonal()
    ours_init = initializers.DeltaOrthogonal(seed=keras.random.SeedGenerator(0))
    generator = keras.random.SeedGenerator(1)

    def tensorflow_per_call(count):
        for _ in range(count):
            tensorflow_init(shape)

    def ours_per_call(count):
        for _ in range(count):
            ours_init(shape)

    def ours_batched(count):
        ops.delta_orthogonal_kernels(
            count, kernel_size, args.channels, args.channels, seed=generator
        )

    methods = {
        "TF ConvolutionDeltaOrthogonal, per call": tensorflow_per_call,
        "ours DeltaOrthogonal, per call": ours_per_call,
        f"ours delta_orthogonal_kernels, {args.chunk} a call": ours_batched,
    }
    for method in methods.values():  # Warm up, at full chunk size.
        method(args.chunk)
    seconds = dict.fromkeys(methods, 0.0)
    load_before = os.getloadavg()
    print(f"Initializing {args.count:,} kernels of shape {shape}.")
    progress = keras.utils.Progbar(args.count, unit_name="kernel")
    done = 0
    while done < args.count:
        count = min(args.chunk, args.count - done)
        for name, method in methods.items():
            start = time.perf_counter()
            method(count)
            seconds[name] += time.perf_counter() - start
        done += count
        progress.update(done)
    load_after = os.getloadavg()

    baseline = seconds["TF ConvolutionDeltaOrthogonal, per call"]
    print(f"\n{'method':<44}{'seconds':>9}{'ms/kernel':>11}{'vs TF':>8}")
    for name, total in seconds.items():
        print(
            f"{name:<44}{total:>9.2f}{1000 * total / args.count:>11.3f}"
            f"{total / baseline:>8.3f}"
        )
    print(
        "load average (1, 5, 15 min): before "
        + ", ".join(f"{value:.2f}" for value in load_before)
        + "; after "
        + ", ".join(f"{value:.2f}" for value in load_after)
        + f"; {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
