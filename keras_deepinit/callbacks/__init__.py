"""Keras callbacks: isometry and signal-propagation diagnostics during training."""

from keras_deepinit.callbacks.signal_propagation import SignalPropagationMonitor
