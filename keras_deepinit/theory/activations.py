"""Activation functions with their first and second derivatives, in numpy."""

import dataclasses
import math
from collections.abc import Callable

import numpy as np
import scipy.special

SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


def erf(x):
    """The error function, elementwise (`scipy.special.erf`, in float64)."""
    return scipy.special.erf(np.asarray(x, dtype=float))


def _normal_pdf(x):
    return np.exp(-0.5 * x**2) / math.sqrt(2 * math.pi)


def _normal_cdf(x):
    return 0.5 * (1 + erf(x / math.sqrt(2)))


def _sigmoid(x):
    return np.exp(-np.logaddexp(0.0, -x))


@dataclasses.dataclass(frozen=True)
class Activation:
    """A scalar nonlinearity `phi` with `phi'` and `phi''`, all numpy callables.

    Examples:

    >>> act = get_activation("tanh")
    >>> act.derivative(np.array([0.0]))
    array([1.])

    Args:
        name: the activation's name.
        fn: `phi`, elementwise on numpy arrays.
        derivative: `phi'`.
        second_derivative: `phi''`.
    """

    name: str
    fn: Callable
    derivative: Callable
    second_derivative: Callable


def _tanh_d(x):
    return 1 - np.tanh(x) ** 2


def _tanh_dd(x):
    t = np.tanh(x)
    return -2 * t * (1 - t**2)


def _relu(x):
    return np.maximum(x, 0.0)


def _relu_d(x):
    return (x > 0).astype(float)


def _zeros(x):
    return np.zeros_like(np.asarray(x, dtype=float))


def _erf_d(x):
    return 2 / math.sqrt(math.pi) * np.exp(-(x**2))


def _erf_dd(x):
    return -4 * x / math.sqrt(math.pi) * np.exp(-(x**2))


def _selu(x):
    return SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0)))


def _selu_d(x):
    return SELU_SCALE * np.where(x > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(x, 0)))


def _selu_dd(x):
    return SELU_SCALE * np.where(x > 0, 0.0, SELU_ALPHA * np.exp(np.minimum(x, 0)))


def _gelu(x):
    return x * _normal_cdf(x)


def _gelu_d(x):
    return _normal_cdf(x) + x * _normal_pdf(x)


def _gelu_dd(x):
    return (2 - x**2) * _normal_pdf(x)


def _swish(x):
    return x * _sigmoid(x)


def _swish_d(x):
    s = _sigmoid(x)
    return s + x * s * (1 - s)


def _swish_dd(x):
    s = _sigmoid(x)
    return s * (1 - s) * (2 + x * (1 - 2 * s))


def _linear(x):
    return np.asarray(x, dtype=float)


def _ones(x):
    return np.ones_like(np.asarray(x, dtype=float))


ACTIVATIONS = {
    "tanh": Activation("tanh", np.tanh, _tanh_d, _tanh_dd),
    "relu": Activation("relu", _relu, _relu_d, _zeros),
    "erf": Activation("erf", erf, _erf_d, _erf_dd),
    "selu": Activation("selu", _selu, _selu_d, _selu_dd),
    "gelu": Activation("gelu", _gelu, _gelu_d, _gelu_dd),
    "swish": Activation("swish", _swish, _swish_d, _swish_dd),
    "linear": Activation("linear", _linear, _ones, _zeros),
}


def central_difference(fn, step):
    """Returns `x -> (fn(x + h) - fn(x - h)) / 2h` with `h = step * max(1, |x|)`."""

    def derivative(x):
        x = np.asarray(x, dtype=float)
        h = step * np.maximum(1.0, np.abs(x))
        return (fn(x + h) - fn(x - h)) / (2 * h)

    return derivative


def get_activation(activation, derivative=None, second_derivative=None):
    """Returns an `Activation` by name, or wraps a numpy callable.

    Derivatives of a callable are central finite differences unless given.

    Examples:

    >>> get_activation("relu").name
    'relu'
    >>> softplus = get_activation(lambda x: np.logaddexp(0.0, x))
    >>> round(float(softplus.derivative(np.array(0.0))), 9)  # sigmoid(0)
    0.5

    Args:
        activation: a name from `ACTIVATIONS`, an `Activation`, or a callable
            mapping numpy arrays elementwise.
        derivative: optional `phi'` for a callable.
        second_derivative: optional `phi''` for a callable.
    """
    if isinstance(activation, Activation):
        return activation
    if isinstance(activation, str):
        key = activation.lower()
        if key not in ACTIVATIONS:
            raise ValueError(
                f"Unknown activation. Expected a numpy callable or one of "
                f"{sorted(ACTIVATIONS)}. Received: activation={activation!r}"
            )
        return ACTIVATIONS[key]
    if not callable(activation):
        raise ValueError(
            f"Expected an activation name or a numpy callable. "
            f"Received: activation={activation!r}"
        )
    # Steps near the optimum for double precision: eps^(1/3) and eps^(1/4).
    if derivative is None:
        derivative = central_difference(activation, 6e-6)
    if second_derivative is None:
        second_derivative = central_difference(derivative, 1e-4)
    name = getattr(activation, "__name__", type(activation).__name__)
    return Activation(name, activation, derivative, second_derivative)
