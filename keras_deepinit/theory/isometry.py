"""Dynamical isometry: the spectrum of a deep network's input-output Jacobian.

The Jacobian of a depth-`L` network at `q*` is `J = W_L D_{L-1} ... W_1 D_0`
with `D = diag(phi'(h))`. Its squared singular values have mean
`m1 = (sigma_w2 mu_1)^L = chi_1^L`, `mu_k = E[phi'(sqrt(q*) z)^(2k)]`. Free
factors add their normalized variances `m2 / m1^2 - 1`, so
`m2 / m1^2 - 1 = L (mu_2 / mu_1^2 - 1 + s)`, `s = 1` for Gaussian weights
(Marchenko-Pastur) and `s = 0` for orthogonal ones: only orthogonal weights
with `phi'` nearly constant at `q*` keep the whole spectrum near 1.
"""

from typing import NamedTuple

import numpy as np

from keras_deepinit.theory.activations import get_activation
from keras_deepinit.theory.mean_field import resolve_q
from keras_deepinit.theory.quadrature import gaussian_expectation

WEIGHT_FREENESS = {"orthogonal": 0.0, "gaussian": 1.0}


class SpectrumMoments(NamedTuple):
    """Moments of the squared singular values of the Jacobian, per depth.

    Args:
        depth: the depths, as given.
        m1: mean squared singular value.
        m2: mean fourth power of the singular values.
        variance: `m2 - m1^2`.
        normalized_variance: `m2 / m1^2 - 1`.
    """

    depth: np.ndarray
    m1: np.ndarray
    m2: np.ndarray
    variance: np.ndarray
    normalized_variance: np.ndarray


def jacobian_spectrum_moments(
    activation, sigma_w2, sigma_b2, depth, weights="orthogonal"
):
    """Predicted moments of `J J^T` for a network at its fixed point `q*`.

    Examples:

    >>> moments = jacobian_spectrum_moments("linear", 1.0, 0.0, 10, "gaussian")
    >>> round(float(moments.m1), 12), round(float(moments.normalized_variance), 12)
    (1.0, 10.0)

    Args:
        activation: a name or numpy callable (see `get_activation`).
        sigma_w2: weight variance times fan-in.
        sigma_b2: bias variance.
        depth: number of layers, an integer or an array of them.
        weights: `"orthogonal"` or `"gaussian"` (square, i.i.d.) weights.

    Reference:
    - [Pennington et al., 2017](https://arxiv.org/abs/1711.04735)
    """
    if weights not in WEIGHT_FREENESS:
        raise ValueError(
            f"Expected weights to be one of {sorted(WEIGHT_FREENESS)}. "
            f"Received: weights={weights!r}"
        )
    depth = np.asarray(depth)
    if depth.dtype.kind not in "iu" or np.any(depth < 0):
        raise ValueError(
            f"Expected depth to be a non-negative integer or an array of them. "
            f"Received: depth={depth!r}"
        )
    act = get_activation(activation)
    q = resolve_q(act, sigma_w2, sigma_b2)
    mu1 = gaussian_expectation(lambda u: act.derivative(u) ** 2, q)
    mu2 = gaussian_expectation(lambda u: act.derivative(u) ** 4, q)
    m1 = (float(sigma_w2) * mu1) ** depth
    normalized = depth * (mu2 / mu1**2 - 1 + WEIGHT_FREENESS[weights])
    m2 = m1**2 * (1 + normalized)
    return SpectrumMoments(depth, m1, m2, m2 - m1**2, normalized)
