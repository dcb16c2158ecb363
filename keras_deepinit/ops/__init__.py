"""Pure tensor math behind the building blocks.

Orthogonalization (Huang et al., 2018) and HSIC estimators (Ma et al., 2020),
plus the TensorFlow machinery that depth needs, each behind a plain function.
"""
