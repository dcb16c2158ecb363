"""Keras layers: SkipInit scalars, orthogonal (OWN) layers, HSIC blocks."""
