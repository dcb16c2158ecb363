import keras
import numpy as np

from keras_deepinit.ops.host import numpy_call


class AddHostMaximum(keras.layers.Layer):
    """Adds the batch's largest value, found by numpy on the host."""

    def call(self, x):
        largest = numpy_call(lambda a: a.max(), x, (), "float32")
        return x + largest


def test_in_a_compiled_predict_step():
    model = keras.Sequential([keras.Input((3,)), AddHostMaximum()])
    x = np.arange(12, dtype="float32").reshape(4, 3)
    # predict traces (TensorFlow) or jits (JAX) its step; PyTorch runs eagerly.
    np.testing.assert_array_equal(model.predict(x, batch_size=4, verbose=0), x + 11)
    outputs = numpy_call(lambda a: a * 2, x, (4, 3), "int32")
    assert keras.backend.standardize_dtype(outputs.dtype) == "int32"
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(outputs), x * 2)
