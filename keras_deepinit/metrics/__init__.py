"""Keras metrics: the accuracy of an output read without a classifier."""

from keras_deepinit.metrics.unformatted import UnformattedAccuracy
from keras_deepinit.metrics.unformatted import matched_accuracy
