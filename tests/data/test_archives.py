import gzip
import shutil
import struct

import numpy as np
import pytest

from keras_deepinit.data import archives
from keras_deepinit.data import catalog
from keras_deepinit.data.archives import DataFormatError

MNIST = catalog.get_spec("mnist")
CIFAR10 = catalog.get_spec("cifar10")

# Class counts of the official MNIST release.
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def idx_payload(path, header_bytes):
    """The data bytes of an IDX .gz file, read without the code under test."""
    return np.frombuffer(gzip.open(path).read(), np.uint8, offset=header_bytes)


@pytest.mark.parametrize(
    "split, count, class_counts, image_file, label_file",
    [
        (
            "train",
            60_000,
            MNIST_TRAIN_COUNTS,
            "train-images-idx3-ubyte.gz",
            "train-labels-idx1-ubyte.gz",
        ),
        (
            "test",
            10_000,
            MNIST_TEST_COUNTS,
            "t10k-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz",
        ),
    ],
)
def test_real_mnist_matches_the_files(
    data_dir, split, count, class_counts, image_file, label_file
):
    images, labels = archives.read_split(MNIST, data_dir, split)

    assert images.shape == (count, 28, 28, 1) and images.dtype == np.uint8
    assert labels.shape == (count,) and labels.dtype == np.int64
    assert np.bincount(labels).tolist() == class_counts
    np.testing.assert_array_equal(
        labels, idx_payload(data_dir / "mnist" / label_file, 8)
    )
    pixels = idx_payload(data_dir / "mnist" / image_file, 16)
    np.testing.assert_array_equal(images.reshape(-1), pixels)
    assert images.min() == 0 and images.max() == 255


def test_real_mnist_first_training_labels(data_dir):
    _, labels = archives.read_split(MNIST, data_dir, "train")
    assert labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]


@pytest.mark.parametrize(
    "split, count, first_labels",
    [
        ("train", 5_085, [6, 9, 9, 4, 1, 1, 2, 7, 8, 3]),
        ("test", 1_017, [3, 8, 8, 0, 6, 6, 1, 6, 3, 1]),
    ],
)
def test_real_partial_cifar10(data_dir, split, count, first_labels):
    images, labels = archives.read_split(CIFAR10, data_dir, split)

    assert images.shape == (count, 32, 32, 3) and images.dtype == np.uint8
    assert labels.shape == (count,) and labels.dtype == np.int64
    assert labels[:10].tolist() == first_labels
    assert set(np.unique(labels)) == set(range(10))


def test_cifar10_pixels_are_channel_major_in_the_file(data_dir):
    path = data_dir / "cifar10" / "cifar-10-batches-bin" / "data_batch_2.bin"
    raw = np.fromfile(path, np.uint8).reshape(-1, 3073)
    images, labels = archives.read_split(CIFAR10, data_dir, "train")

    record = 1_017 + 5  # the sixth record of the second batch
    row, column = 7, 20
    for channel in range(3):
        expected = raw[5, 1 + channel * 1024 + row * 32 + column]
        assert images[record, row, column, channel] == expected
    assert labels[record] == raw[5, 0]


def test_fashion_mnist_reads_its_own_folder(tmp_path):
    folder = tmp_path / "fashion_mnist"
    folder.mkdir()
    images = np.arange(3 * 28 * 28, dtype=np.uint32).astype(np.uint8).reshape(3, 28, 28)
    write_idx(folder / "t10k-images-idx3-ubyte.gz", images)
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", np.array([9, 0, 3], np.uint8))

    spec = catalog.get_spec("fashion_mnist")
    read_images, labels = archives.read_split(spec, tmp_path, "test")

    np.testing.assert_array_equal(read_images[..., 0], images)
    assert labels.tolist() == [9, 0, 3]
    assert spec.class_names[9] == "Ankle boot"


def write_idx(path, array, magic=None):
    ndim = array.ndim
    magic = (0x08 << 8 | ndim) if magic is None else magic
    header = struct.pack(">I", magic) + struct.pack(f">{ndim}I", *array.shape)
    with gzip.open(path, "wb") as file:
        file.write(header + array.tobytes())


@pytest.fixture
def mnist_copy(tmp_path, data_dir):
    """A writable copy of the real MNIST test files, to damage."""
    folder = tmp_path / "mnist"
    folder.mkdir()
    for name in MNIST.files["test"]:
        shutil.copy(data_dir / "mnist" / name, folder / name)
    return folder


def test_missing_data_dir(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError, match=f"Received: data_dir='{missing}'"):
        archives.read_split(MNIST, missing, "test")


def test_missing_dataset_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="No cifar10 folder") as error:
        archives.read_split(CIFAR10, tmp_path, "test")
    assert "cifar10/cifar-10-batches-bin" in str(error.value)


def test_missing_file(mnist_copy):
    (mnist_copy / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match="Missing archive file .*t10k-labels"):
        archives.read_split(MNIST, mnist_copy.parent, "test")


def test_wrong_idx_magic_number(mnist_copy):
    # A label file where the image file belongs.
    shutil.copy(
        mnist_copy / "t10k-labels-idx1-ubyte.gz",
        mnist_copy / "t10k-images-idx3-ubyte.gz",
    )
    with pytest.raises(
        DataFormatError, match="wrong IDX magic number 0x00000801"
    ) as error:
        archives.read_split(MNIST, mnist_copy.parent, "test")
    assert error.value.path.endswith("t10k-images-idx3-ubyte.gz")


def test_truncated_gzip_archive(mnist_copy):
    path = mnist_copy / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:100_000])
    with pytest.raises(DataFormatError, match="truncated gzip archive") as error:
        archives.read_split(MNIST, mnist_copy.parent, "test")
    assert str(path) in str(error.value)


def test_corrupt_gzip_archive(mnist_copy):
    path = mnist_copy / "t10k-images-idx3-ubyte.gz"
    data = bytearray(path.read_bytes())
    data[50_000:50_064] = bytes(64)
    path.write_bytes(bytes(data))
    with pytest.raises(DataFormatError, match="corrupt gzip archive") as error:
        archives.read_split(MNIST, mnist_copy.parent, "test")
    assert str(path) in str(error.value)


def test_not_a_gzip_archive(mnist_copy):
    path = mnist_copy / "t10k-labels-idx1-ubyte.gz"
    path.write_text("<html>404 Not Found</html>")
    with pytest.raises(DataFormatError, match="corrupt gzip archive") as error:
        archives.read_split(MNIST, mnist_copy.parent, "test")
    assert str(path) in str(error.value)


def test_idx_data_shorter_than_its_header(mnist_copy):
    path = mnist_copy / "t10k-images-idx3-ubyte.gz"
    data = gzip.open(path).read()
    with gzip.open(path, "wb") as file:
        file.write(data[:-784])
    with pytest.raises(
        DataFormatError,
        match="7840000 data bytes, but the file holds 7839216: truncated",
    ):
        archives.read_split(MNIST, mnist_copy.parent, "test")


def test_idx_header_cut_short(mnist_copy):
    path = mnist_copy / "t10k-images-idx3-ubyte.gz"
    with gzip.open(path, "wb") as file:
        file.write(struct.pack(">II", 0x803, 10_000))
    with pytest.raises(DataFormatError, match="too short for an IDX header"):
        archives.read_split(MNIST, mnist_copy.parent, "test")


def test_image_and_label_counts_differ(mnist_copy):
    write_idx(mnist_copy / "t10k-labels-idx1-ubyte.gz", np.zeros(9_999, np.uint8))
    with pytest.raises(DataFormatError, match="9999 labels for the 10000 images"):
        archives.read_split(MNIST, mnist_copy.parent, "test")


def test_label_out_of_range(mnist_copy):
    labels = np.zeros(10_000, np.uint8)
    labels[17] = 10
    write_idx(mnist_copy / "t10k-labels-idx1-ubyte.gz", labels)
    with pytest.raises(DataFormatError, match="label 10 at record 17 is out of range"):
        archives.read_split(MNIST, mnist_copy.parent, "test")


@pytest.fixture
def cifar_copy(tmp_path, data_dir):
    folder = tmp_path / "cifar10" / "cifar-10-batches-bin"
    folder.mkdir(parents=True)
    shutil.copy(
        data_dir / "cifar10" / "cifar-10-batches-bin" / "test_batch.bin", folder
    )
    return folder


def test_cifar_record_size_does_not_divide(cifar_copy):
    path = cifar_copy / "test_batch.bin"
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(
        DataFormatError, match="3125240 bytes is not a positive multiple"
    ) as error:
        archives.read_split(CIFAR10, cifar_copy.parent.parent, "test")
    assert error.value.path == str(path)


def test_cifar_empty_file(cifar_copy):
    (cifar_copy / "test_batch.bin").write_bytes(b"")
    with pytest.raises(DataFormatError, match="size 0 bytes"):
        archives.read_split(CIFAR10, cifar_copy.parent.parent, "test")


def test_cifar_record_count_comes_from_the_file_size(cifar_copy):
    path = cifar_copy / "test_batch.bin"
    path.write_bytes(path.read_bytes()[: 3073 * 7])
    images, labels = archives.read_split(CIFAR10, cifar_copy.parent.parent, "test")
    assert images.shape == (7, 32, 32, 3) and labels.shape == (7,)


def test_cifar_missing_training_batch(tmp_path, data_dir):
    folder = tmp_path / "cifar10" / "cifar-10-batches-bin"
    shutil.copytree(data_dir / "cifar10" / "cifar-10-batches-bin", folder)
    (folder / "data_batch_4.bin").unlink()
    with pytest.raises(FileNotFoundError, match="data_batch_4.bin"):
        archives.read_split(CIFAR10, tmp_path, "train")
