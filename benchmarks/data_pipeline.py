"""Throughput of the tf.data pipeline from the official archives.

Prints, per data set: seconds to read the archives, and training examples per
second over full shuffled epochs (batch 128, standardized float32), the rate
the input pipeline can feed a model at.

    python benchmarks/data_pipeline.py --data-dir ../shared/data
"""

import argparse
import time

import keras

from keras_deepinit import data


def measure(name, data_dir, epochs, batch_size):
    start = time.perf_counter()
    dataset = data.load(name, "train", data_dir=data_dir, batch_size=batch_size, seed=0)
    load_seconds = time.perf_counter() - start
    progress = keras.utils.Progbar(epochs, unit_name="epoch")
    examples = 0
    start = time.perf_counter()
    for epoch in range(epochs):
        for _, labels in dataset:
            examples += len(labels)
        progress.update(epoch + 1)
    return load_seconds, examples / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default="../shared/data")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()
    rows = []
    for name in ("mnist", "cifar10"):
        rows.append((name, *measure(name, args.data_dir, args.epochs, args.batch_size)))
    print(f"{'data set':<10}{'read archives (s)':>20}{'examples/s':>14}")
    for name, load_seconds, rate in rows:
        print(f"{name:<10}{load_seconds:>20.2f}{rate:>14,.0f}")


if __name__ == "__main__":
    main()
