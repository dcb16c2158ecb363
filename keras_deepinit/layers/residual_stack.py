"""`ResidualStack2D`: thousands of identical residual blocks as one Keras layer."""

import numbers

import keras

from keras_deepinit.checks import check_positive_int
from keras_deepinit.initializers.stacked import initialize_stack
from keras_deepinit.ops.residual_stack import residual_stack

NORMALIZATIONS = ("skipinit", "batchnorm", "none")


@keras.saving.register_keras_serializable(package="keras_deepinit")
class ResidualStack2D(keras.layers.Layer):
    """`num_blocks` pre-activation residual blocks of the input's width.

    Block `i` computes `x + alpha_i * f_i(x)` with the branch
    `f_i = conv(relu(norm(conv(relu(norm(x))))))` of two 3x3 "same"
    convolutions, as in `apply_residual_block` of the Wide-ResNet app. All
    blocks' weights live in stacked variables (`layer.kernel1[i]` is block
    `i`'s first kernel) and one loop runs them
    (`keras_deepinit.ops.residual_stack`), so a network of thousands of
    blocks builds in seconds and trains in time linear in depth, with one
    activation per block kept for the backward pass.

    Examples:

    >>> stack = ResidualStack2D(1000, normalization="skipinit")
    >>> y = stack(keras.random.normal((2, 8, 8, 16)))

    Args:
        num_blocks: number of residual blocks `d`.
        normalization: `"skipinit"` (no normalization; `alpha_i` learnable,
            starting at `alpha_init`), `"batchnorm"` (batch normalization
            before each ReLU, `alpha_i` absent, i.e. 1) or `"none"` (no
            normalization, `alpha_i` fixed at 1: the network De & Smith show
            cannot train deep).
        alpha_init: SkipInit's initial `alpha`: 0 (the paper's) or at most
            `1 / sqrt(num_blocks)`.
        kernel_size: int, the square kernels' size.
        conv_bias: whether the convolutions have biases.
        kernel_initializer: initializer of ONE kernel, applied to each
            (He normal by default).
        momentum: batch normalization's moving-average momentum.
        epsilon: batch normalization's variance epsilon.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Reference:

    - [De & Smith, 2020](https://arxiv.org/abs/2002.10444)
    """

    def __init__(
        self,
        num_blocks,
        normalization="skipinit",
        alpha_init=0.0,
        kernel_size=3,
        conv_bias=True,
        kernel_initializer="he_normal",
        momentum=0.99,
        epsilon=1e-3,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, value in (("num_blocks", num_blocks), ("kernel_size", kernel_size)):
            check_positive_int(name, value)
        if normalization not in NORMALIZATIONS:
            raise ValueError(
                f"Expected normalization to be one of {NORMALIZATIONS}. "
                f"Received: normalization={normalization!r}"
            )
        if isinstance(alpha_init, bool) or not isinstance(alpha_init, numbers.Real):
            raise ValueError(
                f"Expected alpha_init to be a real number. "
                f"Received: alpha_init={alpha_init!r}"
            )
        self.num_blocks = num_blocks
        self.normalization = normalization
        self.alpha_init = float(alpha_init)
        self.kernel_size = kernel_size
        self.conv_bias = bool(conv_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.input_spec = keras.layers.InputSpec(ndim=4)
        # Compiled by JAX only: TensorFlow's loop uses ops XLA lacks (which
        # Keras's "auto" turns on on a GPU), and torch.compile would unroll
        # PyTorch's loop over every layer.
        self.supports_jit = keras.config.backend() == "jax"

    def build(self, input_shape):
        channels = input_shape[-1]
        blocks = self.num_blocks
        kernel_shape = (self.kernel_size, self.kernel_size, channels, channels)
        for index in (1, 2):
            setattr(
                self,
                f"kernel{index}",
                self.add_weight(
                    name=f"kernel{index}",
                    shape=(blocks, *kernel_shape),
                    initializer=lambda shape, dtype=None: initialize_stack(
                        self.kernel_initializer, blocks, kernel_shape, dtype
                    ),
                ),
            )
            if self.conv_bias:
                setattr(
                    self,
                    f"bias{index}",
                    self.add_weight(
                        name=f"bias{index}",
                        shape=(blocks, channels),
                        initializer="zeros",
                    ),
                )
        if self.normalization == "batchnorm":
            shape = (blocks, 2, channels)
            self.gamma = self.add_weight(name="gamma", shape=shape, initializer="ones")
            self.beta = self.add_weight(name="beta", shape=shape, initializer="zeros")
            self.moving_mean = self.add_weight(
                name="moving_mean", shape=shape, initializer="zeros", trainable=False
            )
            self.moving_variance = self.add_weight(
                name="moving_variance", shape=shape, initializer="ones", trainable=False
            )
        else:
            self.alpha = self.add_weight(
                name="alpha",
                shape=(blocks,),
                initializer=keras.initializers.Constant(
                    self.alpha_init if self.normalization == "skipinit" else 1.0
                ),
                trainable=self.normalization == "skipinit",
            )
        self.input_spec = keras.layers.InputSpec(ndim=4, axes={-1: channels})

    def call(self, inputs, training=None):
        training = bool(training)
        names = ["kernel1", "kernel2"]
        if self.conv_bias:
            names += ["bias1", "bias2"]
        if self.normalization == "batchnorm":
            names += ["gamma", "beta"]
            if not training:
                names += ["moving_mean", "moving_variance"]
        else:
            names.append("alpha")
        params = {
            name: keras.ops.cast(getattr(self, name), self.compute_dtype)
            for name in names
        }

        def branch(x, p):
            stats = []

            def normalize(h, index):
                if self.normalization != "batchnorm":
                    return h
                if training:
                    mean, variance = keras.ops.moments(h, axes=(0, 1, 2))
                    stats.extend([mean, variance])
                else:
                    mean = p["moving_mean"][index]
                    variance = p["moving_variance"][index]
                return keras.ops.batch_normalization(
                    h,
                    mean,
                    variance,
                    axis=-1,
                    offset=p["beta"][index],
                    scale=p["gamma"][index],
                    epsilon=self.epsilon,
                )

            h = x
            for index in (0, 1):
                h = keras.ops.relu(normalize(h, index))
                h = keras.ops.conv(h, p[f"kernel{index + 1}"], padding="same")
                if self.conv_bias:
                    h = h + p[f"bias{index + 1}"]
            if self.normalization != "batchnorm":
                h = h * p["alpha"]
            return h, stats

        # Batch normalization in training: the mean and variance of both
        # normalizations of every block.
        stats_specs = ()
        if training and self.normalization == "batchnorm":
            stats_specs = (((inputs.shape[-1],), self.compute_dtype),) * 4
        outputs, stats = residual_stack(
            inputs, params, branch, training=training, stats_specs=stats_specs
        )
        if stats:
            means = keras.ops.stack(stats[0::2], axis=1)
            variances = keras.ops.stack(stats[1::2], axis=1)
            for variable, value in (
                (self.moving_mean, means),
                (self.moving_variance, variances),
            ):
                variable.assign(
                    self.momentum * variable
                    + (1 - self.momentum) * keras.ops.cast(value, variable.dtype)
                )
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "num_blocks": self.num_blocks,
            "normalization": self.normalization,
            "alpha_init": self.alpha_init,
            "kernel_size": self.kernel_size,
            "conv_bias": self.conv_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "momentum": self.momentum,
            "epsilon": self.epsilon,
        }
