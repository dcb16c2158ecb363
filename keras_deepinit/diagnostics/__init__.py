"""Diagnostics of signal propagation: Jacobian spectra and per-layer signal sizes."""

from keras_deepinit.diagnostics.jacobian import batch_jacobian
from keras_deepinit.diagnostics.jacobian import jacobian_singular_values
from keras_deepinit.diagnostics.signal import signal_statistics
