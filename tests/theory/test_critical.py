import math

import numpy as np
import pytest

from keras_deepinit import theory

# selu's slopes at 0: scale on the right, scale * alpha on the left.
SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


def test_the_papers_tanh_point_is_critical():
    # Xiao et al. (2018) train 10,000 tanh layers at (1.05, 2.01e-5).
    assert theory.critical_sigma_w2("tanh", 2.01e-5) == pytest.approx(1.05, rel=1e-5)
    assert theory.critical_sigma_b2("tanh", 1.05) == pytest.approx(2.01e-5, rel=1e-3)
    point = theory.analyze("tanh", 1.05, 2.01e-5)
    assert point.chi_1 == pytest.approx(1, abs=1e-6)
    assert point.max_depth > 1e6  # 6 xi_c: far beyond 10,000 layers.


@pytest.mark.parametrize(
    "activation, sigma_w2",
    [
        ("tanh", 1.0),
        ("relu", 2.0),
        ("linear", 1.0),
        # No bias: q* -> 0 and chi_1 -> sigma_w2 E[phi'(0)^2].
        ("erf", math.pi / 4),
        ("selu", 2 / (SELU_SCALE**2 * (1 + SELU_ALPHA**2))),
    ],
)
def test_critical_points_without_bias(activation, sigma_w2):
    assert theory.critical_sigma_w2(activation, 0.0) == pytest.approx(sigma_w2, 1e-9)
    assert theory.critical_sigma_b2(activation, sigma_w2) == pytest.approx(0, abs=1e-9)
    point = theory.critical_point(activation, sigma_b2=0.0)
    assert point.sigma_w2 == pytest.approx(sigma_w2, rel=1e-9)
    assert point.chi_1 == pytest.approx(1, abs=1e-9)
    assert point.xi_c == math.inf and point.max_depth == math.inf


@pytest.mark.parametrize("activation", ["tanh", "erf"])
@pytest.mark.parametrize("sigma_b2", [1e-4, 0.05, 0.3, 1.0])
def test_round_trip_along_the_critical_line(activation, sigma_b2):
    sigma_w2 = theory.critical_sigma_w2(activation, sigma_b2)
    assert theory.critical_sigma_b2(activation, sigma_w2) == pytest.approx(
        sigma_b2, rel=1e-7
    )
    assert theory.chi_1(activation, sigma_w2, sigma_b2) == pytest.approx(1, abs=1e-10)
    # Just off the line: ordered below, chaotic above.
    assert theory.analyze(activation, 0.99 * sigma_w2, sigma_b2).chi_1 < 1
    assert theory.analyze(activation, 1.01 * sigma_w2, sigma_b2).c_star < 1


def test_critical_line_of_tanh_rises_with_bias():
    line = [theory.critical_sigma_w2("tanh", b) for b in (0.0, 0.05, 0.3, 1.0)]
    assert np.all(np.diff(line) > 0.05)
    assert line[1] == pytest.approx(1.7610, abs=1e-4)


def test_critical_point_fields():
    point = theory.critical_point("tanh", sigma_w2=1.5)
    assert point.activation == "tanh" and point.sigma_w2 == 1.5
    assert point.chi_1 == pytest.approx(1, abs=1e-10)
    assert point.chi_c == pytest.approx(1, abs=1e-10)
    assert point.c_star == pytest.approx(1, abs=1e-6)
    assert point.xi_c == math.inf


def test_callable_activation():
    def tanh(x):
        return np.tanh(x)

    assert theory.critical_sigma_w2(tanh, 0.05) == pytest.approx(
        theory.critical_sigma_w2("tanh", 0.05), rel=1e-7
    )


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: theory.critical_point("relu", sigma_b2=0.1),
            "relu has no critical point.*q\\* diverges.*Received: sigma_b2=0.1",
        ),
        (
            lambda: theory.critical_point("linear", sigma_b2=0.3),
            "linear has no critical point.*Received: sigma_b2=0.3",
        ),
        (
            lambda: theory.critical_point("tanh", sigma_w2=0.5),
            "tanh has no critical point.*below 1.*Received: sigma_w2=0.5",
        ),
        (
            lambda: theory.critical_point("relu", sigma_w2=1.9),
            "relu has no critical point.*Received: sigma_w2=1.9",
        ),
        (
            lambda: theory.critical_point("relu", sigma_w2=2.5),
            "without bound.*Received: sigma_w2=2.5",
        ),
        (
            lambda: theory.critical_point("tanh"),
            "exactly one.*Received: sigma_b2=None, sigma_w2=None",
        ),
        (
            lambda: theory.critical_point("tanh", sigma_b2=0.1, sigma_w2=1.5),
            "exactly one.*Received: sigma_b2=0.1, sigma_w2=1.5",
        ),
        (
            lambda: theory.critical_point("tanh", sigma_b2=-0.1),
            "non-negative.*Received: sigma_b2=-0.1",
        ),
        (
            lambda: theory.critical_point("tanh", sigma_w2=-1),
            "non-negative.*Received: sigma_w2=-1",
        ),
        (
            lambda: theory.critical_point("sine", sigma_b2=0.1),
            "Received: activation='sine'",
        ),
    ],
)
def test_errors_name_the_value(call, message):
    with pytest.raises(ValueError, match=message):
        call()
