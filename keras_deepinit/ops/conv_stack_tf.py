"""`conv_stack` on TensorFlow: the CPU workhorse (see `keras_deepinit.ops.conv_stack`).

Training uses a custom gradient: the forward loop keeps each
layer's output (its pre-activation for activations whose derivative cannot be
read off the output), or, with `recompute=True`, only every `sqrt(depth)`-th
layer's input, recomputing the rest segment by segment. A hand-written
backward loop computes the input and filter gradients, writing each kernel's
gradient into its slice of one tensor, in place (`keras_deepinit.ops.inplace`):
the stack's gradients exist once, not also as `TensorArray`s of slices.
Autodiff through a `tf.while_loop` that gathers kernel `i` would instead add
a dense `(depth, ...)` gradient in every iteration: quadratic in depth.
Inference uses a plain forward loop, so the graph exports as a SavedModel.

Speed. At the paper's sizes (16 channels, 7x7 maps) one convolution is too
small for a CPU's threads to share, so the batch can be split into `shards`
run side by side: with TensorFlow set to one thread per op (see
`one_thread_per_op`), each core runs its own shard's convolutions, and the
shards' kernel gradients are summed once per block of layers. The loops run
`UNROLL` layers per iteration: an iteration's own ops (and one slice of the
kernels per block) would otherwise cost about as much as a convolution. Circular
padding is one `gather` per layer forward and one backward: the input
gradient is the circular convolution of the padded output gradient with the
flipped, transposed kernel, and the filter gradient is read off the same
padded tensor.
"""

import os

import keras
import numpy as np
import tensorflow as tf

from keras_deepinit.ops import inplace

# Layers per iteration of the loops over layers.
UNROLL = 8


def conv_stack(x, kernels, biases, activation, padding, training, recompute, shards):
    """`keras_deepinit.ops.conv_stack.conv_stack`, arguments checked."""
    layer = _Layer(activation, padding, kernels.shape[1:3], x.shape[1:3])
    if shards == 1:
        xs = [x]
    else:
        # A batch smaller than the shards (one image to serve) gets rows of
        # zeros, dropped after: their outputs take no part in the loss, so
        # they add nothing to the gradients.
        batch = tf.shape(x)[0]
        rows = tf.maximum(shards - batch, 0)
        xs = _split(tf.pad(x, [[0, rows], [0, 0], [0, 0], [0, 0]]), shards)
    if training:
        ys = _trainable_stack(layer, recompute, shards)(*xs, kernels, biases)
    else:
        ys = _forward(layer, xs, kernels, biases)
    return ys[0] if shards == 1 else tf.concat(ys, axis=0)[:batch]


def default_shards():
    """Batch shards for `conv_stack`: one per inter-op thread on a CPU set to
    one thread per op (`one_thread_per_op`), else 1."""
    if tf.config.list_logical_devices("GPU"):
        return 1
    if tf.config.threading.get_intra_op_parallelism_threads() != 1:
        return 1
    return tf.config.threading.get_inter_op_parallelism_threads() or os.cpu_count()


def one_thread_per_op():
    """`keras_deepinit.ops.conv_stack.one_thread_per_op` on TensorFlow."""
    if tf.config.list_physical_devices("GPU"):
        return False
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
    except RuntimeError as error:
        raise RuntimeError(
            "one_thread_per_op() must run before TensorFlow runs its first op."
        ) from error
    return True


def _split(x, shards):
    batch = tf.shape(x)[0]
    sizes = [(batch + shards - 1 - i) // shards for i in range(shards)]
    return tf.split(x, tf.stack(sizes), num=shards, axis=0)


# Activations whose derivative is a function of their output: the forward loop
# keeps outputs and the backward loop needs no recomputation.
_GRADIENTS_FROM_OUTPUT = {
    keras.activations.tanh: lambda y, dy: tf.raw_ops.TanhGrad(y=y, dy=dy),
    keras.activations.sigmoid: lambda y, dy: tf.raw_ops.SigmoidGrad(y=y, dy=dy),
    keras.activations.relu: lambda y, dy: tf.raw_ops.ReluGrad(gradients=dy, features=y),
    keras.activations.linear: lambda y, dy: dy,
}


class _Layer:
    """One layer's forward and backward computations on a list of batch shards.

    The forward loop stores, per layer, `kept`: the output if the activation's
    derivative can be read off it, else the pre-activation.
    """

    def __init__(self, activation, padding, kernel_size, map_size):
        self.activation = keras.activations.get(activation)
        self.gradient_from_output = _GRADIENTS_FROM_OUTPUT.get(self.activation)
        self.circular = padding == "circular"
        if self.circular:
            if None in tuple(map_size):
                raise ValueError(
                    "Circular padding needs the height and width when tracing. "
                    f"Received: input spatial shape {tuple(map_size)}"
                )
            # Keras "same" padding: (k - 1) // 2 before, k // 2 after. The
            # input gradient's convolution pads the other way round.
            pads = [((k - 1) // 2, k // 2) for k in kernel_size]
            self.forward_index = _circular_index(map_size, pads)
            self.backward_index = _circular_index(map_size, [p[::-1] for p in pads])

    def forward(self, xs, kernel, bias):
        """The layer's outputs and what to keep for the backward pass."""
        ys, kept = [], []
        for x in xs:
            if self.circular:
                z = tf.nn.conv2d(_gather(x, self.forward_index), kernel, 1, "VALID")
            else:
                z = tf.nn.conv2d(x, kernel, 1, "SAME")
            z = tf.nn.bias_add(z, bias)
            ys.append(self.activation(z))
            kept.append(ys[-1] if self.gradient_from_output else z)
        return ys, kept

    def input_of_next(self, kept):
        """The next layer's input from what this layer kept."""
        if self.gradient_from_output:
            return kept
        return [self.activation(z) for z in kept]

    def pre_activation_gradient(self, kept, dy):
        if self.gradient_from_output:
            return self.gradient_from_output(kept, dy)
        with tf.GradientTape() as tape:
            tape.watch(kept)
            y = self.activation(kept)
        return tape.gradient(y, kept, output_gradients=dy)

    def backward(self, xs, kept, kernel, dys):
        """Gradients w.r.t. the layer's input, kernel and bias, per shard."""
        dxs, d_kernels, d_biases = [], [], []
        for x, k, dy in zip(xs, kept, dys, strict=True):
            dz = self.pre_activation_gradient(k, dy)
            if self.circular:
                padded = _gather(dz, self.backward_index)
                dxs.append(tf.nn.conv2d(padded, _flip(kernel), 1, "VALID"))
                d_kernel = _flip(
                    tf.raw_ops.Conv2DBackpropFilter(
                        input=padded,
                        filter_sizes=tf.shape(kernel),
                        out_backprop=x,
                        strides=[1, 1, 1, 1],
                        padding="VALID",
                    )
                )
            else:
                dxs.append(
                    tf.raw_ops.Conv2DBackpropInput(
                        input_sizes=tf.shape(x),
                        filter=kernel,
                        out_backprop=dz,
                        strides=[1, 1, 1, 1],
                        padding="SAME",
                    )
                )
                d_kernel = tf.raw_ops.Conv2DBackpropFilter(
                    input=x,
                    filter_sizes=tf.shape(kernel),
                    out_backprop=dz,
                    strides=[1, 1, 1, 1],
                    padding="SAME",
                )
            d_kernels.append(d_kernel)
            d_biases.append(tf.reduce_sum(dz, axis=(0, 1, 2)))
        return dxs, d_kernels, d_biases


def _circular_index(map_size, pads):
    """Flat source positions of a circularly padded `map_size` map."""
    (height, width), ((top, bottom), (left, right)) = map_size, pads
    rows = np.arange(-top, height + bottom) % height
    columns = np.arange(-left, width + right) % width
    return (rows[:, None] * width + columns[None, :]).astype("int32")


def _gather(x, index):
    """Pads `x` circularly: one gather of its flattened map."""
    _, height, width, channels = x.shape
    flat = tf.reshape(x, (-1, height * width, channels))
    return tf.gather(flat, index, axis=1)


def _flip(kernel):
    """The kernel of the adjoint convolution: spatially flipped, in/out swapped."""
    return tf.transpose(tf.reverse(kernel, axis=(0, 1)), (0, 1, 3, 2))


def _layer_loop(start, stop, run_layers, state, reverse=False, parallel_iterations=1):
    """Runs layers `start..stop-1` in blocks, in descending order if `reverse`.

    `state = run_layers(first, count, state)` runs layers `first` to
    `first + count - 1`; `count` is `UNROLL`, then 1 for the layers left
    over. A loop iteration's own ops cost about as much as a small
    convolution, hence several layers per iteration.
    """
    blocks = (stop - start) // UNROLL
    split = stop - blocks * UNROLL if reverse else start + blocks * UNROLL

    def loop(low, high, count, state):
        def body(j, state):
            first = high - (j + 1) * count if reverse else low + j * count
            return j + 1, run_layers(first, count, state)

        return tf.while_loop(
            lambda j, _: j < (high - low) // count,
            body,
            (0, state),
            parallel_iterations=parallel_iterations,
        )[1]

    if reverse:
        return loop(start, split, 1, loop(split, stop, UNROLL, state))
    return loop(split, stop, 1, loop(start, split, UNROLL, state))


def _rows(tensor, first, count):
    """`tensor[first:first + count]` as a list of `count` tensors."""
    return tf.unstack(tensor[first : first + count], num=count)


def _forward(layer, xs, kernels, biases, start=0, stop=None):
    """Runs layers `start..stop-1` (default: all) on the shards `xs`."""
    stop = tf.shape(kernels)[0] if stop is None else stop

    def run_layers(first, count, xs):
        for kernel, bias in zip(
            _rows(kernels, first, count), _rows(biases, first, count), strict=True
        ):
            xs = layer.forward(xs, kernel, bias)[0]
        return xs

    return _layer_loop(start, stop, run_layers, xs)


def _tensor_arrays(like, size):
    # Each kept tensor is read twice: for its own layer and the next one's.
    return [
        tf.TensorArray(
            x.dtype, size=size, element_shape=x.shape, clear_after_read=False
        )
        for x in like
    ]


def _forward_keeping(layer, xs, kernels, biases, start, stop):
    """Runs layers `start..stop-1`, returning the outputs and what each kept.

    The kept tensors are written after the inputs `xs`: layer `start + i`
    kept its at index `i + 1`, so that index `i` holds or gives its input.
    """

    def run_layers(first, count, state):
        xs, kept = state
        layers = zip(
            _rows(kernels, first, count), _rows(biases, first, count), strict=True
        )
        for u, (kernel, bias) in enumerate(layers):
            xs, layer_kept = layer.forward(xs, kernel, bias)
            index = first - start + u + 1
            kept = [ta.write(index, k) for ta, k in zip(kept, layer_kept, strict=True)]
        return xs, kept

    kept = _tensor_arrays(xs, stop - start + 1)
    kept = [ta.write(0, x) for ta, x in zip(kept, xs, strict=True)]
    return _layer_loop(start, stop, run_layers, (xs, kept))


def _trainable_stack(layer, recompute, shards):
    @tf.custom_gradient
    def stack(*args):
        xs, kernels, biases = list(args[:shards]), args[shards], args[shards + 1]
        depth = tf.shape(kernels)[0]
        if recompute:
            segment = tf.cast(tf.math.ceil(tf.sqrt(tf.cast(depth, "float32"))), "int32")
            starts, ys = _forward_keeping_segment_inputs(
                layer, xs, kernels, biases, segment
            )
        else:
            ys, kept = _forward_keeping(layer, xs, kernels, biases, 0, depth)

        def grad(*dys):
            dys = list(dys)
            # Filled in place, one layer per backward iteration.
            d_kernels = inplace.new_buffer(tf.shape(kernels), kernels.dtype)
            d_biases = inplace.new_buffer(tf.shape(biases), biases.dtype)
            if not recompute:
                dxs, d_kernels, d_biases = _backward_layers(
                    layer, kept, kernels, 0, dys, d_kernels, d_biases
                )
                return (*dxs, d_kernels, d_biases)

            def segment_body(j, dys, d_kernels, d_biases):
                start = j * segment
                stop = tf.minimum(start + segment, depth)
                segment_inputs = [ta.read(j) for ta in starts]
                _, segment_kept = _forward_keeping(
                    layer, segment_inputs, kernels, biases, start, stop
                )
                return (
                    j - 1,
                    *_backward_layers(
                        layer,
                        segment_kept,
                        kernels,
                        start,
                        dys,
                        d_kernels,
                        d_biases,
                    ),
                )

            _, dxs, d_kernels, d_biases = tf.while_loop(
                lambda j, *_: j >= 0,
                segment_body,
                (starts[0].size() - 1, dys, d_kernels, d_biases),
                parallel_iterations=1,
            )
            return (*dxs, d_kernels, d_biases)

        return ys, grad

    return stack


def _sum_shards(per_layer):
    """`per_layer[u][s]` summed over shards `s`, stacked over layers `u`."""
    return tf.add_n([tf.stack(shard) for shard in zip(*per_layer, strict=True)])


def _forward_keeping_segment_inputs(layer, xs, kernels, biases, segment):
    """The forward loop, keeping the input of every `segment`-th layer."""
    depth = tf.shape(kernels)[0]
    count = (depth + segment - 1) // segment

    def body(j, xs, starts):
        starts = [ta.write(j, x) for ta, x in zip(starts, xs, strict=True)]
        stop = tf.minimum((j + 1) * segment, depth)
        return j + 1, _forward(layer, xs, kernels, biases, j * segment, stop), starts

    _, ys, starts = tf.while_loop(
        lambda j, *_: j < count,
        body,
        (0, xs, _tensor_arrays(xs, count)),
        parallel_iterations=1,
    )
    return starts, ys


def _backward_layers(layer, kept, kernels, offset, dys, d_kernels, d_biases):
    """Backpropagates `dys` through the layers whose kept tensors are given.

    `kept` is what `_forward_keeping` returned for layers `offset...` of the
    stack. Iterations may overlap: one layer's filter gradient with the next
    one's input gradient.
    """

    def inputs(stored, i):
        """Layer `i`'s input shards from what index `i` of `kept` holds."""
        if layer.gradient_from_output:
            return stored
        # Index 0 holds the first layer's input itself, not a pre-activation.
        return tf.cond(i > 0, lambda: layer.input_of_next(stored), lambda: stored)

    def run_layers(first, count, state):
        dys, d_kernels, d_biases = state
        layer_kernels = _rows(kernels, offset + first, count)
        # Index i of `kept` holds what layer i - 1 kept, which gives layer
        # i's input: read once for both layers.
        stored = [[ta.read(first + u) for ta in kept] for u in range(count + 1)]
        block_d_kernels, block_d_biases = [None] * count, [None] * count
        for u in reversed(range(count)):
            dys, block_d_kernels[u], block_d_biases[u] = layer.backward(
                inputs(stored[u], first + u), stored[u + 1], layer_kernels[u], dys
            )
        # Summed over shards once per block, not once per layer: fewer ops.
        return (
            dys,
            inplace.write_rows(d_kernels, offset + first, _sum_shards(block_d_kernels)),
            inplace.write_rows(d_biases, offset + first, _sum_shards(block_d_biases)),
        )

    return _layer_loop(
        0,
        kept[0].size() - 1,
        run_layers,
        (dys, d_kernels, d_biases),
        reverse=True,
        parallel_iterations=2,
    )
