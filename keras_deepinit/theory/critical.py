"""The order-to-chaos critical line `chi_1 = 1`, with `chi_1` taken at `q*`.

On it, perturbations neither shrink nor grow with depth, `xi_c` is infinite,
and arbitrarily deep networks can be trained (Xiao et al., 2018 train 10,000
tanh layers at `(sigma_w2, sigma_b2) = (1.05, 2.01e-5)`).
"""

import math

import numpy as np

from keras_deepinit.theory.activations import get_activation
from keras_deepinit.theory.mean_field import analyze
from keras_deepinit.theory.mean_field import check_variance
from keras_deepinit.theory.mean_field import chi_1
from keras_deepinit.theory.mean_field import find_root
from keras_deepinit.theory.mean_field import fixed_point_q
from keras_deepinit.theory.mean_field import length_map

# chi_1 within this of 1 is 1 (the quadrature's precision).
CHI_ATOL = 1e-12
# Either side of a root, relative: where chi_1 is checked for a jump.
RELATIVE_STEP = 1e-12
# Searches stop here: no critical point below these variances means none.
MAX_SIGMA_W2 = 1e6
MAX_SIGMA_B2 = 1e6


def _chi_1_at_fixed_point(act, sigma_w2, sigma_b2):
    """`(q*, chi_1)`, with `chi_1 = inf` where `q*` is infinite."""
    q = fixed_point_q(act, sigma_w2, sigma_b2)
    if math.isinf(q):
        return q, math.inf
    return q, chi_1(act, sigma_w2, sigma_b2, q)


def _is_identity_length_map(act, sigma_w2, sigma_b2):
    """Whether every `q` is a fixed point, as for relu at `(2, 0)`."""
    return all(
        abs(length_map(act, sigma_w2, sigma_b2, q) - q) <= 1e-9 * q
        for q in (0.01, 1.0, 100.0)
    )


def critical_sigma_w2(activation, sigma_b2):
    """The `sigma_w2` with `chi_1 = 1` at bias variance `sigma_b2`.

    Examples:

    >>> round(critical_sigma_w2("tanh", 0.0), 9)
    1.0

    Args:
        activation: a name or numpy callable (see `get_activation`).
        sigma_b2: bias variance.
    """
    act = get_activation(activation)
    sigma_b2 = check_variance("sigma_b2", sigma_b2)
    lo, hi = 0.0, 0.5
    while True:
        _, chi = _chi_1_at_fixed_point(act, hi, sigma_b2)
        if abs(chi - 1) <= CHI_ATOL:
            return hi
        if chi > 1:
            break
        lo, hi = hi, 2 * hi
        if hi > MAX_SIGMA_W2:
            raise ValueError(
                f"{act.name} has no critical point at this sigma_b2: chi_1 < 1 "
                f"for every sigma_w2 up to {MAX_SIGMA_W2:g}. "
                f"Received: sigma_b2={sigma_b2!r}"
            )
    sigma_w2 = find_root(
        lambda w: _chi_1_at_fixed_point(act, w, sigma_b2)[1] - 1, lo, hi
    )
    lo, hi = sigma_w2 * (1 - RELATIVE_STEP), sigma_w2 * (1 + RELATIVE_STEP)
    # Crossing 1 where q* jumps to infinity is no critical point, unless the
    # length map is the identity there (relu at (2, 0), linear at (1, 0)).
    if math.isinf(fixed_point_q(act, hi, sigma_b2)):
        if _is_identity_length_map(act, sigma_w2, sigma_b2):
            return sigma_w2
        raise ValueError(
            f"{act.name} has no critical point at this sigma_b2: chi_1 < 1 "
            f"wherever q* is finite and reaches 1 only where q* diverges "
            f"(sigma_w2 -> {sigma_w2:.6g}). Received: sigma_b2={sigma_b2!r}"
        )
    _check_continuous(act, (lo, sigma_b2), (hi, sigma_b2), "sigma_b2", sigma_b2)
    return sigma_w2


def _check_continuous(act, below, above, name, value):
    """Raises where chi_1 jumps across 1 between two nearby points."""
    chi_below = _chi_1_at_fixed_point(act, *below)[1]
    chi_above = _chi_1_at_fixed_point(act, *above)[1]
    if abs(chi_above - chi_below) > 1e-6:
        raise ValueError(
            f"{act.name} has no critical point at this {name}: chi_1 jumps from "
            f"{chi_below:.6g} to {chi_above:.6g} where the fixed point q* reached "
            f"from q = 1 jumps. Received: {name}={value!r}"
        )


def critical_sigma_b2(activation, sigma_w2):
    """The `sigma_b2` with `chi_1 = 1` at weight variance `sigma_w2`.

    Examples:

    >>> critical_sigma_b2("relu", 2.0)
    0.0

    Args:
        activation: a name or numpy callable (see `get_activation`).
        sigma_w2: weight variance times fan-in.
    """
    act = get_activation(activation)
    sigma_w2 = check_variance("sigma_w2", sigma_w2)
    q, chi = _chi_1_at_fixed_point(act, sigma_w2, 0.0)
    if math.isinf(q):
        raise ValueError(
            f"{act.name} has no critical point at this sigma_w2: q grows without "
            f"bound even with sigma_b2 = 0. Received: sigma_w2={sigma_w2!r}"
        )
    if abs(chi - 1) <= CHI_ATOL:
        return 0.0
    above = chi > 1
    # Scan decades of sigma_b2 for the first sign change of chi_1 - 1.
    lo = 0.0
    for hi in np.logspace(-12, math.log10(MAX_SIGMA_B2), 19):
        q, chi = _chi_1_at_fixed_point(act, sigma_w2, hi)
        if math.isinf(q):
            break
        if (chi > 1) != above:
            sigma_b2 = find_root(
                lambda b: _chi_1_at_fixed_point(act, sigma_w2, b)[1] - 1,
                lo,
                float(hi),
            )
            lo = sigma_b2 * (1 - RELATIVE_STEP)
            hi = sigma_b2 * (1 + RELATIVE_STEP)
            _check_continuous(act, (sigma_w2, lo), (sigma_w2, hi), "sigma_w2", sigma_w2)
            return sigma_b2
        lo = float(hi)
    side = "above" if above else "below"
    raise ValueError(
        f"{act.name} has no critical point at this sigma_w2: chi_1 stays {side} 1 "
        f"for every sigma_b2 >= 0 with a finite q*. Received: sigma_w2={sigma_w2!r}"
    )


def critical_point(activation, *, sigma_b2=None, sigma_w2=None):
    """The `MeanField` on the critical line at a given `sigma_b2` or `sigma_w2`.

    Examples:

    >>> point = critical_point("tanh", sigma_b2=2.01e-5)
    >>> round(point.sigma_w2, 4), round(point.chi_1, 9)
    (1.05, 1.0)

    Args:
        activation: a name or numpy callable (see `get_activation`).
        sigma_b2: bias variance; give this or `sigma_w2`, not both.
        sigma_w2: weight variance times fan-in.

    Reference:
    - [Xiao et al., 2018](https://arxiv.org/abs/1806.05393)
    """
    if (sigma_b2 is None) == (sigma_w2 is None):
        raise ValueError(
            f"Expected exactly one of sigma_b2 and sigma_w2. "
            f"Received: sigma_b2={sigma_b2!r}, sigma_w2={sigma_w2!r}"
        )
    if sigma_w2 is None:
        return analyze(activation, critical_sigma_w2(activation, sigma_b2), sigma_b2)
    return analyze(activation, sigma_w2, critical_sigma_b2(activation, sigma_w2))
