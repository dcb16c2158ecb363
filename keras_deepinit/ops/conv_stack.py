"""A stack of same-width convolutions run as one loop, for networks of any depth.

`conv_stack(x, kernels, biases, ...)` applies `depth` layers
`x <- activation(conv(x, kernels[i]) + biases[i])` with kernels stored in one
`(depth, k, k, c, c)` tensor. A Keras graph with one node per layer hits
Python's recursion limit near 1,000 layers and traces in time linear in depth
with a large constant; here the graph holds one loop whatever the depth.

Training uses a custom gradient (TensorFlow): the forward loop keeps each
layer's pre-activation (or, with `recompute=True`, only every
`sqrt(depth)`-th layer's input, recomputing the rest segment by segment), and a
hand-written backward loop computes the input and filter gradients with
`Conv2DBackpropInput`/`Conv2DBackpropFilter`, writing each kernel's gradient
once into a `TensorArray`. Autodiff through a `tf.while_loop` that gathers
kernel `i` would instead add a dense `(depth, ...)` gradient in every
iteration: quadratic in depth. Inference uses a plain forward loop, so the
graph exports as a SavedModel.
"""

import keras
import tensorflow as tf

PADDINGS = ("circular", "zero")


def conv_stack(
    x,
    kernels,
    biases,
    activation="tanh",
    padding="circular",
    training=False,
    recompute=False,
):
    """Applies `depth` convolution layers, `x <- activation(conv(x, K_i) + b_i)`.

    Args:
        x: input of shape `(batch, height, width, channels)`.
        kernels: `(depth, k, k, channels, channels)` kernels, `k` odd or even.
        biases: `(depth, channels)` biases.
        activation: a Keras activation (name or callable).
        padding: `"circular"` (wrap-around; the setting in which orthogonal
            kernels are exact isometries) or `"zero"` (Keras `"same"`).
        training: whether gradients will be taken. False runs a plain
            forward loop that exports as a SavedModel.
        recompute: in training, keep only every `ceil(sqrt(depth))`-th
            activation and recompute the others in the backward pass:
            memory `O(sqrt(depth))` activations for one more forward pass.

    Returns:
        The output, same shape as `x`.
    """
    check_padding(padding)
    activation = keras.activations.get(activation)
    layer = _Layer(activation, padding, kernels.shape[1:3])
    if not training:
        return _forward(layer, x, kernels, biases)
    return _trainable_stack(layer, recompute)(x, kernels, biases)


def check_padding(padding):
    if padding not in PADDINGS:
        raise ValueError(
            f"Expected padding to be one of {PADDINGS}. Received: padding={padding!r}"
        )


class _Layer:
    """One layer's forward and backward computations, as raw TensorFlow ops."""

    def __init__(self, activation, padding, kernel_size):
        self.activation = activation
        self.circular = padding == "circular"
        # Keras "same" padding: (k - 1) // 2 before, k // 2 after.
        self.pads = [((k - 1) // 2, k // 2) for k in kernel_size]

    def pad(self, x):
        if not self.circular:
            return x
        for axis, (before, after) in zip((1, 2), self.pads, strict=True):
            parts = [x]
            if before:
                parts.insert(0, _slice(x, axis, -before, None))
            if after:
                parts.append(_slice(x, axis, None, after))
            x = tf.concat(parts, axis)
        return x

    def unpad(self, gradient):
        """The adjoint of `pad`: wrapped border gradients fold back."""
        if not self.circular:
            return gradient
        for axis, (before, after) in zip((1, 2), self.pads, strict=True):
            size = tf.shape(gradient)[axis] - before - after
            middle = _slice(gradient, axis, before, before + size)
            if before:  # came from the last `before` rows
                middle += _pad_axis(
                    _slice(gradient, axis, 0, before), axis, size - before, 0
                )
            if after:  # came from the first `after` rows
                middle += _pad_axis(
                    _slice(gradient, axis, before + size, None), axis, 0, size - after
                )
            gradient = middle
        return gradient

    @property
    def conv_padding(self):
        return "VALID" if self.circular else "SAME"

    def pre_activation(self, x, kernel, bias):
        z = tf.nn.conv2d(self.pad(x), kernel, 1, self.conv_padding)
        return tf.nn.bias_add(z, bias)

    def backward(self, x, z, kernel, gradient):
        """Gradients w.r.t. the layer's input, kernel and bias."""
        with tf.GradientTape() as tape:
            tape.watch(z)
            y = self.activation(z)
        dz = tape.gradient(y, z, output_gradients=gradient)
        padded = self.pad(x)
        d_kernel = tf.raw_ops.Conv2DBackpropFilter(
            input=padded,
            filter_sizes=tf.shape(kernel),
            out_backprop=dz,
            strides=[1, 1, 1, 1],
            padding=self.conv_padding,
        )
        d_padded = tf.raw_ops.Conv2DBackpropInput(
            input_sizes=tf.shape(padded),
            filter=kernel,
            out_backprop=dz,
            strides=[1, 1, 1, 1],
            padding=self.conv_padding,
        )
        return self.unpad(d_padded), d_kernel, tf.reduce_sum(dz, axis=(0, 1, 2))


def _slice(x, axis, start, stop):
    index = [slice(None)] * 4
    index[axis] = slice(start, stop)
    return x[tuple(index)]


def _pad_axis(x, axis, before, after):
    paddings = [[0, 0]] * 4
    paddings[axis] = [before, after]
    return tf.pad(x, paddings)


def _forward(layer, x, kernels, biases, start=0, stop=None):
    """Runs layers `start..stop-1` (default: all) on `x`."""
    stop = tf.shape(kernels)[0] if stop is None else stop

    def body(i, x):
        return i + 1, layer.activation(layer.pre_activation(x, kernels[i], biases[i]))

    _, x = tf.while_loop(lambda i, x: i < stop, body, (start, x), parallel_iterations=1)
    return x


def _forward_keeping_pre_activations(layer, x, kernels, biases, start, stop):
    """Runs layers `start..stop-1`, returning the output and their pre-activations."""
    pre_activations = tf.TensorArray(x.dtype, size=stop - start, element_shape=x.shape)

    def body(i, x, pre_activations):
        z = layer.pre_activation(x, kernels[i], biases[i])
        return i + 1, layer.activation(z), pre_activations.write(i - start, z)

    _, x, pre_activations = tf.while_loop(
        lambda i, *_: i < stop, body, (start, x, pre_activations), parallel_iterations=1
    )
    return x, pre_activations


def _trainable_stack(layer, recompute):
    @tf.custom_gradient
    def stack(x, kernels, biases):
        depth = tf.shape(kernels)[0]
        if recompute:
            segment = tf.cast(tf.math.ceil(tf.sqrt(tf.cast(depth, "float32"))), "int32")
            starts, y = _forward_keeping_segment_inputs(
                layer, x, kernels, biases, segment
            )
        else:
            y, pre_activations = _forward_keeping_pre_activations(
                layer, x, kernels, biases, 0, depth
            )

        def grad(dy):
            d_kernels = tf.TensorArray(
                kernels.dtype, size=depth, element_shape=kernels.shape[1:]
            )
            d_biases = tf.TensorArray(
                biases.dtype, size=depth, element_shape=biases.shape[1:]
            )
            if not recompute:
                dx, d_kernels, d_biases = _backward_layers(
                    layer, x, pre_activations, kernels, 0, dy, d_kernels, d_biases
                )
                return dx, d_kernels.stack(), d_biases.stack()

            def segment_body(j, dy, d_kernels, d_biases):
                start = j * segment
                stop = tf.minimum(start + segment, depth)
                segment_input = starts.read(j)
                _, segment_pre_activations = _forward_keeping_pre_activations(
                    layer, segment_input, kernels, biases, start, stop
                )
                return (
                    j - 1,
                    *_backward_layers(
                        layer,
                        segment_input,
                        segment_pre_activations,
                        kernels,
                        start,
                        dy,
                        d_kernels,
                        d_biases,
                    ),
                )

            _, dx, d_kernels, d_biases = tf.while_loop(
                lambda j, *_: j >= 0,
                segment_body,
                (starts.size() - 1, dy, d_kernels, d_biases),
                parallel_iterations=1,
            )
            return dx, d_kernels.stack(), d_biases.stack()

        return y, grad

    return stack


def _forward_keeping_segment_inputs(layer, x, kernels, biases, segment):
    """The forward loop, keeping the input of every `segment`-th layer."""
    depth = tf.shape(kernels)[0]
    count = (depth + segment - 1) // segment
    starts = tf.TensorArray(x.dtype, size=count, element_shape=x.shape)

    def body(j, x, starts):
        starts = starts.write(j, x)
        stop = tf.minimum((j + 1) * segment, depth)
        return j + 1, _forward(layer, x, kernels, biases, j * segment, stop), starts

    _, y, starts = tf.while_loop(
        lambda j, *_: j < count, body, (0, x, starts), parallel_iterations=1
    )
    return starts, y


def _backward_layers(
    layer, x, pre_activations, kernels, offset, dy, d_kernels, d_biases
):
    """Backpropagates `dy` through the layers whose pre-activations are given.

    `x` is the input of the first of them, layer `offset` of the stack. Each
    pre-activation is read once, then carried to the next (earlier) layer.
    """
    size = pre_activations.size()

    def body(i, z, dy, d_kernels, d_biases):
        z_before = pre_activations.read(i - 1)
        dx, d_kernel, d_bias = layer.backward(
            layer.activation(z_before), z, kernels[offset + i], dy
        )
        return (
            i - 1,
            z_before,
            dx,
            d_kernels.write(offset + i, d_kernel),
            d_biases.write(offset + i, d_bias),
        )

    _, z, dy, d_kernels, d_biases = tf.while_loop(
        lambda i, *_: i > 0,
        body,
        (size - 1, pre_activations.read(size - 1), dy, d_kernels, d_biases),
        parallel_iterations=1,
    )
    dx, d_kernel, d_bias = layer.backward(x, z, kernels[offset], dy)
    return dx, d_kernels.write(offset, d_kernel), d_biases.write(offset, d_bias)
