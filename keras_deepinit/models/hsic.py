"""Training without backpropagation across blocks: the HSIC bottleneck."""

import keras
import tensorflow as tf

from keras_deepinit.losses.hsic import HSICLoss
from keras_deepinit.metrics.unformatted import UnformattedAccuracy


@keras.saving.register_keras_serializable(package="keras_deepinit")
class HSICTrainer(keras.Model):
    """A network of blocks, each trained on its own HSIC bottleneck objective.

    `fit` updates block `i` from `nHSIC(Z_i, X) - beta nHSIC(Z_i, Y)` alone:
    each block sees its predecessor's output with the gradient stopped, so no
    gradient crosses from one block to another. One backward pass serves all
    blocks, since the sum of the objectives has, for each block's weights,
    the gradient of that block's objective. The input and label kernels are
    computed once per batch, not once per block. `compile` takes just the
    optimizer; the logs are the summed objective (`loss`), the output block's
    `hsic_x` and `hsic_y`, and `unformatted_accuracy` (`UnformattedAccuracy`
    of the output). Calling the model runs the blocks: its output is the last
    block's.

    Examples:

    >>> blocks = [
    ...     keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(256),
    ...                       keras.layers.BatchNormalization(center=False,
    ...                                                       scale=False),
    ...                       keras.layers.ReLU()]),
    ...     keras.Sequential([keras.layers.Dense(10),
    ...                       keras.layers.BatchNormalization(center=False,
    ...                                                       scale=False),
    ...                       keras.layers.ReLU()]),
    ... ]
    >>> trainer = HSICTrainer(blocks, beta=200.0, sigma=6.0, num_classes=10)
    >>> trainer.compile(keras.optimizers.SGD(0.001))
    >>> trainer.fit(train, epochs=1)  # (images, labels) batches.

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
        self.blocks = list(blocks)
        if not self.blocks:
            raise ValueError(
                f"Expected at least one block. Received: blocks={blocks!r}"
            )
        self.objective = HSICLoss(beta, sigma, measure, epsilon, kernel, num_classes)
        self.num_classes = num_classes
        self.output_units = output_units or num_classes
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.input_dependence = keras.metrics.Mean(name="hsic_x")
        self.label_dependence = keras.metrics.Mean(name="hsic_y")
        self.accuracy = UnformattedAccuracy(num_classes, self.output_units)

    @property
    def metrics(self):
        return [
            self.loss_tracker,
            self.input_dependence,
            self.label_dependence,
            self.accuracy,
        ]

    def build(self, input_shape):
        shape = tuple(input_shape)
        for block in self.blocks:
            if not block.built:
                block.build(shape)
            shape = block.compute_output_shape(shape)
        self.built = True

    def call(self, inputs, training=None):
        hidden = inputs
        for block in self.blocks:
            hidden = block(hidden, training=training)
        return hidden

    def block_objectives(self, inputs, labels, training=None):
        """Runs the blocks, each on its predecessor's output with the gradient
        stopped.

        Returns:
            `(output, objectives)`: the last block's output and, per block,
            `(loss, nHSIC(Z, X), nHSIC(Z, Y))`.
        """
        if not self.built:  # fit calls train_step before it calls the model
            self.build(tuple(inputs.shape))
        references = self.objective.references(inputs, labels)
        hidden, objectives = inputs, []
        for block in self.blocks:
            output = block(keras.ops.stop_gradient(hidden), training=training)
            objectives.append(self.objective.objective(output, references))
            hidden = output
        return hidden, objectives

    def train_step(self, data):
        inputs, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            output, objectives = self.block_objectives(inputs, labels, training=True)
            total = keras.ops.sum(keras.ops.stack([o[0] for o in objectives]))
            # Replicas' gradients are summed: average them. Each replica's
            # objective is over its own share of the batch.
            replicas = tf.distribute.get_strategy().num_replicas_in_sync
            scaled = total / replicas
        variables = self.trainable_variables
        gradients = tape.gradient(scaled, variables)
        self.optimizer.apply(gradients, variables)
        return self._update_metrics(total, objectives[-1], labels, output)

    def test_step(self, data):
        inputs, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        output, objectives = self.block_objectives(inputs, labels, training=False)
        total = keras.ops.sum(keras.ops.stack([o[0] for o in objectives]))
        return self._update_metrics(total, objectives[-1], labels, output)

    def _update_metrics(self, total, last, labels, output):
        self.loss_tracker.update_state(total)
        self.input_dependence.update_state(last[1])
        self.label_dependence.update_state(last[2])
        self.accuracy.update_state(labels, output)
        return {metric.name: metric.result() for metric in self.metrics}

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
