"""`ConvStack2D`: thousands of same-width convolutions as one Keras layer."""

import keras

from keras_deepinit.checks import check_positive_int
from keras_deepinit.initializers import DeltaOrthogonal
from keras_deepinit.initializers.stacked import initialize_stack
from keras_deepinit.ops.conv_stack import check_padding
from keras_deepinit.ops.conv_stack import check_shards
from keras_deepinit.ops.conv_stack import conv_stack


@keras.saving.register_keras_serializable(package="keras_deepinit")
class ConvStack2D(keras.layers.Layer):
    """A stack of `depth` convolutions of the input's width, as one layer.

    Applies `x <- activation(conv(x, kernel[i]) + bias[i])` for
    `i = 0 .. depth - 1`, the body of the vanilla CNNs of Xiao et al. (2018).
    All kernels live in one `(depth, k, k, c, c)` variable (`layer.kernel[i]`
    is layer `i`'s kernel) and one loop runs them on each Keras backend (see
    `keras_deepinit.ops.conv_stack`), so the model graph stays small, cost
    grows linearly with depth, and 10,000 layers build, train, save and
    export like any Keras layer.

    Examples:

    >>> from keras_deepinit.initializers import critical_initializers
    >>> kernel_init, bias_init = critical_initializers("tanh", sigma_b2=2.01e-5)
    >>> stack = ConvStack2D(
    ...     10_000, kernel_initializer=kernel_init, bias_initializer=bias_init
    ... )
    >>> y = stack(keras.random.normal((2, 7, 7, 16)))

    Args:
        depth: number of convolution layers.
        kernel_size: int, the square kernel's size (odd or even).
        activation: Keras activation after every convolution.
        padding: `"circular"` (wrap-around, the exact-isometry setting) or
            `"zero"` (Keras's `"same"`).
        kernel_initializer: initializer of ONE layer's kernel, applied to each
            layer (`DeltaOrthogonal()` by default); stacks are drawn in one
            call where possible (`keras_deepinit.initializers.stacked`).
        bias_initializer: initializer of the `(depth, channels)` biases.
        recompute: keep only every `sqrt(depth)`-th activation in training and
            recompute the others in the backward pass, for memory that does
            not grow linearly with depth beyond the parameters.
        shards: TensorFlow only (ignored on JAX and PyTorch): split the
            batch into this many parts run side by side (one per core pays
            on a CPU set up by `keras_deepinit.ops.one_thread_per_op()`);
            None decides when called
            (`keras_deepinit.ops.conv_stack.default_shards`).
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Reference:

    - [Xiao et al., 2018](https://arxiv.org/abs/1806.05393)
    """

    def __init__(
        self,
        depth,
        kernel_size=3,
        activation="tanh",
        padding="circular",
        kernel_initializer=None,
        bias_initializer="zeros",
        recompute=False,
        shards=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, value in (("depth", depth), ("kernel_size", kernel_size)):
            check_positive_int(name, value)
        check_padding(padding)
        if shards is not None:
            check_shards(shards)
        self.depth = depth
        self.kernel_size = kernel_size
        self.activation = keras.activations.get(activation)
        self.padding = padding
        self.kernel_initializer = keras.initializers.get(
            kernel_initializer or DeltaOrthogonal()
        )
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.recompute = bool(recompute)
        self.shards = shards
        self.input_spec = keras.layers.InputSpec(ndim=4)
        # Compiled by JAX only: TensorFlow's loop uses ops XLA lacks (which
        # Keras's "auto" turns on on a GPU), and torch.compile would unroll
        # PyTorch's loop over every layer.
        self.supports_jit = keras.config.backend() == "jax"

    def build(self, input_shape):
        channels = input_shape[-1]
        kernel_shape = (self.kernel_size, self.kernel_size, channels, channels)
        self.kernel = self.add_weight(
            name="kernel",
            shape=(self.depth, *kernel_shape),
            initializer=lambda shape, dtype=None: initialize_stack(
                self.kernel_initializer, self.depth, kernel_shape, dtype
            ),
        )
        self.bias = self.add_weight(
            name="bias", shape=(self.depth, channels), initializer=self.bias_initializer
        )
        self.input_spec = keras.layers.InputSpec(ndim=4, axes={-1: channels})

    def call(self, inputs, training=None):
        return conv_stack(
            inputs,
            keras.ops.cast(self.kernel, self.compute_dtype),
            keras.ops.cast(self.bias, self.compute_dtype),
            activation=self.activation,
            padding=self.padding,
            training=bool(training),
            recompute=self.recompute,
            shards=self.shards,
        )

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "depth": self.depth,
            "kernel_size": self.kernel_size,
            "activation": keras.activations.serialize(self.activation),
            "padding": self.padding,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "recompute": self.recompute,
            "shards": self.shards,
        }
