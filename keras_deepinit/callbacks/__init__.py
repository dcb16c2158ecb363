"""Keras callbacks: isometry and signal-propagation diagnostics during training."""
