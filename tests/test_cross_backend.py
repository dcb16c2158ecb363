"""A `.keras` file saved under one backend loads under each other one, and a
model trained under JAX exports a SavedModel that TensorFlow serves."""

import os
import pathlib
import subprocess
import sys

import numpy as np

from conftest import ONCE

SCRIPT = pathlib.Path(__file__).with_name("cross_backend_model.py")
BACKENDS = ("tensorflow", "jax", "torch")

pytestmark = ONCE


def run(backend, command, folder):
    return subprocess.run(
        [sys.executable, str(SCRIPT), command, str(folder)],
        env={**os.environ, "KERAS_BACKEND": backend},
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_keras_files_load_under_every_backend_with_the_same_outputs(tmp_path):
    for backend in BACKENDS:
        run(backend, "save", tmp_path)
    for backend in BACKENDS:
        lines = run(backend, "load", tmp_path).splitlines()
        loaded = sorted(line.split()[2].rstrip(":") for line in lines)
        assert loaded == sorted(BACKENDS), lines


def test_a_model_trained_under_jax_exports_a_saved_model(tmp_path):
    import tensorflow as tf

    run("jax", "export", tmp_path)
    path = tmp_path / "model" / "1"
    assert (path / "saved_model.pb").is_file()
    serve = tf.saved_model.load(str(path)).signatures["serving_default"]
    images = np.random.default_rng(0).normal(size=(4, 6, 6, 4)).astype("float32")
    got = serve(images=tf.constant(images))["predictions"].numpy()
    np.testing.assert_allclose(got, np.load(tmp_path / "predictions.npy"), atol=1e-5)
