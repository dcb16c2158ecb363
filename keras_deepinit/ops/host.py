"""Numpy code on the host, called from inside a traced or jitted step.

`tf.numpy_function` on TensorFlow, `jax.pure_callback` on JAX, a plain call
on PyTorch (whose trainer runs eagerly) and NumPy. Each backend's module is
imported only when used.
"""

import keras
import numpy as np


def numpy_call(function, x, shape, dtype):
    """`function(x)` on a numpy copy of the tensor `x`, as a tensor.

    Examples:

    >>> y = numpy_call(lambda a: a.sum(), np.ones((2, 3)), (), "float32")
    >>> float(y)
    6.0

    Args:
        function: takes a numpy array, returns an array-like of `shape`.
        x: the tensor.
        shape: the shape of `function`'s result.
        dtype: the dtype of `function`'s result.
    """
    backend = keras.backend.backend()
    dtype = keras.backend.standardize_dtype(dtype)

    def on_host(value):
        return np.asarray(function(np.asarray(value)), dtype=dtype)

    x = keras.ops.convert_to_tensor(x)
    if backend == "tensorflow":
        import tensorflow as tf

        result = tf.numpy_function(on_host, [x], dtype, stateful=False)
        result.set_shape(shape)
        return result
    if backend == "jax":
        import jax

        return jax.pure_callback(on_host, jax.ShapeDtypeStruct(shape, dtype), x)
    return keras.ops.convert_to_tensor(on_host(keras.ops.convert_to_numpy(x)))
