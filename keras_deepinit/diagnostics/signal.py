"""Signal propagation in a trained or untrained model, layer by layer."""

import keras
import numpy as np
import tensorflow as tf


def default_layers(model):
    """The layers worth watching: those with trainable weights, in model order."""
    return [layer for layer in model.layers if layer.trainable_weights]


def signal_statistics(model, inputs, targets=None, loss=None, layers=None):
    """Per-layer forward and backward signal sizes on one batch.

    Mean-field theory predicts how these evolve with depth: the activations'
    second moment approaches q*, and backpropagated gradients grow or shrink by
    chi_1 per layer.

    Args:
        model: a functional or Sequential Keras model.
        inputs: a batch of inputs.
        targets: a batch of targets for `loss`. When None, the backpropagated
            signal is that of `0.5 * ||model(inputs)||^2`, averaged over the batch.
        loss: a loss callable `(y_true, y_pred)`; defaults to the compiled
            `model.loss`.
        layers: the layers to report; default: every layer with trainable weights.

    Returns:
        A dict of float64 numpy arrays over the layers, plus `"layers"` (names):
        `"activation_rms"` (root mean square of each layer's output),
        `"gradient_rms"` (root mean square of the loss gradient with respect to
        each layer's output) and `"weight_gradient_norm"` (L2 norm of the loss
        gradient with respect to each layer's trainable weights).
    """
    layers = default_layers(model) if layers is None else list(layers)
    if not layers:
        raise ValueError(
            "Expected a model with trainable layers to watch. "
            f"Received: model={model.name!r} with none"
        )
    probe = keras.Model(
        model.inputs, [layer.output for layer in layers] + model.outputs
    )
    inputs = tf.convert_to_tensor(inputs)
    loss = loss if loss is not None else getattr(model, "loss", None)
    with tf.GradientTape() as tape:
        *activations, outputs = probe(inputs, training=False)
        if targets is None:
            value = (
                0.5
                * tf.reduce_sum(tf.square(outputs))
                / tf.cast(tf.shape(outputs)[0], outputs.dtype)
            )
        elif loss is None:
            raise ValueError(
                "Expected a loss (argument or compiled) to go with targets. "
                "Received: loss=None"
            )
        else:
            value = keras.losses.get(loss)(targets, outputs)
            value = tf.reduce_mean(value)
    weights = [layer.trainable_weights for layer in layers]
    activation_grads, weight_grads = tape.gradient(value, (activations, weights))
    return {
        "layers": [layer.name for layer in layers],
        "activation_rms": np.array([rms(a) for a in activations]),
        "gradient_rms": np.array([rms(g) for g in activation_grads]),
        "weight_gradient_norm": np.array(
            [
                np.sqrt(sum(float(tf.reduce_sum(tf.square(g))) for g in grads))
                for grads in weight_grads
            ]
        ),
    }


def rms(tensor):
    return float(tf.sqrt(tf.reduce_mean(tf.square(tf.cast(tensor, "float64")))))
