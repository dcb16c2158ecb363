"""A deep residual network in one looped layer against the plain Keras graph.

Builds the nf-resnet app's `deep_stack` network (a stem to 8x8 maps, then
`--blocks` residual blocks of width 16 in one `ResidualStack2D`) and the same
network as a plain Keras functional graph (one Keras layer per operation,
`apply_residual_block` per block), and times, for each: the build, the first
training step (tracing included) and the mean of `--steps` further steps, at
batch 64 on CIFAR-10-shaped inputs. A plain graph that fails (for example
RecursionError) is reported as such.

    python benchmarks/deep_resnet_vs_keras.py --blocks 1000 --normalization skipinit
"""

import argparse
import resource
import sys
import time

import keras
import numpy as np

from keras_deepinit.apps.nf_resnet import NFResNetConfig
from keras_deepinit.apps.nf_resnet import apply_residual_block
from keras_deepinit.apps.nf_resnet import build_model


def build_plain_keras(config):
    """The `deep_stack` network with one Keras layer per operation."""
    seed = keras.random.SeedGenerator(config.seed)
    inputs = keras.Input(config.input_shape)
    x = inputs
    for index, strides in enumerate((1, 2, 2)):
        if index:
            x = keras.layers.ReLU()(x)
        x = keras.layers.Conv2D(config.width, 3, strides, "same")(x)
    for block in range(config.blocks):
        x = apply_residual_block(x, config.width, 1, config, seed, f"block{block}")
    x = keras.layers.GlobalAveragePooling2D()(keras.layers.ReLU()(x))
    return keras.Model(inputs, keras.layers.Dense(config.num_classes)(x))


def time_training(build, steps, batch_size):
    """Seconds to build, to run the first step, and per later step."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch_size, 32, 32, 3)).astype("float32")
    y = rng.integers(0, 10, size=batch_size)
    begin = time.perf_counter()
    model = build()
    model.compile(
        keras.optimizers.SGD(0.01),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    built = time.perf_counter()
    model.train_on_batch(x, y)
    first = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(x, y)
    end = time.perf_counter()
    return built - begin, first - built, (end - first) / steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--blocks", type=int, default=1000)
    parser.add_argument(
        "--normalization", choices=("skipinit", "batchnorm", "none"), default="skipinit"
    )
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--skip-keras", action="store_true", help="time only the looped layer"
    )
    args = parser.parse_args()
    config = NFResNetConfig(
        architecture="deep_stack",
        blocks=args.blocks,
        normalization=args.normalization,
        alpha_init=0.1,  # not 0, so that every branch's gradients are computed
    )
    print(
        f"{args.blocks} residual blocks, {args.normalization}, width 16, 8x8 maps, "
        f"batch {args.batch_size}"
    )
    candidates = {"ResidualStack2D": lambda: build_model(config)}
    if not args.skip_keras:
        candidates["plain Keras graph"] = lambda: build_plain_keras(config)
    for name, build in candidates.items():
        begin = time.perf_counter()
        try:
            built, first, step = time_training(build, args.steps, args.batch_size)
        except RecursionError as error:
            seconds = time.perf_counter() - begin
            print(f"{name:<20} failed after {seconds:.1f} s: RecursionError ({error})")
            continue
        print(
            f"{name:<20} build {built:6.1f} s   first step {first:6.1f} s   "
            f"step {step:6.3f} s"
        )
        sys.stdout.flush()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(f"peak memory (max RSS) {peak:.2f} GB")


if __name__ == "__main__":
    main()
