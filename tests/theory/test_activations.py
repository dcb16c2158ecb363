import math

import numpy as np
import pytest

from keras_deepinit import theory
from keras_deepinit.theory.activations import central_difference

# Away from relu's and selu's kink at 0.
POINTS = np.array([-3.1, -1.2, -0.4, 0.3, 0.9, 2.5])


@pytest.mark.parametrize("name", sorted(theory.ACTIVATIONS))
def test_derivatives_match_finite_differences(name):
    act = theory.get_activation(name)
    assert act.name == name
    np.testing.assert_allclose(
        act.derivative(POINTS), central_difference(act.fn, 1e-6)(POINTS), atol=1e-8
    )
    np.testing.assert_allclose(
        act.second_derivative(POINTS),
        central_difference(act.derivative, 1e-6)(POINTS),
        atol=1e-8,
    )


@pytest.mark.parametrize(
    "name, x, expected",
    [
        ("erf", 0.5, 0.5204998778130465),
        ("gelu", 1.0, 0.8413447460685429),  # x Phi(x), exact (not tanh-based).
        ("gelu", -1.0, -0.15865525393145707),
        ("swish", 1.0, 0.7310585786300049),  # x sigmoid(x)
        ("selu", -1.0, 1.0507009873554805 * 1.6732632423543772 * (math.exp(-1) - 1)),
        ("selu", 2.0, 2 * 1.0507009873554805),
        ("relu", -2.0, 0.0),
        ("linear", -2.0, -2.0),
    ],
)
def test_known_values(name, x, expected):
    assert float(theory.get_activation(name).fn(np.array(x))) == pytest.approx(
        expected, abs=1e-15
    )


def test_swish_does_not_overflow():
    with np.errstate(over="raise", invalid="raise"):
        assert theory.get_activation("swish").fn(np.array([-1e4, 1e4])).tolist() == [
            -0.0,
            1e4,
        ]


def test_callable_gets_finite_difference_derivatives():
    act = theory.get_activation(lambda x: np.logaddexp(0.0, x))
    sigmoid = 1 / (1 + np.exp(-POINTS))
    np.testing.assert_allclose(act.derivative(POINTS), sigmoid, atol=1e-9)
    np.testing.assert_allclose(
        act.second_derivative(POINTS), sigmoid * (1 - sigmoid), atol=1e-6
    )


def test_callable_uses_given_derivatives():
    def cube(x):
        return x**3

    act = theory.get_activation(cube, lambda x: 3 * x**2, lambda x: 6 * x)
    assert act.name == "cube"
    assert act.derivative(np.array(2.0)) == 12.0
    assert act.second_derivative(np.array(2.0)) == 12.0


def test_activation_instances_and_case_pass_through():
    act = theory.get_activation("tanh")
    assert theory.get_activation(act) is act
    assert theory.get_activation("TanH") is act


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="Received: activation='sigmoidal'") as info:
        theory.get_activation("sigmoidal")
    for name in ("tanh", "relu", "erf", "selu", "gelu", "swish", "linear"):
        assert repr(name) in str(info.value)


def test_non_callable_is_rejected():
    with pytest.raises(ValueError, match="Received: activation=3"):
        theory.get_activation(3)
