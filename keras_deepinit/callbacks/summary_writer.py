"""TensorBoard summaries on every Keras backend.

Under TensorFlow, `tf.summary` writes scalars and histograms. Under JAX and
PyTorch, `tensorboard.summary.Writer`, TensorBoard's own numpy writer, writes
the scalars, so that the callbacks need not run TensorFlow ops beside another
framework; histograms are TensorFlow-only. Nothing is imported until a writer
is created.
"""

import keras
import numpy as np


def create_summary_writer(log_dir):
    """A writer of summaries to `log_dir`, for the current Keras backend.

    Args:
        log_dir: the folder TensorBoard reads.

    Returns:
        An object with `scalar(tag, value, step)`, `histogram(tag, values,
        step)` and `flush()`.
    """
    if keras.config.backend() == "tensorflow":
        return _TensorFlowWriter(log_dir)
    return _TensorBoardWriter(log_dir)


class _TensorFlowWriter:
    def __init__(self, log_dir):
        import tensorflow as tf

        self._summary = tf.summary
        self._writer = tf.summary.create_file_writer(log_dir)

    def scalar(self, tag, value, step):
        with self._writer.as_default(step=step):
            self._summary.scalar(tag, value)

    def histogram(self, tag, values, step):
        with self._writer.as_default(step=step):
            self._summary.histogram(tag, values)

    def flush(self):
        self._writer.flush()


class _TensorBoardWriter:
    def __init__(self, log_dir):
        try:
            from tensorboard.summary import Writer
        except ImportError as error:
            raise ImportError(
                "Writing summaries under the "
                f"{keras.config.backend()} backend needs the tensorboard "
                f"package (pip install tensorboard). Received: log_dir={log_dir!r}"
            ) from error
        self._writer = Writer(log_dir)

    def scalar(self, tag, value, step):
        self._writer.add_scalar(tag, np.float32(value), step)

    def histogram(self, tag, values, step):
        del tag, values, step  # TensorBoard's numpy writer has no histograms.

    def flush(self):
        self._writer.flush()
