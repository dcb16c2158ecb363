import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from keras_deepinit.ops import inplace  # noqa: E402

# `inplace` is TensorFlow machinery, used only under the TensorFlow backend.
pytestmark = pytest.mark.tf_only


def test_rows_written_in_place_in_a_loop_fill_the_buffer():
    rows = tf.reshape(tf.range(5 * 2 * 3, dtype="float32"), (5, 2, 3))

    @tf.function
    def fill():
        def body(i, buffer):
            return i + 1, inplace.write_row(buffer, i, rows[i])

        return tf.while_loop(
            lambda i, _: i < 5, body, (0, inplace.new_buffer((5, 2, 3), "float32"))
        )[1]

    np.testing.assert_array_equal(fill(), rows)
    np.testing.assert_array_equal(fill(), rows)  # a fresh buffer every call


def test_write_rows_writes_a_block_at_start():
    buffer = inplace.write_rows(
        inplace.new_buffer((4, 2), "float32"), 0, tf.zeros((4, 2))
    )
    buffer = inplace.write_rows(buffer, 1, tf.ones((2, 2)))
    np.testing.assert_array_equal(buffer, [[0, 0], [1, 1], [1, 1], [0, 0]])


def test_write_row_overwrites_one_row_in_the_middle():
    buffer = inplace.write_rows(
        inplace.new_buffer((3, 2), "float32"), 0, tf.zeros((3, 2))
    )
    buffer = inplace.write_row(buffer, tf.constant(1), tf.constant([4.0, 5.0]))
    np.testing.assert_array_equal(buffer, [[0, 0], [4, 5], [0, 0]])
