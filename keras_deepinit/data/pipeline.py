"""Image classification data as `tf.data.Dataset`s, online or offline.

The examples come from the official archives in a local folder when one is
given (`data_dir=`, then the `KERAS_DEEPINIT_DATA_DIR` environment variable),
and from tensorflow-datasets otherwise. Either way they enter the same
pipeline as `(uint8 image, int64 label)` pairs, so shapes, dtypes and
preprocessing do not depend on the source.
"""

import collections
import os

import tensorflow as tf

from keras_deepinit.checks import check_positive_int
from keras_deepinit.data import archives
from keras_deepinit.data.catalog import check_split
from keras_deepinit.data.catalog import get_spec

DATA_DIR_ENV = "KERAS_DEEPINIT_DATA_DIR"
NORMALIZATIONS = ("standardize", "scale", None)

RawSplit = collections.namedtuple("RawSplit", ["dataset", "num_examples", "source"])


def resolve_data_dir(data_dir=None):
    """Returns the local archive folder to read, or None for tensorflow-datasets.

    The argument wins, then the `KERAS_DEEPINIT_DATA_DIR` environment variable.
    """
    if data_dir is not None:
        return os.fspath(data_dir)
    return os.environ.get(DATA_DIR_ENV) or None


def load_raw(name, split="train", data_dir=None):
    """Returns one split as unbatched `(uint8 image, int64 label)` pairs.

    Args:
        name: `"mnist"`, `"fashion_mnist"` or `"cifar10"`.
        split: `"train"` or `"test"`.
        data_dir: folder of official archives (see `load`). When it or
            `KERAS_DEEPINIT_DATA_DIR` is set, the network is never used.

    Returns:
        A `RawSplit(dataset, num_examples, source)`; `source` says where the
        examples came from.
    """
    spec = get_spec(name)
    check_split(spec, split)
    data_dir = resolve_data_dir(data_dir)
    if data_dir is not None:
        images, labels = archives.read_split(spec, data_dir, split)
        dataset = tf.data.Dataset.from_tensor_slices((images, labels))
        source = f"archives in {os.path.join(data_dir, spec.folder)}"
        return RawSplit(dataset, len(labels), source)

    import tensorflow_datasets as tfds  # Slow to import; only this path needs it.

    dataset = tfds.load(name, split=split, as_supervised=True)
    num_examples = int(dataset.cardinality())
    if num_examples < 0:  # Unknown for some sources: count once.
        num_examples = int(dataset.reduce(0, lambda count, _: count + 1))
    return RawSplit(dataset.cache(), num_examples, "tensorflow-datasets")


def check_preprocessing(normalization, dtype):
    if normalization not in NORMALIZATIONS:
        raise ValueError(
            f"Expected normalization to be one of {NORMALIZATIONS}. "
            f"Received: normalization={normalization!r}"
        )
    try:
        floating = tf.as_dtype(dtype).is_floating
    except TypeError:
        floating = False
    if not floating:
        raise ValueError(
            f"Expected dtype to be a floating dtype such as 'float32'. "
            f"Received: dtype={dtype!r}"
        )


def normalize_images(images, name, normalization="standardize", dtype="float32"):
    """Turns uint8 images into floats, as every pipeline of this package does.

    Args:
        images: uint8 tensor of shape `(..., height, width, channels)`.
        name: the data set, whose fixed channel statistics `"standardize"` uses.
        normalization: `"standardize"` (zero mean, unit variance per channel,
            with the full training set's statistics), `"scale"` (to [0, 1]) or
            None (values kept in [0, 255]).
        dtype: the floating dtype of the result.
    """
    check_preprocessing(normalization, dtype)
    images = tf.cast(images, "float32")
    if normalization is not None:
        images = images / 255.0
    if normalization == "standardize":
        spec = get_spec(name)
        images = (images - spec.mean) / spec.std
    return tf.cast(images, dtype)


def load(
    name,
    split="train",
    *,
    data_dir=None,
    batch_size=128,
    shuffle=None,
    seed=None,
    normalization="standardize",
    dtype="float32",
    drop_remainder=False,
):
    """Loads an image classification split as a batched `tf.data.Dataset`.

    Examples:

    >>> train = load("mnist", "train", data_dir="../shared/data", seed=0)
    >>> images, labels = next(iter(train))
    >>> images.shape, labels.dtype
    (TensorShape([128, 28, 28, 1]), tf.int64)

    Args:
        name: `"mnist"`, `"fashion_mnist"` or `"cifar10"`.
        split: `"train"` or `"test"`.
        data_dir: folder of official archives: `<data_dir>/mnist/` and
            `<data_dir>/fashion_mnist/` with the four IDX `.gz` files,
            `<data_dir>/cifar10/cifar-10-batches-bin/` with the binary batches.
            Defaults to `KERAS_DEEPINIT_DATA_DIR`, then tensorflow-datasets.
        batch_size: examples per batch, or None for unbatched examples.
        shuffle: whether to shuffle (all examples, reshuffled every epoch).
            Defaults to True for `"train"` and False otherwise.
        seed: shuffling seed, for a reproducible order.
        normalization: see `normalize_images`.
        dtype: the floating dtype of the images.
        drop_remainder: whether to drop a last, smaller batch.

    Returns:
        A dataset of `(images, labels)`: `dtype` images of shape
        `(batch_size, height, width, channels)` and int64 labels.
    """
    check_positive_int("batch_size", batch_size, allow_none=True)
    check_preprocessing(normalization, dtype)
    raw = load_raw(name, split, data_dir)
    dataset = raw.dataset
    if shuffle is None:
        shuffle = split == "train"
    if shuffle:
        dataset = dataset.shuffle(raw.num_examples, seed=seed)
    if batch_size is not None:
        dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)

    def preprocess(images, labels):
        return normalize_images(images, name, normalization, dtype), labels

    dataset = dataset.map(preprocess, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)
