"""Readers for the official archive files, with errors that name the file.

MNIST and Fashion-MNIST ship as gzipped IDX files; CIFAR-10's "binary
version" as batches of fixed-size records. Both readers return uint8 images of
shape `(n, height, width, channels)` and int64 labels of shape `(n,)`, the
dtypes tensorflow-datasets gives.
"""

import gzip
import os
import struct
import zlib

import numpy as np

IDX_UBYTE = 0x08
CIFAR_RECORD_BYTES = 1 + 32 * 32 * 3


class DataFormatError(ValueError):
    """An archive file exists but does not hold what its format promises."""

    def __init__(self, path, problem):
        super().__init__(f"{path}: {problem}")
        self.path = path


def archive_folder(spec, data_dir):
    """Returns the folder of `spec`'s archives under `data_dir`, checked to exist."""
    data_dir = os.fspath(data_dir)
    if not os.path.isdir(data_dir):
        raise FileNotFoundError(
            f"The data folder does not exist or is not a folder. "
            f"Received: data_dir={data_dir!r}"
        )
    folder = os.path.join(data_dir, spec.folder)
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            f"No {spec.name} folder in data_dir: expected {folder} holding "
            f"{', '.join(spec.files['train'] + spec.files['test'])}."
        )
    return folder


def read_split(spec, data_dir, split):
    """Reads one split of `spec` from its official archives under `data_dir`."""
    folder = archive_folder(spec, data_dir)
    paths = [os.path.join(folder, name) for name in spec.files[split]]
    for path in paths:
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"Missing archive file {path} (the {split} split of {spec.name})."
            )
    if spec.archive_format == "idx":
        return read_idx_pair(*paths, spec)
    parts = [read_cifar_batch(path, spec.num_classes) for path in paths]
    return (
        np.concatenate([images for images, _ in parts]),
        np.concatenate([labels for _, labels in parts]),
    )


def read_idx_pair(images_path, labels_path, spec):
    """Reads matching IDX image and label files, as MNIST ships them."""
    images = read_idx(images_path, ndim=3)
    labels = read_idx(labels_path, ndim=1)
    height, width, _ = spec.image_shape
    if images.shape[1:] != (height, width):
        raise DataFormatError(
            images_path,
            f"images are {images.shape[1]}x{images.shape[2]}, "
            f"expected {height}x{width}.",
        )
    if len(images) != len(labels):
        raise DataFormatError(
            labels_path,
            f"{len(labels)} labels for the {len(images)} images of {images_path}.",
        )
    check_labels(labels, spec.num_classes, labels_path)
    return images[..., np.newaxis], labels.astype(np.int64)


def read_idx(path, ndim):
    """Reads an IDX file of unsigned bytes with `ndim` dimensions.

    The header is a magic number `0x0000 08 ndim` followed by `ndim` big-endian
    uint32 sizes; the data follows, exactly as many bytes as the sizes say.
    """
    data = read_bytes(path)
    header_bytes = 4 + 4 * ndim
    if len(data) < header_bytes:
        raise DataFormatError(
            path, f"{len(data)} bytes is too short for an IDX header."
        )
    expected_magic = IDX_UBYTE << 8 | ndim
    (magic,) = struct.unpack(">I", data[:4])
    if magic != expected_magic:
        raise DataFormatError(
            path,
            f"wrong IDX magic number 0x{magic:08x}; expected 0x{expected_magic:08x} "
            f"(unsigned bytes, {ndim} dimension{'s' if ndim > 1 else ''}).",
        )
    shape = struct.unpack(f">{ndim}I", data[4:header_bytes])
    expected = int(np.prod(shape))
    found = len(data) - header_bytes
    if found != expected:
        raise DataFormatError(
            path,
            f"the IDX header promises shape {shape}, {expected} data bytes, "
            f"but the file holds {found}: "
            + ("truncated." if found < expected else "trailing bytes."),
        )
    return np.frombuffer(data, np.uint8, offset=header_bytes).reshape(shape)


def read_cifar_batch(path, num_classes=10):
    """Reads a CIFAR-10 binary batch; the record count comes from the file size."""
    data = read_bytes(path)
    if not data or len(data) % CIFAR_RECORD_BYTES:
        raise DataFormatError(
            path,
            f"size {len(data)} bytes is not a positive multiple of the "
            f"{CIFAR_RECORD_BYTES}-byte CIFAR-10 record (1 label byte + 3072 "
            "pixel bytes): truncated or not a CIFAR-10 batch.",
        )
    records = np.frombuffer(data, np.uint8).reshape(-1, CIFAR_RECORD_BYTES)
    labels = records[:, 0].astype(np.int64)
    check_labels(labels, num_classes, path)
    # Pixels are stored channel-major (1024 red, 1024 green, 1024 blue).
    images = records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


def read_bytes(path):
    """Reads a whole file, through gzip where the name ends in `.gz`."""
    if not path.endswith(".gz"):
        with open(path, "rb") as file:
            return file.read()
    try:
        with gzip.open(path, "rb") as file:
            return file.read()
    except EOFError as error:
        raise DataFormatError(path, f"truncated gzip archive ({error}).") from error
    except (OSError, zlib.error) as error:
        raise DataFormatError(path, f"corrupt gzip archive ({error}).") from error


def check_labels(labels, num_classes, path):
    bad = np.flatnonzero(labels >= num_classes)
    if bad.size:
        raise DataFormatError(
            path,
            f"label {labels[bad[0]]} at record {bad[0]} is out of range; "
            f"expected 0 to {num_classes - 1}.",
        )
