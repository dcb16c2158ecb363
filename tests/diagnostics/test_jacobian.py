import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_deepinit.diagnostics import batch_jacobian
from keras_deepinit.diagnostics import jacobian_singular_values
from keras_deepinit.layers import CircularPadding2D


def circular_conv_stack(kernels, spatial):
    """Linear circular convolutions (circular padding, then "valid")."""
    layers = [keras.Input((spatial, spatial, kernels[0].shape[2]))]
    for kernel in kernels:
        layers.append(CircularPadding2D.for_kernel(kernel.shape[:2]))
        layers.append(
            keras.layers.Conv2D(kernel.shape[3], kernel.shape[:2], use_bias=False)
        )
    model = keras.Sequential(layers)
    for layer, kernel in zip(model.layers[1::2], kernels, strict=True):
        layer.set_weights([kernel])
    return model


def test_dense_jacobian_is_its_transposed_kernel():
    rng = np.random.default_rng(2)
    kernel = rng.normal(size=(3, 2)).astype("float32")
    layer = keras.layers.Dense(2, use_bias=False)
    model = keras.Sequential([keras.Input((3,)), layer])
    layer.set_weights([kernel])
    # y = x W, so d y_i / d x_j = W[j, i], the same for every example.
    jacobians = batch_jacobian(model, rng.normal(size=(4, 3)).astype("float32"))
    assert jacobians.shape == (4, 2, 3)
    np.testing.assert_allclose(jacobians, np.tile(kernel.T, (4, 1, 1)), rtol=1e-6)


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


def test_delta_orthogonal_circular_stack_is_an_exact_isometry():
    rng = np.random.default_rng(3)
    kernels = []
    for _ in range(3):
        kernel = np.zeros((3, 3, 4, 4), "float32")
        kernel[1, 1] = np.linalg.qr(rng.normal(size=(4, 4)))[0]
        kernels.append(kernel)
    model = circular_conv_stack(kernels, spatial=5)
    values = jacobian_singular_values(
        model, rng.normal(size=(2, 5, 5, 4)).astype("float32")
    )
    assert values.shape == (2, 5 * 5 * 4)
    np.testing.assert_allclose(values, 1.0, atol=1e-5)


def test_circular_conv_singular_values_are_its_fourier_symbols():
    # A circular convolution is block-diagonalized by the 2D DFT: its singular
    # values are those of the (in, out) kernel symbol at each of n x n
    # frequencies (Sedghi et al., 2019), whatever the taps' offset.
    rng = np.random.default_rng(4)
    kernel = rng.normal(size=(3, 2, 2, 3)).astype("float32")
    model = circular_conv_stack([kernel], spatial=6)
    values = jacobian_singular_values(model, np.zeros((1, 6, 6, 2), "float32"))
    symbols = np.fft.fft2(kernel.astype(np.float64), s=(6, 6), axes=(0, 1))
    expected = np.sort(np.linalg.svd(symbols, compute_uv=False).ravel())[::-1]
    assert values.shape == (1, 6 * 6 * 2)
    np.testing.assert_allclose(values[0], expected, rtol=1e-4, atol=1e-5)


@pytest.mark.skipif(
    keras.config.backend() == "tensorflow", reason="TensorFlow is the backend"
)
def test_diagnostics_callbacks_and_layers_do_not_import_tensorflow():
    code = (
        "import sys, numpy as np, keras\n"
        "import keras_deepinit.callbacks\n"
        "import keras_deepinit.diagnostics.isometry\n"
        "from keras_deepinit.layers import CircularPadding2D, SkipInitScalar\n"
        "from keras_deepinit.diagnostics import jacobian_singular_values\n"
        "from keras_deepinit.diagnostics import signal_statistics\n"
        "model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])\n"
        "jacobian_singular_values(model, np.ones((1, 2), 'float32'))\n"
        "signal_statistics(model, np.ones((1, 2), 'float32'))\n"
        "assert 'tensorflow' not in sys.modules, 'tensorflow was imported'\n"
    )
    env = {**os.environ, "KERAS_BACKEND": keras.config.backend()}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]
