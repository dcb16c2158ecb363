"""MNIST as numpy arrays, read straight from the official archives.

For the portable tests: `keras_deepinit.data` is TensorFlow's tf.data, so tests
that run on every backend read the IDX files with gzip and numpy instead.
"""

import gzip

import numpy as np

FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


def load_mnist(data_dir, split="train", count=None):
    """The first `count` images of `split`, `(count, 28, 28, 1)` float32 in
    [0, 1], and their int32 labels."""
    image_file, label_file = FILES[split]
    folder = data_dir / "mnist"
    with gzip.open(folder / image_file) as file:
        # IDX: magic, count, rows, columns (big-endian int32), then bytes.
        _, total, rows, columns = np.frombuffer(file.read(16), ">i4")
        count = total if count is None else min(count, total)
        pixels = np.frombuffer(file.read(count * rows * columns), np.uint8)
    with gzip.open(folder / label_file) as file:
        file.read(8)
        labels = np.frombuffer(file.read(count), np.uint8)
    images = pixels.reshape(count, rows, columns, 1).astype("float32") / 255.0
    return images, labels.astype("int32")
