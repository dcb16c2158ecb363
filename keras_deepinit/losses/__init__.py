"""Keras losses: the HSIC bottleneck objective."""
