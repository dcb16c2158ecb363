"""Training without backpropagation across blocks: the HSIC bottleneck."""

import keras

from keras_deepinit.losses.hsic import HSICLoss
from keras_deepinit.metrics.unformatted import UnformattedAccuracy


@keras.saving.register_keras_serializable(package="keras_deepinit")
class HSICTrainer(keras.Model):
    """A network of blocks, each trained on its own HSIC bottleneck objective.

    `fit` updates block `i` from `nHSIC(Z_i, X) - beta nHSIC(Z_i, Y)` alone:
    each block sees its predecessor's output with the gradient stopped, so no
    gradient crosses from one block to another. The objectives are the
    model's `compute_loss`, so Keras's own `train_step` takes one backward
    pass for all blocks (the sum of the objectives has, for each block's
    weights, the gradient of that block's objective) on every backend, and
    averages the replicas' gradients under `tf.distribute`. The input and
    label kernels are computed once per batch, not once per block. `compile`
    takes just the optimizer; the logs are the summed objective (`loss`), the
    output block's `hsic_x` and `hsic_y`, and `unformatted_accuracy`
    (`UnformattedAccuracy` of the output), each averaged over samples.
    Sample weights are ignored: the objectives are statistics of a batch.
    Calling the model runs the blocks: its output is the last block's.

    Examples:

    >>> def block(units):
    ...     return keras.Sequential([
    ...         keras.layers.Dense(units),
    ...         keras.layers.BatchNormalization(center=False, scale=False),
    ...         keras.layers.ReLU(),
    ...     ])
    >>> blocks = [keras.Sequential([keras.layers.Flatten(), block(32)]), block(3)]
    >>> trainer = HSICTrainer(blocks, beta=200.0, sigma=6.0, num_classes=3)
    >>> trainer.compile(keras.optimizers.SGD(0.001))
    >>> images = np.random.default_rng(0).uniform(size=(64, 4, 4, 1))
    >>> labels = np.arange(64) % 3
    >>> history = trainer.fit(images, labels, batch_size=32, verbose=0)
    >>> sorted(history.history)
    ['hsic_x', 'hsic_y', 'loss', 'unformatted_accuracy']

    Args:
        blocks: Keras layers (often `keras.Sequential`s) applied in order.
        beta: the weight of the label term.
        sigma: the Gaussian kernels' bandwidth (see `HSICLoss`).
        measure: `"cca"`, `"cka"` or `"hsic"` (see `HSICLoss`).
        epsilon: the `"cca"` regularizer.
        kernel: `"gaussian"` or `"linear"`.
        num_classes: classes of the labels (class indices).
        output_units: units of the last block's output; defaults to
            `num_classes`.
        **kwargs: Base model keyword arguments, such as `name`.

    Reference:

    - [Ma, Lewis & Kleijn, 2020](https://arxiv.org/abs/1908.01580)
    """

    def __init__(
        self, blocks, beta=200.0, sigma=5.0, measure="cca", epsilon=1e-5,
        kernel="gaussian", num_classes=10, output_units=None, **kwargs,
    ):  # fmt: skip
        super().__init__(**kwargs)
        if keras.backend.backend() == "tensorflow":
            # UnformattedAccuracy's tf.numpy_function does not compile with
            # XLA, which Keras picks on a GPU for jit_compile="auto".
            self.supports_jit = False
        self.blocks = list(blocks)
        if not self.blocks:
            raise ValueError(
                f"Expected at least one block. Received: blocks={blocks!r}"
            )
        self.objective = HSICLoss(beta, sigma, measure, epsilon, kernel, num_classes)
        self.num_classes = num_classes
        self.output_units = output_units or num_classes
        self.input_dependence = keras.metrics.Mean(name="hsic_x")
        self.label_dependence = keras.metrics.Mean(name="hsic_y")
        self.accuracy = UnformattedAccuracy(num_classes, self.output_units)
        # The block outputs of the last call, which compute_loss reads (as
        # Keras's compute_loss reads the losses that layers add in call).
        self._last_call = _LastCall()

    def build(self, input_shape):
        shape = tuple(input_shape)
        for block in self.blocks:
            if not block.built:
                block.build(shape)
            shape = block.compute_output_shape(shape)
        self.built = True

    def call(self, inputs, training=None):
        outputs = self.block_outputs(inputs, training=training)
        self._last_call.outputs = outputs
        return outputs[-1]

    def block_outputs(self, inputs, training=None):
        """Runs the blocks, each on its predecessor's output with the gradient
        stopped; returns every block's output, in order."""
        hidden, outputs = keras.ops.convert_to_tensor(inputs), []
        for block in self.blocks:
            hidden = block(keras.ops.stop_gradient(hidden), training=training)
            outputs.append(hidden)
        return outputs

    def block_objectives(self, inputs, labels, training=None):
        """Runs the blocks and scores each.

        Returns:
            `(output, objectives)`: the last block's output and, per block,
            `(loss, nHSIC(Z, X), nHSIC(Z, Y))`.
        """
        if not self.built:
            self.build(tuple(inputs.shape))
        outputs = self.block_outputs(inputs, training=training)
        return outputs[-1], self.objectives(outputs, inputs, labels)

    def objectives(self, outputs, inputs, labels):
        """Per block output, `(loss, nHSIC(Z, X), nHSIC(Z, Y))`; the batch's
        input and label kernels are computed once for all."""
        references = self.objective.references(inputs, labels)
        return [self.objective.objective(z, references) for z in outputs]

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        outputs, self._last_call.outputs = self._last_call.outputs, None
        if outputs is None or outputs[-1] is not y_pred:  # not from call(x)
            outputs = self.block_outputs(x, training=training)
        objectives = self.objectives(outputs, x, y)
        total = keras.ops.sum(keras.ops.stack([o[0] for o in objectives]))
        samples = keras.ops.shape(outputs[-1])[0]
        self.input_dependence.update_state(objectives[-1][1], samples)
        self.label_dependence.update_state(objectives[-1][2], samples)
        return total / _replicas(self)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        self.accuracy.update_state(y, y_pred)
        return super().compute_metrics(x, y, y_pred, sample_weight)

    def get_config(self):
        return {
            **super().get_config(),
            "blocks": [keras.saving.serialize_keras_object(b) for b in self.blocks],
            **self.objective.options(),
            "output_units": self.output_units,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["blocks"] = [
            keras.saving.deserialize_keras_object(b) for b in config["blocks"]
        ]
        return cls(**config)


def build_post_trained(network, num_classes, input_shape, name="post_trained"):
    """The post-training model: `network`, frozen, then one dense layer.

    The HSIC-trained network's output feeds a single `Dense(num_classes)`
    (logits) trained with SGD and cross-entropy, the rest fixed (the paper's
    "format" training).

    Args:
        network: the trained network (an `HSICTrainer`, say).
        num_classes: the classifier's outputs.
        input_shape: shape of one input sample.
        name: the model's name.
    """
    network.trainable = False
    inputs = keras.Input(input_shape, name="images")
    hidden = network(inputs, training=False)
    logits = keras.layers.Dense(num_classes, name="classifier")(hidden)
    return keras.Model(inputs, logits, name=name)


def build_sigma_combined(networks, num_classes, input_shape, name="sigma_combined"):
    """The sigma-combined network: HSIC networks trained with different
    sigma, frozen, their outputs averaged, normalized and classified.

    As in the authors' code the outputs are averaged, batch-normalized and
    fed to one `Dense(num_classes)` (logits), the only trained layer.

    Args:
        networks: trained networks with outputs of the same shape.
        num_classes: the classifier's outputs.
        input_shape: shape of one input sample.
        name: the model's name.
    """
    inputs = keras.Input(input_shape, name="images")
    outputs = []
    for network in networks:
        network.trainable = False
        outputs.append(network(inputs, training=False))
    hidden = (
        keras.layers.Average(name="average")(outputs)
        if len(outputs) > 1
        else outputs[0]
    )
    hidden = keras.layers.BatchNormalization(name="normalize")(hidden)
    logits = keras.layers.Dense(num_classes, name="classifier")(hidden)
    return keras.Model(inputs, logits, name=name)


class _LastCall:
    """A plain holder, out of Keras's attribute tracking."""

    outputs = None


def _replicas(model):
    """Replicas whose gradients Keras sums: `tf.distribute`'s, else 1.

    Keras's train_step on TensorFlow expects each replica's loss divided by
    their number, as its own losses are; other backends train on the global
    batch.
    """
    strategy = getattr(model, "distribute_strategy", None)  # TensorFlow only
    return 1 if strategy is None else strategy.num_replicas_in_sync
