"""Keras initializers: Delta-Orthogonal and orthogonal convolution kernels."""
