import re

import keras
import numpy as np
import pytest

from keras_deepinit.layers import CircularPadding1D
from keras_deepinit.layers import CircularPadding2D
from keras_deepinit.layers import CircularPadding3D

LAYERS = {1: CircularPadding1D, 2: CircularPadding2D, 3: CircularPadding3D}


@pytest.mark.parametrize(
    "rank,padding,pairs",
    [
        (1, 2, ((2, 2),)),
        (1, (0, 3), ((0, 3),)),
        (1, [1, 0], ((1, 0),)),
        (2, 1, ((1, 1), (1, 1))),
        (2, (2, 0), ((2, 2), (0, 0))),
        (2, ((0, 1), (3, 2)), ((0, 1), (3, 2))),
        (3, 1, ((1, 1),) * 3),
        (3, (1, 2, 0), ((1, 1), (2, 2), (0, 0))),
        (3, ((1, 0), (0, 2), (2, 1)), ((1, 0), (0, 2), (2, 1))),
    ],
)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_matches_numpy_wrap_padding(rank, padding, pairs, data_format):
    spatial = (3, 4, 5)[:rank]
    if data_format == "channels_last":
        shape, np_pairs = (2, *spatial, 3), ((0, 0), *pairs, (0, 0))
    else:
        shape, np_pairs = (2, 3, *spatial), ((0, 0), (0, 0), *pairs)
    x = np.arange(np.prod(shape), dtype="float32").reshape(shape)
    layer = LAYERS[rank](padding, data_format=data_format)
    y = keras.ops.convert_to_numpy(layer(x))
    np.testing.assert_array_equal(y, np.pad(x, np_pairs, mode="wrap"))
    assert layer.compute_output_shape(shape) == y.shape


def test_keeps_keras_argument_conventions_and_round_trips_config():
    one = CircularPadding1D(3)
    assert one.padding == (3, 3)
    two = CircularPadding2D((1, 2), data_format="channels_first", name="wrap")
    assert two.padding == ((1, 1), (2, 2))
    for layer in (one, two, CircularPadding3D(((1, 0), (0, 1), (2, 2)))):
        config = layer.get_config()
        clone = type(layer).from_config(config)
        assert clone.padding == layer.padding
        assert clone.get_config() == config
    assert two.get_config()["data_format"] == "channels_first"


def test_for_kernel_pads_like_same_padding_for_a_valid_conv():
    assert CircularPadding1D.for_kernel(4).padding == (1, 2)
    assert CircularPadding2D.for_kernel(3).padding == ((1, 1), (1, 1))
    assert CircularPadding3D.for_kernel((2, 3, 4)).padding == ((0, 1), (1, 1), (1, 2))
    # Followed by a "valid" conv it is the circular convolution: for an even
    # kernel too, output pixel p reads input pixel p through tap (k - 1) // 2.
    x = np.random.default_rng(0).normal(size=(1, 6, 6, 2)).astype("float32")
    conv = keras.layers.Conv2D(3, (4, 2), use_bias=False)
    y = keras.ops.convert_to_numpy(conv(CircularPadding2D.for_kernel((4, 2))(x)))
    kernel = keras.ops.convert_to_numpy(conv.kernel)
    expected = np.zeros((1, 6, 6, 3))
    for i in range(4):
        for j in range(2):
            shifted = np.roll(x, shift=(-(i - 1), -(j - 0)), axis=(1, 2))
            expected += shifted @ kernel[i, j]
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)


def test_works_in_a_functional_model_with_unknown_sizes():
    inputs = keras.Input((None, None, 2))
    outputs = CircularPadding2D(((1, 0), (0, 2)))(inputs)
    assert tuple(outputs.shape) == (None, None, None, 2)
    model = keras.Model(inputs, outputs)
    x = np.ones((1, 3, 3, 2), "float32")
    assert model(x).shape == (1, 4, 5, 2)


def test_padding_larger_than_the_input_is_refused():
    layer = CircularPadding2D(((1, 1), (0, 4)))
    message = (
        "each padding must not exceed the input size on its axis, here 3 on axis 2. "
        "Received: padding=((1, 1), (0, 4)), input_shape=(None, 5, 3, 2)"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        layer(keras.Input((5, 3, 2)))
    with pytest.raises(ValueError, match=re.escape("here 3 on axis 2")):
        CircularPadding2D(((1, 1), (0, 4)))(np.zeros((1, 5, 3, 2), "float32"))
    # Exactly the input size is one full wrap, which is fine.
    y = CircularPadding1D((3, 3))(np.arange(3, dtype="float32").reshape(1, 3, 1))
    np.testing.assert_array_equal(y[0, :, 0], [0, 1, 2, 0, 1, 2, 0, 1, 2])


@pytest.mark.parametrize(
    "cls,padding",
    [
        (CircularPadding1D, -1),
        (CircularPadding1D, (1, 2, 3)),
        (CircularPadding1D, 1.5),
        (CircularPadding2D, (1, 2, 3)),
        (CircularPadding2D, ((1, 2), (3,))),
        (CircularPadding2D, ((1, -2), (0, 0))),
        (CircularPadding2D, "same"),
        (CircularPadding3D, (1, 2)),
        (CircularPadding3D, True),
    ],
)
def test_bad_padding_is_refused(cls, padding):
    with pytest.raises(
        ValueError, match=re.escape(f"Received: padding={padding!r}") + "$"
    ):
        cls(padding)


def test_bad_data_format_and_kernel_size_are_refused():
    with pytest.raises(ValueError, match="Received: data_format='nhwc'"):
        CircularPadding2D(1, data_format="nhwc")
    with pytest.raises(ValueError, match=r"Received: kernel_size=\(3, 3, 3\)"):
        CircularPadding2D.for_kernel((3, 3, 3))
