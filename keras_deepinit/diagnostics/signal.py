"""Signal propagation in a trained or untrained model, layer by layer."""

import keras
import numpy as np

from keras_deepinit.ops import autodiff


def default_layers(model):
    """The layers worth watching: those with trainable weights, in model order."""
    return [layer for layer in model.layers if layer.trainable_weights]


def signal_statistics(model, inputs, targets=None, loss=None, layers=None):
    """Per-layer forward and backward signal sizes on one batch.

    Mean-field theory predicts how these evolve with depth: the activations'
    second moment approaches q*, and backpropagated gradients grow or shrink by
    chi_1 per layer. Runs on every Keras backend.

    Examples:

    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    >>> stats = signal_statistics(model, np.ones((4, 3), "float32"))
    >>> stats["activation_rms"].shape
    (1,)

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
    loss = loss if loss is not None else getattr(model, "loss", None)
    if targets is not None and loss is None:
        raise ValueError(
            "Expected a loss (argument or compiled) to go with targets. "
            "Received: loss=None"
        )

    def loss_fn(outputs):
        predictions = outputs[-1]
        if targets is None:
            batch = keras.ops.cast(keras.ops.shape(predictions)[0], predictions.dtype)
            return 0.5 * keras.ops.sum(keras.ops.square(predictions)) / batch
        return keras.ops.mean(keras.losses.get(loss)(targets, predictions))

    tapped, taps = _tapped_model(model, layers, inputs)
    outputs, gradients = autodiff.value_and_gradients(tapped, inputs, loss_fn)
    gradient = {
        id(variable): value
        for variable, value in zip(tapped.trainable_variables, gradients, strict=True)
    }
    return {
        "layers": [layer.name for layer in layers],
        "activation_rms": np.array([rms(a) for a in outputs[: len(layers)]]),
        "gradient_rms": np.array([rms(gradient[id(tap.tap)]) for tap in taps]),
        "weight_gradient_norm": np.array(
            [
                norm([gradient[id(w)] for w in layer.trainable_weights])
                for layer in layers
            ]
        ),
    }


def rms(array):
    """Root mean square of `array`, in float64."""
    return float(np.sqrt(np.mean(np.square(np.asarray(array, np.float64)))))


def norm(arrays):
    """L2 norm of `arrays` taken together, in float64 (0 for none)."""
    return float(
        np.sqrt(sum(np.sum(np.square(np.asarray(a, np.float64))) for a in arrays))
    )


class _Tap(keras.layers.Layer):
    """Adds a zero variable to its input: the gradient on it is the input's."""

    def __init__(self, shape, **kwargs):
        super().__init__(**kwargs)
        self.tap = self.add_weight(shape=shape, initializer="zeros", name="tap")

    def call(self, inputs):
        return inputs + keras.ops.cast(self.tap, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape


def _tapped_model(model, layers, inputs):
    """`model` returning `layers`' outputs too, each through a `_Tap`.

    The clone shares `model`'s layers and weights. Differentiating with
    respect to a tap, which has the shape of the whole batch's output, gives
    the gradient with respect to that layer's output on every backend, JAX's
    stateless calls included.
    """
    model_inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    probe = keras.Model(
        model_inputs, [layer.output for layer in layers] + model.outputs
    )
    specs = keras.tree.map_structure(
        lambda x: keras.KerasTensor(
            np.shape(x), keras.backend.standardize_dtype(x.dtype)
        ),
        inputs,
    )
    shapes = [spec.shape for spec in probe.compute_output_spec(specs)]
    taps = {
        id(layer): _Tap(shape, dtype=layer.dtype_policy, name=f"tap_{layer.name}")
        for layer, shape in zip(layers, shapes, strict=False)
    }

    def call_function(layer, *args, **kwargs):
        outputs = layer(*args, **kwargs)
        tap = taps.get(id(layer))
        return outputs if tap is None else tap(outputs)

    tapped = keras.models.clone_model(
        probe, clone_function=lambda layer: layer, call_function=call_function
    )
    return tapped, [taps[id(layer)] for layer in layers]
