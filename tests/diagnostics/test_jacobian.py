import keras
import numpy as np
import pytest

from keras_deepinit.diagnostics import jacobian_singular_values


def test_linear_model_has_its_kernels_singular_values():
    rng = np.random.default_rng(0)
    kernel = rng.normal(size=(6, 4))
    layer = keras.layers.Dense(4, use_bias=False)
    model = keras.Sequential([keras.Input((6,)), layer])
    layer.set_weights([kernel])

    values = jacobian_singular_values(model, rng.normal(size=(3, 6)).astype("float32"))

    expected = np.linalg.svd(kernel, compute_uv=False)
    assert values.shape == (3, 4)
    np.testing.assert_allclose(values, np.tile(expected, (3, 1)), rtol=1e-5)


def test_nonlinear_jacobian_depends_on_the_input():
    model = keras.Sequential(
        [
            keras.Input((2,)),
            keras.layers.Dense(2, activation="tanh", kernel_initializer="identity"),
        ]
    )
    values = jacobian_singular_values(
        model, np.array([[0.0, 0.0], [1.0, 2.0]], "float32")
    )
    np.testing.assert_allclose(values[0], [1.0, 1.0], rtol=1e-6)
    # d tanh(x)/dx = 1 - tanh(x)^2 on the diagonal.
    np.testing.assert_allclose(values[1], 1 - np.tanh([1.0, 2.0]) ** 2, rtol=1e-5)


def test_conv_jacobian_covers_every_pixel():
    model = keras.Sequential(
        [
            keras.Input((5, 5, 2)),
            keras.layers.Conv2D(3, 3, padding="same", kernel_initializer="ones"),
        ]
    )
    values = jacobian_singular_values(model, np.zeros((1, 5, 5, 2), "float32"))
    assert values.shape == (1, 50)  # min(5*5*3, 5*5*2)
    assert values.min() > 0


def test_rank_one_inputs_are_refused():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match=r"Received: inputs.shape=\(3,\)"):
        jacobian_singular_values(model, np.zeros(3, "float32"))
