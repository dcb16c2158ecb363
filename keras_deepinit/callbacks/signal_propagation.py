"""A callback that records per-layer signal propagation during training."""

import os

import keras

from keras_deepinit.callbacks.summary_writer import create_summary_writer
from keras_deepinit.checks import check_positive_int
from keras_deepinit.diagnostics.signal import signal_statistics

STATISTICS = ("activation_rms", "gradient_rms", "weight_gradient_norm")


class SignalPropagationMonitor(keras.callbacks.Callback):
    """Records per-layer activation and gradient sizes on a fixed batch.

    Every `every_n_epochs` epochs (and before training) it measures, on the
    given batch, each watched layer's activation RMS, the RMS of the loss
    gradient with respect to its output, and the norm of the gradient with
    respect to its weights (see `keras_deepinit.diagnostics.signal_statistics`).
    The full per-layer arrays go to `self.history`; two summaries go to the
    epoch logs, and so to `History` and the progress bar:
    `signal_activation_ratio` (last layer's activation RMS over the first's)
    and `signal_gradient_ratio` (first layer's gradient RMS over the last's,
    large when gradients explode backwards). With `log_dir`, every value is
    also written for TensorBoard under `<log_dir>/signal` (with histograms over
    the layers under TensorFlow; see `summary_writer`). Runs on every Keras
    backend.

    Examples:

    >>> x = np.random.default_rng(0).normal(size=(32, 8)).astype("float32")
    >>> y = np.arange(32) % 2
    >>> model = keras.Sequential([
    ...     keras.Input((8,)),
    ...     keras.layers.Dense(16, activation="tanh"),
    ...     keras.layers.Dense(2),
    ... ])
    >>> model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(True))
    >>> monitor = SignalPropagationMonitor(x[:8], y[:8])
    >>> _ = model.fit(x, y, epochs=2, callbacks=[monitor], verbose=0)
    >>> # Before training and after each epoch; one value per layer.
    >>> len(monitor.history), len(monitor.history[-1]["activation_rms"])
    (3, 2)

    Args:
        inputs: a fixed batch of inputs.
        targets: the matching targets, or None to backpropagate the output's
            squared norm.
        every_n_epochs: how often to measure.
        log_dir: folder for TensorBoard summaries, or None.
        layers: names of the layers to watch; default: every layer with
            trainable weights.

    Like Keras's own callbacks it holds data (the batch), so it is not
    serialized with models.
    """

    def __init__(
        self, inputs, targets=None, every_n_epochs=1, log_dir=None, layers=None
    ):
        super().__init__()
        check_positive_int("every_n_epochs", every_n_epochs)
        self.inputs = inputs
        self.targets = targets
        self.every_n_epochs = every_n_epochs
        self.log_dir = log_dir
        self.layers = layers
        self.history = []
        self._writer = None

    def on_train_begin(self, logs=None):
        if self.log_dir is not None and self._writer is None:
            self._writer = create_summary_writer(os.path.join(self.log_dir, "signal"))
        if not self.history:
            self._measure(step=0)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every_n_epochs:
            return
        record = self._measure(step=epoch + 1)
        if logs is not None:
            activations, gradients = record["activation_rms"], record["gradient_rms"]
            logs["signal_activation_ratio"] = activations[-1] / activations[0]
            logs["signal_gradient_ratio"] = gradients[0] / max(gradients[-1], 1e-30)

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.flush()

    def _measure(self, step):
        layers = None
        if self.layers is not None:
            layers = [self.model.get_layer(name) for name in self.layers]
        record = signal_statistics(self.model, self.inputs, self.targets, layers=layers)
        record["epoch"] = step
        self.history.append(record)
        if self._writer is not None:
            for statistic in STATISTICS:
                values = record[statistic]
                self._writer.histogram(f"{statistic}/over_layers", values, step)
                for index, (name, value) in enumerate(
                    zip(record["layers"], values, strict=True)
                ):
                    self._writer.scalar(f"{statistic}/{index:04d}_{name}", value, step)
        return record
