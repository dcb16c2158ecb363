"""Dense and convolution layers whose kernel is orthogonalized (OWN, ONI)."""

import math
import numbers

import keras
import tensorflow as tf

from keras_deepinit.checks import check_positive_int
from keras_deepinit.ops.own import METHODS
from keras_deepinit.ops.own import check_epsilon
from keras_deepinit.ops.own import orthogonalize
from keras_deepinit.ops.own import resolve_group_size


class _OrthogonalLayer(keras.layers.Layer):
    """Holds the free weight `v`, in the Keras kernel shape, and its `W`.

    Training computes `W` from `v` on every call (gradients flow through the
    orthogonalization) and caches it in the non-trainable weight `kernel`,
    with the `v` it came from in `kernel_source`. Inference uses the cached
    `kernel` directly, recomputing it only when `v` differs from its source
    (after an optimizer step, or `v.assign`): one comparison per call, no
    eigendecomposition. Saved models and SavedModel exports carry the cache.
    """

    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
        group_size=None,
        epsilon=1e-5,
        method="eig",
        iterations=5,
        learnable_scale=False,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = check_positive_int(self._units_name, units)
        if group_size is not None:
            check_positive_int("group_size", group_size)
        epsilon = check_epsilon(epsilon)
        if method not in METHODS:
            raise ValueError(
                f"Expected method to be one of {METHODS}. Received: method={method!r}"
            )
        self.activation = keras.activations.get(activation)
        self.use_bias = bool(use_bias)
        self.group_size = group_size
        self.epsilon = float(epsilon)
        self.method = method
        self.iterations = check_positive_int("iterations", iterations)
        self.learnable_scale = bool(learnable_scale)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)

    def _build_weights(self, kernel_shape):
        resolve_group_size(self.units, math.prod(kernel_shape[:-1]), self.group_size)
        self.v = self.add_weight(
            name="v",
            shape=kernel_shape,
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
        )
        # The cache of W. A NaN source differs from any v: the first
        # inference call computes W.
        for name, initializer in (("kernel", "zeros"), ("kernel_source", _nan)):
            setattr(
                self,
                name,
                self.add_weight(
                    name=name,
                    shape=kernel_shape,
                    initializer=initializer,
                    trainable=False,
                    aggregation="only_first_replica",
                ),
            )
        self.scale = None
        if self.learnable_scale:
            self.scale = self.add_weight(
                name="scale", shape=(self.units,), initializer="ones"
            )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(self.units,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
            )

    def orthogonal_kernel(self):
        """`W`, orthogonalized from `v`, in the Keras kernel shape of `v`.

        Without the learnable scale, which multiplies the last axis (one
        factor per output unit) when the layer runs.
        """
        shape = tuple(self.v.shape)
        matrix = keras.ops.transpose(keras.ops.reshape(self.v, (-1, self.units)))
        w = orthogonalize(
            matrix,
            group_size=self.group_size,
            epsilon=self.epsilon,
            method=self.method,
            iterations=self.iterations,
        )
        return keras.ops.reshape(keras.ops.transpose(w), shape)

    def _kernel(self, training):
        if training:
            kernel = self._refresh_cache()
        else:
            stale = keras.ops.any(keras.ops.not_equal(self.v, self.kernel_source))
            kernel = tf.cond(
                stale, self._refresh_cache, lambda: tf.identity(self.kernel)
            )
        if self.scale is not None:
            kernel = kernel * self.scale
        return keras.ops.cast(kernel, self.compute_dtype)

    def _refresh_cache(self):
        kernel = self.orthogonal_kernel()
        self.kernel.assign(keras.ops.stop_gradient(kernel))
        self.kernel_source.assign(self.v)
        return kernel

    def _finish(self, outputs, bias_shape):
        if self.bias is not None:
            bias = keras.ops.cast(self.bias, self.compute_dtype)
            outputs = outputs + keras.ops.reshape(bias, bias_shape)
        return self.activation(outputs)

    def get_config(self):
        return {
            **super().get_config(),
            self._units_name: self.units,
            "activation": keras.activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "group_size": self.group_size,
            "epsilon": self.epsilon,
            "method": self.method,
            "iterations": self.iterations,
            "learnable_scale": self.learnable_scale,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
        }


@keras.saving.register_keras_serializable(package="keras_deepinit")
class OrthogonalDense(_OrthogonalLayer):
    """A dense layer whose kernel has orthonormal, zero-mean rows (OWN, ONI).

    The layer trains a free matrix `v`, of the shape `(input_dim, units)` of a
    Dense kernel, and computes `y = activation(x @ W^T + bias)` from `W =
    keras_deepinit.ops.orthogonalize(v^T)`: the rows of `W`, one per unit,
    are centred and orthonormal within each group of `group_size` units. In
    training and inference alike (and in exported SavedModels), `W` is
    computed from `v` on every call, so gradient steps move `v` freely and
    `W` stays orthogonal.

    Examples:

    >>> layer = OrthogonalDense(3, epsilon=0.0)
    >>> y = layer(np.ones((2, 5)))
    >>> w = keras.ops.convert_to_numpy(layer.orthogonal_kernel())
    >>> bool(np.allclose(w.T @ w, np.eye(3), atol=1e-5))
    True

    Args:
        units: Positive int, the number of output units (rows of `W`).
        activation: Keras activation applied to the output (none by default).
        use_bias: Bool, whether to add a learnable bias.
        group_size: Positive int, the number of units orthogonalized together;
            it must divide `units` and be at most `input_dim - 1`. `None`
            takes the largest valid size, one group when
            `units <= input_dim - 1`.
        epsilon: Float >= 0, the regularizer of `S^(-1/2)`, relative to the
            mean eigenvalue (see `keras_deepinit.ops.orthogonalize`).
        method: `"eig"` (OWN, exactly orthogonal) or `"newton"` (ONI,
            orthogonal as `iterations` grows).
        iterations: Positive int, Newton iterations for `"newton"`.
        learnable_scale: Bool, whether to learn one scale per unit, initially
            1, that multiplies the rows of `W`.
        kernel_initializer: Initializer of `v`.
        bias_initializer: Initializer of the bias.
        kernel_regularizer: Regularizer of `v`.
        bias_regularizer: Regularizer of the bias.
        **kwargs: Base layer keyword arguments, such as `name` or `dtype`.

    Reference:

    - [Huang et al., 2018](https://arxiv.org/abs/1709.06079)
    - [Huang et al., 2020](https://arxiv.org/abs/2004.00917)
    """

    _units_name = "units"

    def __init__(self, units, **kwargs):
        super().__init__(units, **kwargs)
        self.input_spec = keras.layers.InputSpec(min_ndim=2)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        self._build_weights((input_dim, self.units))
        self.input_spec = keras.layers.InputSpec(min_ndim=2, axes={-1: input_dim})

    def call(self, inputs, training=None):
        kernel = self._kernel(training)
        return self._finish(keras.ops.matmul(inputs, kernel), (self.units,))

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)


class _OrthogonalConv(_OrthogonalLayer):
    """A convolution over `rank` spatial axes with an orthogonalized kernel."""

    rank = None
    _units_name = "filters"

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        **kwargs,
    ):
        super().__init__(filters, **kwargs)
        self.kernel_size = _tuple("kernel_size", kernel_size, self.rank)
        self.strides = _tuple("strides", strides, self.rank)
        self.dilation_rate = _tuple("dilation_rate", dilation_rate, self.rank)
        if self.strides != (1,) * self.rank and self.dilation_rate != (1,) * self.rank:
            raise ValueError(
                "Expected strides or dilation_rate to be 1. Received: "
                f"strides={strides!r}, dilation_rate={dilation_rate!r}"
            )
        padding = padding.lower() if isinstance(padding, str) else padding
        if padding not in ("valid", "same"):
            raise ValueError(
                'Expected padding to be "valid" or "same". '
                f"Received: padding={padding!r}"
            )
        self.padding = padding
        self.data_format = data_format or keras.config.image_data_format()
        if self.data_format not in ("channels_last", "channels_first"):
            raise ValueError(
                'Expected data_format to be "channels_last" or "channels_first". '
                f"Received: data_format={data_format!r}"
            )
        self.input_spec = keras.layers.InputSpec(ndim=self.rank + 2)

    @property
    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def build(self, input_shape):
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise ValueError(
                "Expected the channel axis of the input to be defined. "
                f"Received: input_shape={input_shape}"
            )
        self._build_weights((*self.kernel_size, channels, self.filters))
        self.input_spec = keras.layers.InputSpec(
            ndim=self.rank + 2, axes={self._channel_axis: channels}
        )

    @property
    def filters(self):
        return self.units

    def call(self, inputs, training=None):
        outputs = keras.ops.conv(
            inputs,
            self._kernel(training),
            strides=self.strides,
            padding=self.padding,
            data_format=self.data_format,
            dilation_rate=self.dilation_rate,
        )
        if self.data_format == "channels_last":
            return self._finish(outputs, (self.filters,))
        return self._finish(outputs, (self.filters,) + (1,) * self.rank)

    def compute_output_shape(self, input_shape):
        first = self.data_format == "channels_first"
        spatial = input_shape[2:] if first else input_shape[1:-1]
        sizes = []
        for size, k, stride, rate in zip(
            spatial, self.kernel_size, self.strides, self.dilation_rate, strict=True
        ):
            if size is None:
                sizes.append(None)
            elif self.padding == "same":
                sizes.append(-(-size // stride))
            else:
                sizes.append((size - rate * (k - 1) - 1) // stride + 1)
        if first:
            return (input_shape[0], self.filters, *sizes)
        return (input_shape[0], *sizes, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
        }


_CONV_DOC = """A {rank}D convolution whose kernel is orthogonalized (OWN, ONI).

    The layer trains a free kernel `v`, of the shape
    `(*kernel_size, in_channels, filters)` of a Keras `Conv{rank}D` kernel, and
    convolves with `W`: `v` read as a `filters x (prod(kernel_size) *
    in_channels)` matrix, one row per filter, orthogonalized by
    `keras_deepinit.ops.orthogonalize` and reshaped back. Each filter is then
    centred, and the filters of a group are orthonormal as vectors. `W` is
    computed from `v` on every call, in training and inference alike.

    Examples:

    >>> layer = {name}(8, {example_kernel})
    >>> y = layer(np.ones({example_input}))
    >>> tuple(layer.orthogonal_kernel().shape)
    {example_shape}

    Args:
        filters: Positive int, the number of output channels (rows of `W`).
        kernel_size: Int or tuple of {rank} ints.
        strides: Int or tuple of {rank} ints.
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` or `"channels_first"`; defaults to
            `keras.config.image_data_format()`.
        dilation_rate: Int or tuple of {rank} ints.
        activation: Keras activation applied to the output (none by default).
        use_bias: Bool, whether to add a learnable bias.
        group_size: Positive int, the number of filters orthogonalized
            together; it must divide `filters` and be at most
            `prod(kernel_size) * in_channels - 1`. `None` takes the largest
            valid size.
        epsilon: Float >= 0, the regularizer of `S^(-1/2)`, relative to the
            mean eigenvalue (see `keras_deepinit.ops.orthogonalize`).
        method: `"eig"` (OWN, exactly orthogonal) or `"newton"` (ONI,
            orthogonal as `iterations` grows).
        iterations: Positive int, Newton iterations for `"newton"`.
        learnable_scale: Bool, whether to learn one scale per filter,
            initially 1, that multiplies the filters of `W`.
        kernel_initializer: Initializer of `v`.
        bias_initializer: Initializer of the bias.
        kernel_regularizer: Regularizer of `v`.
        bias_regularizer: Regularizer of the bias.
        **kwargs: Base layer keyword arguments, such as `name` or `dtype`.

    Reference:

    - [Huang et al., 2018](https://arxiv.org/abs/1709.06079)
    - [Huang et al., 2020](https://arxiv.org/abs/2004.00917)
    """


@keras.saving.register_keras_serializable(package="keras_deepinit")
class OrthogonalConv1D(_OrthogonalConv):
    __doc__ = _CONV_DOC.format(
        rank=1,
        name="OrthogonalConv1D",
        example_kernel="3",
        example_input="(2, 10, 4)",
        example_shape="(3, 4, 8)",
    )
    rank = 1


@keras.saving.register_keras_serializable(package="keras_deepinit")
class OrthogonalConv2D(_OrthogonalConv):
    __doc__ = _CONV_DOC.format(
        rank=2,
        name="OrthogonalConv2D",
        example_kernel="3",
        example_input="(2, 7, 7, 4)",
        example_shape="(3, 3, 4, 8)",
    )
    rank = 2


def _tuple(name, value, rank):
    values = (value,) * rank if isinstance(value, numbers.Integral) else value
    if (
        not isinstance(values, (tuple, list))
        or len(values) != rank
        or any(
            isinstance(x, bool) or not isinstance(x, numbers.Integral) or x < 1
            for x in values
        )
    ):
        raise ValueError(
            f"Expected {name} to be a positive int or a tuple of {rank} of them. "
            f"Received: {name}={value!r}"
        )
    return tuple(int(x) for x in values)


def _nan(shape, dtype=None):
    return keras.ops.full(shape, float("nan"), dtype=dtype)
