"""Mean-field maps of a random fully connected (or convolutional) network.

A layer computes `h = W phi(h_prev) + b` with `Var(W) = sigma_w2 / fan_in` and
`Var(b) = sigma_b2`. At infinite width the squared length `q` of `h` per unit
and the correlation `c` of two inputs follow deterministic maps; their fixed
points and slopes there decide how deep a signal survives.
"""

import dataclasses
import math
import numbers

import numpy as np
import scipy.optimize

from keras_deepinit.theory.activations import get_activation
from keras_deepinit.theory.quadrature import bivariate_expectation
from keras_deepinit.theory.quadrature import gaussian_expectation

# q* = 0 (no bias, ordered) is evaluated as the limit q -> 0+.
Q_TINY = 1e-200
# Beyond this the length map has no fixed point: q grows without bound.
Q_HUGE = 1e100
# Where a root search clips a map's infinite values.
F_HUGE = 1e300
RTOL = 1e-14
# Length-map gaps below this times q are rounding.
GAP_RTOL = 1e-12
# Slopes this close to 1 are 1 within the quadrature's precision.
SLOPE_ATOL = 1e-12


def check_variance(name, value):
    """Returns `value` as a float, checked to be finite and non-negative."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"Expected {name} to be a number. Received: {name}={value!r}")
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(
            f"Expected {name} to be finite and non-negative. Received: {name}={value!r}"
        )
    return value


def check_correlation(c):
    c = np.asarray(c, dtype=float)
    if not np.all((c >= -1) & (c <= 1)):
        raise ValueError(f"Expected correlations in [-1, 1]. Received: c={c!r}")
    return c


def length_map(activation, sigma_w2, sigma_b2, q):
    """`q -> sigma_w2 E[phi(sqrt(q) z)^2] + sigma_b2`, the next layer's length.

    Examples:

    >>> round(float(length_map("relu", 2.0, 0.0, 3.0)), 12)  # sigma_w2 q / 2
    3.0

    Args:
        activation: a name or numpy callable (see `get_activation`).
        sigma_w2: weight variance times fan-in.
        sigma_b2: bias variance.
        q: this layer's squared length per unit, a scalar.
    """
    act = get_activation(activation)
    sigma_w2 = check_variance("sigma_w2", sigma_w2)
    sigma_b2 = check_variance("sigma_b2", sigma_b2)
    q = max(check_variance("q", q), Q_TINY)
    return sigma_w2 * gaussian_expectation(lambda u: act.fn(u) ** 2, q) + sigma_b2


def fixed_point_q(activation, sigma_w2, sigma_b2, q0=1.0):
    """The fixed point `q*` of the length map reached from `q0`.

    Returns `inf` where `q` grows without bound (relu with `sigma_w2 > 2`) and
    `0.0` where it decays to 0 (tanh with `sigma_b2 = 0`, `sigma_w2 <= 1`).
    Where every `q` is a fixed point (relu at `(2, 0)`), returns `q0`.

    Examples:

    >>> round(float(fixed_point_q("linear", 0.5, 1.0)), 12)  # b / (1 - w)
    2.0

    Args:
        activation: a name or numpy callable (see `get_activation`).
        sigma_w2: weight variance times fan-in.
        sigma_b2: bias variance.
        q0: the input's squared length per unit, where the iteration starts.
    """
    q0 = check_variance("q0", q0)
    if q0 == 0:
        raise ValueError(f"Expected q0 to be positive. Received: q0={q0!r}")

    def gap(q):
        return length_map(activation, sigma_w2, sigma_b2, q) - q

    gap0 = gap(q0)
    if abs(gap0) <= GAP_RTOL * q0:
        return q0
    # The iteration moves monotonically towards the fixed point: bracket it.
    # A gap within rounding of 0 does not stop the search, so that a fixed
    # point "at infinity" (relu at (2, 0.1): q -> q + 0.1) gives inf.
    lo = hi = q0
    if gap0 > 0:
        while gap(hi) >= -GAP_RTOL * hi:
            lo, hi = hi, hi * 10
            if hi > Q_HUGE:
                return math.inf
    else:
        while gap(lo) <= GAP_RTOL * lo:
            lo, hi = lo / 10, lo
            if lo < Q_TINY:
                return 0.0
    # An end within rounding of the diagonal is the fixed point itself.
    if gap(lo) <= 0:
        return lo
    if gap(hi) >= 0:
        return hi
    return find_root(gap, lo, hi)


def find_root(f, lo, hi, rtol=RTOL, atol=0.0):
    """The root of `f` in `[lo, hi]`, where `f` changes sign (Brent's method,
    `scipy.optimize.brentq`).

    An infinite `f` counts by its sign only, so that a bracket may reach
    where a map diverges.
    """

    def finite(x):
        return float(np.clip(f(x), -F_HUGE, F_HUGE))

    return scipy.optimize.brentq(finite, lo, hi, xtol=max(atol, Q_TINY), rtol=rtol)


def resolve_q(activation, sigma_w2, sigma_b2, q=None):
    """`q` if given, else `q*`, raising where `q*` is infinite.

    `q = 0` stands for the limit `0+` (q decays to 0 without bias).
    """
    if q is None:
        q = fixed_point_q(activation, sigma_w2, sigma_b2)
        if math.isinf(q):
            raise ValueError(
                f"The length map has no fixed point: q grows without bound. "
                f"Expected a smaller sigma_w2. Received: sigma_w2={sigma_w2!r}"
            )
    return max(check_variance("q", q), Q_TINY)


def chi_1(activation, sigma_w2, sigma_b2, q=None):
    """`chi_1 = sigma_w2 E[phi'(sqrt(q*) z)^2]`, a layer's mean squared gain.

    It is the mean squared singular value of a layer's Jacobian; the critical
    line is `chi_1 = 1`.

    Examples:

    >>> round(float(chi_1("relu", 1.5, 0.1)), 12)  # sigma_w2 / 2
    0.75

    Args:
        activation: a name or numpy callable (see `get_activation`).
        sigma_w2: weight variance times fan-in.
        sigma_b2: bias variance.
        q: the squared length; defaults to `q*`.
    """
    act = get_activation(activation)
    sigma_w2 = check_variance("sigma_w2", sigma_w2)
    q = resolve_q(act, sigma_w2, sigma_b2, q)
    return sigma_w2 * gaussian_expectation(lambda u: act.derivative(u) ** 2, q)


def correlation_map(activation, sigma_w2, sigma_b2, c, q=None):
    """The correlation of two inputs at the next layer, both of length `q`.

    `(sigma_w2 E[phi(u1) phi(u2)] + sigma_b2) / q*` with `u1 = sqrt(q*) z1`,
    `u2 = sqrt(q*) (c z1 + sqrt(1 - c^2) z2)`. It is computed as
    `1 - sigma_w2 E[(phi(u1) - phi(u2))^2] / (2 L(q))`, `L` the length map,
    which is the same at `q = q*` and exact near `c = 1`. At `q* = 0` (no
    bias, ordered) it is the identity; `chi_c` and `xi_c` there follow
    `chi_1`, the rate at which the signal itself vanishes.

    Args:
        activation: a name or numpy callable (see `get_activation`).
        sigma_w2: weight variance times fan-in.
        sigma_b2: bias variance.
        c: correlation(s) in [-1, 1].
        q: the squared length; defaults to `q*`.
    """
    act = get_activation(activation)
    sigma_w2 = check_variance("sigma_w2", sigma_w2)
    c = check_correlation(c)
    q = resolve_q(act, sigma_w2, sigma_b2, q)
    gap = bivariate_expectation(lambda u1, u2: (act.fn(u1) - act.fn(u2)) ** 2, q, c)
    return 1 - sigma_w2 * gap / (2 * length_map(act, sigma_w2, sigma_b2, q))


def check_depth(depth):
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)):
        raise ValueError(
            f"Expected depth to be a non-negative integer. Received: depth={depth!r}"
        )
    if depth < 0:
        raise ValueError(
            f"Expected depth to be a non-negative integer. Received: depth={depth!r}"
        )
    return int(depth)


def correlation_trajectory(activation, sigma_w2, sigma_b2, c0, depth, q=None):
    """Correlations `c^l` for `l = 0, ..., depth`, starting from `c^0 = c0`.

    Examples:

    >>> correlation_trajectory("linear", 0.5, 1.0, 0.0, 2)  # c -> (1 + c) / 2
    array([0.  , 0.5 , 0.75])

    Args:
        activation: a name or numpy callable (see `get_activation`).
        sigma_w2: weight variance times fan-in.
        sigma_b2: bias variance.
        c0: the input correlation(s) in [-1, 1]; an array gives one column each.
        depth: number of layers, a non-negative integer.
        q: the squared length, held fixed; defaults to `q*`.
    """
    depth = check_depth(depth)
    act = get_activation(activation)
    q = resolve_q(act, sigma_w2, sigma_b2, q)
    c = check_correlation(c0)
    trajectory = [c]
    for _ in range(depth):
        c = correlation_map(act, sigma_w2, sigma_b2, c, q)
        trajectory.append(c)
    return np.stack(trajectory)


def fixed_point_c(activation, sigma_w2, sigma_b2, q=None):
    """The stable fixed point `c*` of the correlation map.

    `c* = 1` where `chi_1 <= 1` (ordered phase), else the other fixed point,
    in [0, 1): the map is increasing and convex on [0, 1] with `C(0) >= 0`.

    Args:
        activation: a name or numpy callable (see `get_activation`).
        sigma_w2: weight variance times fan-in.
        sigma_b2: bias variance.
        q: the squared length; defaults to `q*`.
    """
    act = get_activation(activation)
    q = resolve_q(act, sigma_w2, sigma_b2, q)
    if chi_1(act, sigma_w2, sigma_b2, q) <= 1:
        return 1.0
    if correlation_map(act, sigma_w2, sigma_b2, 0.0, q) <= 0:
        return 0.0

    def gap(c):
        return correlation_map(act, sigma_w2, sigma_b2, c, q) - c

    # c = 1 is a fixed point too (an unstable one): bracket below it, where
    # the map, steeper than 1 at c = 1, has fallen under the diagonal.
    high = 1.0 - 1e-2
    while gap(high) >= 0:
        if high >= 1.0 - RTOL:
            return 1.0
        high = 1.0 - (1.0 - high) / 10
    return find_root(gap, 0.0, high, atol=RTOL)


def chi_c(activation, sigma_w2, sigma_b2, c=None, q=None):
    """`chi_c = sigma_w2 E[phi'(u1) phi'(u2)]`, the slope of the correlation map.

    At `c = 1` it equals `chi_1`.

    Args:
        activation: a name or numpy callable (see `get_activation`).
        sigma_w2: weight variance times fan-in.
        sigma_b2: bias variance.
        c: the correlation; defaults to `c*`.
        q: the squared length; defaults to `q*`.
    """
    act = get_activation(activation)
    sigma_w2 = check_variance("sigma_w2", sigma_w2)
    q = resolve_q(act, sigma_w2, sigma_b2, q)
    if c is None:
        c = fixed_point_c(act, sigma_w2, sigma_b2, q)
    c = check_correlation(c)
    d = act.derivative
    return sigma_w2 * bivariate_expectation(lambda u1, u2: d(u1) * d(u2), q, c)


def depth_scale(rate):
    """`-1 / log(rate)`: layers per e-fold of a perturbation shrinking by `rate`.

    Infinite where `rate >= 1` (no decay) up to the quadrature's precision,
    0 where `rate = 0`.
    """
    rate = abs(float(rate))
    if rate >= 1 - SLOPE_ATOL:
        return math.inf
    if rate == 0:
        return 0.0
    return -1 / math.log(rate)


def length_map_slope(activation, sigma_w2, sigma_b2, q=None):
    """`dL/dq = chi_1 + sigma_w2 E[phi''(u) phi(u)]`, the length map's slope.

    Args:
        activation: a name or numpy callable (see `get_activation`).
        sigma_w2: weight variance times fan-in.
        sigma_b2: bias variance.
        q: the squared length; defaults to `q*`.
    """
    act = get_activation(activation)
    sigma_w2 = check_variance("sigma_w2", sigma_w2)
    q = resolve_q(act, sigma_w2, sigma_b2, q)
    curvature = gaussian_expectation(lambda u: act.second_derivative(u) * act.fn(u), q)
    return chi_1(act, sigma_w2, sigma_b2, q) + sigma_w2 * curvature


def depth_scales(activation, sigma_w2, sigma_b2):
    """`(xi_q, xi_c)`: depths over which `q` and `c` approach `q*` and `c*`.

    `xi_q = -1 / log(length_map_slope)` at `q*` and `xi_c = -1 / log(chi_c)` at
    `c*`, infinite at criticality.

    Args:
        activation: a name or numpy callable (see `get_activation`).
        sigma_w2: weight variance times fan-in.
        sigma_b2: bias variance.

    Reference:
    - [Schoenholz et al., 2017](https://arxiv.org/abs/1611.01232)
    """
    act = get_activation(activation)
    q = resolve_q(act, sigma_w2, sigma_b2, None)
    return (
        depth_scale(length_map_slope(act, sigma_w2, sigma_b2, q)),
        depth_scale(chi_c(act, sigma_w2, sigma_b2, q=q)),
    )


@dataclasses.dataclass(frozen=True)
class MeanField:
    """Mean-field quantities of one `(activation, sigma_w2, sigma_b2)` point.

    Examples:

    >>> mf = analyze("tanh", 1.0, 0.0)
    >>> round(mf.chi_1, 12), mf.xi_c
    (1.0, inf)

    Args:
        activation: the activation's name.
        sigma_w2: weight variance times fan-in.
        sigma_b2: bias variance.
        q_star: fixed point of the length map.
        chi_1: `sigma_w2 E[phi'^2]` at `q*`; 1 on the critical line.
        c_star: stable fixed point of the correlation map.
        chi_c: slope of the correlation map at `c*`.
        xi_q: depth scale of the length's convergence.
        xi_c: depth scale of the correlation's convergence.
        max_depth: `6 xi_c`, the predicted maximum trainable depth.
    """

    activation: str
    sigma_w2: float
    sigma_b2: float
    q_star: float
    chi_1: float
    c_star: float
    chi_c: float
    xi_q: float
    xi_c: float
    max_depth: float


def analyze(activation, sigma_w2, sigma_b2):
    """Computes the `MeanField` of a network, from `q*` to `6 xi_c`.

    Examples:

    >>> mf = analyze("relu", 1.5, 0.1)
    >>> round(mf.q_star, 6), round(mf.chi_1, 6)
    (0.4, 0.75)

    Args:
        activation: a name or numpy callable (see `get_activation`).
        sigma_w2: weight variance times fan-in.
        sigma_b2: bias variance.

    Reference:
    - [Xiao et al., 2018](https://arxiv.org/abs/1806.05393)
    """
    act = get_activation(activation)
    sigma_w2 = check_variance("sigma_w2", sigma_w2)
    sigma_b2 = check_variance("sigma_b2", sigma_b2)
    q_star = fixed_point_q(act, sigma_w2, sigma_b2)
    if math.isinf(q_star):
        raise ValueError(
            f"{act.name} has no fixed point of the length map here: q grows "
            f"without bound (a smaller sigma_w2 would bound it). "
            f"Received: sigma_w2={sigma_w2!r}"
        )
    q = max(q_star, Q_TINY)
    c_star = fixed_point_c(act, sigma_w2, sigma_b2, q)
    slope = chi_c(act, sigma_w2, sigma_b2, c_star, q)
    xi_c = depth_scale(slope)
    return MeanField(
        activation=act.name,
        sigma_w2=sigma_w2,
        sigma_b2=sigma_b2,
        q_star=q_star,
        chi_1=float(chi_1(act, sigma_w2, sigma_b2, q)),
        c_star=float(c_star),
        chi_c=float(slope),
        xi_q=depth_scale(length_map_slope(act, sigma_w2, sigma_b2, q)),
        xi_c=xi_c,
        max_depth=6 * xi_c,
    )
