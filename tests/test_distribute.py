import json
import os
import socket
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_deepinit import distribute
from keras_deepinit.training.history import load_history

APP = os.path.join(os.path.dirname(__file__), "distributed_app.py")


def test_default_and_bad_names(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    monkeypatch.delenv("TPU_NAME", raising=False)
    assert distribute.get_strategy("default") is tf.distribute.get_strategy()
    assert distribute.get_strategy("auto").num_replicas_in_sync == 1
    with pytest.raises(ValueError, match="name='horovod'"):
        distribute.get_strategy("horovod")


def test_auto_reads_tf_config_and_tpu_name(monkeypatch):
    monkeypatch.delenv("TPU_NAME", raising=False)
    cluster = {"worker": ["localhost:1", "localhost:2"]}
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster}))
    assert distribute._detect(None) == "multi-worker"
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"worker": ["a:1"]}}))
    assert distribute._detect(None) == "default"
    monkeypatch.setenv("TPU_NAME", "my-tpu")
    assert distribute._detect(None) == "tpu"
    assert distribute._detect("grpc://10.0.0.2:8470") == "tpu"


def app_args(run_dir, batch_size, strategy):
    return [
        "own", "--preset", "mlp_plain", "--depth", "2", "--width", "32",
        "--steps", "12", "--steps-per-epoch", "4", "--eval-batches", "2",
        "--batch-size", str(batch_size), "--strategy", strategy,
        "--optimizer", "sgd", "--learning-rate", "0.05", "--warmup-steps", "0",
        "--data-dir", os.environ["DATA_DIR"], "--run-dir", str(run_dir),
        "--no-export", "--verbose", "0",
    ]  # fmt: skip


def launch(args, data_dir, logical_cpus=1, tf_config=None):
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "LOGICAL_CPUS": str(logical_cpus),
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    env.pop("TF_CONFIG", None)
    if tf_config is not None:
        env["TF_CONFIG"] = json.dumps(tf_config)
    return subprocess.Popen(
        [sys.executable, APP, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(process, timeout=240):
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, output[-3000:]
    return output


def weights(run_dir):
    model = keras.models.load_model(run_dir / "model.keras")
    return [w.numpy() for w in model.weights]


def losses(run_dir):
    return load_history(run_dir / "history.json")["loss"]


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_mirrored_over_two_cpus_matches_one_device(data_dir, tmp_path):
    # The same global batch of 32: one CPU, or two logical CPUs with 16 each.
    # Both under MirroredStrategy: distributing a data set rewrites its
    # pipeline, and TF's seeded shuffle then yields another (fixed) order.
    os.environ["DATA_DIR"] = str(data_dir)
    one = tmp_path / "one"
    two = tmp_path / "two"
    finish(launch(app_args(one, 32, "mirrored"), data_dir, logical_cpus=1))
    output = finish(launch(app_args(two, 16, "mirrored"), data_dir, logical_cpus=2))
    assert "MirroredStrategy over 2 replicas: batches of 16 x 2 = 32" in output
    # Tolerance: float32 sums in another order, over 12 SGD steps.
    np.testing.assert_allclose(losses(two), losses(one), rtol=1e-5)
    for a, b in zip(weights(two), weights(one), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_two_workers_on_loopback_finish_with_the_same_weights(data_dir, tmp_path):
    # Keras 3's fit needs keras_deepinit.distribute's strategy to run at all
    # (keras-team/keras#20585). Batches of 16 per worker, against one device
    # with the same global batch of 32.
    os.environ["DATA_DIR"] = str(data_dir)
    cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(2)]}
    workers = [
        launch(
            app_args(tmp_path / f"worker{index}", 16, "multi-worker"),
            data_dir,
            tf_config={"cluster": cluster, "task": {"type": "worker", "index": index}},
        )
        for index in range(2)
    ]
    outputs = [finish(worker) for worker in workers]
    assert "MultiWorkerMirroredStrategy over 2 replicas" in outputs[0]
    first, second = weights(tmp_path / "worker0"), weights(tmp_path / "worker1")
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    finish(launch(app_args(tmp_path / "one", 32, "mirrored"), data_dir))
    np.testing.assert_allclose(
        losses(tmp_path / "worker0"), losses(tmp_path / "one"), rtol=1e-5
    )
    for a, b in zip(first, weights(tmp_path / "one"), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_hsic_trainer_under_mirrored_strategy(data_dir, tmp_path):
    # Each replica's objective is over its half of the batch; the trainer
    # averages the replicas' gradients.
    args = [
        "hsic", "--preset", "mlp_1024_relu", "--width", "32", "--depth", "1",
        "--steps", "20", "--steps-per-epoch", "10", "--post-steps", "10",
        "--eval-batches", "2", "--batch-size", "64", "--learning-rate", "0.01",
        "--strategy", "mirrored", "--data-dir", str(data_dir),
        "--run-dir", str(tmp_path / "run"), "--no-export", "--verbose", "0",
    ]  # fmt: skip
    output = finish(launch(args, data_dir, logical_cpus=2))
    assert "MirroredStrategy over 2 replicas: batches of 64 x 2 = 128" in output
    history = load_history(tmp_path / "run" / "hsic_sigma6" / "history.json")
    assert history["hsic_y"][-1] > history["hsic_y"][0]
    assert history["val_unformatted_accuracy"][-1] > 0.4  # chance: 0.1
