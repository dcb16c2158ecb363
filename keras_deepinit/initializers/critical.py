import math

import keras

from keras_deepinit import theory
from keras_deepinit.initializers.conv_orthogonal import ConvOrthogonal
from keras_deepinit.initializers.delta_orthogonal import DeltaOrthogonal

KINDS = ("delta_orthogonal", "conv_orthogonal", "gaussian")
# The kinds networks are built with: the mean-field ones, and Keras's default.
NETWORK_KINDS = (*KINDS, "glorot")


def critical_initializers(
    activation, *, sigma_b2=None, sigma_w2=None, kind="delta_orthogonal", seed=None
):
    """Kernel and bias initializers at the order-to-chaos critical point.

    Looks up the critical point of `activation` on the mean-field critical
    line (`keras_deepinit.theory.critical_point`, given exactly one of
    `sigma_b2` and `sigma_w2`) and returns initializers with weight variance
    `sigma_w2` and bias variance `sigma_b2` there:

    - `"delta_orthogonal"`: `DeltaOrthogonal(gain=sqrt(sigma_w2))`, the
      initialization that trains vanilla CNNs 10,000 layers deep;
    - `"conv_orthogonal"`: `ConvOrthogonal(gain=sqrt(sigma_w2))`, exactly
      norm-preserving under circular padding;
    - `"gaussian"`: the critical Gaussian, for comparison,
      `keras.initializers.VarianceScaling(scale=sigma_w2, mode="fan_in",
      distribution="untruncated_normal")`, variance `sigma_w2 / fan_in`.

    The bias initializer is `keras.initializers.RandomNormal` with standard
    deviation `sqrt(sigma_b2)`, or `keras.initializers.Zeros` when `sigma_b2`
    is 0.

    Examples:

    >>> kernel_init, bias_init = critical_initializers("tanh", sigma_b2=2.01e-5)
    >>> layer = keras.layers.Conv2D(
    ...     64,
    ...     3,
    ...     padding="same",
    ...     activation="tanh",
    ...     kernel_initializer=kernel_init,
    ...     bias_initializer=bias_init,
    ... )

    Args:
        activation: The activation, as `keras_deepinit.theory.critical_point`
            takes it (e.g. `"tanh"`).
        sigma_b2: Bias variance of the critical point; give this or `sigma_w2`.
        sigma_w2: Weight variance of the critical point; give this or
            `sigma_b2`.
        kind: One of `"delta_orthogonal"`, `"conv_orthogonal"`, `"gaussian"`.
        seed: A Python integer, a `keras.random.SeedGenerator` or `None`. The
            kernel initializer gets `seed`; the bias initializer gets
            `seed + 1` for an int (so that the two draws differ) and `seed`
            otherwise. As with Keras's initializers, an int or `None` gives
            the same values on every call, so layers that share these
            instances get identical kernels; pass a `SeedGenerator` to give
            every layer its own.

    Returns:
        Tuple `(kernel_initializer, bias_initializer)`.

    Reference:

    - [Xiao et al., 2018](https://arxiv.org/abs/1806.05393)
    """
    if (sigma_b2 is None) == (sigma_w2 is None):
        raise ValueError(
            "Expected exactly one of `sigma_b2` and `sigma_w2`: the other one "
            "comes from the critical line. "
            f"Received: sigma_b2={sigma_b2!r}, sigma_w2={sigma_w2!r}"
        )
    point = theory.critical_point(activation, sigma_b2=sigma_b2, sigma_w2=sigma_w2)
    return variance_initializers(kind, point.sigma_w2, point.sigma_b2, seed)


def variance_initializers(kind, sigma_w2, sigma_b2, seed=None):
    """Kernel and bias initializers with weight variance `sigma_w2` (per fan-in)
    and bias variance `sigma_b2`, at any point of the phase diagram.

    Args:
        kind: One of `"delta_orthogonal"`, `"conv_orthogonal"`, `"gaussian"`
            (see `critical_initializers`).
        sigma_w2: Positive weight variance.
        sigma_b2: Non-negative bias variance.
        seed: As for `critical_initializers`.

    Returns:
        Tuple `(kernel_initializer, bias_initializer)`.
    """
    if kind not in KINDS:
        raise ValueError(
            f"Expected `kind` to be one of {', '.join(map(repr, KINDS))}. "
            f"Received: kind={kind!r}"
        )
    weight_variance = float(sigma_w2)
    bias_variance = float(sigma_b2)
    if not weight_variance > 0 or not bias_variance >= 0:
        raise ValueError(
            "Expected sigma_w2 > 0 and sigma_b2 >= 0. "
            f"Received: sigma_w2={sigma_w2!r}, sigma_b2={sigma_b2!r}"
        )
    if kind == "delta_orthogonal":
        kernel = DeltaOrthogonal(gain=math.sqrt(weight_variance), seed=seed)
    elif kind == "conv_orthogonal":
        kernel = ConvOrthogonal(gain=math.sqrt(weight_variance), seed=seed)
    else:
        kernel = keras.initializers.VarianceScaling(
            scale=weight_variance,
            mode="fan_in",
            distribution="untruncated_normal",
            seed=seed,
        )
    if bias_variance == 0:
        bias = keras.initializers.Zeros()
    else:
        bias_seed = seed + 1 if isinstance(seed, int) else seed
        bias = keras.initializers.RandomNormal(
            stddev=math.sqrt(bias_variance), seed=bias_seed
        )
    return kernel, bias


def network_initializers(kind, activation, *, sigma_b2, sigma_w2=None, seed=None):
    """Initializers of one of `NETWORK_KINDS` for a network of `activation`.

    `"glorot"` is Keras's `GlorotNormal` with zero biases and ignores the
    variances; the other kinds take `variance_initializers` at
    `(sigma_w2, sigma_b2)`, `sigma_w2` defaulting to the critical value for
    `sigma_b2`.
    """
    if kind == "glorot":
        return keras.initializers.GlorotNormal(seed=seed), keras.initializers.Zeros()
    if sigma_w2 is None:
        sigma_w2 = theory.critical_point(activation, sigma_b2=sigma_b2).sigma_w2
    return variance_initializers(kind, sigma_w2, sigma_b2, seed)
