"""What every app's export must do: serve what the Keras model predicts."""

import numpy as np
import tensorflow as tf


def assert_serves_like(version_dir, model, input_shape, atol=1e-5):
    """The SavedModel in `version_dir`, loaded with `tf.saved_model.load`,
    gives `model`'s outputs within `atol` on random inputs of `input_shape`."""
    served = tf.saved_model.load(str(version_dir)).signatures["serving_default"]
    rng = np.random.default_rng(0)
    images = rng.uniform(size=(3, *input_shape)).astype("float32")
    np.testing.assert_allclose(
        served(images=tf.constant(images))["predictions"],
        model.predict(images, verbose=0),
        atol=atol,
    )
