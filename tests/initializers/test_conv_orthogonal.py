import re

import keras
import numpy as np
import pytest

from keras_deepinit.initializers import ConvOrthogonal

from kernel_checks import FAMILIES
from kernel_checks import RTOL
from kernel_checks import circular_conv_norms
from kernel_checks import symbol_singular_values


def draw(initializer, shape):
    """The kernel as a numpy array, wherever the backend holds it."""
    return keras.ops.convert_to_numpy(initializer(shape))


@pytest.mark.parametrize("kernel_size,in_channels,out_channels", FAMILIES)
def test_every_fourier_symbol_is_gain_times_orthonormal_rows(
    kernel_size, in_channels, out_channels
):
    shape = (*kernel_size, in_channels, out_channels)
    kernel = draw(ConvOrthogonal(gain=1.3, seed=1), shape)
    assert kernel.shape == shape
    np.testing.assert_allclose(symbol_singular_values(kernel), 1.3, rtol=RTOL)
    if np.prod(kernel_size) > 1:
        # Not a delta kernel in disguise: more than one tap carries weight.
        tap_norms = np.linalg.norm(
            kernel.reshape(-1, in_channels * out_channels), axis=1
        )
        assert np.count_nonzero(tap_norms > 1e-3) > 1


@pytest.mark.parametrize("kernel_size,in_channels,out_channels", FAMILIES)
def test_circular_convolution_preserves_norms(kernel_size, in_channels, out_channels):
    input_norms, output_norms, shape = circular_conv_norms(
        ConvOrthogonal(gain=0.9, seed=3), kernel_size, in_channels, out_channels
    )
    assert shape == (3, *(6,) * len(kernel_size), out_channels)
    np.testing.assert_allclose(output_norms, 0.9 * input_norms, rtol=RTOL)


def test_zero_padding_is_not_an_isometry_but_circular_padding_is():
    # The point of circular padding: with "same" zero padding the borders lose
    # energy, so the norm ratio of a single input differs from 1.
    x = np.random.default_rng(2).normal(size=(1, 4, 4, 4)).astype("float32")
    initializer = ConvOrthogonal(seed=4)
    same = keras.layers.Conv2D(
        4, 3, padding="same", use_bias=False, kernel_initializer=initializer
    )
    ratio = np.linalg.norm(keras.ops.convert_to_numpy(same(x))) / np.linalg.norm(x)
    assert abs(ratio - 1) > 1e-3


def test_seeds():
    shape = (3, 3, 4, 4)
    first = ConvOrthogonal(seed=5)
    np.testing.assert_array_equal(draw(first, shape), draw(first, shape))
    np.testing.assert_array_equal(
        draw(first, shape), draw(ConvOrthogonal(seed=5), shape)
    )
    assert not np.allclose(draw(first, shape), draw(ConvOrthogonal(seed=6), shape))
    assert not np.allclose(draw(ConvOrthogonal(), shape), draw(ConvOrthogonal(), shape))
    initializer = ConvOrthogonal(seed=keras.random.SeedGenerator(0))
    assert not np.allclose(draw(initializer, shape), draw(initializer, shape))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_dtypes(dtype):
    kernel = ConvOrthogonal(gain=2.0, seed=0)((3, 4, 4), dtype=dtype)
    if dtype == "float64":
        # As Keras's Orthogonal gives it: float32 on JAX without x64.
        keras_kernel = keras.initializers.Orthogonal(seed=0)((2, 2), dtype=dtype)
        dtype = keras.backend.standardize_dtype(keras_kernel.dtype)
    assert keras.backend.standardize_dtype(kernel.dtype) == dtype
    values = symbol_singular_values(keras.ops.convert_to_numpy(kernel))
    rtol = 1e-12 if dtype == "float64" else 3e-2
    np.testing.assert_allclose(values, 2.0, rtol=rtol)


def test_is_a_keras_orthogonal_initializer_and_round_trips_its_config():
    initializer = ConvOrthogonal(gain=0.5, seed=9)
    assert isinstance(initializer, keras.initializers.Orthogonal)
    config = initializer.get_config()
    assert config == {"gain": 0.5, "seed": 9}
    clone = ConvOrthogonal.from_config(config)
    np.testing.assert_array_equal(
        draw(clone, (3, 3, 2, 2)), draw(initializer, (3, 3, 2, 2))
    )
    revived = keras.initializers.deserialize(keras.initializers.serialize(initializer))
    assert type(revived) is ConvOrthogonal
    assert revived.get_config() == config


def test_more_input_than_output_channels_is_refused():
    with pytest.raises(ValueError, match="works for in_channels <= out_channels"):
        ConvOrthogonal()((3, 3, 8, 4))
    with pytest.raises(ValueError, match=r"Received: shape=\(3, 8, 4\)$"):
        ConvOrthogonal()((3, 8, 4))


@pytest.mark.parametrize("shape", [(4,), (4, 4), (1, 1, 1, 1, 2, 2), (3, 0, 2, 2)])
def test_shapes_that_are_not_conv_kernels_are_refused(shape):
    with pytest.raises(ValueError, match=re.escape(f"Received: shape={shape}")):
        ConvOrthogonal()(shape)


@pytest.mark.parametrize("gain", [0, -2, "1", [1.0]])
def test_bad_gain_is_refused(gain):
    with pytest.raises(ValueError, match="positive number. Received: gain="):
        ConvOrthogonal(gain=gain)
