import keras
import numpy as np

from keras_deepinit.initializers import ConvOrthogonal
from keras_deepinit.initializers import DeltaOrthogonal
from keras_deepinit.layers import CircularPadding2D


def test_model_with_our_initializers_and_padding_survives_a_keras_file(tmp_path):
    inputs = keras.Input((8, 8, 3))
    x = CircularPadding2D.for_kernel((3, 3), name="pad_a")(inputs)
    x = keras.layers.Conv2D(
        4,
        3,
        activation="tanh",
        kernel_initializer=DeltaOrthogonal(gain=1.2, seed=3),
        name="delta",
    )(x)
    x = CircularPadding2D(((0, 1), (1, 0)), name="pad_b")(x)
    outputs = keras.layers.Conv2D(
        6, 2, kernel_initializer=ConvOrthogonal(gain=0.7, seed=4), name="conv"
    )(x)
    model = keras.Model(inputs, outputs)
    path = tmp_path / "model.keras"
    model.save(path)

    loaded = keras.saving.load_model(path)
    for name, cls, gain, seed in [
        ("delta", DeltaOrthogonal, 1.2, 3),
        ("conv", ConvOrthogonal, 0.7, 4),
    ]:
        initializer = loaded.get_layer(name).kernel_initializer
        assert type(initializer) is cls
        assert initializer.gain == gain
        assert initializer.seed == seed
    assert type(loaded.get_layer("pad_b")) is CircularPadding2D
    assert loaded.get_layer("pad_b").padding == ((0, 1), (1, 0))
    x = np.random.default_rng(0).normal(size=(2, 8, 8, 3)).astype("float32")
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(loaded(x)), keras.ops.convert_to_numpy(model(x))
    )
    # A rebuilt model draws the very same kernels from the saved seeds.
    rebuilt = keras.Model.from_config(model.get_config())
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(rebuilt.get_layer("conv").kernel),
        keras.ops.convert_to_numpy(model.get_layer("conv").kernel),
    )
