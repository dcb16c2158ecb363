"""Layers that hold one learnable scalar: SkipInit's and Fixup's."""

import numbers

import keras


class _ScalarLayer(keras.layers.Layer):
    """One scalar weight named `weight_name`, starting at `initial_value`."""

    weight_name = None

    def __init__(self, initial_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(initial_value, bool) or not isinstance(
            initial_value, numbers.Real
        ):
            raise ValueError(
                "Expected initial_value to be a real number. "
                f"Received: initial_value={initial_value!r}"
            )
        self.initial_value = float(initial_value)

    def build(self, input_shape):
        self.scalar = self.add_weight(
            name=self.weight_name,
            shape=(),
            initializer=keras.initializers.Constant(self.initial_value),
        )

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "initial_value": self.initial_value}


@keras.saving.register_keras_serializable(package="keras_deepinit")
class SkipInitScalar(_ScalarLayer):
    """Multiplies its input by one learnable scalar, 0 at initialization.

    Placed at the end of each residual branch, `x + alpha * f(x)`, it does
    without normalization what batch normalization does in a deep residual
    network (De & Smith, 2020): at `alpha = 0` every block is the identity, so
    the signal neither grows nor shrinks with depth, and training moves each
    branch in from zero. An initial value of at most `1 / sqrt(d)` for `d`
    residual blocks also keeps the residual stream bounded.

    Examples:

    >>> layer = SkipInitScalar()
    >>> keras.ops.convert_to_numpy(layer(np.ones((2, 3)))).tolist()
    [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    >>> y = SkipInitScalar(initial_value=0.5)(np.ones((1, 2)))
    >>> keras.ops.convert_to_numpy(y).tolist()
    [[0.5, 0.5]]

    Args:
        initial_value: Float, the scalar's value at initialization (default
            0, the paper's choice).
        **kwargs: Base layer keyword arguments, such as `name`, `trainable`
            (False fixes the scalar, e.g. at 1 for a residual network without
            normalization) or `dtype`.

    Reference:

    - [De & Smith, 2020](https://arxiv.org/abs/2002.10444)
    """

    weight_name = "alpha"

    @property
    def alpha(self):
        return self.scalar

    def call(self, inputs):
        return inputs * keras.ops.cast(self.scalar, inputs.dtype)


@keras.saving.register_keras_serializable(package="keras_deepinit")
class ScalarBias(_ScalarLayer):
    """Adds one learnable scalar to its input, 0 at initialization.

    Fixup (Zhang et al., 2019) puts one before each convolution and
    activation of a residual branch, in place of normalization's shifts.

    Examples:

    >>> layer = ScalarBias(initial_value=1.5)
    >>> keras.ops.convert_to_numpy(layer(np.zeros((1, 2)))).tolist()
    [[1.5, 1.5]]

    Args:
        initial_value: Float, the scalar's value at initialization.
        **kwargs: Base layer keyword arguments, such as `name` or `dtype`.

    Reference:

    - [Zhang et al., 2019](https://arxiv.org/abs/1901.09321)
    """

    weight_name = "bias"

    def call(self, inputs):
        return inputs + keras.ops.cast(self.scalar, inputs.dtype)
