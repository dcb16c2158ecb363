"""Our deep CNN against a plain Keras Sequential of Conv2D layers, side by side.

At one depth (default 1,000; width 16, batch 64, MNIST-shaped input, zero
padding in both so the arithmetic is the same), builds both models, times the
first training step (tracing included) and the median of the following steps,
and prints throughput (images/s) and its ratio. It also measures this CPU's
float32 matmul peak (a large `tf.matmul`, TensorFlow's default threading) and
the training GFLOP/s each model achieves as a share of it (training = 3x the
forward convolution FLOPs).

Each model runs in its own process under each threading setting (TensorFlow's
default, and one thread per op, in which our layer splits the batch across
cores); the ratio compares our best with the plain model's best. Last, it
times the body's convolutions alone, run the way our layer runs them: the
ceiling for the share of the peak that a loop of TensorFlow ops can reach.

    python benchmarks/deep_cnn_vs_sequential.py --depth 1000
"""

import argparse
import json
import statistics
import subprocess
import sys
import time

import numpy as np

MODELS = ("ours (ConvStack2D)", "plain keras.Sequential")
THREADING = ("default", "one-per-op")


def plain_sequential(depth, width):
    """The same network as one Keras layer per convolution."""
    import keras

    layers = [keras.Input((28, 28, 1))]
    for strides in (1, 2, 2):
        layers.append(keras.layers.Conv2D(width, 3, strides, "same", activation="tanh"))
    for _ in range(depth):
        layers.append(keras.layers.Conv2D(width, 3, padding="same", activation="tanh"))
    layers += [keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(10)]
    return keras.Sequential(layers)


def worker(model_index, threading, depth, width, batch_size, steps):
    """Builds one model and prints its build, first-step and step times."""
    from keras_deepinit import ops

    if threading == "one-per-op":
        ops.one_thread_per_op()
    import keras

    from keras_deepinit.apps.deep_cnn import DeepCNNConfig
    from keras_deepinit.apps.deep_cnn import build_deep_cnn

    sys.setrecursionlimit(100_000)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch_size, 28, 28, 1)).astype("float32")
    y = rng.integers(0, 10, batch_size)
    begin = time.perf_counter()
    if model_index == 0:
        model = build_deep_cnn(DeepCNNConfig(depth=depth, width=width, padding="zero"))
    else:
        model = plain_sequential(depth, width)
    built = time.perf_counter() - begin
    model.compile(
        keras.optimizers.SGD(1e-3),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    begin = time.perf_counter()
    model.train_on_batch(x, y)
    first = time.perf_counter() - begin
    times = []
    for _ in range(steps):
        begin = time.perf_counter()
        model.train_on_batch(x, y)
        times.append(time.perf_counter() - begin)
    print(json.dumps([built, first, statistics.median(times)]))


def convolutions_alone(depth, width, batch_size, steps):
    """Times only a training step's convolutions, as our layer runs them: one
    thread per op, the batch in one shard per core; forward convolutions in
    one loop, then input and filter gradients in another. No bias,
    activation or bookkeeping: the ceiling of any loop of TensorFlow ops.
    Kernels are orthogonal at the centre tap so values neither vanish nor
    explode."""
    from keras_deepinit.ops.conv_stack import default_shards
    from keras_deepinit.ops.conv_stack import one_thread_per_op
    from keras_deepinit.ops.conv_stack_tf import UNROLL

    one_thread_per_op()
    import tensorflow as tf

    shards = default_shards()
    rng = np.random.default_rng(0)
    kernels = np.zeros((depth, 3, 3, width, width), "float32")
    kernels[:, 1, 1] = np.linalg.qr(rng.normal(size=(depth, width, width)))[0]
    kernels = tf.constant(kernels)
    xs = [
        tf.constant(rng.normal(size=(batch_size // shards, 7, 7, width)), "float32")
        for _ in range(shards)
    ]
    strides, same = [1, 1, 1, 1], "SAME"

    # Several layers per loop iteration, as in our layer.
    unroll = UNROLL if depth % UNROLL == 0 else 1

    @tf.function
    def step(xs):
        def forward(j, xs):
            for u in range(unroll):
                i = j * unroll + u
                xs = [tf.nn.conv2d(x, kernels[i], 1, same) for x in xs]
            return j + 1, xs

        def backward(j, dys, total):
            for u in reversed(range(unroll)):
                kernel, dxs = kernels[j * unroll + u], []
                for y, dy in zip(ys, dys, strict=True):
                    dxs.append(
                        tf.raw_ops.Conv2DBackpropInput(
                            input_sizes=tf.shape(dy), filter=kernel, out_backprop=dy,
                            strides=strides, padding=same,
                        )
                    )  # fmt: skip
                    total += tf.raw_ops.Conv2DBackpropFilter(
                        input=y, filter_sizes=tf.shape(kernel), out_backprop=dy,
                        strides=strides, padding=same,
                    )  # fmt: skip
                dys = dxs
            return j - 1, dys, total

        blocks = depth // unroll
        ys = tf.while_loop(lambda j, _: j < blocks, forward, (0, xs))[1]
        loop = (blocks - 1, ys, tf.zeros_like(kernels[0]))
        return tf.while_loop(lambda j, *_: j >= 0, backward, loop)[2]

    begin = time.perf_counter()
    step(xs).numpy()
    first = time.perf_counter() - begin
    times = []
    for _ in range(steps):
        begin = time.perf_counter()
        step(xs).numpy()
        times.append(time.perf_counter() - begin)
    print(json.dumps([0.0, first, statistics.median(times)]))


def matmul_peak_gflops(size=4096, repeats=10):
    import tensorflow as tf

    a = tf.random.normal((size, size))
    b = tf.random.normal((size, size))
    tf.matmul(a, b).numpy()
    begin = time.perf_counter()
    for _ in range(repeats):
        c = tf.matmul(a, b)
    c.numpy()
    return 2 * size**3 * repeats / (time.perf_counter() - begin) / 1e9


def training_gflop(depth, width, batch_size):
    """Convolution FLOPs of one training step (forward + two backward)."""

    def conv(height, channels_in):
        return 2 * batch_size * height * height * 9 * channels_in * width

    forward = conv(28, 1) + conv(14, width) + conv(7, width) + depth * conv(7, width)
    return 3 * forward / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--depth", type=int, default=1000)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = (args.depth, args.width, args.batch_size, args.steps)
    if args.worker:
        if args.worker[0] == "convolutions":
            convolutions_alone(*sizes)
        else:
            worker(int(args.worker[0]), args.worker[1], *sizes)
        return

    def run_worker(*worker_args):
        command = [
            sys.executable, __file__, "--worker", *worker_args,
            "--depth", str(args.depth), "--width", str(args.width),
            "--batch-size", str(args.batch_size), "--steps", str(args.steps),
        ]  # fmt: skip
        output = subprocess.run(command, capture_output=True, text=True, check=True)
        return json.loads(output.stdout.splitlines()[-1])

    results = {}
    for threading in THREADING:
        for index, name in enumerate(MODELS):
            results[name, threading] = run_worker(str(index), threading)
            print(f"{name}, {threading} threading: done", flush=True)
    ceiling = run_worker("convolutions", "one-per-op")[2]
    peak = matmul_peak_gflops()
    gflop = training_gflop(args.depth, args.width, args.batch_size)

    print(f"\ndepth {args.depth:,}, width {args.width}, batch {args.batch_size}")
    print(
        f"float32 matmul peak: {peak:.1f} GFLOP/s; {gflop:.1f} GFLOP per training step"
    )
    print(
        f"{'model':<26}{'threading':>12}{'build s':>9}{'1st step s':>12}"
        f"{'step s':>9}{'images/s':>10}{'GFLOP/s':>9}{'of peak':>9}"
    )
    for (name, threading), (built, first, step) in results.items():
        print(
            f"{name:<26}{threading:>12}{built:>9.1f}{first:>12.1f}{step:>9.3f}"
            f"{args.batch_size / step:>10.1f}{gflop / step:>9.1f}"
            f"{100 * gflop / step / peak:>8.1f}%"
        )
    best = {
        name: min(results[name, threading][2] for threading in THREADING)
        for name in MODELS
    }
    ours, plain = (best[name] for name in MODELS)
    print(f"throughput ratio ours / plain (best of each): {plain / ours:.2f}x")
    body_gflop = training_gflop(args.depth, args.width, args.batch_size) - (
        training_gflop(0, args.width, args.batch_size)
    )
    print(
        f"the body's convolutions alone (one thread per op, no other op): "
        f"{ceiling:.3f} s a step, {body_gflop / ceiling:.1f} GFLOP/s, "
        f"{100 * body_gflop / ceiling / peak:.1f}% of peak"
    )


if __name__ == "__main__":
    main()
