"""Saves a model of the package's layers under one backend, loads every
backend's and checks its outputs, or exports one for TensorFlow Serving (run
by tests/test_cross_backend.py).

    KERAS_BACKEND=jax python tests/cross_backend_model.py save DIR
    KERAS_BACKEND=torch python tests/cross_backend_model.py load DIR
    KERAS_BACKEND=jax python tests/cross_backend_model.py export DIR
"""

import pathlib
import sys

import keras
import numpy as np

from keras_deepinit import layers
from keras_deepinit import optimizers


def build():
    inputs = keras.Input((6, 6, 4), name="images")
    x = layers.CircularPadding2D(1)(inputs)
    x = keras.layers.Conv2D(4, 3, name="stem")(x)
    x = layers.ConvStack2D(3, name="body")(x)
    x = layers.ResidualStack2D(2, normalization="batchnorm", name="residual")(x)
    x = layers.OrthogonalConv2D(4, 3, padding="same", name="own_conv")(x)
    x = layers.SkipInitScalar(0.5)(x)
    x = layers.ScalarBias()(x)
    x = keras.layers.Flatten()(x)
    outputs = layers.OrthogonalDense(3, method="newton", name="own_dense")(x)
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizers.LayerwiseAdam(1e-3, multipliers={"body": 0.1}),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def inputs():
    return np.random.default_rng(0).normal(size=(4, 6, 6, 4)).astype("float32")


def save(folder):
    keras.utils.set_random_seed(0)
    model = build()
    model.fit(inputs(), np.arange(4) % 3, epochs=2, verbose=0)
    backend = keras.config.backend()
    model.save(folder / f"{backend}.keras")
    np.save(folder / f"{backend}.npy", keras.ops.convert_to_numpy(model(inputs())))


def load(folder):
    for path in sorted(folder.glob("*.keras")):
        model = keras.saving.load_model(path)
        expected = np.load(path.with_suffix(".npy"))
        got = keras.ops.convert_to_numpy(model(inputs()))
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
        # The optimizer's state came along: training goes on.
        model.fit(inputs(), np.arange(4) % 3, epochs=1, verbose=0)
        print(
            f"{keras.config.backend()} loads {path.stem}: max diff "
            f"{np.abs(got - expected).max():.2e}"
        )


def export(folder):
    """Trains, then exports as `DIR/model/1` with the model's predictions."""
    from keras_deepinit.export import export_model

    keras.utils.set_random_seed(0)
    model = build()
    model.fit(inputs(), np.arange(4) % 3, epochs=2, verbose=0)
    export_model(model, "model", base_dir=folder, version=1)
    np.save(folder / "predictions.npy", model.predict(inputs(), verbose=0))


if __name__ == "__main__":
    {"save": save, "load": load, "export": export}[sys.argv[1]](
        pathlib.Path(sys.argv[2])
    )
