"""TensorFlow's derivatives for the diagnostics: `tf.GradientTape`."""

import keras
import tensorflow as tf


@tf.function(reduce_retracing=True)
def _batch_jacobian(model, inputs):
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        outputs = model(inputs, training=False)
        outputs = tf.reshape(outputs, (tf.shape(outputs)[0], -1))
    jacobian = tape.batch_jacobian(outputs, inputs, unconnected_gradients="zero")
    return tf.reshape(jacobian, (tf.shape(jacobian)[0], tf.shape(outputs)[1], -1))


def batch_jacobian(model, inputs):
    return _batch_jacobian(model, tf.convert_to_tensor(inputs)).numpy()


def value_and_gradients(model, inputs, loss_fn):
    variables = model.trainable_variables
    with tf.GradientTape() as tape:
        outputs = model(inputs, training=False)
        value = loss_fn(outputs)
    gradients = tape.gradient(value, variables, unconnected_gradients="zero")
    outputs = [keras.ops.convert_to_numpy(x) for x in keras.tree.flatten(outputs)]
    return outputs, [g.numpy() for g in gradients]
