"""Filling a big tensor row by row without copying it (TensorFlow).

`new_buffer` allocates an uninitialized tensor that no other op shares;
`write_rows` writes into its memory (`InplaceUpdate`, the op behind
TensorFlow's own `inplace_ops.alias_inplace_update`). A 100,000-layer kernel
stack (0.9 GB at 3x3x16x16) is then built once, where a `TensorArray` or a
concatenation would hold its pieces and then a copy.

Only a buffer from `new_buffer` may be written to: the write changes the
tensor in place, so anything else holding it would see the change.
"""

import tensorflow as tf


def new_buffer(shape, dtype):
    """An uninitialized tensor. `Empty` is stateful: never constant-folded or
    shared with another op's output."""
    return tf.raw_ops.Empty(shape=shape, dtype=dtype)


def write_rows(buffer, start, rows):
    """`buffer[start:start + len(rows)] = rows`, in place; returns `buffer`."""
    index = tf.range(start, start + tf.shape(rows)[0])
    return tf.raw_ops.InplaceUpdate(x=buffer, i=index, v=rows)


def write_row(buffer, index, row):
    """`buffer[index] = row`, in place; returns `buffer`."""
    return tf.raw_ops.InplaceUpdate(x=buffer, i=tf.reshape(index, [1]), v=row[None])
