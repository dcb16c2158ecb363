import dataclasses
import math
import time

import numpy as np
import pytest

from keras_deepinit import theory
from keras_deepinit.theory.activations import erf


@pytest.mark.parametrize("sigma_w2, sigma_b2", [(0.5, 1.0), (0.9, 0.1), (0.2, 3.0)])
def test_linear_maps_are_exact(sigma_w2, sigma_b2):
    q_star = sigma_b2 / (1 - sigma_w2)
    assert theory.fixed_point_q("linear", sigma_w2, sigma_b2) == pytest.approx(
        q_star, rel=1e-12
    )
    assert theory.length_map("linear", sigma_w2, sigma_b2, 2.0) == pytest.approx(
        2 * sigma_w2 + sigma_b2, rel=1e-14
    )
    assert theory.chi_1("linear", sigma_w2, sigma_b2) == pytest.approx(sigma_w2)
    c = np.array([-0.5, 0.0, 0.7])
    np.testing.assert_allclose(
        theory.correlation_map("linear", sigma_w2, sigma_b2, c),
        (sigma_w2 * q_star * c + sigma_b2) / q_star,
        rtol=1e-12,
    )
    point = theory.analyze("linear", sigma_w2, sigma_b2)
    assert point.c_star == 1.0
    assert point.xi_c == pytest.approx(-1 / math.log(sigma_w2), rel=1e-10)
    assert point.xi_q == pytest.approx(-1 / math.log(sigma_w2), rel=1e-10)
    assert point.max_depth == 6 * point.xi_c


@pytest.mark.parametrize("sigma_w2, sigma_b2", [(1.0, 0.1), (1.5, 0.3), (1.9, 0.05)])
def test_relu_closed_forms(sigma_w2, sigma_b2):
    assert theory.length_map("relu", sigma_w2, sigma_b2, 0.8) == pytest.approx(
        sigma_w2 * 0.4 + sigma_b2, rel=1e-13
    )
    q_star = sigma_b2 / (1 - sigma_w2 / 2)
    point = theory.analyze("relu", sigma_w2, sigma_b2)
    assert point.q_star == pytest.approx(q_star, rel=1e-12)
    assert point.chi_1 == pytest.approx(sigma_w2 / 2, rel=1e-13)
    c = np.array([0.0, 0.5, 0.99])
    arc_cosine = q_star / (2 * np.pi) * (np.sqrt(1 - c**2) + (np.pi - np.arccos(c)) * c)
    np.testing.assert_allclose(
        theory.correlation_map("relu", sigma_w2, sigma_b2, c),
        (sigma_w2 * arc_cosine + sigma_b2) / q_star,
        rtol=1e-12,
    )


@pytest.mark.parametrize("sigma_w2, sigma_b2", [(1.0, 0.2), (2.0, 0.0), (3.0, 0.5)])
def test_erf_closed_forms(sigma_w2, sigma_b2):
    point = theory.analyze("erf", sigma_w2, sigma_b2)
    q = point.q_star
    # q* solves q = sigma_w2 (2 / pi) arcsin(2q / (1 + 2q)) + sigma_b2.
    assert q == pytest.approx(
        sigma_w2 * 2 / np.pi * np.arcsin(2 * q / (1 + 2 * q)) + sigma_b2, rel=1e-12
    )
    assert point.chi_1 == pytest.approx(
        sigma_w2 * 4 / (np.pi * np.sqrt(1 + 4 * q)), rel=1e-10
    )
    c = point.c_star
    kernel = 2 / np.pi * np.arcsin(2 * q * c / (1 + 2 * q))
    assert (sigma_w2 * kernel + sigma_b2) / q == pytest.approx(c, abs=1e-9)
    assert point.chi_c == pytest.approx(
        sigma_w2 * 4 / (np.pi * np.sqrt((1 + 2 * q) ** 2 - (2 * q * c) ** 2)),
        rel=1e-9,
    )


def test_tanh_without_bias():
    # Ordered: q decays to 0, where tanh is linear with slope 1.
    point = theory.analyze("tanh", 0.7, 0.0)
    assert point.q_star == 0.0
    assert point.chi_1 == pytest.approx(0.7, rel=1e-12)
    # Chaotic: a positive q*, and tanh is odd so c* = 0.
    point = theory.analyze("tanh", 1.5, 0.0)
    assert point.q_star > 0.1 and point.chi_1 > 1
    assert theory.length_map("tanh", 1.5, 0.0, point.q_star) == pytest.approx(
        point.q_star, rel=1e-12
    )
    assert point.c_star == pytest.approx(0.0, abs=1e-10)


@pytest.mark.parametrize(
    "activation, sigma_w2, sigma_b2",
    [("tanh", 2.5, 0.05), ("tanh", 6.0, 1.0), ("selu", 1.0, 0.0), ("tanh", 1.5, 0.05)],
)
def test_stable_fixed_point_of_the_correlation_map(activation, sigma_w2, sigma_b2):
    point = theory.analyze(activation, sigma_w2, sigma_b2)
    c_star = point.c_star
    assert float(
        theory.correlation_map(activation, sigma_w2, sigma_b2, c_star)
    ) == pytest.approx(c_star, abs=1e-12)
    # chi_c is the map's slope there, and it is stable: below 1.
    h = 1e-5
    ends = np.clip([c_star - h, c_star + h], -1, 1)
    slope = np.diff(theory.correlation_map(activation, sigma_w2, sigma_b2, ends))
    assert point.chi_c == pytest.approx(slope[0] / np.diff(ends)[0], rel=1e-5)
    assert point.chi_c < 1
    assert (point.c_star < 1) == (point.chi_1 > 1)
    # Iterating from anywhere ends at c*, within 25 xi_c layers to 1e-10.
    depth = int(25 * point.xi_c) + 20
    end = theory.correlation_trajectory(
        activation, sigma_w2, sigma_b2, np.array([-0.5, 0.0, 0.9]), depth
    )[-1]
    np.testing.assert_allclose(end, c_star, atol=1e-9)


@pytest.mark.parametrize(
    "activation, sigma_w2, sigma_b2",
    [("tanh", 1.5, 0.05), ("gelu", 1.5, 0.2), ("swish", 1.8, 0.1), ("erf", 3.0, 0.5)],
)
def test_depth_scales_are_the_rates_of_the_maps(activation, sigma_w2, sigma_b2):
    point = theory.analyze(activation, sigma_w2, sigma_b2)
    # xi_q: q^l - q* shrinks by exp(-1 / xi_q) per layer near q*.
    q = point.q_star * 1.01
    gaps = []
    for _ in range(8):
        gaps.append(q - point.q_star)
        q = theory.length_map(activation, sigma_w2, sigma_b2, q)
    assert gaps[-1] / gaps[-2] == pytest.approx(math.exp(-1 / point.xi_q), rel=1e-3)
    # xi_c: |c^l - c*| shrinks by exp(-1 / xi_c) per layer near c*.
    c0 = point.c_star - 1e-4
    distances = np.abs(
        theory.correlation_trajectory(activation, sigma_w2, sigma_b2, c0, 8)
        - point.c_star
    )
    assert distances[-1] / distances[-2] == pytest.approx(
        math.exp(-1 / point.xi_c), rel=1e-3
    )
    assert theory.depth_scales(activation, sigma_w2, sigma_b2) == pytest.approx(
        (point.xi_q, point.xi_c)
    )


def test_correlation_trajectory_shapes():
    single = theory.correlation_trajectory("tanh", 1.5, 0.05, 0.2, 5)
    assert single.shape == (6,) and single[0] == 0.2
    several = theory.correlation_trajectory("tanh", 1.5, 0.05, [0.2, 0.6], 5)
    assert several.shape == (6, 2)
    np.testing.assert_allclose(several[:, 0], single, rtol=1e-14)


def test_unbounded_length_is_reported_quickly():
    start = time.perf_counter()
    assert theory.fixed_point_q("relu", 2.5, 0.1) == math.inf
    assert theory.fixed_point_q("relu", 2.0, 0.1) == math.inf  # q -> q + 0.1
    assert time.perf_counter() - start < 2
    with pytest.raises(ValueError, match="grows without bound.*sigma_w2=2.5"):
        theory.analyze("relu", 2.5, 0.1)


def test_marginal_length_map_keeps_the_input_length():
    # relu at (2, 0) maps every q to itself.
    assert theory.fixed_point_q("relu", 2.0, 0.0, q0=3.5) == 3.5
    assert theory.analyze("relu", 2.0, 0.0).xi_c == math.inf


def test_callable_activation_matches_the_named_one():
    named = theory.analyze("erf", 2.0, 0.1)
    custom = theory.analyze(erf, 2.0, 0.1)
    assert custom.activation == "erf"
    for field in ("q_star", "chi_1", "c_star", "chi_c", "xi_q", "xi_c"):
        assert getattr(custom, field) == pytest.approx(getattr(named, field), rel=1e-5)


def test_mean_field_is_a_frozen_dataclass():
    point = theory.analyze("tanh", 1.5, 0.05)
    assert [field.name for field in dataclasses.fields(point)] == [
        "activation",
        "sigma_w2",
        "sigma_b2",
        "q_star",
        "chi_1",
        "c_star",
        "chi_c",
        "xi_q",
        "xi_c",
        "max_depth",
    ]
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.q_star = 1.0


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: theory.analyze("tanh", -1.0, 0.0), "Received: sigma_w2=-1.0"),
        (lambda: theory.analyze("tanh", 1.0, -0.1), "Received: sigma_b2=-0.1"),
        (lambda: theory.analyze("tanh", float("nan"), 0.0), "Received: sigma_w2=nan"),
        (lambda: theory.analyze("tanh", "1", 0.0), "Received: sigma_w2='1'"),
        (lambda: theory.analyze("swishy", 1.0, 0.0), "activation='swishy'"),
        (lambda: theory.length_map("tanh", 1.0, 0.0, -2.0), "Received: q=-2.0"),
        (lambda: theory.fixed_point_q("tanh", 1.0, 0.0, q0=0.0), "Received: q0=0.0"),
        (
            lambda: theory.correlation_map("tanh", 1.0, 0.1, 1.5),
            r"Received: c=array\(1.5\)",
        ),
        (
            lambda: theory.correlation_trajectory("tanh", 1.0, 0.1, 0.5, -1),
            "Received: depth=-1",
        ),
        (
            lambda: theory.correlation_trajectory("tanh", 1.0, 0.1, 0.5, 2.5),
            "Received: depth=2.5",
        ),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()
