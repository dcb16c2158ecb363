import keras
import numpy as np
import pytest

from keras_deepinit.initializers import DeltaOrthogonal

from kernel_checks import CONV
from kernel_checks import FAMILIES
from kernel_checks import RTOL
from kernel_checks import circular_conv_norms
from kernel_checks import symbol_singular_values


def draw(initializer, shape):
    """The kernel as a numpy array, wherever the backend holds it."""
    return keras.ops.convert_to_numpy(initializer(shape))


@pytest.mark.parametrize("kernel_size,in_channels,out_channels", FAMILIES)
def test_zero_but_the_centre_tap_which_has_orthonormal_rows(
    kernel_size, in_channels, out_channels
):
    gain = 1.3
    shape = (*kernel_size, in_channels, out_channels)
    kernel = draw(DeltaOrthogonal(gain=gain, seed=1), shape)
    assert kernel.shape == shape
    centre = tuple((k - 1) // 2 for k in kernel_size)
    mask = np.zeros(kernel_size, dtype=bool)
    mask[centre] = True
    assert np.all(kernel[~mask] == 0)
    h = kernel[centre]
    np.testing.assert_allclose(h @ h.T, gain**2 * np.eye(in_channels), atol=1e-5)
    np.testing.assert_allclose(symbol_singular_values(kernel), gain, rtol=RTOL)


@pytest.mark.parametrize("kernel_size,in_channels,out_channels", FAMILIES)
def test_same_padding_conv_maps_each_pixel_to_gain_x_h(
    kernel_size, in_channels, out_channels
):
    gain = 0.8
    rank = len(kernel_size)
    layer = CONV[rank](
        out_channels,
        kernel_size,
        padding="same",
        use_bias=False,
        kernel_initializer=DeltaOrthogonal(gain=gain, seed=2),
    )
    x = np.random.default_rng(0).normal(size=(2, *(5,) * rank, in_channels))
    x = x.astype("float32")
    y = keras.ops.convert_to_numpy(layer(x))
    kernel = keras.ops.convert_to_numpy(layer.kernel)
    h = kernel[tuple((k - 1) // 2 for k in kernel_size)]
    # The tap that "same" padding aligns with the pixel: exactly x @ H.
    np.testing.assert_allclose(y, x @ h, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(
        np.linalg.norm(y.reshape(2, -1), axis=1),
        gain * np.linalg.norm(x.reshape(2, -1), axis=1),
        rtol=RTOL,
    )


@pytest.mark.parametrize("kernel_size,in_channels,out_channels", FAMILIES)
def test_circular_convolution_preserves_norms(kernel_size, in_channels, out_channels):
    input_norms, output_norms, shape = circular_conv_norms(
        DeltaOrthogonal(seed=3), kernel_size, in_channels, out_channels
    )
    assert shape == (3, *(6,) * len(kernel_size), out_channels)
    np.testing.assert_allclose(output_norms, input_norms, rtol=RTOL)


def test_int_seed_repeats_and_different_seeds_differ():
    shape = (3, 3, 4, 4)
    first = DeltaOrthogonal(seed=5)
    np.testing.assert_array_equal(draw(first, shape), draw(first, shape))
    np.testing.assert_array_equal(
        draw(first, shape), draw(DeltaOrthogonal(seed=5), shape)
    )
    assert not np.allclose(draw(first, shape), draw(DeltaOrthogonal(seed=6), shape))


def test_unseeded_instances_differ_and_seed_generators_advance():
    shape = (3, 3, 4, 4)
    assert not np.allclose(
        draw(DeltaOrthogonal(), shape), draw(DeltaOrthogonal(), shape)
    )
    initializer = DeltaOrthogonal(seed=keras.random.SeedGenerator(0))
    assert not np.allclose(draw(initializer, shape), draw(initializer, shape))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_dtypes(dtype):
    kernel = DeltaOrthogonal(gain=2.0, seed=0)((3, 4, 4), dtype=dtype)
    if dtype == "float64":
        # As Keras's Orthogonal gives it: float32 on JAX without x64.
        keras_kernel = keras.initializers.Orthogonal(seed=0)((2, 2), dtype=dtype)
        dtype = keras.backend.standardize_dtype(keras_kernel.dtype)
    assert keras.backend.standardize_dtype(kernel.dtype) == dtype
    h = keras.ops.convert_to_numpy(keras.ops.cast(kernel[1], "float64"))
    atol = 1e-12 if dtype == "float64" else 3e-2
    np.testing.assert_allclose(h @ h.T, 4.0 * np.eye(4), atol=atol)


def test_is_a_keras_orthogonal_initializer_and_round_trips_its_config():
    initializer = DeltaOrthogonal(gain=1.5, seed=9)
    assert isinstance(initializer, keras.initializers.Orthogonal)
    config = initializer.get_config()
    assert config == {"gain": 1.5, "seed": 9}
    clone = DeltaOrthogonal.from_config(config)
    np.testing.assert_array_equal(
        draw(clone, (3, 3, 2, 2)), draw(initializer, (3, 3, 2, 2))
    )
    revived = keras.initializers.deserialize(keras.initializers.serialize(initializer))
    assert type(revived) is DeltaOrthogonal
    assert revived.get_config() == config


def test_more_input_than_output_channels_is_refused():
    with pytest.raises(ValueError, match="cannot have orthonormal rows") as info:
        DeltaOrthogonal()((3, 3, 8, 4))
    message = str(info.value)
    assert "in_channels <= out_channels" in message
    assert message.endswith("Received: shape=(3, 3, 8, 4)")


@pytest.mark.parametrize("shape", [(4,), (4, 4), (1, 1, 1, 1, 2, 2)])
def test_shapes_that_are_not_1d_2d_3d_conv_kernels_are_refused(shape):
    with pytest.raises(ValueError, match=r"rank 3 to 5\)\. Received: shape="):
        DeltaOrthogonal()(shape)


@pytest.mark.parametrize("gain", [0, -1.0, "2", None, True, float("inf")])
def test_bad_gain_is_refused(gain):
    with pytest.raises(ValueError, match=f"positive number. Received: gain={gain!r}"):
        DeltaOrthogonal(gain=gain)


def test_non_float_dtype_is_refused():
    with pytest.raises(ValueError, match="Received: dtype=int32"):
        DeltaOrthogonal()((3, 2, 2), dtype="int32")
