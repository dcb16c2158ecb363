"""The end of a block trained on its own HSIC bottleneck objective."""

import keras

from keras_deepinit.losses.hsic import HSICLoss


@keras.saving.register_keras_serializable(package="keras_deepinit")
class HSICBottleneck(keras.layers.Layer):
    """Ends a block of an HSIC-trained network: adds the block's objective.

    Called on a block's output `Z` with the batch's `inputs` and `labels`, it
    adds `nHSIC(Z, X) - beta nHSIC(Z, Y)` with `add_loss` and passes `Z` on.
    With `stop_gradient=True` (default) no gradient flows back through it, so
    no later block's objective reaches this block: each block learns from its
    own objective alone, as the HSIC bottleneck prescribes. Without labels it
    is the identity, so inference and export see a plain network.
    `HSICTrainer` trains blocks on the same objective (`HSICLoss`), the
    labels coming from `fit`'s targets instead of the model's inputs.

    Examples:

    >>> images = keras.Input((784,))
    >>> labels = keras.Input((), dtype="int32")
    >>> z = keras.layers.Dense(256, activation="relu")(images)
    >>> z = HSICBottleneck(num_classes=10)(z, inputs=images, labels=labels)
    >>> outputs = keras.layers.Dense(10)(z)
    >>> model = keras.Model([images, labels], outputs)
    >>> model.compile("sgd")  # Trains on the added losses only.

    Args:
        beta: the weight of the label term.
        sigma: the Gaussian kernels' bandwidth (see `HSICLoss`).
        measure: `"cca"`, `"cka"` or `"hsic"` (see `HSICLoss`).
        epsilon: the `"cca"` regularizer.
        kernel: `"gaussian"` or `"linear"`.
        num_classes: classes, for labels given as class indices.
        stop_gradient: whether to stop gradients flowing back through the
            layer.
        **kwargs: Base layer keyword arguments, such as `name`.

    Reference:

    - [Ma, Lewis & Kleijn, 2020](https://arxiv.org/abs/1908.01580)
    """

    def __init__(
        self, beta=200.0, sigma=5.0, measure="cca", epsilon=1e-5,
        kernel="gaussian", num_classes=None, stop_gradient=True, **kwargs,
    ):  # fmt: skip
        super().__init__(**kwargs)
        self.objective = HSICLoss(beta, sigma, measure, epsilon, kernel, num_classes)
        self.beta = self.objective.beta
        self.sigma = self.objective.sigma
        self.measure = measure
        self.epsilon = self.objective.epsilon
        self.kernel = kernel
        self.num_classes = num_classes
        self.stop_gradient = bool(stop_gradient)

    def call(self, hidden, inputs=None, labels=None, references=None):
        """Adds the objective when given `inputs` and `labels`, or the
        batch's `references` (`HSICLoss.references`), computed once for all
        blocks; returns `hidden`, its gradient stopped if `stop_gradient`."""
        if references is None and labels is not None:
            if inputs is None:
                raise ValueError(
                    "Expected inputs together with labels. Received: inputs=None"
                )
            references = self.objective.references(inputs, labels)
        outputs = keras.ops.stop_gradient(hidden) if self.stop_gradient else hidden
        if references is None:
            return outputs
        self.add_loss(self.objective.objective(hidden, references)[0])
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            **self.objective.options(),
            "stop_gradient": self.stop_gradient,
        }
