import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from keras_deepinit import data
from keras_deepinit.data import archives


def all_examples(dataset):
    images, labels = zip(*[(x.numpy(), y.numpy()) for x, y in dataset], strict=True)
    return np.concatenate(images), np.concatenate(labels)


@pytest.fixture(scope="module")
def mnist_test_files(request):
    data_dir = request.getfixturevalue("data_dir")
    return archives.read_split(data.get_spec("mnist"), data_dir, "test")


def test_batches_have_the_keras_shapes_and_dtypes(data_dir):
    dataset = data.load("mnist", "train", data_dir=data_dir, batch_size=128, seed=0)
    assert dataset.element_spec == (
        tf.TensorSpec((None, 28, 28, 1), tf.float32),
        tf.TensorSpec((None,), tf.int64),
    )
    sizes = [len(labels) for _, labels in dataset]
    assert len(sizes) == 469 and sum(sizes) == 60_000 and sizes[-1] == 60_000 % 128


def test_drop_remainder_gives_static_batches(data_dir):
    dataset = data.load(
        "cifar10", "test", data_dir=data_dir, batch_size=100, drop_remainder=True
    )
    assert dataset.element_spec[0].shape == (100, 32, 32, 3)
    assert sum(1 for _ in dataset) == 10


def test_scale_maps_the_file_bytes_to_unit_range(data_dir, mnist_test_files):
    dataset = data.load("mnist", "test", data_dir=data_dir, normalization="scale")
    images, labels = all_examples(dataset)
    file_images, file_labels = mnist_test_files

    np.testing.assert_array_equal(labels, file_labels)  # test split keeps file order
    np.testing.assert_allclose(images, file_images / 255.0, atol=1e-7)
    assert images.min() == 0.0 and images.max() == 1.0


def test_no_normalization_keeps_pixel_values(data_dir, mnist_test_files):
    dataset = data.load("mnist", "test", data_dir=data_dir, normalization=None)
    images, _ = all_examples(dataset)
    np.testing.assert_array_equal(images, mnist_test_files[0].astype(np.float32))


def test_standardize_gives_zero_mean_unit_variance_on_mnist_train(data_dir):
    images, _ = all_examples(
        data.load("mnist", "train", data_dir=data_dir, batch_size=4096)
    )
    assert abs(images.mean()) < 1e-3
    assert abs(images.std() - 1.0) < 1e-3


def test_standardize_uses_per_channel_statistics_on_cifar10(data_dir):
    images, _ = all_examples(data.load("cifar10", "train", data_dir=data_dir))
    # Full-set constants on the 5,085-image partial set: near, not exactly, 0 and 1.
    np.testing.assert_allclose(images.mean(axis=(0, 1, 2)), 0.0, atol=0.05)
    np.testing.assert_allclose(images.std(axis=(0, 1, 2)), 1.0, atol=0.05)


def test_seed_fixes_the_shuffle_order(data_dir):
    def first_labels(seed):
        dataset = data.load(
            "mnist", "train", data_dir=data_dir, batch_size=64, seed=seed
        )
        return next(iter(dataset))[1].numpy()

    np.testing.assert_array_equal(first_labels(3), first_labels(3))
    assert not np.array_equal(first_labels(3), first_labels(4))


def test_train_reshuffles_every_epoch_and_test_does_not(data_dir, mnist_test_files):
    train = data.load("mnist", "train", data_dir=data_dir, batch_size=256, seed=0)
    first_epoch, second_epoch = (next(iter(train))[1].numpy() for _ in range(2))
    assert not np.array_equal(first_epoch, second_epoch)

    test = data.load("mnist", "test", data_dir=data_dir, batch_size=256)
    np.testing.assert_array_equal(next(iter(test))[1], mnist_test_files[1][:256])


def test_shuffled_epoch_holds_every_example_once(data_dir):
    dataset = data.load("cifar10", "test", data_dir=data_dir, shuffle=True, seed=1)
    _, labels = all_examples(dataset)
    _, file_labels = archives.read_split(data.get_spec("cifar10"), data_dir, "test")
    assert not np.array_equal(labels, file_labels)
    assert np.bincount(labels).tolist() == np.bincount(file_labels).tolist()


def test_unbatched_and_other_dtype(data_dir):
    dataset = data.load(
        "mnist", "test", data_dir=data_dir, batch_size=None, dtype="bfloat16"
    )
    assert dataset.element_spec[0] == tf.TensorSpec((28, 28, 1), tf.bfloat16)


def test_environment_variable_names_the_folder(data_dir, monkeypatch):
    monkeypatch.setenv(data.DATA_DIR_ENV, str(data_dir))
    _, labels = next(iter(data.load("mnist", "test", batch_size=5)))
    assert labels.numpy().tolist() == [7, 2, 1, 0, 4]


def test_argument_wins_over_environment_variable(data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path / "nowhere"))
    data.load("mnist", "test", data_dir=data_dir)
    monkeypatch.setenv(data.DATA_DIR_ENV, str(data_dir))
    with pytest.raises(FileNotFoundError, match="nowhere"):
        data.load("mnist", "test", data_dir=tmp_path / "nowhere")


def fail_if_called(*args, **kwargs):
    raise AssertionError("tensorflow-datasets was asked while a local folder was given")


def test_local_folder_never_reaches_tensorflow_datasets(
    data_dir, tmp_path, monkeypatch
):
    monkeypatch.setattr(tfds, "load", fail_if_called)
    monkeypatch.setattr(tfds, "builder", fail_if_called)
    data.load("mnist", "test", data_dir=data_dir)
    with pytest.raises(FileNotFoundError, match="No mnist folder"):
        data.load("mnist", "test", data_dir=tmp_path)


@pytest.mark.parametrize("name", ["mnist", "cifar10"])
def test_tensorflow_datasets_path_matches_the_local_path(data_dir, name):
    local = data.load(name, "test", data_dir=data_dir, batch_size=8)
    with tfds.testing.mock_data(num_examples=20):
        remote = data.load(name, "test", batch_size=8)
        images, labels = next(iter(remote))
        described = data.describe(name)
    assert remote.element_spec == local.element_spec
    # Mock pixels are uniform over 0..255, so standardization must have applied.
    assert -3.0 < images.numpy().min() < -0.3 and images.numpy().max() > 1.5
    assert labels.dtype == tf.int64
    assert described["source"] == "tensorflow-datasets"
    assert described["splits"]["test"]["examples"] == 20


def test_dataset_feeds_keras_fit(data_dir):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10)]
    )
    model.compile(
        keras.optimizers.SGD(0.1),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    train = data.load("mnist", "train", data_dir=data_dir, seed=0).take(100)
    history = model.fit(train, epochs=1, verbose=0)
    # A linear model on standardized MNIST learns fast: far above chance.
    assert history.history["accuracy"][0] > 0.7


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"name": "imagenet"}, "Received: name='imagenet'"),
        ({"split": "validation"}, "Received: split='validation'"),
        ({"batch_size": 0}, "Received: batch_size=0"),
        ({"batch_size": 2.5}, "Received: batch_size=2.5"),
        ({"normalization": "minmax"}, "Received: normalization='minmax'"),
        ({"dtype": "int32"}, "Received: dtype='int32'"),
        ({"dtype": "float33"}, "Received: dtype='float33'"),
    ],
)
def test_bad_arguments_are_named(data_dir, arguments, message):
    arguments = {"name": "mnist", "split": "test", **arguments}
    with pytest.raises(ValueError, match=message):
        data.load(data_dir=data_dir, **arguments)
