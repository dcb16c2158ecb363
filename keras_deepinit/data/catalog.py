"""The data sets keras_deepinit knows, and where their official archives live."""

import dataclasses

MNIST_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

CIFAR10_FILES = {
    "train": tuple(f"data_batch_{i}.bin" for i in range(1, 6)),
    "test": ("test_batch.bin",),
}


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """What a data set looks like and how its official archives are laid out.

    Args:
        name: the tensorflow-datasets name.
        image_shape: `(height, width, channels)` of one image.
        class_names: label names, indexed by label.
        mean: per-channel pixel mean of the full official training set, in
            [0, 1] units. Standardization uses these constants whatever the
            source, so local archives and tensorflow-datasets agree.
        std: per-channel pixel standard deviation, as `mean`.
        folder: where the archives sit, relative to `data_dir`.
        archive_format: `"idx"` (gzipped IDX pairs) or `"cifar"` (binary
            batches of 1 label byte and 3072 pixel bytes).
        files: split name to the archive file names of that split.
        num_examples: split name to the number of examples of the official
            release, to flag a partial copy.
    """

    name: str
    image_shape: tuple
    class_names: tuple
    mean: tuple
    std: tuple
    folder: str
    archive_format: str
    files: dict
    num_examples: dict

    @property
    def num_classes(self):
        return len(self.class_names)

    @property
    def splits(self):
        return tuple(self.files)


DATASETS = {
    "mnist": DatasetSpec(
        name="mnist",
        image_shape=(28, 28, 1),
        class_names=tuple(str(digit) for digit in range(10)),
        mean=(0.1307,),
        std=(0.3081,),
        folder="mnist",
        archive_format="idx",
        files=MNIST_FILES,
        num_examples={"train": 60_000, "test": 10_000},
    ),
    "fashion_mnist": DatasetSpec(
        name="fashion_mnist",
        image_shape=(28, 28, 1),
        class_names=(
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
        mean=(0.2860,),
        std=(0.3530,),
        folder="fashion_mnist",
        archive_format="idx",
        files=MNIST_FILES,
        num_examples={"train": 60_000, "test": 10_000},
    ),
    "cifar10": DatasetSpec(
        name="cifar10",
        image_shape=(32, 32, 3),
        class_names=(
            "airplane",
            "automobile",
            "bird",
            "cat",
            "deer",
            "dog",
            "frog",
            "horse",
            "ship",
            "truck",
        ),
        mean=(0.4914, 0.4822, 0.4465),
        std=(0.2470, 0.2435, 0.2616),
        folder="cifar10/cifar-10-batches-bin",
        archive_format="cifar",
        files=CIFAR10_FILES,
        num_examples={"train": 50_000, "test": 10_000},
    ),
}


def get_spec(name):
    """Returns the `DatasetSpec` of a data set by its tensorflow-datasets name."""
    if name not in DATASETS:
        raise ValueError(
            f"Unknown data set. Expected one of {sorted(DATASETS)}. "
            f"Received: name={name!r}"
        )
    return DATASETS[name]


def check_split(spec, split):
    if split not in spec.files:
        raise ValueError(
            f"Unknown split of {spec.name}. Expected one of {list(spec.splits)}. "
            f"Received: split={split!r}"
        )
