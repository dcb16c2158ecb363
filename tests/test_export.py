import datetime
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_deepinit import export
from keras_deepinit.version import __version__


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(4, 3, activation="tanh"),
            keras.layers.Flatten(),
            keras.layers.Dense(10),
        ]
    )


class Subclassed(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(3)

    def call(self, inputs):
        return self.dense(keras.ops.reshape(inputs, (-1, 16)))


def test_export_serves_named_input_like_predict(model, tmp_path):
    path = export.export_model(model, "cnn", base_dir=tmp_path)

    assert path == os.path.join(tmp_path, "cnn", "1")
    assert sorted(os.listdir(path)) == [
        "assets",
        "fingerprint.pb",
        "metadata.json",
        "saved_model.pb",
        "variables",
    ]
    serve = tf.saved_model.load(path).signatures["serving_default"]
    _, inputs = serve.structured_input_signature
    assert list(inputs) == ["images"]
    assert inputs["images"].shape.as_list() == [None, 8, 8, 1]
    assert list(serve.structured_outputs) == ["predictions"]
    x = np.random.default_rng(0).normal(size=(5, 8, 8, 1)).astype("float32")
    np.testing.assert_allclose(
        serve(images=tf.constant(x))["predictions"].numpy(),
        model.predict(x, verbose=0),
        atol=1e-5,
    )


def test_versions_increment_and_are_never_overwritten(model, tmp_path):
    first = export.export_model(model, "cnn", base_dir=tmp_path)
    chosen = export.export_model(model, "cnn", base_dir=tmp_path, version=7)
    after = export.export_model(model, "cnn", base_dir=tmp_path)
    assert [os.path.basename(p) for p in (first, chosen, after)] == ["1", "7", "8"]
    assert export.versions(tmp_path / "cnn") == [1, 7, 8]

    before = sorted(os.listdir(chosen))
    stamp = os.path.getmtime(os.path.join(chosen, "saved_model.pb"))
    with pytest.raises(FileExistsError, match=os.path.join("cnn", "7")):
        export.export_model(model, "cnn", base_dir=tmp_path, version=7)
    assert sorted(os.listdir(chosen)) == before
    assert os.path.getmtime(os.path.join(chosen, "saved_model.pb")) == stamp
    assert sorted(os.listdir(tmp_path / "cnn")) == ["1", "7", "8"]


def test_failed_export_leaves_nothing(model, tmp_path, monkeypatch):
    save = tf.saved_model.save

    def fail(obj, export_dir, *args, **kwargs):
        save(obj, export_dir, *args, **kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(tf.saved_model, "save", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        export.export_model(model, "cnn", base_dir=tmp_path)
    assert os.listdir(tmp_path / "cnn") == []


def test_metadata_round_trips(model, tmp_path):
    config = {"depth": 10, "optimizer": "sgd"}
    metrics = {"test_accuracy": 0.91}
    path = export.export_model(
        model,
        "cnn",
        base_dir=tmp_path,
        metadata={"config": config, "metrics": metrics, "dataset": "mnist"},
    )

    record = export.load_metadata(path)
    assert record["config"] == config
    assert record["metrics"] == metrics
    assert record["dataset"] == "mnist"
    assert record["keras_deepinit_version"] == __version__
    assert (record["name"], record["version"]) == ("cnn", 1)
    assert record["signature"]["inputs"] == {
        "images": {"shape": [None, 8, 8, 1], "dtype": "float32"}
    }
    exported_at = datetime.datetime.fromisoformat(record["exported_at"])
    age = datetime.datetime.now(datetime.timezone.utc) - exported_at
    assert datetime.timedelta(0) <= age < datetime.timedelta(minutes=5)


def test_unserializable_metadata_fails_before_writing(model, tmp_path):
    with pytest.raises(TypeError):
        export.export_model(
            model, "cnn", base_dir=tmp_path, metadata={"config": object()}
        )
    assert not os.path.exists(tmp_path / "cnn")


def test_subclassed_model_with_input_shape(tmp_path):
    model = Subclassed()
    x = np.ones((2, 4, 4, 1), "float32")
    expected = model.predict(x, verbose=0)
    with pytest.raises(ValueError, match="Received: input_shape=None"):
        export.export_model(model, "sub", base_dir=tmp_path)

    path = export.export_model(
        model, "sub", base_dir=tmp_path, input_shape=(4, 4, 1), input_name="x"
    )
    serve = tf.saved_model.load(path).signatures["serving_default"]
    np.testing.assert_allclose(
        serve(x=tf.constant(x))["predictions"], expected, atol=1e-5
    )


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "a\\b", 3])
def test_bad_name(model, tmp_path, name):
    with pytest.raises(ValueError, match="Received: name="):
        export.export_model(model, name, base_dir=tmp_path)


@pytest.mark.parametrize("version", [0, -1, 1.0, "2", True])
def test_bad_version(model, tmp_path, version):
    with pytest.raises(ValueError, match="Received: version="):
        export.export_model(model, "cnn", base_dir=tmp_path, version=version)
    assert not os.path.exists(tmp_path / "cnn")
